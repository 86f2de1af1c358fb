"""Feature extractors for the evaluators, and reference features cached on disk.

Three kinds, each with the suffix its output keys carry (so that FID on classifier features
is never read as FID on Inception features):

- "samples" (suffix ""): vectors `[n, d]` (the 2-D mixtures) are their own features;
- "classifier" (suffix "_classifier"): the small CNN trained on `dataset_name`
  (`classifier.get_classifier`), for grey 28x28x1 or 8x8x1 images; penultimate features, softmax;
- "inception" (suffix "_inception"): the FID InceptionV3 pool3 (`inception.get_inception`), for
  any image (grey repeated to RGB); class probabilities only when the weights have logits.

`reference_features` keeps the features of a real set as `.npz` under
`<cache_dir>/reference/`, keyed by dataset, split, extractor kind, the extractor's weights hash,
the number of samples and a digest of the samples themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

DEFAULT_CACHE_DIR = Path("~/.cache/jaxgan")
KINDS = ("samples", "classifier", "inception")
SUFFIX = {"samples": "", "classifier": "_classifier", "inception": "_inception"}
CLASSIFIER_IMAGE_SIZES = ((28, 28), (8, 8))

FeatureFn = Callable[[np.ndarray], tuple[np.ndarray, "np.ndarray | None"]]


@dataclasses.dataclass(frozen=True)
class FeatureExtractor:
    """What turns samples into features: `fn(samples) -> (features [n, d], probabilities [n, K] or None)`.

    `description`: JSON-serialisable facts for records (network, weights hash or classifier seed).
    `weights_hash`: identifies the network's weights for the reference cache (None: do not cache).
    `train_label_probabilities`: the classifier's training label frequencies, for Mode Score.
    """

    kind: str
    fn: FeatureFn
    description: Mapping
    weights_hash: str | None = None
    has_probabilities: bool = False
    train_label_probabilities: np.ndarray | None = None

    @property
    def suffix(self) -> str:
        return SUFFIX[self.kind]


def default_kind(element_shape: tuple[int, ...]) -> str:
    """The extractor kind for samples of one shape: vectors, grey digits, RGB images."""
    if len(element_shape) == 1:
        return "samples"
    if len(element_shape) == 3 and element_shape[-1] == 1 and element_shape[:2] in CLASSIFIER_IMAGE_SIZES:
        return "classifier"
    if len(element_shape) == 3 and element_shape[-1] == 3:
        return "inception"
    raise ValueError(
        f"evaluate: no feature network for samples of shape {element_shape}; accepted are vectors [d], grey "
        f"28x28x1 or 8x8x1 images (small classifier) and RGB images [H, W, 3] (InceptionV3)."
    )


def samples_extractor() -> FeatureExtractor:
    return FeatureExtractor(
        "samples", lambda x: (np.asarray(x, np.float64).reshape(len(x), -1), None), {"kind": "samples"}
    )


def classifier_extractor(
    dataset_name: str, *, seed: int = 0, cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR
) -> FeatureExtractor:
    from flax import serialization

    from jaxgan.metrics import classifier as classifier_lib

    model = classifier_lib.get_classifier(dataset_name, seed=seed, cache_dir=Path(cache_dir).expanduser())
    weights_hash = hashlib.sha1(serialization.msgpack_serialize(model.params)).hexdigest()
    description = {
        "kind": "classifier",
        "network": "small_cnn",
        "dataset": dataset_name,
        "seed": seed,
        "params_sha1": weights_hash,
        "test_accuracy": float(model.test_accuracy),
    }
    return FeatureExtractor(
        "classifier",
        model.features_and_probabilities,
        description,
        weights_hash=weights_hash,
        has_probabilities=True,
        train_label_probabilities=np.asarray(model.label_distribution),
    )


def inception_extractor(
    weights: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR, batch_size: int = 50
) -> FeatureExtractor:
    from jaxgan.metrics import inception

    network = inception.get_inception(weights, cache_dir=Path(cache_dir).expanduser())
    return FeatureExtractor(
        "inception",
        lambda x: network.features_and_probabilities(x, batch_size=batch_size),
        {"kind": "inception", **network.description},
        weights_hash=network.description.get("weights_sha1"),
        has_probabilities=network.has_probabilities,
    )


def samples_digest(samples: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{samples.shape}{samples.dtype}".encode())
    digest.update(np.ascontiguousarray(samples).tobytes())
    return digest.hexdigest()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def reference_path(
    cache_dir: str | os.PathLike,
    *,
    dataset_name: str,
    split: str | None,
    extractor: FeatureExtractor,
    samples: np.ndarray,
) -> Path:
    name = "_".join(
        (
            _safe(dataset_name),
            _safe(split or "unknown-split"),
            extractor.kind,
            str(extractor.weights_hash)[:16],
            str(samples.shape[0]),
            samples_digest(samples)[:16],
        )
    )
    return Path(cache_dir).expanduser() / "reference" / f"{name}.npz"


def reference_features(
    extractor: FeatureExtractor,
    samples: np.ndarray,
    *,
    dataset_name: str,
    split: str | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """`extractor.fn(samples)`, read from / written to the disk cache when `cache_dir` is given and
    the extractor has a weights hash (raw samples are not cached: they are their own features)."""
    if cache_dir is None or extractor.weights_hash is None:
        return extractor.fn(samples)
    path = reference_path(cache_dir, dataset_name=dataset_name, split=split, extractor=extractor, samples=samples)
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            return stored["features"], (stored["probabilities"] if "probabilities" in stored.files else None)
    features, probabilities = extractor.fn(samples)
    arrays = {"features": np.asarray(features)}
    if probabilities is not None:
        arrays["probabilities"] = np.asarray(probabilities)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
    np.savez(temporary, **arrays)
    os.replace(temporary, path)  # atomic: a concurrent reader never sees half a file
    return features, probabilities
