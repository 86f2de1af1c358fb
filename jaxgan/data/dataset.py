"""The random-access `Dataset` interface, its in-memory form, and split slicing.

Every dataset, synthetic, bundled or from tensorflow-datasets, is read the same way: a
host-side `get(indices)` returning `{"x": float32 [n, *element_shape], "label": int32 [n]}`
(the label only when the dataset has labels). The sampler decides which indices; a dataset
never shuffles itself, so the order of the data is a function of the training step alone.
"""

from __future__ import annotations

import abc
import re
from typing import Any

import numpy as np


def feature_specs(dataset) -> dict[str, tuple[tuple[int, ...], Any]]:
    """`{feature: (shape of one example, dtype)}` of a dataset's batches: what it declares
    (`dataset.feature_specs()`: a translation dataset's `source` and `target`, a labelled
    subset's `labelled_x`), else `x` and, when it has labels, `label`."""
    declared = getattr(dataset, "feature_specs", None)
    if declared is not None:
        return {name: (tuple(shape), dtype) for name, (shape, dtype) in declared().items()}
    specs = {"x": (tuple(dataset.element_shape), np.float32)}
    if dataset.num_classes is not None:
        specs["label"] = ((), np.int32)
    return specs


class Dataset(abc.ABC):
    """A random-access source of examples.

    Attributes:
      name: the name it was loaded by, e.g. "ring" or "tfds:cifar10".
      num_examples: how many examples; `len(dataset)`.
      element_shape: the shape of one "x", e.g. (2,) or (28, 28, 1).
      num_classes: the number of label values, or None for an unlabelled dataset.
      metadata: facts about the data for metrics and plots, e.g. mixture centers and std.
    """

    name: str
    num_examples: int
    element_shape: tuple[int, ...]
    num_classes: int | None
    metadata: dict[str, Any]

    def __len__(self) -> int:
        return self.num_examples

    @abc.abstractmethod
    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Returns the examples at `indices` (any integer array shape flattened to [n])."""

    def arrays(self) -> dict[str, np.ndarray] | None:
        """The whole dataset as arrays when it is held in memory, else None."""
        return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, num_examples={self.num_examples}, "
            f"element_shape={self.element_shape}, num_classes={self.num_classes})"
        )


def check_indices(indices: np.ndarray, num_examples: int) -> np.ndarray:
    """Flattens `indices` to int64 [n] and checks they lie in [0, num_examples)."""
    indices = np.asarray(indices)
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}.")
    indices = indices.reshape(-1).astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= num_examples):
        raise IndexError(f"indices must lie in [0, {num_examples}), got [{indices.min()}, {indices.max()}].")
    return indices


class ArrayDataset(Dataset):
    """A dataset held in memory as arrays: `x` float32 [N, ...] and optional int32 `label` [N]."""

    def __init__(
        self,
        name: str,
        x: np.ndarray,
        label: np.ndarray | None = None,
        *,
        num_classes: int | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        x = np.asarray(x, dtype=np.float32)
        if label is not None:
            label = np.asarray(label, dtype=np.int32)
            if label.shape != x.shape[:1]:
                raise ValueError(f"label shape {label.shape} does not match x's leading dimension {x.shape[:1]}.")
        self.name = name
        self.num_examples = int(x.shape[0])
        self.element_shape = tuple(int(d) for d in x.shape[1:])
        self.num_classes = num_classes if label is not None else None
        self.metadata = dict(metadata or {})
        self._x = x
        self._label = label

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        batch = {"x": self._x[indices]}
        if self._label is not None:
            batch["label"] = self._label[indices]
        return batch

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"x": self._x}
        if self._label is not None:
            out["label"] = self._label
        return out


# "train", "train[:90%]", "test[-500:]", "train[10:20]": a split name and an optional slice.
_SPLIT_PATTERN = re.compile(r"^(?P<base>\w+)(?:\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?$")


def parse_split(split: str, *, accepted: tuple[str, ...]) -> tuple[str, str | None, str | None]:
    """Splits "base[start:stop]" into (base, start, stop), start/stop as text ("90%", "-500") or None.

    Raises ValueError naming `config.data.split` when the text is malformed or `base` is not
    one of `accepted`.
    """
    match = _SPLIT_PATTERN.match(split.strip()) if isinstance(split, str) else None
    if match is None or match["base"] not in accepted:
        choices = ", ".join(repr(a) for a in accepted)
        raise ValueError(
            f"config.data.split {split!r} is not accepted here; use one of {choices}, optionally "
            f"sliced like 'train[:90%]' or 'train[100:]'."
        )
    return match["base"], match["start"], match["stop"]


def _bound(text: str | None, size: int, default: int) -> int:
    if text is None:
        return default
    if text.endswith("%"):
        # Percent bounds round to the nearest example, as tensorflow-datasets does.
        return int(np.round(int(text[:-1]) * size / 100))
    return int(text)


def slice_positions(start: str | None, stop: str | None, size: int) -> np.ndarray:
    """The positions [0, size) selected by the slice bounds returned by `parse_split`."""
    return np.arange(size)[slice(_bound(start, size, 0), _bound(stop, size, size))]


TEST_SLICE = ("90%", None)  # "test": the last tenth of "train", for the bundled and file sources


def train_test_positions(split: str, size: int) -> np.ndarray:
    """The positions of "train" (all), "train[a:b]" (a slice) or "test" (= "train[90%:]") in [0, size).

    For the sources whose data has no splits of its own (the bundled digits, folders, arrays):
    in an order where every contiguous slice is stratified, "train[:90%]" and "test" part the data.
    """
    base, start, stop = parse_split(split, accepted=("train", "test"))
    if base == "test":
        if start is not None or stop is not None:
            raise ValueError(
                f"config.data.split {split!r} is not accepted here; slice 'train' instead, such as 'train[90%:]'."
            )
        start, stop = TEST_SLICE
    return slice_positions(start, stop, size)
