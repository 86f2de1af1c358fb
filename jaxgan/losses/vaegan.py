"""VAE-GAN (Larsen et al. 2016): the prior, the feature-wise reconstruction and D's loss (MATH.md §8).

    q(z|x) = N(μ, σ²) = E(x);  x̃ = G(z̃), z̃ ~ q(z|x);  x_p = G(z_p), z_p ~ N(0, I)
    L_prior = ½ Σ (μ² + σ² - log σ² - 1)                 (KL(q(z|x) ‖ N(0, I)) per example)
    L_llike = ½ ‖D_l(x̃) - D_l(x)‖²                       (at D's l-th layer, per example)
    L_GAN   = -[E log D(x) + E log(1 - D(x_p)) + E log(1 - D(x̃))]
    E minimises L_prior + L_llike;  G minimises γ L_llike - L_GAN;  D minimises L_GAN

The per-example terms map `[B, ...] -> [B]`; the caller averages them (over the global batch,
in the program).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean
from jaxgan.losses.separable import non_saturating_discriminator_loss

ArrayLike = jax.typing.ArrayLike


def gaussian_kl_to_standard_normal(mean: ArrayLike, log_variance: ArrayLike) -> jax.Array:
    """`KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² - log σ² - 1)` per example, `[B, d] -> [B]`.

    VAE-GAN's `L_prior` (Larsen et al. 2016; Kingma & Welling 2014), also StackGAN's
    conditioning-augmentation term; `log_variance` is `log σ²`.
    """
    mean, log_variance = as_float(mean), as_float(log_variance)
    return 0.5 * jnp.sum(jnp.square(mean) + jnp.exp(log_variance) - log_variance - 1.0, axis=-1)


def vaegan_feature_reconstruction_loss(features_reconstruction: ArrayLike, features_real: ArrayLike) -> jax.Array:
    """VAE-GAN's `L_llike = ½ ‖D_l(x̃) - D_l(x)‖²` per example, `[B, ...] -> [B]` (Larsen et al. 2016).

    `features_reconstruction`, `features_real` are D's l-th layer features of `x̃ = G(E(x))` and `x`.
    """
    features_reconstruction, features_real = as_float(features_reconstruction), as_float(features_real)
    difference = (features_reconstruction - features_real).reshape(features_real.shape[0], -1)
    return 0.5 * jnp.sum(jnp.square(difference), axis=1)


def vaegan_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    d_reconstruction: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
    reconstruction_weights: ArrayLike | None = None,
) -> jax.Array:
    """VAE-GAN's `L_GAN = -[E log D(x) + E log(1 - D(x_p)) + E log(1 - D(x̃))]` from D's logits.

    `E_p softplus(-v) + E_q softplus(v) + E_x̃ softplus(v)`: the non-saturating D loss on data
    against prior samples `x_p = G(z)` (`d_fake`), plus the fake term on reconstructions
    `x̃ = G(E(x))` (`d_reconstruction`). D minimises it; in Larsen et al. 2016's Algorithm 1 G
    maximises it (G's adversarial term is `-L_GAN`).
    """
    adversarial = non_saturating_discriminator_loss(
        d_real, d_fake, real_weights=real_weights, fake_weights=fake_weights
    )
    reconstruction = weighted_mean(
        jax.nn.softplus(as_float(d_reconstruction)), reconstruction_weights, setting="reconstruction_weights"
    )
    return adversarial + reconstruction
