"""Metrics by name for the training loop and `jaxgan eval`: samples in, a flat dict of floats out.

    evaluate(["fid", "kid", "mode_score"], real=real_images, fake=fake_images, dataset_name="mnist")
    # {"fid": ..., "kid": ..., "kid_std": ..., "mode_score": ...}

Features depend on what the samples are:
- vectors `[n, d]` (the 2-D mixtures): the samples themselves; no class probabilities;
- grey images 28x28x1 or 8x8x1 (MNIST-like): the small classifier trained on `dataset_name`
  (`classifier.get_classifier`), penultimate features and softmax;
- RGB images: the FID InceptionV3 (pool3 and softmax), with weights from `inception_weights`
  or `$JAXGAN_INCEPTION_WEIGHTS`.
Features of the real samples are computed once per (network, dataset, samples) and kept in
memory, so evaluating every few thousand steps against one real set extracts them once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from jaxgan.metrics import classifier as classifier_lib
from jaxgan.metrics import inception
from jaxgan.metrics.distances import mmd2, sliced_wasserstein
from jaxgan.metrics.fid import fid, kid
from jaxgan.metrics.mode_coverage import mode_coverage
from jaxgan.metrics.neighbours import density_coverage, one_nn_accuracy, precision_recall
from jaxgan.metrics.scores import inception_score, mode_score

# Each evaluator name and the keys it writes.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "inception_score": ("inception_score", "inception_score_std"),
    "mode_score": ("mode_score",),
    "precision_recall": ("precision", "recall"),
    "density_coverage": ("density", "coverage"),
    "one_nn": ("one_nn_accuracy",),
    "mmd": ("mmd2",),
    "sliced_wasserstein": ("sliced_wasserstein",),
    "mode_coverage": ("modes", "high_quality_fraction", "reverse_kl"),
}
_NEEDS_PROBABILITIES = ("inception_score", "mode_score")
_CLASSIFIER_IMAGE_SIZES = ((28, 28), (8, 8))
_REAL_CACHE_SIZE = 4
_real_cache: OrderedDict[tuple, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()


def names() -> list[str]:
    """The evaluator names `evaluate` accepts."""
    return list(OUTPUTS)


def parse_names(evaluator_names: str | Sequence[str]) -> list[str]:
    if isinstance(evaluator_names, str):
        evaluator_names = [n for n in evaluator_names.split(",")]
    parsed = [n.strip() for n in evaluator_names if n.strip()]
    unknown = [n for n in parsed if n not in OUTPUTS]
    if unknown:
        raise ValueError(f"evaluators {unknown} are unknown; use names from {', '.join(OUTPUTS)}.")
    return list(dict.fromkeys(parsed))


class _Extractor:
    """Features (and class probabilities, when the network has them) plus facts for Mode Score."""

    def __init__(self, key: tuple, fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]], train_label_probs=None):
        self.key, self.fn, self.train_label_probs = key, fn, train_label_probs


def _extractor(element_shape: tuple[int, ...], dataset_name: str, options: Mapping) -> _Extractor:
    if len(element_shape) == 1:
        return _Extractor(("samples",), lambda x: (np.asarray(x, np.float64), None))
    if len(element_shape) == 3 and element_shape[-1] == 1 and element_shape[:2] in _CLASSIFIER_IMAGE_SIZES:
        seed = options.get("classifier_seed", 0)
        model = classifier_lib.get_classifier(dataset_name, seed=seed, cache_dir=options.get("cache_dir"))
        return _Extractor(
            ("classifier", dataset_name, seed),
            lambda x: model.features_and_probabilities(x),
            train_label_probs=model.label_distribution,
        )
    if len(element_shape) == 3 and element_shape[-1] == 3:
        network = inception.get_inception(options.get("inception_weights"))
        return _Extractor(("inception", id(network)), lambda x: network.features_and_probabilities(x))
    raise ValueError(
        f"evaluate: no feature network for samples of shape {element_shape}; accepted are vectors [d], grey "
        f"28x28x1 or 8x8x1 images (small classifier) and RGB images [H, W, 3] (InceptionV3)."
    )


def _real_features(extractor: _Extractor, real: np.ndarray, dataset_name: str) -> tuple[np.ndarray, np.ndarray | None]:
    digest = hashlib.blake2b(np.ascontiguousarray(real).tobytes(), digest_size=16).hexdigest()
    key = (extractor.key, dataset_name, real.shape, str(real.dtype), digest)
    if key in _real_cache:
        _real_cache.move_to_end(key)
        return _real_cache[key]
    value = extractor.fn(real)
    _real_cache[key] = value
    while len(_real_cache) > _REAL_CACHE_SIZE:
        _real_cache.popitem(last=False)
    return value


def evaluate(
    evaluator_names: str | Sequence[str],
    *,
    real: np.ndarray,
    fake: np.ndarray,
    dataset_name: str,
    metadata: Mapping | None = None,
    seed: int = 0,
    inception_weights: str | None = None,
    classifier_seed: int = 0,
    cache_dir: str | None = None,
) -> dict[str, float]:
    """Runs the named evaluators on real and generated samples; returns `{output key: float}`.

    `evaluator_names`: a list, or a comma-separated string as in `config.evaluators`; see
    `OUTPUTS` for each one's keys. `real`, `fake`: `[n, *element_shape]` (images in [-1, 1]).
    `metadata`: the dataset's facts; "mode_coverage" reads `metadata["centers"]` and
    `metadata["std"]`. `seed` fixes KID's subsets and the sliced-Wasserstein directions.
    When `fake` holds NaN or infinite values (a diverged generator) every output is NaN.
    Mode Score compares with the classifier's training label frequencies, or for InceptionV3
    with the mean predicted class distribution of the real samples.
    """
    selected = parse_names(evaluator_names)
    real, fake = np.asarray(real), np.asarray(fake)
    if real.ndim < 2 or fake.ndim < 2 or real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"evaluate: `real` and `fake` must be [n, *element_shape] with one element shape; got {real.shape} and {fake.shape}."
        )
    metadata = dict(metadata or {})
    if "mode_coverage" in selected and not {"centers", "std"} <= set(metadata):
        raise ValueError('evaluate: "mode_coverage" needs metadata["centers"] and metadata["std"] (the 2-D mixtures give both).')
    element_shape = tuple(real.shape[1:])
    if len(element_shape) == 1 and any(n in _NEEDS_PROBABILITIES for n in selected):
        raise ValueError(
            f"evaluate: {[n for n in selected if n in _NEEDS_PROBABILITIES]} need class probabilities, which "
            f"samples of shape {element_shape} do not have; use them on images."
        )
    if not selected:
        return {}
    if not np.all(np.isfinite(fake)):
        return {key: float("nan") for name in selected for key in OUTPUTS[name]}

    options = {"inception_weights": inception_weights, "classifier_seed": classifier_seed, "cache_dir": cache_dir}
    needs_features = [n for n in selected if n != "mode_coverage"]
    real_feats = real_probs = fake_feats = fake_probs = None
    if needs_features:
        extractor = _extractor(element_shape, dataset_name, options)
        real_feats, real_probs = _real_features(extractor, real, dataset_name)
        fake_feats, fake_probs = extractor.fn(fake)

    results: dict[str, float] = {}
    for name in selected:
        if name == "fid":
            results["fid"] = fid(real_feats, fake_feats)
        elif name == "kid":
            results["kid"], results["kid_std"] = kid(real_feats, fake_feats, seed=seed)
        elif name == "inception_score":
            results["inception_score"], results["inception_score_std"] = inception_score(
                fake_probs, splits=min(10, fake_probs.shape[0])
            )
        elif name == "mode_score":
            train = extractor.train_label_probs
            results["mode_score"] = mode_score(fake_probs, real_probs.mean(axis=0) if train is None else train)
        elif name == "precision_recall":
            results["precision"], results["recall"] = precision_recall(real_feats, fake_feats)
        elif name == "density_coverage":
            results["density"], results["coverage"] = density_coverage(real_feats, fake_feats)
        elif name == "one_nn":
            results["one_nn_accuracy"] = one_nn_accuracy(real_feats, fake_feats)
        elif name == "mmd":
            results["mmd2"] = mmd2(real_feats, fake_feats)
        elif name == "sliced_wasserstein":
            results["sliced_wasserstein"] = sliced_wasserstein(real_feats, fake_feats, 50, key=seed)
        elif name == "mode_coverage":
            coverage = mode_coverage(
                fake.reshape(fake.shape[0], -1), metadata["centers"], metadata["std"]
            )
            results.update({key: float(value) for key, value in coverage._asdict().items()})
    return results
