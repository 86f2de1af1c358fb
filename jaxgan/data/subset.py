"""A seeded subset of a training split: `config.data.num_train` examples (limited-data training).

    subset = train_subset(dataset, 500, seed=0)     # 500 of the split's examples, stratified by class

The subset depends on the split, `num` and `seed` only (`config.data.subset_seed`, not the
run's `config.seed`), so every seed of a run, every device count and every resume reads the
same examples. With labels held in memory the draw is stratified: class c gets its
largest-remainder share of `num`, `floor(num·n_c/N)` plus one for the classes with the largest
remainders (ties to the lower class), drawn without replacement per class with `seed`'s
generator, in class order (`draw_per_class`, the draw `labelled.labelled_subset` makes too).
Without labels (or with labels not in memory) it is `num` positions drawn uniformly without
replacement. The positions are kept in the split's order.
"""

from __future__ import annotations

import numpy as np

from jaxgan.data.dataset import Dataset, check_indices, feature_specs


def draw_per_class(labels: np.ndarray, counts, rng: np.random.Generator) -> np.ndarray:
    """`counts[c]` positions of each class c of `labels`, drawn without replacement with `rng`
    (class by class, in class order), then shuffled by `rng`; a class asked for more than it has
    raises ValueError naming the class (the caller words it for its config field)."""
    chosen = []
    for c, count in enumerate(counts):
        members = np.flatnonzero(labels == c)
        if len(members) < count:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than the {count} asked for.")
        chosen.append(rng.choice(members, size=count, replace=False))
    return rng.permutation(np.concatenate(chosen))


def stratified_counts(class_sizes, num: int) -> np.ndarray:
    """How many of `num` examples each class gets: its largest-remainder share of `num`."""
    sizes = np.asarray(class_sizes, np.int64)
    exact = num * sizes / sizes.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.lexsort((np.arange(len(sizes)), -(exact - counts)))  # largest remainder first, ties: lower class
    counts[order[: num - counts.sum()]] += 1
    return counts


class SubsetDataset(Dataset):
    """The examples of `base` at `positions` (int64 [n], in the split's order), as a dataset."""

    def __init__(self, base: Dataset, positions: np.ndarray, *, seed: int, stratified: bool):
        self.base = base
        self.positions = np.asarray(positions, np.int64)
        self.name = base.name
        self.num_examples = len(self.positions)
        self.element_shape = tuple(base.element_shape)
        self.num_classes = base.num_classes
        self.metadata = {
            **base.metadata,
            "num_train": self.num_examples,
            "subset_seed": seed,
            "subset_stratified": stratified,
            "subset_positions": self.positions,
        }
        arrays = base.arrays()
        self._arrays = None if arrays is None else {name: value[self.positions] for name, value in arrays.items()}

    def feature_specs(self):
        return feature_specs(self.base)

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        if self._arrays is not None:
            return {name: value[indices] for name, value in self._arrays.items()}
        return self.base.get(self.positions[indices])

    def arrays(self) -> dict[str, np.ndarray] | None:
        return self._arrays


def train_subset(dataset: Dataset, num: int, *, seed: int, split: str = "train") -> Dataset:
    """`num` examples of `dataset` (see the module doc); `num` = 0 gives `dataset` itself.

    Raises ValueError, one sentence naming `config.data.num_train`, for a `num` that is not an
    int in [0, len(dataset)]; `split` names the split in that sentence.
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0 or num > len(dataset):
        raise ValueError(
            f"config.data.num_train={num!r} is not accepted for split {split!r} of {dataset.name!r}, which holds "
            f"{len(dataset)} examples; use an int from 1 to {len(dataset)}, or 0 for all of them."
        )
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"config.data.subset_seed={seed!r} is not accepted; use a non-negative int.")
    if num == 0:
        return dataset
    rng = np.random.default_rng(int(seed))
    arrays = dataset.arrays()
    labels = None if arrays is None or dataset.num_classes is None else arrays.get("label")
    if labels is not None:
        counts = stratified_counts(np.bincount(labels, minlength=dataset.num_classes), int(num))
        positions = draw_per_class(np.asarray(labels), counts, rng)
    else:
        positions = rng.choice(len(dataset), size=int(num), replace=False)
    return SubsetDataset(dataset, np.sort(positions), seed=int(seed), stratified=labels is not None)
