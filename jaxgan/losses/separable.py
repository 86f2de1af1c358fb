"""Separable objectives: D minimises `E_p[r(v)] + E_q[f(v)]`, G minimises `E_q[g(v)]`.

`v` is D's raw output (a logit or a critic value) of any shape `[B, ...]`; expectations are
weighted means over all elements (`real_weights`, `fake_weights` broadcast from the leading
axes). Inputs are computed in at least float32. See MATH.md §1.

The generators accept (and ignore) `d_real` and `real_weights` so every objective has the
same generator signature; only the relativistic and MMD objectives read them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, static_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def check_label_smoothing(label_smoothing) -> None:
    value = static_float(label_smoothing, "label_smoothing")
    if value is not None and not 0.0 <= value < 1.0:
        raise ValueError(f"`label_smoothing` must be in [0, 1) (0.1 means a real target of 0.9); got {value}.")


def check_least_squares_targets(a, b) -> None:
    a_value, b_value = static_float(a, "a"), static_float(b, "b")
    if a_value is not None and b_value is not None and a_value == b_value:
        raise ValueError(
            f"least_squares needs a fake target `a` different from the real target `b`; got a = b = {a_value}."
        )


def _mean_real(values, real_weights):
    return weighted_mean(values, real_weights, setting="real_weights")


def _mean_fake(values, fake_weights):
    return weighted_mean(values, fake_weights, setting="fake_weights")


def minimax_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    label_smoothing: float = 0.0,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """Binary cross-entropy of D's logits: `E_p[softplus(-v)] + E_q[softplus(v)]`.

    With one-sided label smoothing α = 1 - label_smoothing the real target is α:
    `E_p[α softplus(-v) + (1-α) softplus(v)] + E_q[softplus(v)]`, whose optimum is
    `sigmoid(v*) = α p/(p+q)` (Salimans et al. 2016). Without smoothing `sigmoid(v*) = p/(p+q)`
    and the loss there is `log 4 - 2 JSD(p, q)` (Goodfellow et al. 2014).
    """
    check_label_smoothing(label_smoothing)
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    real_target = 1.0 - label_smoothing
    real_term = real_target * jax.nn.softplus(-d_real) + label_smoothing * jax.nn.softplus(d_real)
    return _mean_real(real_term, real_weights) + _mean_fake(jax.nn.softplus(d_fake), fake_weights)


def minimax_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """The saturating minimax G loss `E_q[log(1 - sigmoid(v))] = -E_q[softplus(v)]` (Goodfellow et al. 2014)."""
    del d_real, real_weights
    return _mean_fake(-jax.nn.softplus(as_float(d_fake)), fake_weights)


def non_saturating_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    label_smoothing: float = 0.0,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """The minimax D loss `E_p[softplus(-v)] + E_q[softplus(v)]` (same D; see `minimax_discriminator_loss`)."""
    return minimax_discriminator_loss(
        d_real, d_fake, label_smoothing=label_smoothing, real_weights=real_weights, fake_weights=fake_weights
    )


def non_saturating_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """The non-saturating G loss `-E_q[log sigmoid(v)] = E_q[softplus(-v)]` (Goodfellow et al. 2014)."""
    del d_real, real_weights
    return _mean_fake(jax.nn.softplus(-as_float(d_fake)), fake_weights)


def least_squares_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    a: float = 0.0,
    b: float = 1.0,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """LSGAN D loss `½E_p[(v-b)²] + ½E_q[(v-a)²]` (Mao et al. 2017), optimum `(b p + a q)/(p+q)`.

    `a` is the fake target, `b` the real target (defaults a=0, b=1; the Pearson-χ² setting
    is a=-1, b=1, c=0).
    """
    check_least_squares_targets(a, b)
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    return _mean_real(0.5 * jnp.square(d_real - b), real_weights) + _mean_fake(
        0.5 * jnp.square(d_fake - a), fake_weights
    )


def least_squares_generator_loss(
    d_fake: ArrayLike,
    *,
    c: float = 1.0,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """LSGAN G loss `½E_q[(v-c)²]` (Mao et al. 2017); `c` is the value G wants D to output."""
    del d_real, real_weights
    return _mean_fake(0.5 * jnp.square(as_float(d_fake) - c), fake_weights)


def wasserstein_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """WGAN critic loss `-E_p[v] + E_q[v]` (Arjovsky et al. 2017).

    Its minimum over 1-Lipschitz critics is `-W1(p, q)`; the Lipschitz bound comes from
    weight clipping or a gradient penalty (`jaxgan.penalties`), not from this loss.
    """
    return _mean_fake(d_fake, fake_weights) - _mean_real(d_real, real_weights)


def wasserstein_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """WGAN G loss `-E_q[v]` (Arjovsky et al. 2017)."""
    del d_real, real_weights
    return -_mean_fake(d_fake, fake_weights)


def hinge_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """Hinge D loss `E_p[relu(1 - v)] + E_q[relu(1 + v)]` (Lim & Ye 2017); minimum `2(1 - TV(p, q))`."""
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    return _mean_real(jax.nn.relu(1.0 - d_real), real_weights) + _mean_fake(jax.nn.relu(1.0 + d_fake), fake_weights)


def hinge_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """Hinge G loss `-E_q[v]` (Lim & Ye 2017; Miyato et al. 2018): the WGAN G loss."""
    del d_real, real_weights
    return wasserstein_generator_loss(d_fake, fake_weights=fake_weights)
