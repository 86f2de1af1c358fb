"""Auxiliary terms added to an objective: feature matching, ACGAN's class loss, InfoGAN's bound.

Each returns a scalar (float32 or wider) that the caller weights and adds (MATH.md §5):

- Feature matching (Salimans et al. 2016): G adds `‖E f(x) - E f(G(z))‖²`.
- ACGAN (Odena et al. 2017): D and G both add the class cross-entropy on real and generated
  examples.
- InfoGAN (Chen et al. 2016): D/Q and G both subtract `λ·L_I`, where
  `L_I = H(c) - CE(c, Q(c|G(z, c))) ≤ I(c; G(z, c))`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def feature_matching_loss(real_feature_mean: ArrayLike, fake_feature_mean: ArrayLike) -> jax.Array:
    """`‖E f(x) - E f(G(z))‖²`: the squared distance between mean features (Salimans et al. 2016).

    Takes the batch means `E f(x)` and `E f(G(z))` (any equal shapes, summed over all
    elements), so the caller can average them over devices first.
    """
    real_feature_mean, fake_feature_mean = as_float(real_feature_mean), as_float(fake_feature_mean)
    if real_feature_mean.shape != fake_feature_mean.shape:
        raise ValueError(
            "feature_matching_loss: the real and generated feature means must have the same shape; "
            f"got {real_feature_mean.shape} and {fake_feature_mean.shape}."
        )
    return jnp.sum(jnp.square(real_feature_mean - fake_feature_mean))


def acgan_class_loss(class_logits: ArrayLike, labels: ArrayLike, *, weights: ArrayLike | None = None) -> jax.Array:
    """ACGAN class loss `E[-log softmax(class_logits)[label]]` (Odena et al. 2017).

    `class_logits` is `[B, ..., K]`, `labels` integer classes `[B, ...]`; `weights` broadcast
    from the leading axes of `labels`.
    """
    class_logits = as_float(class_logits)
    labels = jnp.asarray(labels)
    if class_logits.shape[:-1] != labels.shape:
        raise ValueError(
            f"acgan_class_loss: `labels` must have the shape of `class_logits` without its last (class) axis; "
            f"got {labels.shape} for logits of shape {class_logits.shape}."
        )
    cross_entropy = optax.losses.softmax_cross_entropy_with_integer_labels(class_logits, labels)
    return weighted_mean(cross_entropy, weights)


def infogan_categorical_mutual_information(
    code_logits: ArrayLike,
    codes: ArrayLike,
    *,
    prior_probabilities: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> jax.Array:
    """InfoGAN's bound `L_I = H(c) - E[-log Q(c|x)]` for a categorical code (Chen et al. 2016).

    `code_logits` `[B, K]` are Q's logits for the codes `codes` `[B]` (integers) that G was
    given. `H(c)` is the entropy of `prior_probabilities` (`[K]`; uniform, `log K`, by default).
    `L_I ≤ I(c; x)`, with equality when Q is the true posterior.
    """
    code_logits = as_float(code_logits)
    num_categories = code_logits.shape[-1]
    if prior_probabilities is None:
        prior_entropy = jnp.log(jnp.asarray(num_categories, code_logits.dtype))
    else:
        prior_probabilities = as_float(prior_probabilities)
        if prior_probabilities.shape != (num_categories,):
            raise ValueError(
                f"infogan: `prior_probabilities` must have shape ({num_categories},) to match the code logits; "
                f"got {prior_probabilities.shape}."
            )
        prior_entropy = -jnp.sum(jax.scipy.special.xlogy(prior_probabilities, prior_probabilities))
    return prior_entropy - acgan_class_loss(code_logits, codes, weights=weights)


def infogan_gaussian_mutual_information(
    code_mean: ArrayLike,
    codes: ArrayLike,
    *,
    code_log_std: ArrayLike = 0.0,
    prior_entropy: float = 0.0,
    weights: ArrayLike | None = None,
) -> jax.Array:
    """InfoGAN's bound `L_I = H(c) + E[log N(c; μ, σ²)]` for continuous codes (Chen et al. 2016).

    Q is a factored Gaussian with mean `code_mean` `[B, D]` and log standard deviation
    `code_log_std` (broadcast; 0 fixes σ = 1, as in the paper's experiments); the log
    density sums over the D code dimensions. `prior_entropy` is `H(c)` (`D log 2` for
    codes uniform on [-1, 1]); it is a constant and does not change gradients.
    """
    code_mean, codes = as_float(code_mean), as_float(codes)
    code_log_std = jnp.broadcast_to(as_float(code_log_std), code_mean.shape)
    if codes.shape != code_mean.shape:
        raise ValueError(
            f"infogan: `codes` and `code_mean` must have the same shape; got {codes.shape} and {code_mean.shape}."
        )
    standardized = (codes - code_mean) * jnp.exp(-code_log_std)
    log_density = -(_HALF_LOG_TWO_PI + code_log_std + 0.5 * jnp.square(standardized))
    log_density = jnp.sum(log_density.reshape(log_density.shape[0], -1), axis=-1)
    return prior_entropy + weighted_mean(log_density, weights)
