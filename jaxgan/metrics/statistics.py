"""Feature statistics of an image set: streamed moments, and the statistics file.

`RunningMoments` accumulates the mean and the unbiased covariance of features batch by
batch in float64 (sums of the features and of their outer products, shifted by the first
batch's mean so that the subtraction loses no precision), so a set of any size is scored in
the memory of one batch plus `d x d`.

The statistics file is pytorch-fid's layout, `np.savez(path, mu=[d], sigma=[d, d])`, which
pytorch-fid (`--save-stats`, and its `calculate_frechet_distance`), torch-fidelity and
clean-fid read and write; jaxgan adds `num` (the number of images) and `features` (a JSON
text naming the feature network), which those tools ignore. A file without `features` is
taken to hold InceptionV3 pool3 statistics, as pytorch-fid's do.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np


class RunningMoments:
    """Mean and unbiased covariance of feature batches `[n, d]`, added one batch at a time."""

    def __init__(self):
        self.count = 0
        self._shift = None
        self._sum = None
        self._outer = None

    def update(self, feats) -> None:
        feats = np.asarray(feats, np.float64)
        if feats.ndim != 2:
            raise ValueError(f"RunningMoments: features must be [n, d]; got shape {feats.shape}.")
        if self._shift is None:
            self._shift = feats.mean(axis=0)
            self._sum = np.zeros(feats.shape[1])
            self._outer = np.zeros((feats.shape[1], feats.shape[1]))
        centred = feats - self._shift
        self._sum += centred.sum(axis=0)
        self._outer += centred.T @ centred
        self.count += feats.shape[0]

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mu [d], sigma [d, d]) over everything added; needs at least two examples."""
        if self.count < 2:
            raise ValueError(f"FID needs at least 2 images for a covariance; the set has {self.count}.")
        mean = self._sum / self.count
        sigma = (self._outer - self.count * np.outer(mean, mean)) / (self.count - 1)
        return mean + self._shift, (sigma + sigma.T) / 2


@dataclasses.dataclass
class Statistics:
    """What FID needs of one set (`mu`, `sigma`), how many images, which features; and, for KID,
    the features themselves (float32 `[n, d]`) when they were kept."""

    mu: np.ndarray
    sigma: np.ndarray
    num: int
    features_name: str
    features: np.ndarray | None = None


def save(path: str | os.PathLike, statistics: Statistics, *, with_features: bool = False) -> Path:
    """Write `mu`, `sigma` (pytorch-fid's layout), `num`, `features` (the network's name) and,
    with `with_features`, the features as `feats`; atomically (a temporary file renamed)."""
    path = Path(path).expanduser()
    if path.suffix != ".npz":
        raise ValueError(f"--save_stats={path} must end in .npz (pytorch-fid's statistics file).")
    arrays = {
        "mu": np.asarray(statistics.mu, np.float64),
        "sigma": np.asarray(statistics.sigma, np.float64),
        "num": np.asarray(statistics.num, np.int64),
        "features": np.asarray(json.dumps({"name": statistics.features_name})),
    }
    if with_features and statistics.features is not None:
        arrays["feats"] = np.asarray(statistics.features, np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.tmp{os.getpid()}.npz")
    np.savez(temporary, **arrays)
    os.replace(temporary, path)
    return path


def load(path: str | os.PathLike) -> Statistics:
    """A statistics file (jaxgan's, pytorch-fid's or torch-fidelity's `mu`, `sigma`), checked."""
    path = Path(path).expanduser()
    try:
        with np.load(path, allow_pickle=False) as stored:
            if "mu" not in stored.files or "sigma" not in stored.files:
                raise ValueError(
                    f"{path} holds no statistics (its arrays are {sorted(stored.files)}); a statistics file has "
                    "`mu` [d] and `sigma` [d, d], as pytorch-fid --save-stats and jaxgan fid --save_stats write."
                )
            mu, sigma = np.asarray(stored["mu"], np.float64), np.asarray(stored["sigma"], np.float64)
            num = int(stored["num"]) if "num" in stored.files else 0
            name = json.loads(str(stored["features"]))["name"] if "features" in stored.files else "inception"
            feats = np.asarray(stored["feats"], np.float32) if "feats" in stored.files else None
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} cannot be read as a .npz statistics file ({error}).") from None
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(f"{path}: `mu` {mu.shape} and `sigma` {sigma.shape} must be [d] and [d, d].")
    return Statistics(mu, sigma, num, name, feats)
