"""EBGAN's closed forms (shared/MATH.md §8): the energy, the margin loss on point inputs, the
pulling-away term (0 for orthogonal, 1 for identical embeddings), and its refused settings."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.programs import ebgan
from jaxgan.train import build
from tests.programs.helpers import tiny_config


def test_energy_is_the_per_example_mean_squared_reconstruction_error():
    x = jnp.array([[0.0, 0.0], [1.0, 1.0]])
    reconstruction = jnp.array([[1.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(ebgan.energy(x, reconstruction), [0.5, 2.0])


def test_margin_loss_on_point_inputs():
    # E_p e(x) + E_q [m - e(G(z))]^+ with m = 1: (0.2 + 0.4)/2 + (0.5 + 0)/2 = 0.55
    e_real, e_fake = jnp.array([0.2, 0.4]), jnp.array([0.5, 3.0])
    np.testing.assert_allclose(ebgan.margin_discriminator_loss(e_real, e_fake, 1.0), 0.55, rtol=1e-6)
    # a generated example whose energy is past the margin gets no gradient; one inside gets -1/N
    grad = jax.grad(lambda e: ebgan.margin_discriminator_loss(e_real, e, 1.0))(e_fake)
    np.testing.assert_allclose(grad, [-0.5, 0.0])
    # every generated energy at or past m: the loss is the real energy alone
    np.testing.assert_allclose(ebgan.margin_discriminator_loss(e_real, jnp.array([1.0, 2.0]), 1.0), 0.3, rtol=1e-6)


def test_pulling_away_is_zero_for_orthogonal_and_one_for_identical_embeddings():
    np.testing.assert_allclose(ebgan.pulling_away(jnp.eye(4) * jnp.array([[1.0], [2.0], [0.5], [3.0]])), 0.0, atol=1e-7)
    identical = jnp.tile(jnp.array([[0.3, -1.2, 2.0]]), (5, 1))
    np.testing.assert_allclose(ebgan.pulling_away(identical), 1.0, rtol=1e-6)
    # scale-free and sign-blind (cos²): s and -2s are identical directions
    np.testing.assert_allclose(ebgan.pulling_away(jnp.array([[1.0, 1.0], [-2.0, -2.0]])), 1.0, rtol=1e-6)
    # two at 45 degrees: cos² = 1/2 for both ordered pairs
    np.testing.assert_allclose(ebgan.pulling_away(jnp.array([[1.0, 0.0], [1.0, 1.0]])), 0.5, rtol=1e-6)


@pytest.mark.parametrize("margin", [0.0, -1.0, float("nan")])
def test_a_margin_that_is_not_positive_is_refused_in_one_sentence(margin):
    with pytest.raises(ValueError, match=r"^config\.ebgan\.margin must be a number in \(0, inf\); got"):
        build.build(tiny_config("ebgan", **{"ebgan.margin": margin}))


def test_a_gan_trick_it_does_not_read_is_refused():
    with pytest.raises(ValueError, match=r"config\.pack=2 is not read by program 'ebgan'"):
        build.build(tiny_config("ebgan", pack=2))
    with pytest.raises(ValueError, match=r"mlp_autoencoder"):
        build.build(tiny_config("ebgan", **{"model.discriminator.name": "autoencoder"}))
