"""The translation losses' closed forms (shared/MATH.md §8): CycleGAN's cycle and identity terms vanish
for identity maps; pix2pix's and CycleGAN's adversarial losses at the papers' scales, written with the
separable objectives (CycleGAN's G loss E(v - 1)² is twice LSGAN's ½E(v - 1)²)."""

from __future__ import annotations

import jax
import numpy as np

from jaxgan import losses


def test_losses_closed_forms_and_cycle_identity_vanish_for_identity_maps():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 4, 4, 1)).astype(np.float32), rng.normal(size=(3, 4, 4, 1)).astype(np.float32)
    d, zero = np.array([[0.0, 1.0], [2.0, -1.0]], np.float32), np.zeros((2, 3), np.float32)

    @jax.jit
    def values():
        return {
            "cycle_identity": losses.cyclegan_cycle_loss(x, x, y, y),  # F(G(x)) = x, G(F(y)) = y
            "identity_identity": losses.cyclegan_identity_loss(x, x, y, y),  # G(y) = y, F(x) = x
            "cycle_shifted": losses.cyclegan_cycle_loss(x, x + 0.5, y, y - 0.25),
            "identity_shifted": losses.cyclegan_identity_loss(x, x - 2.0, y, y + 0.125),
            "l1": losses.mean_absolute_error(d, zero[:, :2]),
            # CycleGAN's D: ½ [E (d_real - 1)² + E d_fake²]; its G: E (d_fake - 1)²
            "lsgan_d": losses.least_squares_discriminator_loss(d, d),
            "lsgan_g": 2.0 * losses.least_squares_generator_loss(d),
            # pix2pix's D before halving, and its G
            "ns_d": losses.non_saturating_discriminator_loss(zero, zero),
            "ns_g": losses.non_saturating_generator_loss(zero),
        }

    got = jax.device_get(values())
    assert got["cycle_identity"] == 0.0 and got["identity_identity"] == 0.0
    expected = {
        "cycle_shifted": 0.75,
        "identity_shifted": 2.125,
        "l1": 1.0,
        "lsgan_d": 0.5 * (1.5 + 1.5),
        "lsgan_g": 1.5,
        "ns_d": 2 * np.log(2),
        "ns_g": np.log(2),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-6, err_msg=name)


def test_mean_absolute_error_weights_whole_images():
    predictions = np.stack([np.full((2, 2, 1), 1.0), np.full((2, 2, 1), -3.0)]).astype(np.float32)
    targets = np.zeros_like(predictions)
    np.testing.assert_allclose(losses.mean_absolute_error(predictions, targets), 2.0)
    # [B] weights weight each image's pixels: (1·1 + 3·3) / 4
    np.testing.assert_allclose(losses.mean_absolute_error(predictions, targets, weights=np.array([1.0, 3.0])), 2.5)
