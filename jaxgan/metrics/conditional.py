"""Metrics of conditional samples: class consistency, intra-class FID, code agreement, classifier accuracy.

- `class_consistency`: the share of samples drawn for class c that a classifier trained on the
  data assigns to c (the accuracy of the data's classifier against the labels the samples were
  drawn for).
- `intra_fid`: FID between the real and the generated examples of each class, averaged over the
  classes (Miyato & Koyama 2018).
- `code_agreement`: InfoGAN's categorical code is unsupervised, so its values are matched to the
  classifier's classes one to one first (the matching with the most agreements, by the Hungarian
  method, `scipy.optimize.linear_sum_assignment`); the share of samples whose code maps to the
  class the classifier predicts.
- `accuracy`: the share of correct predictions (a semi-supervised D on held-out examples).
- `matched_accuracy`: the share of correct predictions of an unsupervised classifier (InfoGAN's
  Q: a code per example) under the best one-to-one matching of its outputs to the classes, the
  same matching as `code_agreement` (Chen et al. 2016's "5% error" on MNIST is this figure).
- `gaussian_code_label_accuracy`: how much of the label a noisy code carries (StackGAN's
  conditioning augmentation, ĉ = μ_y + σ_y ⊙ ε): the accuracy of the Bayes classifier of y from ĉ,
  classes equally likely, by Monte Carlo. A generator that sees only ĉ follows its label at most
  this often.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from jaxgan.metrics.fid import fid


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    if predictions.shape != labels.shape or predictions.ndim != 1:
        raise ValueError(
            f"accuracy: predictions and labels must be [n] of one length; got {predictions.shape} and {labels.shape}."
        )
    return float(np.mean(predictions == labels))


def class_consistency(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The classifier's accuracy `mean(argmax p(·|x_i) == label_i)` on samples drawn for `labels`."""
    return accuracy(np.argmax(np.asarray(probabilities), axis=-1), labels)


def intra_fid(real_features, real_labels, fake_features, fake_labels) -> float:
    """The mean over the classes present in both sets of FID(real of class c, generated of class c)."""
    real_labels, fake_labels = np.asarray(real_labels), np.asarray(fake_labels)
    classes = np.intersect1d(np.unique(real_labels), np.unique(fake_labels))
    if classes.size == 0:
        raise ValueError("intra_fid: the real and generated labels have no class in common.")
    values = [fid(real_features[real_labels == c], fake_features[fake_labels == c]) for c in classes]
    return float(np.mean(values))


def agreement_matrix(codes: np.ndarray, predictions: np.ndarray, num_codes: int, num_classes: int) -> np.ndarray:
    """`[num_codes, num_classes]` counts of (code, predicted class) pairs."""
    counts = np.zeros((num_codes, num_classes), np.int64)
    np.add.at(counts, (np.asarray(codes), np.asarray(predictions)), 1)
    return counts


def best_matching(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(rows, cols)`: the one-to-one matching of the rows of a `[codes, classes]` count matrix to
    its columns with the largest matched count (the Hungarian method)."""
    return linear_sum_assignment(np.asarray(counts), maximize=True)


def code_agreement(probabilities: np.ndarray, codes: np.ndarray, num_codes: int | None = None) -> float:
    """The classifier's accuracy against the categorical `codes` under the best one-to-one matching
    of code values to classes (each code to a distinct class; unmatched codes count as wrong)."""
    probabilities, codes = np.asarray(probabilities), np.asarray(codes)
    num_classes = probabilities.shape[-1]
    num_codes = int(codes.max()) + 1 if num_codes is None else num_codes
    counts = agreement_matrix(codes, np.argmax(probabilities, axis=-1), num_codes, num_classes)
    rows, cols = best_matching(counts)
    return float(counts[rows, cols].sum() / len(codes))


def matched_accuracy(
    codes: np.ndarray, labels: np.ndarray, num_codes: int | None = None, num_classes: int | None = None
) -> float:
    """The accuracy of predicted `codes` against the true `labels` (both `[n]`) under the best
    one-to-one matching of code values to classes (each code to a distinct class; an example
    whose code is left unmatched counts as wrong)."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    if codes.shape != labels.shape or codes.ndim != 1 or codes.size == 0:
        raise ValueError(
            f"matched_accuracy: codes and labels must be [n] of one length n > 0; got {codes.shape} and {labels.shape}."
        )
    num_codes = int(codes.max()) + 1 if num_codes is None else num_codes
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    counts = agreement_matrix(codes, labels, num_codes, num_classes)
    rows, cols = best_matching(counts)
    return float(counts[rows, cols].sum() / len(codes))


def gaussian_code_label_accuracy(
    mean: np.ndarray, log_sigma: np.ndarray, *, num_samples: int = 100_000, seed: int = 0
) -> float:
    """Bayes accuracy of the label y from ĉ ~ N(mean[y], diag(exp(log_sigma[y]))²), y uniform over
    the K rows of `mean` and `log_sigma` (`[K, d]`), estimated on `num_samples` draws."""
    mean, log_sigma = np.asarray(mean, np.float64), np.asarray(log_sigma, np.float64)
    if mean.ndim != 2 or mean.shape != log_sigma.shape or mean.shape[0] < 2:
        raise ValueError(
            f"gaussian_code_label_accuracy: mean and log_sigma must be [K, d] of one shape with K >= 2; got "
            f"{mean.shape} and {log_sigma.shape}."
        )
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, mean.shape[0], num_samples)
    sigma = np.exp(log_sigma)
    correct = 0
    for start in range(0, num_samples, 10_000):
        y = labels[start : start + 10_000]
        code = mean[y] + sigma[y] * rng.standard_normal((len(y), mean.shape[1]))
        log_likelihood = -0.5 * (((code[:, None, :] - mean[None]) / sigma[None]) ** 2).sum(-1) - log_sigma.sum(-1)
        correct += int((log_likelihood.argmax(-1) == y).sum())
    return correct / num_samples
