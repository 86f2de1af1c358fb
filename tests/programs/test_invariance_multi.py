"""MAD-GAN (k generators) and VAE-GAN (three update groups) give the same parameters on 1, 2 and 8
devices: one subprocess with 8 CPU devices (`tests/programs/invariance_check.py`)."""

from __future__ import annotations

from tests.train.parallel_check import check_invariance, run_in_subprocess

FAMILIES = ("madgan", "vaegan")


def test_madgan_and_vaegan_are_device_count_invariant():
    rows = run_in_subprocess(FAMILIES, module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == set(FAMILIES), rows
    for name in FAMILIES:
        check_invariance(rows[name])
