"""Datasets by name, and the deterministic batches the training loop reads from them.

    dataset = jaxgan.data.load("mnist")                      # -> Dataset
    batch = dataset.get(jaxgan.data.batch_indices(step, num_examples=len(dataset),
                                                  batch_size=100, seed=0))
    # {"x": float32 [100, 28, 28, 1] in [-1, 1], "label": int32 [100]}

Names (`names()`):
- "ring", "grid": the PacGAN 2-D Gaussian mixtures (`mixtures.py`), x float32 [2].
- "digits": scikit-learn's 8x8 digits; "mnist": the bundled 5,000 MNIST digits (`bundled.py`).
- "fashion_mnist", "cifar10", "cifar100", "svhn_cropped", "celeb_a", and "tfds:<name>" for any
  tensorflow-datasets image dataset, read from prepared data on disk (`tfds_source.py`).
  "tfds:mnist" is the full tfds MNIST; plain "mnist" is always the bundled one.
- "folder:<path>": the PNG/JPEG/WebP files below a folder, labels from class subfolders or a
  dataset.json (`folder.py`); "array:<file>": a .npy of images or a .npz with `x` and `label`
  (`array_file.py`). `fingerprint(name)` identifies their data.
- Translation (`translation.py`): "edges2digits" and "lowres2digits" (paired `source`, `target`),
  "digits2inverted" and "digits2negatives" (unpaired `x`, `y`), from the bundled digits; "cycle_gan/<pair>" and "tfds_pair:<name>" from
  tensorflow-datasets.
"""

from __future__ import annotations

from jaxgan.data import array_file, folder, translation
from jaxgan.data.bundled import load_digits, load_mnist
from jaxgan.data.dataset import ArrayDataset, Dataset, feature_specs
from jaxgan.data.mixtures import grid_centers, load_mixture, ring_centers, sample_mixture
from jaxgan.data.sampler import batch_indices, process_slice, steps_per_epoch
from jaxgan.data.tfds_source import OfflineDatasetError, TfdsDataset, load_tfds

__all__ = [
    "ArrayDataset",
    "Dataset",
    "OfflineDatasetError",
    "TfdsDataset",
    "batch_indices",
    "feature_specs",
    "fingerprint",
    "grid_centers",
    "is_file_source",
    "load",
    "names",
    "process_slice",
    "ring_centers",
    "sample_mixture",
    "steps_per_epoch",
]

TFDS_PREFIX = "tfds:"
_BUILT_IN = ("ring", "grid", "digits", "mnist")
# Plain names that mean the tensorflow-datasets dataset of that name.
_TFDS_ALIASES = ("fashion_mnist", "cifar10", "cifar100", "svhn_cropped", "celeb_a")


def names() -> list[str]:
    """The dataset names `load` accepts; besides these, "tfds:<name>" for any tfds image dataset,
    "folder:<path>" and "array:<file>"."""
    return [*_BUILT_IN, *_TFDS_ALIASES, *translation.NAMES, *translation.DOMAIN_NAMES]


def is_file_source(name: str) -> bool:
    """Whether `name` is "folder:<path>" or "array:<file>"."""
    return isinstance(name, str) and name.startswith((folder.PREFIX, array_file.PREFIX))


def fingerprint(name: str) -> dict | None:
    """What identifies the data of a file source (`folder.fingerprint`, `array_file.fingerprint`);
    None for the other datasets, whose data a name fixes."""
    if isinstance(name, str) and name.startswith(folder.PREFIX):
        return folder.fingerprint(name[len(folder.PREFIX) :])
    if isinstance(name, str) and name.startswith(array_file.PREFIX):
        return array_file.fingerprint(name[len(array_file.PREFIX) :])
    return None


def load(
    name: str,
    *,
    split: str = "train",
    seed: int = 0,
    num_examples: int = 100_000,
    image_size: int = 0,
    data_dir: str | None = None,
    resize_filter: str = "bicubic",
    channels: int = 0,
    labels: str = "auto",
    num_classes: int = 0,
    skip_bad_files: bool = False,
) -> Dataset:
    """Loads dataset `name` (see the module doc), checking every argument before any work.

    Args:
      name: a name from `names()`, or "tfds:<name>".
      split: "train" or "test" (mixtures: independent draws; bundled images: see `bundled.py`;
        tfds: any split string tfds accepts, e.g. "train[:90%]").
      seed: the seed of the mixtures' points (the images ignore it; shuffling is the sampler's).
      num_examples: the number of mixture points (the images ignore it).
      image_size: 0 for the dataset's own size, else the square side images are resized to.
      data_dir: where prepared tensorflow-datasets data lives (None: tfds's default).
      resize_filter, channels, labels, num_classes, skip_bad_files: the file sources' settings
        (`folder.load_folder`; `array_file.load_array` takes the first, second and fourth);
        the other datasets ignore them.

    Raises:
      ValueError: for an unknown name or a setting the dataset does not accept;
        `OfflineDatasetError` (a ValueError) for a tfds dataset that is not on disk.
    """
    if isinstance(name, str) and name.startswith(folder.PREFIX):
        return folder.load_folder(
            name,
            split=split,
            image_size=image_size,
            resize_filter=resize_filter,
            channels=channels,
            labels=labels,
            num_classes=num_classes,
            skip_bad_files=skip_bad_files,
        )
    if isinstance(name, str) and name.startswith(array_file.PREFIX):
        return array_file.load_array(
            name,
            split=split,
            image_size=image_size,
            resize_filter=resize_filter,
            channels=channels,
            num_classes=num_classes,
        )
    if name in ("ring", "grid"):
        return load_mixture(name, split=split, seed=seed, num_examples=num_examples, image_size=image_size)
    if name == "mnist":
        return load_mnist(split=split, image_size=image_size)
    if name == "digits":
        return load_digits(split=split, image_size=image_size)
    if translation.is_translation_name(name):
        return translation.load(name, split=split, image_size=image_size, data_dir=data_dir)
    if name in _TFDS_ALIASES:
        return load_tfds(name, name, split=split, image_size=image_size, data_dir=data_dir)
    if isinstance(name, str) and name.startswith(TFDS_PREFIX) and len(name) > len(TFDS_PREFIX):
        return load_tfds(name, name[len(TFDS_PREFIX) :], split=split, image_size=image_size, data_dir=data_dir)
    raise ValueError(
        f"config.data.name {name!r} is not a known dataset; use one of {', '.join(names())}, "
        f"'tfds:<name>' for any tensorflow-datasets image dataset, 'folder:<path>' for a folder of images or "
        f"'array:<file>' for a .npy/.npz of images."
    )
