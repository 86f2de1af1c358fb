"""Triple-GAN (Li et al. 2017, "Triple Generative Adversarial Nets"): D on (x, y) pairs from the
data, from C and from G (MATH.md §9).

    p(x, y)                       the data's joint (the labelled pairs)
    p_c(x, y) = p(x) p_c(y|x)     C's: an input x, its label from C
    p_g(x, y) = p(y) p_g(x|y)     G's: a label y, x = G(z, y)
    U(C, G, D) = E_p log D(x, y) + α E_{p_c} log(1 - D(x, y)) + (1 - α) E_{p_g} log(1 - D(G(z, y), y))
                                                               (Li et al. 2017, eq. 2)
D maximises U (minimises `triplegan_discriminator_loss` = -U). At D* = p / (p + p_α),
p_α = (1 - α) p_g + α p_c (Lemma 3.1), U(D*) = -log 4 + 2 JSD(p, p_α) (Lemma 3.2), whose
minimum is at p_α = p (Theorem 3.3). C adds its cross-entropy on the labelled pairs
R_L = E_p[-log p_c(y|x)] (eq. 4) and α_P times the pseudo-label term R_P = E_{p_g}[-log p_c(y|x)]
on G's pairs (eq. 5).

The authors' code (zhenxuan00/triple-gan) also puts C's pairs of unlabelled inputs on D's data
side (400 of them beside one labelled pair a step): `classifier_data_share = s` replaces E_p by
`(1 - s) E_p + s E_{p_c}` there (s = 0: the paper's U).

From D's logits `v`: `log D = -softplus(-v)`, `log(1 - D) = -softplus(v)`. The weights make the
means exact expectations over discrete joints (the closed-form test).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, static_float, weighted_mean
from jaxgan.losses.auxiliary import acgan_class_loss

ArrayLike = jax.typing.ArrayLike


def _check_alpha(alpha, setting: str = "alpha") -> None:
    """`alpha` (C's pairs' weight against G's in D's objective) and the data-side share live in [0, 1]."""
    value = static_float(alpha, setting)
    if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"`{setting}` must be in [0, 1]; got {alpha!r}.")


def triplegan_value(
    d_data: ArrayLike,
    d_classifier: ArrayLike,
    d_generator: ArrayLike,
    *,
    alpha: float,
    data_weights: ArrayLike | None = None,
    classifier_weights: ArrayLike | None = None,
    generator_weights: ArrayLike | None = None,
    classifier_data_share: float = 0.0,
) -> jax.Array:
    """`U = E_p log D + α E_{p_c} log(1 - D) + (1 - α) E_{p_g} log(1 - D)` from D's logits on the
    data's, C's and G's pairs (Li et al. 2017, eq. 2); with `classifier_data_share = s` > 0 the
    first term is `(1 - s) E_p log D + s E_{p_c} log D` (the authors' code, see the module doc)."""
    _check_alpha(alpha)
    _check_alpha(classifier_data_share, "classifier_data_share")
    log_d = -jax.nn.softplus(-as_float(d_data))
    classifier = -jax.nn.softplus(as_float(d_classifier))
    generator = -jax.nn.softplus(as_float(d_generator))
    value = weighted_mean(log_d, data_weights, setting="data_weights")
    if classifier_data_share != 0:
        classifier_as_data = weighted_mean(-jax.nn.softplus(-as_float(d_classifier)), classifier_weights)
        value = (1.0 - classifier_data_share) * value + classifier_data_share * classifier_as_data
    return (
        value
        + alpha * weighted_mean(classifier, classifier_weights, setting="classifier_weights")
        + (1.0 - alpha) * weighted_mean(generator, generator_weights, setting="generator_weights")
    )


def triplegan_discriminator_loss(
    d_data: ArrayLike,
    d_classifier: ArrayLike,
    d_generator: ArrayLike,
    *,
    alpha: float,
    data_weights: ArrayLike | None = None,
    classifier_weights: ArrayLike | None = None,
    generator_weights: ArrayLike | None = None,
    classifier_data_share: float = 0.0,
) -> jax.Array:
    """D's loss `-U`: the cross-entropy with the data's pairs labelled 1 and C's (weight α) and
    G's (weight 1 - α) labelled 0."""
    return -triplegan_value(
        d_data,
        d_classifier,
        d_generator,
        alpha=alpha,
        data_weights=data_weights,
        classifier_weights=classifier_weights,
        generator_weights=generator_weights,
        classifier_data_share=classifier_data_share,
    )


def triplegan_generator_loss(
    d_generator: ArrayLike, *, alpha: float, minimax: bool = False, weights: ArrayLike | None = None
) -> jax.Array:
    """G's loss on its pairs `(G(z, y), y)`: `(1 - α) E[-log D]` (non-saturating, the authors'
    code, zhenxuan00/triple-gan: `.5 * bce(D(G(z, y), y), 1)` at α = ½), or with `minimax` its
    part of U, `(1 - α) E log(1 - D)`."""
    _check_alpha(alpha)
    v = as_float(d_generator)
    per_example = -jax.nn.softplus(v) if minimax else jax.nn.softplus(-v)
    return (1.0 - alpha) * weighted_mean(per_example, weights)


def triplegan_classifier_adversarial_loss(
    d_classifier: ArrayLike, class_logits: ArrayLike, *, alpha: float, weights: ArrayLike | None = None
) -> jax.Array:
    """C's adversarial loss on its pairs `(x, ŷ)`, `ŷ = argmax_y p_c(y|x)`:
    `α E_x[p_c(ŷ|x) · -log D(x, ŷ)]`, the authors' "argmax" approximation of C fooling D
    (their code: `cla_cost_p_c = (bce(D(x, ŷ), 1) * p_c.max(axis=1)).mean()`, weight ½ = α).
    D's logits `d_classifier` are on the pairs of ŷ; the gradient reaches C through
    `p_c(ŷ|x)` (a score-function form: lower the probability of labels D rejects)."""
    _check_alpha(alpha)
    confidence = jnp.max(jax.nn.softmax(as_float(class_logits), axis=-1), axis=-1)
    return alpha * weighted_mean(confidence * jax.nn.softplus(-as_float(d_classifier)), weights)


def triplegan_pseudo_label_loss(
    class_logits: ArrayLike, labels: ArrayLike, *, weights: ArrayLike | None = None
) -> jax.Array:
    """`E[-log p_c(y|x)]`: C's cross-entropy, R_L on labelled pairs and R_P on G's pairs
    `(G(z, y), y)` (Li et al. 2017, eqs. 4-5)."""
    return acgan_class_loss(class_logits, labels, weights=weights)


def triplegan_entropy_loss(class_logits: ArrayLike, *, weights: ArrayLike | None = None) -> jax.Array:
    """`E_x H(p_c(·|x))`: the entropy of C's prediction on unlabelled inputs (Grandvalet & Bengio
    2005), which the authors' code adds to C's loss (`alpha_unlabeled_entropy = 0.3`)."""
    log_p = jax.nn.log_softmax(as_float(class_logits), axis=-1)
    return weighted_mean(-jnp.sum(jnp.exp(log_p) * log_p, axis=-1), weights)


def triplegan_balance_loss(class_logits: ArrayLike) -> jax.Array:
    """`-(1/K) Σ_k log p̄_k`, `p̄ = E_x p_c(·|x)`: the cross-entropy of C's mean prediction on
    unlabelled inputs against the uniform distribution (the authors' code, `alpha_average = 1e-3`),
    which keeps the entropy term from putting every input in one class; computed in the log domain."""
    # log p̄_k = LSE_i log p_c(k|x_i) - log n: finite when a class's mean probability underflows
    # (its plain log was -inf at a step of the MNIST run, and C's parameters NaN after it)
    log_p = jax.nn.log_softmax(as_float(class_logits), axis=-1)
    log_mean = jax.nn.logsumexp(log_p, axis=0) - jnp.log(log_p.shape[0])
    return -jnp.mean(log_mean)
