"""Image-to-image translation losses: pix2pix's L1 and CycleGAN's cycle and identity terms (MATH.md §8).

The adversarial parts are the separable objectives (`jaxgan.losses.separable`) at the papers'
scales:

- pix2pix (Isola et al. 2017): D minimises `½ non_saturating_discriminator_loss` (D's loss
  halved), G minimises `non_saturating_generator_loss + λ mean_absolute_error(G(s), t)`, λ = 100.
- CycleGAN (Zhu et al. 2017): each D minimises `least_squares_discriminator_loss` (a = 0, b = 1:
  `½[E(v - 1)² + E v²]`), G minimises `E(v - 1)² = 2 least_squares_generator_loss` per domain,
  plus `λ cyclegan_cycle_loss` (λ = 10) and `μ λ cyclegan_identity_loss` (μ = 0.5).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def mean_absolute_error(predictions: ArrayLike, targets: ArrayLike, *, weights: ArrayLike | None = None) -> jax.Array:
    """`E |predictions - targets|` over every element: pix2pix's L1 term (Isola et al. 2017).

    `weights` broadcast from the leading axes (e.g. `[B]` weights whole images).
    """
    predictions, targets = as_float(predictions), as_float(targets)
    return weighted_mean(jnp.abs(predictions - targets), weights)


def cyclegan_cycle_loss(x: ArrayLike, cycle_x: ArrayLike, y: ArrayLike, cycle_y: ArrayLike) -> jax.Array:
    """CycleGAN's cycle-consistency loss `E|F(G(x)) - x| + E|G(F(y)) - y|` (Zhu et al. 2017).

    `cycle_x` is `F(G(x))`, `cycle_y` is `G(F(y))`; 0 when F∘G and G∘F are identities.
    """
    return mean_absolute_error(cycle_x, x) + mean_absolute_error(cycle_y, y)


def cyclegan_identity_loss(x: ArrayLike, same_x: ArrayLike, y: ArrayLike, same_y: ArrayLike) -> jax.Array:
    """CycleGAN's identity loss `E|F(x) - x| + E|G(y) - y|` (Zhu et al. 2017, §5.2).

    `same_x` is `F(x)`, `same_y` is `G(y)`; 0 when G and F are identities.
    """
    return mean_absolute_error(same_x, x) + mean_absolute_error(same_y, y)
