"""Offline image datasets: the bundled 5,000 MNIST digits and scikit-learn's 8x8 digits.

Both are held in memory, scaled to float32 [-1, 1], with int32 labels 0-9.

Splits. Each file's examples are put in a class-interleaved order (`interleave_classes`: the
first example of each class, then the second of each, ...; within a class the file's order is
kept), so every contiguous slice is stratified:

- "train": all examples (5,000 MNIST digits, 500 per class; 1,797 sklearn digits), for the GAN.
- "train[a:b]": a tensorflow-datasets-style slice of that order, with ints or percents, e.g.
  "train[:90%]" (4,500 MNIST digits, 450 per class) to fit a feature classifier.
- "test": the same as "train[90%:]" (500 MNIST digits, 50 per class), to evaluate it; it is
  inside "train", so a classifier fitted on "train[:90%]" never sees it.
"""

from __future__ import annotations

import importlib.resources

import numpy as np

from jaxgan.data import images
from jaxgan.data.dataset import ArrayDataset, train_test_positions

MNIST_FILE = "mnist_5k.npz"


def interleave_classes(labels: np.ndarray) -> np.ndarray:
    """The permutation spreading each class evenly over the order, stable within a class.

    The r-th of the n_c examples of class c goes to position key (r + 1/2) / n_c (ties by
    class), so any contiguous slice holds each class in proportion to its size; with equal
    class sizes this is plain round-robin order 0, 1, ..., 9, 0, 1, ...
    """
    labels = np.asarray(labels)
    by_label = np.argsort(labels, kind="stable")
    sorted_labels = labels[by_label]
    first_of_label = np.searchsorted(sorted_labels, sorted_labels, side="left")
    class_size = np.searchsorted(sorted_labels, sorted_labels, side="right") - first_of_label
    key = np.empty(len(labels), np.float64)
    key[by_label] = (np.arange(len(labels)) - first_of_label + 0.5) / class_size
    return np.lexsort((labels, key))


def _image_dataset(
    name: str, raw: np.ndarray, labels: np.ndarray, *, max_value: int, split: str, image_size: int
) -> ArrayDataset:
    """Images [N, H, W] with values 0..max_value and labels -> the split's [n, S, S, 1] ArrayDataset.

    At the native size x = v / (max_value / 2) - 1; resizing goes through uint8 (PIL).
    """
    image_size = images.check_image_size(image_size)
    order = interleave_classes(labels)
    chosen = order[train_test_positions(split, len(labels))]
    pixels = raw[chosen][..., None]
    if image_size == 0:
        x = pixels.astype(np.float32) / np.float32(max_value / 2) - np.float32(1.0)
    else:
        as_uint8 = np.round(pixels * (255.0 / max_value)).astype(np.uint8)
        x = images.to_signed_unit(images.resize_batch(as_uint8, image_size))
    return ArrayDataset(name, x, labels[chosen], num_classes=10, metadata={"split": split, "source_indices": chosen})


def load_mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The bundled file as (images uint8 [5000, 28, 28], labels uint8 [5000]), in file order."""
    resource = importlib.resources.files("jaxgan.data").joinpath("bundled", MNIST_FILE)
    with resource.open("rb") as stream, np.load(stream) as archive:
        return archive["images"], archive["labels"]


def load_mnist(*, split: str = "train", image_size: int = 0) -> ArrayDataset:
    """The bundled MNIST digits, element shape (28, 28, 1) or (image_size, image_size, 1)."""
    raw, labels = load_mnist_arrays()
    return _image_dataset("mnist", raw, labels.astype(np.int32), max_value=255, split=split, image_size=image_size)


def load_digits(*, split: str = "train", image_size: int = 0) -> ArrayDataset:
    """scikit-learn's 8x8 digits (values 0..16), element shape (8, 8, 1) or resized.

    At the native size x = v / 8 - 1; resizing goes through uint8 levels round(v * 255 / 16).
    """
    from sklearn.datasets import load_digits as sklearn_load_digits  # sklearn is slow to import

    bunch = sklearn_load_digits()
    return _image_dataset(
        "digits", bunch.images, bunch.target.astype(np.int32), max_value=16, split=split, image_size=image_size
    )
