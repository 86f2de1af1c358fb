"""MMD-GAN: equal to `jaxgan.kernels.mmd2` on D's features, and to the Gaussian closed form (MATH.md §3)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import kernels, losses

TESTED_NAMES = {"mmd"}


def _expected_kernel(sigma, mean_difference, covariance_sum):
    """E k(X, Y) for independent Gaussians under k = exp(-|x-y|²/(2σ²))."""
    d = len(mean_difference)
    matrix = sigma**2 * np.eye(d) + covariance_sum
    return (
        sigma**d
        / np.sqrt(np.linalg.det(matrix))
        * np.exp(-0.5 * mean_difference @ np.linalg.solve(matrix, mean_difference))
    )


def _gaussian_mmd2(bandwidths, mean_1, cov_1, mean_2, cov_2):
    zero = np.zeros_like(mean_1)
    return sum(
        _expected_kernel(s, zero, 2 * cov_1)
        + _expected_kernel(s, zero, 2 * cov_2)
        - 2 * _expected_kernel(s, mean_1 - mean_2, cov_1 + cov_2)
        for s in bandwidths
    )


@pytest.mark.parametrize("bandwidths", [(1.0,), (0.5, 2.0), kernels.MMD_GAN_BANDWIDTHS])
def test_matches_the_gaussian_closed_form(bandwidths):
    rng = np.random.default_rng(0)
    mean_1, cov_1 = np.zeros(2), 0.5 * np.eye(2)
    mean_2, cov_2 = np.array([1.0, 0.5]), np.array([[1.0, 0.3], [0.3, 0.8]])
    real = rng.multivariate_normal(mean_1, cov_1, size=1500)
    fake = rng.multivariate_normal(mean_2, cov_2, size=1500)
    objective = losses.get("mmd", bandwidths=bandwidths, unbiased=True)
    expected = _gaussian_mmd2(bandwidths, mean_1, cov_1, mean_2, cov_2)
    np.testing.assert_allclose(objective.generator(fake, d_real=real), expected, rtol=0.05)
    np.testing.assert_allclose(-objective.discriminator(real, fake), expected, rtol=0.05)


@pytest.mark.parametrize("unbiased", [False, True])
def test_equals_the_shared_estimator(unbiased):
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((6, 3)), rng.standard_normal((5, 3)) + 0.5
    bandwidths = (1.0, 3.0)
    objective = losses.get("mmd", bandwidths=bandwidths, unbiased=unbiased)

    @jax.jit
    def values(real, fake):
        shared = kernels.mmd2(real, fake, kernel=kernels.rbf_kernel(bandwidths), unbiased=unbiased)
        return shared, objective.generator(fake, d_real=real), objective.discriminator(real, fake)

    expected, generator_loss, discriminator_loss = values(real, fake)
    np.testing.assert_allclose(generator_loss, expected, rtol=1e-6)
    np.testing.assert_allclose(discriminator_loss, -expected, rtol=1e-6)


def test_default_is_the_biased_estimate_with_the_mmd_gan_bandwidths():
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    expected = kernels.mmd2(jnp.asarray(real), jnp.asarray(fake), kernel=kernels.rbf_kernel(), unbiased=False)
    np.testing.assert_allclose(losses.mmd_generator_loss(fake, d_real=real), expected, rtol=1e-6)
    np.testing.assert_allclose(losses.get("mmd").generator(fake, d_real=real), expected, rtol=1e-6)


def test_bad_inputs():
    features = np.zeros((3, 2))
    with pytest.raises(ValueError, match="d_real"):
        losses.mmd_generator_loss(features)
    with pytest.raises(ValueError, match=r"\[B, F\]"):
        losses.mmd_discriminator_loss(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="real_weights"):
        losses.mmd_discriminator_loss(features, features, real_weights=np.ones(3))
    for bandwidths in [(), (1.0, -2.0), (0.0,), "wide", None]:
        with pytest.raises(ValueError, match="bandwidths"):
            losses.get("mmd", bandwidths=bandwidths)
    with pytest.raises(ValueError, match="unbiased"):
        losses.get("mmd", unbiased="yes")
