"""A dataset with a labelled subset, for semi-supervised training (Salimans et al. 2016).

`labelled_subset(dataset, per_class, seed)` keeps every example of `dataset` as unlabelled `x`
and picks `per_class` examples of each class (seeded) as the labelled set. Example i carries
`x` (the i-th example, whose label the training never reads) and `labelled_x`,
`labelled_label`: labelled example `i mod n` of the subset in a seeded order, so a batch of
random indices holds a random draw of labelled examples too, on device or from the host, and
every step reads both kinds in one batch.
"""

from __future__ import annotations

import numpy as np

from jaxgan.data.dataset import Dataset, check_indices
from jaxgan.data.subset import draw_per_class


class LabelledSubset(Dataset):
    """`dataset` plus `labelled_x`, `labelled_label` from a subset of `positions` (see the module)."""

    def __init__(self, dataset: Dataset, positions: np.ndarray, per_class: int, seed: int):
        self.base = dataset
        self.name = dataset.name
        self.num_examples = len(dataset)
        self.element_shape = tuple(dataset.element_shape)
        self.num_classes = dataset.num_classes
        self.metadata = {**dataset.metadata, "labelled_per_class": per_class, "labelled_positions": positions}
        self.positions = np.asarray(positions, np.int64)
        self.seed = seed
        labelled = dataset.get(self.positions)
        self._labelled_x, self._labelled_label = labelled["x"], labelled["label"].astype(np.int32)

    def feature_specs(self):
        return {
            "x": (self.element_shape, np.float32),
            "label": ((), np.int32),
            "labelled_x": (self.element_shape, np.float32),
            "labelled_label": ((), np.int32),
        }

    def _pair(self, indices: np.ndarray) -> np.ndarray:
        return np.asarray(indices) % len(self.positions)

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        batch = dict(self.base.get(indices))
        pair = self._pair(indices)
        batch.update(labelled_x=self._labelled_x[pair], labelled_label=self._labelled_label[pair])
        return batch

    def arrays(self) -> dict[str, np.ndarray] | None:
        base = self.base.arrays()
        if base is None:
            return None
        pair = self._pair(np.arange(self.num_examples))
        return {**base, "labelled_x": self._labelled_x[pair], "labelled_label": self._labelled_label[pair]}


def labelled_subset(dataset: Dataset, per_class: int, *, seed: int) -> LabelledSubset:
    """`per_class` examples of each class of `dataset` (chosen with `seed`) as the labelled set."""
    if dataset.num_classes is None:
        raise ValueError(
            f"config.data.labelled_per_class needs a labelled dataset, and {dataset.name!r} has no labels."
        )
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"config.data.labelled_per_class must be a positive integer; got {per_class!r}.")
    labels = np.asarray(dataset.get(np.arange(len(dataset)))["label"])
    sizes = np.bincount(labels, minlength=dataset.num_classes)
    if sizes.min() < per_class:
        c = int(np.flatnonzero(sizes < per_class)[0])  # the first class short of examples
        raise ValueError(
            f"config.data.labelled_per_class ({per_class}) is more than class {c} of {dataset.name!r} has "
            f"({sizes[c]} examples); use at most {sizes.min()}."
        )
    positions = draw_per_class(labels, [per_class] * dataset.num_classes, np.random.default_rng(seed))
    return LabelledSubset(dataset, positions, per_class, seed)
