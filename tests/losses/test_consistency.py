"""Consistency regularisation's losses against numpy: E‖D(x) - D(T(x))‖² (Zhang et al. 2020;
Zhao et al. 2021) and zCR's diversity term -E mean (G(z) - G(z + Δz))²."""

import numpy as np

from jaxgan.losses.consistency import consistency_loss, latent_diversity_loss


def test_consistency_loss_is_the_mean_squared_distance_of_each_examples_outputs():
    rng = np.random.default_rng(0)
    d, d_t = rng.normal(size=(6,)), rng.normal(size=(6,))
    np.testing.assert_allclose(float(consistency_loss(d, d_t)), np.mean((d - d_t) ** 2), rtol=1e-6)
    d, d_t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))  # several outputs per example: summed
    np.testing.assert_allclose(float(consistency_loss(d, d_t)), np.mean(np.sum((d - d_t) ** 2, axis=1)), rtol=1e-6)
    assert float(consistency_loss(d, d)) == 0.0


def test_latent_diversity_is_minus_the_mean_squared_pixel_difference():
    rng = np.random.default_rng(1)
    fake, near = rng.normal(size=(4, 8, 8, 1)), rng.normal(size=(4, 8, 8, 1))
    np.testing.assert_allclose(float(latent_diversity_loss(fake, near)), -np.mean((fake - near) ** 2), rtol=1e-6)
