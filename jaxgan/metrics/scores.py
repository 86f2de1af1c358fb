"""Inception Score and Mode Score from class probabilities `p(y|x)` of generated examples.

Both take `probs [n, K]`, rows that are probability vectors (softmax outputs of InceptionV3
or of the small classifier), and are computed in float64 on the host with `0 log 0 = 0`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import xlogy


class InceptionScore(NamedTuple):
    mean: float
    std: float


def check_probabilities(probs, *, name: str, metric: str, atol: float = 1e-3) -> np.ndarray:
    """`probs` as float64 `[n, K]`, each row non-negative and summing to one (within `atol`)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 1:
        raise ValueError(
            f"{metric}: `{name}` must be [num_examples, num_classes] probabilities; got shape {probs.shape}."
        )
    if not np.all(np.isfinite(probs)) or probs.min() < 0:
        raise ValueError(f"{metric}: `{name}` must hold finite non-negative probabilities.")
    sums = probs.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=atol):
        worst = sums[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(
            f"{metric}: every row of `{name}` must sum to one (softmax outputs), but one sums to {worst:.6g}."
        )
    return probs / sums[:, None]


def _mean_kl_to_marginal(probs: np.ndarray, reference: np.ndarray) -> float:
    """E_x KL(p(y|x) ‖ reference) with 0 log 0 = 0; inf if reference misses a predicted class."""
    with np.errstate(divide="ignore"):
        kl = np.sum(xlogy(probs, probs) - xlogy(probs, reference[None, :]), axis=1)
    return float(np.mean(kl))


def inception_score(probs, *, splits: int = 10) -> InceptionScore:
    """`exp(E_x KL(p(y|x) ‖ p(y)))`, mean and std over `splits` contiguous splits.

    `p(y)` is the mean of `p(y|x)` within each split (Salimans et al. 2016, "Improved
    Techniques for Training GANs"; the published code uses 10 splits of 5,000 images).
    One-hot predictions spread evenly over K classes give K; identical predictions give 1.
    """
    probs = check_probabilities(probs, name="probs", metric="inception_score")
    if isinstance(splits, bool) or not isinstance(splits, (int, np.integer)) or not 1 <= splits <= probs.shape[0]:
        raise ValueError(
            f"inception_score: `splits` must be an integer in [1, num_examples={probs.shape[0]}]; got {splits!r}."
        )
    scores = []
    for part in np.array_split(probs, splits):
        scores.append(np.exp(_mean_kl_to_marginal(part, part.mean(axis=0))))
    scores = np.asarray(scores)
    return InceptionScore(float(scores.mean()), float(scores.std()))


def mode_score(probs, train_label_probs) -> float:
    """`exp(E_x KL(p(y|x) ‖ p(y)) - KL(p(y) ‖ p_train(y)))` over the whole set.

    Che et al. 2017, "Mode Regularized Generative Adversarial Networks": the Inception Score
    times `exp(-KL(p(y) ‖ p_train(y)))`, which penalises a label marginal `p(y)` unlike the
    training labels' `p_train(y)` (`train_label_probs [K]`, e.g. the training label
    frequencies). Written with `p_train(y)` inside the first KL instead, the two terms
    collapse algebraically to log IS, so that reading is not used. One-hot predictions spread
    evenly over K classes with uniform `p_train` give K; all predictions on one class give 1/K.
    Infinite when `p(y)` puts mass on a class `p_train` never has.
    """
    probs = check_probabilities(probs, name="probs", metric="mode_score")
    if np.shape(train_label_probs) != (probs.shape[1],):
        raise ValueError(
            f"mode_score: `train_label_probs` must be one vector of {probs.shape[1]} class probabilities to match "
            f"`probs`; got shape {np.shape(train_label_probs)}."
        )
    train = check_probabilities(np.asarray(train_label_probs)[None], name="train_label_probs", metric="mode_score")
    marginal = probs.mean(axis=0)
    log_is = _mean_kl_to_marginal(probs, marginal)
    marginal_kl = _mean_kl_to_marginal(marginal[None], train[0])
    return float(np.exp(log_is - marginal_kl))
