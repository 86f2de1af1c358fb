"""StackGAN's losses (Zhang et al. 2017; shared/MATH.md §9): conditioning augmentation and the
matching-aware D.

    ĉ = μ(e) + σ(e) ⊙ ε,  ε ~ N(0, I)                  (conditioning augmentation of the embedding e)
    L_CA = KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² - log σ² - 1)   (per example; weight λ in G's loss)
    L_D  = E log D(x, c) + ½ [E log(1 - D(x, c_wrong)) + E log(1 - D(G(z, ĉ), c))]   (D maximises)

The KL term is `vaegan.gaussian_kl_to_standard_normal` (the same Gaussian KL); here it is named for
the conditioning it regularises, and taken from D-free inputs (μ and log σ² of the CA layer).
"""

from __future__ import annotations

import jax

from jaxgan.losses._base import as_float, weighted_mean
from jaxgan.losses.vaegan import gaussian_kl_to_standard_normal

ArrayLike = jax.typing.ArrayLike


def conditioning_augmentation_kl(mean: ArrayLike, log_variance: ArrayLike) -> jax.Array:
    """`KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² - log σ_j² - 1)` per example, `[B, d] -> [B]`
    (Zhang et al. 2017, eq. 3's regulariser); `log_variance` is `log σ²`."""
    return gaussian_kl_to_standard_normal(mean, log_variance)


def stackgan_discriminator_loss(d_real: ArrayLike, d_fake: ArrayLike, d_wrong: ArrayLike) -> jax.Array:
    """The matching-aware D loss from logits, `E softplus(-v_real) + ½ [E softplus(v_wrong) + E softplus(v_fake)]`:
    `-E log D(x, c) - ½ [E log(1 - D(x, c_wrong)) + E log(1 - D(G(z, ĉ), c))]`. `d_real`: D on real
    images with their own labels; `d_wrong`: on real images with mismatched labels; `d_fake`: on
    generated images with the labels they were drawn for (the released code's `B_WRONG` loss)."""
    real = weighted_mean(jax.nn.softplus(-as_float(d_real)))
    wrong = weighted_mean(jax.nn.softplus(as_float(d_wrong)))
    fake = weighted_mean(jax.nn.softplus(as_float(d_fake)))
    return real + 0.5 * (wrong + fake)
