"""MRGAN / MDGAN's losses (shared/MATH.md §9; Che et al. 2017) against the formulas written out in numpy:
the squared distance d, T_E and T_G with either sign of the λ2 term, the manifold step's G/E loss, the
diffusion D's value at its optimum on discrete distributions (-log 4 + 2 JSD(p_GE, p_G))."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses
from tests.losses._discrete import SEEDS, jensen_shannon, random_distributions


def _log_sigmoid(v):
    return -np.log1p(np.exp(-v))


def _batch(seed=0, shape=(6, 3, 2)):
    rng = np.random.default_rng(seed)
    x, reconstruction = rng.normal(size=shape), rng.normal(size=shape)
    d_fake, d_reconstruction = rng.normal(size=shape[0]) * 2, rng.normal(size=shape[0]) * 2
    return x, reconstruction, d_fake, d_reconstruction


def test_squared_distance_sums_every_coordinate_of_each_example():
    x, reconstruction, _, _ = _batch()
    expected = np.array([np.sum((a - b) ** 2) for a, b in zip(x, reconstruction)])
    np.testing.assert_allclose(losses.mrgan_squared_distance(x, reconstruction), expected, rtol=1e-6)
    np.testing.assert_allclose(losses.mrgan_squared_distance(x, x), np.zeros(len(x)), atol=0)


@pytest.mark.parametrize("as_printed", [False, True])
def test_encoder_and_generator_losses_against_numpy(as_printed):
    """T_E = mean_x[λ1 d(x, G(E(x))) ∓ λ2 log D(G(E(x)))] and T_G = -mean_z log D(G(z)) + T_E; the paper
    prints `+ λ2 log D`, the default `- λ2 log D` (module doc of jaxgan/losses/mrgan.py)."""
    x, reconstruction, d_fake, d_reconstruction = _batch(1)
    lambda1, lambda2 = 0.3, 0.7
    sign = 1.0 if as_printed else -1.0
    distance = np.sum((x - reconstruction) ** 2, axis=(1, 2))
    t_e = np.mean(lambda1 * distance + sign * lambda2 * _log_sigmoid(d_reconstruction))
    t_g = -np.mean(_log_sigmoid(d_fake)) + t_e
    kwargs = dict(lambda1=lambda1, lambda2=lambda2, as_printed=as_printed)
    np.testing.assert_allclose(losses.mrgan_encoder_loss(x, reconstruction, d_reconstruction, **kwargs), t_e, rtol=1e-5)
    np.testing.assert_allclose(
        losses.mrgan_generator_loss(d_fake, x, reconstruction, d_reconstruction, **kwargs), t_g, rtol=1e-5
    )


def test_the_default_sign_pulls_reconstructions_toward_what_d_calls_real():
    """d T_E / d v (v = D's logit on G(E(x))) is λ2 (σ(v) - 1) / B < 0 by default: lowering the loss raises
    D(G(E(x))); as printed it is λ2 (1 - σ(v)) / B > 0 (the loss falls as D rejects G(E(x)))."""
    x, reconstruction, _, d_reconstruction = _batch(2)
    v = jnp.asarray(d_reconstruction)
    for as_printed, sign in ((False, -1.0), (True, 1.0)):
        loss = functools.partial(
            losses.mrgan_encoder_loss, x, reconstruction, lambda1=1.0, lambda2=0.5, as_printed=as_printed
        )
        grad = jax.grad(loss)(v)
        expected = sign * 0.5 * (1.0 - jax.nn.sigmoid(v)) / len(v)
        np.testing.assert_allclose(grad, expected, rtol=1e-5)
        assert np.all(np.sign(grad) == sign)


def test_manifold_step_losses_against_numpy():
    """D_m: -mean log D_m(x) - mean log(1 - D_m(G(E(x)))); G and E: λ d(x, G(E(x))) - log D_m(G(E(x)))."""
    x, reconstruction, d_real, d_reconstruction = _batch(3)
    distance = np.sum((x - reconstruction) ** 2, axis=(1, 2))
    np.testing.assert_allclose(
        losses.mdgan_manifold_discriminator_loss(d_real, d_reconstruction),
        -np.mean(_log_sigmoid(d_real)) - np.mean(_log_sigmoid(-d_reconstruction)),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        losses.mdgan_manifold_generator_loss(x, reconstruction, d_reconstruction, lambda1=0.25),
        np.mean(0.25 * distance - _log_sigmoid(d_reconstruction)),
        rtol=1e-5,
    )


def test_diffusion_step_losses_against_numpy():
    """D_d: -mean log D_d(G(E(x))) - mean log(1 - D_d(G(z))); G: -mean log D_d(G(z))."""
    _, _, d_fake, d_reconstruction = _batch(4)
    np.testing.assert_allclose(
        losses.mdgan_diffusion_discriminator_loss(d_reconstruction, d_fake),
        -np.mean(_log_sigmoid(d_reconstruction)) - np.mean(_log_sigmoid(-d_fake)),
        rtol=1e-5,
    )
    np.testing.assert_allclose(losses.mdgan_diffusion_generator_loss(d_fake), -np.mean(_log_sigmoid(d_fake)), rtol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_diffusion_discriminator_value_at_its_optimum(seed):
    """D_d* = p_GE / (p_GE + p_G) on discrete distributions (p_GE of G(E(x)), p_G of G(z)): minus its loss is
    -log 4 + 2 JSD(p_GE, p_G), and any other D_d has a larger loss."""
    p_reconstruction, p_fake = random_distributions(seed)
    optimal = jnp.asarray(np.log(p_reconstruction) - np.log(p_fake))  # logit of D_d*
    weights = dict(reconstruction_weights=jnp.asarray(p_reconstruction), fake_weights=jnp.asarray(p_fake))
    loss = losses.mdgan_diffusion_discriminator_loss(optimal, optimal, **weights)
    np.testing.assert_allclose(-loss, -np.log(4.0) + 2 * jensen_shannon(p_reconstruction, p_fake), rtol=1e-5)
    moved = optimal + 0.5 * jax.random.normal(jax.random.PRNGKey(seed), optimal.shape)
    assert losses.mdgan_diffusion_discriminator_loss(moved, moved, **weights) > loss


def test_weights_out_of_range_are_refused():
    x, reconstruction, d_fake, d_reconstruction = _batch()
    with pytest.raises(ValueError, match=r"^mrgan_encoder_loss: `lambda1` must be a finite number >= 0; got -1\.0"):
        losses.mrgan_encoder_loss(x, reconstruction, d_reconstruction, lambda1=-1.0, lambda2=0.1)
    with pytest.raises(ValueError, match=r"^mrgan_generator_loss: `lambda2` must be a finite number >= 0; got inf"):
        losses.mrgan_generator_loss(d_fake, x, reconstruction, d_reconstruction, lambda1=1.0, lambda2=float("inf"))
    with pytest.raises(ValueError, match=r"^mrgan_squared_distance: shapes \(6, 3, 2\) and \(6, 6\) differ"):
        losses.mrgan_squared_distance(x, reconstruction.reshape(6, 6))
