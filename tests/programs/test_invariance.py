"""EBGAN, BEGAN (k_t included), MAD-GAN, VAE-GAN, ALI (with a stochastic E too), CoGAN (with the seed DCGAN's and InfoGAN's bodies)
Triple-GAN (with the authors' CNN C too) and ss-InfoGAN give the same parameters on 1 and 8 devices (CoGAN,
Triple-GAN and ss-InfoGAN on 2 too): one subprocess with 8 CPU devices for them all
(`tests/programs/invariance_check.py`)."""

from __future__ import annotations

import pytest

from tests.programs.helpers import FAMILIES
from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_every_family_is_device_count_invariant():
    # CoGAN with InfoGAN's bodies too (batch norm in shared layers), Triple-GAN with the authors' CNN C
    # ALI with PacGAN's code's stochastic E (its noise a latent, batch norm in E)
    names = (*FAMILIES, "cogan_infogan", "triplegan_cnn", "ss_infogan", "ali_stochastic")
    rows = run_in_subprocess(names, module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == set(names), rows
    assert rows["began"].pop("k_t") > 0.0  # k_t moved, so its state is compared too
    assert "2" in rows["cogan"] and "2" in rows["cogan_infogan"], rows["cogan"]  # CoGAN: 2 devices as well as 8
    assert "2" in rows["triplegan"] and "2" in rows["triplegan_cnn"], rows["triplegan"]
    assert "2" in rows["ss_infogan"], rows["ss_infogan"]
    assert "2" in rows["ali_stochastic"], rows["ali_stochastic"]
    for name in names:
        check_invariance(rows[name])
