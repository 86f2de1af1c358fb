"""EBGAN as a program: the settings it refuses in one sentence. Its losses' closed forms (the energy,
the margin loss, the pulling-away term) are tested in tests/losses/test_energy.py."""

from __future__ import annotations

import pytest

from jaxgan.train import build
from tests.programs.helpers import tiny_config


@pytest.mark.parametrize("margin", [0.0, -1.0, float("nan")])
def test_a_margin_that_is_not_positive_is_refused_in_one_sentence(margin):
    with pytest.raises(ValueError, match=r"^config\.ebgan\.margin must be a number in \(0, inf\); got"):
        build.build(tiny_config("ebgan", **{"ebgan.margin": margin}))


def test_a_gan_trick_it_does_not_read_is_refused():
    with pytest.raises(ValueError, match=r"config\.pack=2 is not read by program 'ebgan'"):
        build.build(tiny_config("ebgan", pack=2))
    with pytest.raises(ValueError, match=r"mlp_autoencoder"):
        build.build(tiny_config("ebgan", **{"model.discriminator.name": "autoencoder"}))
