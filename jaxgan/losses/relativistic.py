"""Relativistic average GAN (Jolicoeur-Martineau 2018): D judges real relative to the average fake.

With `r = v_real - E_q[v_fake]` and `f = v_fake - E_p[v_real]` (expectations over all
elements of the batch, weighted):

    D minimises  E_p[softplus(-r)] + E_q[softplus(f)]
    G minimises  E_q[softplus(-f)] + E_p[softplus(r)]

so G needs D's outputs on real data. Gradients flow through both averages, as in the paper.
"""

from __future__ import annotations

import jax

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def _relative_logits(d_real, d_fake, real_weights, fake_weights):
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    mean_real = weighted_mean(d_real, real_weights, setting="real_weights")
    mean_fake = weighted_mean(d_fake, fake_weights, setting="fake_weights")
    return d_real - mean_fake, d_fake - mean_real


def relativistic_average_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """RaGAN D loss `E_p[softplus(-(v_r - E_q v_f))] + E_q[softplus(v_f - E_p v_r)]`."""
    real_relative, fake_relative = _relative_logits(d_real, d_fake, real_weights, fake_weights)
    return weighted_mean(jax.nn.softplus(-real_relative), real_weights, setting="real_weights") + weighted_mean(
        jax.nn.softplus(fake_relative), fake_weights, setting="fake_weights"
    )


def relativistic_average_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """RaGAN G loss `E_q[softplus(-(v_f - E_p v_r))] + E_p[softplus(v_r - E_q v_f)]`; needs `d_real`."""
    if d_real is None:
        raise ValueError(
            "relativistic_average: the generator loss needs `d_real` (D's outputs on real data); got None."
        )
    real_relative, fake_relative = _relative_logits(d_real, d_fake, real_weights, fake_weights)
    return weighted_mean(jax.nn.softplus(-fake_relative), fake_weights, setting="fake_weights") + weighted_mean(
        jax.nn.softplus(real_relative), real_weights, setting="real_weights"
    )
