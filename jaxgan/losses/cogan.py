"""CoGAN (Liu & Tuzel 2016, "Coupled Generative Adversarial Networks", eq. 3-4; MATH.md §9): two
GANs, one per domain, played as one game.

    V(D_1, D_2, G_1, G_2) = Σ_i w_i V_i,   V_i = E_{x~p_i} log D_i(x) + E_{z~p(z)} log(1 - D_i(G_i(z)))

D_1 and D_2 maximise V (minimise `cogan_discriminator_loss` = -V), G_1 and G_2 minimise it; the
paper has w_1 = w_2 = 1. The games are coupled only by weight sharing in the networks (G_1, G_2
share their first layers, D_1, D_2 their last; `jaxgan/models/cogan.py`), so a shared weight's
gradient is the sum of the two games' gradients. At each D_i's optimum D_i* = p_i / (p_i + q_i),
V = Σ_i w_i (-log 4 + 2 JSD(p_i, q_i)).

D's outputs are logits `[batch, num_domains]`, column i D_i's: `log D = -softplus(-v)`,
`log(1 - D) = -softplus(v)`. G's loss is the non-saturating one, `Σ_i w_i E softplus(-v_i)`
(Goodfellow et al. 2014; what the authors' code trains G with: the cross-entropy of D's output on
G's samples against the "real" label). `real_weights`, `fake_weights`: per-example weights `[B]`,
or `[B, num_domains]` per example and domain (exact expectations over discrete distributions).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def _columns(d_real, d_fake, domain_weights):
    outputs = [as_float(v) for v in (d_real, d_fake) if v is not None]
    for v in outputs:
        if v.ndim != 2 or v.shape[1] != outputs[0].shape[1]:
            raise ValueError(
                "cogan: D's outputs must be [batch, num_domains] (one logit per example and domain); got shapes "
                f"{[tuple(o.shape) for o in outputs]}."
            )
    num_domains = outputs[0].shape[1]
    weights = (1.0,) * num_domains if domain_weights is None else tuple(domain_weights)
    if len(weights) != num_domains:
        raise ValueError(f"cogan: `domain_weights` needs one weight per domain ({num_domains}); got {weights}.")
    return outputs, weights


def _domain(weights, i):
    if weights is None:
        return None
    weights = jnp.asarray(weights)
    return weights[:, i] if weights.ndim == 2 else weights


def cogan_value(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    domain_weights: Sequence[float] | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """`V = Σ_i w_i [E_{p_i} log D_i(x) + E_{q_i} log(1 - D_i(x))]` from D's logits `[B, num_domains]`."""
    (d_real, d_fake), weights = _columns(d_real, d_fake, domain_weights)
    total = jnp.zeros((), jnp.result_type(d_real.dtype, d_fake.dtype))
    for i, w in enumerate(weights):
        log_d = weighted_mean(-jax.nn.softplus(-d_real[:, i]), _domain(real_weights, i), setting="real_weights")
        log_not_d = weighted_mean(-jax.nn.softplus(d_fake[:, i]), _domain(fake_weights, i), setting="fake_weights")
        total = total + w * (log_d + log_not_d)
    return total


def cogan_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    domain_weights: Sequence[float] | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """D_1 and D_2's loss `-V`: each domain's cross-entropy (real 1, generated 0), weighted and summed."""
    return -cogan_value(
        d_real, d_fake, domain_weights=domain_weights, real_weights=real_weights, fake_weights=fake_weights
    )


def cogan_generator_loss(
    d_fake: ArrayLike,
    *,
    domain_weights: Sequence[float] | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """G_1 and G_2's non-saturating loss `Σ_i w_i E_{z} softplus(-D_i(G_i(z)))` (logits `[B, num_domains]`)."""
    (d_fake,), weights = _columns(None, d_fake, domain_weights)
    total = jnp.zeros((), d_fake.dtype)
    for i, w in enumerate(weights):
        total = total + w * weighted_mean(
            jax.nn.softplus(-d_fake[:, i]), _domain(fake_weights, i), setting="fake_weights"
        )
    return total
