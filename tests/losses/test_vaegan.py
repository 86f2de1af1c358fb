"""VAE-GAN's losses (shared/MATH.md §8, Larsen et al. 2016): the KL prior term against the Gaussian KL
by numerical integration, the feature-wise reconstruction and D's cross-entropy at D = 1/2."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import losses


def test_kl_prior_is_the_gaussian_kl_divergence():
    mean = np.array([[0.0, 0.0], [1.5, -0.5]])
    log_variance = np.array([[0.0, 0.0], [np.log(0.25), np.log(2.0)]])
    got = losses.gaussian_kl_to_standard_normal(jnp.asarray(mean), jnp.asarray(log_variance))
    grid = np.linspace(-12, 12, 200_001)
    step = grid[1] - grid[0]
    for b in range(2):
        total = 0.0
        for d in range(2):  # ∫ q log(q / p) dz per dimension, q = N(μ, σ²), p = N(0, 1)
            var = np.exp(log_variance[b, d])
            log_q = -0.5 * (grid - mean[b, d]) ** 2 / var - 0.5 * np.log(2 * np.pi * var)
            log_p = -0.5 * grid**2 - 0.5 * np.log(2 * np.pi)
            total += np.sum(np.exp(log_q) * (log_q - log_p)) * step
        np.testing.assert_allclose(got[b], total, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got[0], 0.0, atol=1e-7)  # q = p
    # MATH.md §9's reference value (StackGAN's conditioning augmentation): μ = 0.7, σ = 1.3
    one = losses.gaussian_kl_to_standard_normal(jnp.array([[0.7]]), jnp.log(jnp.array([[1.3**2]])))
    np.testing.assert_allclose(one, [0.327636], rtol=1e-5)


def test_feature_reconstruction_and_gan_loss():
    np.testing.assert_allclose(
        losses.vaegan_feature_reconstruction_loss(jnp.array([[1.0, 2.0]]), jnp.array([[0.0, 0.0]])), [2.5]
    )
    # at D = 1/2 everywhere each of the three cross-entropies is log 2
    np.testing.assert_allclose(
        losses.vaegan_discriminator_loss(jnp.zeros(4), jnp.zeros(4), jnp.zeros(4)), 3 * np.log(2), rtol=1e-6
    )


def test_the_gan_loss_is_the_non_saturating_d_loss_plus_the_reconstructions_fake_term():
    rng = np.random.default_rng(0)
    d_real, d_fake, d_reconstruction = (jnp.asarray(rng.normal(size=6).astype(np.float32)) for _ in range(3))
    weights = jnp.array([1.0, 0.0, 2.0, 1.0, 0.0, 1.0])
    got = losses.vaegan_discriminator_loss(
        d_real, d_fake, d_reconstruction, real_weights=weights, reconstruction_weights=weights[::-1]
    )
    # -E_p log σ(v) - E_q log(1 - σ(v)) - E_x̃ log(1 - σ(v)), the expectations as weighted means
    expected = (
        -np.sum(weights * np.log(jax.nn.sigmoid(d_real))) / np.sum(weights)
        - np.mean(np.log(1 - jax.nn.sigmoid(d_fake)))
        - np.sum(weights[::-1] * np.log(1 - jax.nn.sigmoid(d_reconstruction))) / np.sum(weights)
    )
    np.testing.assert_allclose(got, expected, rtol=1e-6)
