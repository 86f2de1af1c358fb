"""EBGAN and BEGAN (k_t included) give the same parameters on 1, 2 and 8 devices: one subprocess
with 8 CPU devices for the two (`tests/programs/invariance_check.py`); MAD-GAN and VAE-GAN are in
test_invariance_multi.py, so that the suite's two workers share the four."""

from __future__ import annotations

from tests.train.parallel_check import check_invariance, run_in_subprocess

FAMILIES = ("ebgan", "began")


def test_ebgan_and_began_are_device_count_invariant():
    rows = run_in_subprocess(FAMILIES, module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == set(FAMILIES), rows
    assert rows["began"].pop("k_t") > 0.0  # k_t moved, so its state is compared too
    for name in FAMILIES:
        check_invariance(rows[name])
