"""Salimans et al. 2016's semi-supervised K+1 classifier (MATH.md section 8).

D outputs K class logits `l`; the fake class K+1 has logit 0. With `Z(x) = Σ_k exp l_k(x)`,
`D(x) = Z / (Z + 1) = σ(LSE(l))`, so the unsupervised loss

    -E_p log D(x) - E_q log(1 - D(G(z)))

is the non-saturating (minimax) discriminator loss at `v = LSE(l)` exactly. The supervised loss is
the cross-entropy of `softmax(l)` against the labels of the labelled examples, which adding a
constant to every logit leaves unchanged (it moves `v`, so the two losses are not redundant).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean
from jaxgan.losses.auxiliary import acgan_class_loss

ArrayLike = jax.typing.ArrayLike


def real_logit(class_logits: ArrayLike) -> jax.Array:
    """`v = LSE(l)`: the logit of "real" (any of the K classes) against the fake class at 0."""
    return jax.nn.logsumexp(as_float(class_logits), axis=-1)


def unsupervised_loss(
    real_class_logits: ArrayLike, fake_class_logits: ArrayLike, *, real_weights=None, fake_weights=None
) -> jax.Array:
    """`-E_p log D(x) - E_q log(1 - D(G(z)))` with `D = σ(LSE(l))`: `softplus(-v_real) + softplus(v_fake)`."""
    v_real, v_fake = real_logit(real_class_logits), real_logit(fake_class_logits)
    return weighted_mean(jax.nn.softplus(-v_real), real_weights) + weighted_mean(jax.nn.softplus(v_fake), fake_weights)


def supervised_loss(class_logits: ArrayLike, labels: ArrayLike, *, weights=None) -> jax.Array:
    """`E[-log softmax(l)[label]]` on the labelled examples (the K real classes only)."""
    return acgan_class_loss(class_logits, labels, weights=weights)


def predicted_class(class_logits: ArrayLike) -> jax.Array:
    """The classifier's prediction: `argmax_k l_k` (the fake class never wins among real inputs)."""
    return jnp.argmax(as_float(class_logits), axis=-1)
