"""EBGAN, BEGAN (k_t included), MAD-GAN, VAE-GAN, ALI, CoGAN and Triple-GAN give the same parameters on 1 and 8
devices (CoGAN and Triple-GAN on 2 too): one subprocess with 8 CPU devices for them all
(`tests/programs/invariance_check.py`)."""

from __future__ import annotations

import pytest

from tests.programs.helpers import FAMILIES
from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_every_family_is_device_count_invariant():
    rows = run_in_subprocess(FAMILIES, module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == set(FAMILIES), rows
    assert rows["began"].pop("k_t") > 0.0  # k_t moved, so its state is compared too
    assert "2" in rows["cogan"], rows["cogan"]  # CoGAN: 2 devices as well as 8
    assert "2" in rows["triplegan"], rows["triplegan"]
    for name in FAMILIES:
        check_invariance(rows[name])
