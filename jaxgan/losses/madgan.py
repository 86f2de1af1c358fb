"""MAD-GAN (Ghosh et al. 2018): k generators and one D with k+1 softmax outputs (MATH.md §8).

Output j < k of D is "made by generator j", output k is "real". D minimises the cross-entropy
with target k on data and target i on G_i's samples; each G_i minimises `-E log D_k(G_i(z))`.
With the generators drawn uniformly, `E_i E_{q_i}` is the mean over the generated batch, so

    L_D = (E_p CE(D(x), k) + k · E_fake CE(D(x̃), i)) / (k + 1),

the mean over the k+1 groups (real, G_1 .. G_k) of their cross-entropies. At
`D*_j = P_j / Σ_l P_l` it equals `log(k+1) - JSD_π(p, q_1..q_k)` with equal weights π
(k = 1 gives half of the minimax D loss).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def madgan_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    generator_index: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """`(E_p CE(D(x), k) + k E_fake CE(D(x̃), i)) / (k + 1)` (Ghosh et al. 2018).

    `d_real`, `d_fake` are D's k+1 logits `[B, k+1]` on data and on generated examples (the last
    logit is "real"); `generator_index` `[B]` holds the generator i that made each generated one.
    """
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    k = d_real.shape[-1] - 1
    real_cross_entropy = -jax.nn.log_softmax(d_real)[..., k]
    fake_log_p = jax.nn.log_softmax(d_fake)
    index = jnp.asarray(generator_index).astype(jnp.int32)[..., None]
    fake_cross_entropy = -jnp.take_along_axis(fake_log_p, index, axis=-1)[..., 0]
    real_term = weighted_mean(real_cross_entropy, real_weights, setting="real_weights")
    fake_term = weighted_mean(fake_cross_entropy, fake_weights, setting="fake_weights")
    return (real_term + k * fake_term) / (k + 1)


def madgan_generator_loss(d_fake: ArrayLike, *, fake_weights: ArrayLike | None = None) -> jax.Array:
    """`-E log D_real(G_i(z))` over the generated batch from D's logits `[B, k+1]` (Ghosh et al. 2018).

    Each G_i gets the share of the loss of the examples it made.
    """
    d_fake = as_float(d_fake)
    k = d_fake.shape[-1] - 1
    return -weighted_mean(jax.nn.log_softmax(d_fake)[..., k], fake_weights, setting="fake_weights")
