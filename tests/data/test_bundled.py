"""The offline image datasets: bundled MNIST and scikit-learn's digits."""

import numpy as np
import pytest

from jaxgan import data
from jaxgan.data import bundled


@pytest.fixture(scope="module")
def raw_mnist():
    return bundled.load_mnist_arrays()


def test_mnist_train_is_all_5000_in_range_with_500_per_class(raw_mnist):
    dataset = data.load("mnist")
    arrays = dataset.arrays()
    assert (len(dataset), dataset.element_shape, dataset.num_classes) == (5000, (28, 28, 1), 10)
    assert arrays["x"].shape == (5000, 28, 28, 1) and arrays["x"].dtype == np.float32
    assert arrays["x"].min() == -1.0 and arrays["x"].max() == 1.0
    assert arrays["label"].dtype == np.int32
    np.testing.assert_array_equal(np.bincount(arrays["label"]), [500] * 10)
    # Each row is its source digit mapped 0 -> -1, 255 -> 1.
    raw_images, raw_labels = raw_mnist
    source = dataset.metadata["source_indices"]
    np.testing.assert_array_equal(np.sort(source), np.arange(5000))
    np.testing.assert_allclose(arrays["x"][:, :, :, 0], raw_images[source] / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(arrays["label"], raw_labels[source])


def test_mnist_splits_are_stratified_and_disjoint():
    fit = data.load("mnist", split="train[:90%]")
    held_out = data.load("mnist", split="test")
    assert (len(fit), len(held_out)) == (4500, 500)
    np.testing.assert_array_equal(np.bincount(fit.arrays()["label"]), [450] * 10)
    np.testing.assert_array_equal(np.bincount(held_out.arrays()["label"]), [50] * 10)
    together = np.concatenate([fit.metadata["source_indices"], held_out.metadata["source_indices"]])
    np.testing.assert_array_equal(np.sort(together), np.arange(5000))
    np.testing.assert_array_equal(held_out.arrays()["x"], data.load("mnist", split="train[90%:]").arrays()["x"])
    assert len(data.load("mnist", split="train[100:350]")) == 250


def test_mnist_resized_to_32():
    dataset = data.load("mnist", image_size=32)
    x = dataset.arrays()["x"]
    assert dataset.element_shape == (32, 32, 1) and x.shape == (5000, 32, 32, 1)
    assert x.min() >= -1.0 and x.max() <= 1.0
    # Background stays background and a digit's ink survives the resize.
    np.testing.assert_array_equal(x[:, 0, 0, 0], -1.0)
    assert (x.reshape(5000, -1).max(axis=1) > 0.5).all()


def test_digits_are_sklearn_digits_scaled_to_signed_unit():
    from sklearn.datasets import load_digits

    reference = load_digits()
    dataset = data.load("digits")
    arrays = dataset.arrays()
    assert (len(dataset), dataset.element_shape, dataset.num_classes) == (1797, (8, 8, 1), 10)
    source = dataset.metadata["source_indices"]
    np.testing.assert_array_equal(arrays["x"][..., 0], reference.images[source] / 8.0 - 1.0)
    np.testing.assert_array_equal(arrays["label"], reference.target[source])
    assert arrays["x"].min() == -1.0 and arrays["x"].max() == 1.0
    np.testing.assert_array_equal(np.bincount(data.load("digits", split="test").arrays()["label"]), [18] * 10)


def test_interleave_classes_is_round_robin_for_equal_classes():
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    order = bundled.interleave_classes(labels)
    np.testing.assert_array_equal(order, [0, 3, 6, 1, 4, 7, 2, 5, 8])


def test_interleave_classes_spreads_unequal_classes_proportionally():
    labels = np.array([0] * 40 + [1] * 10)
    order = bundled.interleave_classes(labels)
    np.testing.assert_array_equal(np.sort(order), np.arange(50))
    # Every block of 5 in the order holds four 0s and one 1.
    np.testing.assert_array_equal(labels[order].reshape(10, 5).sum(axis=1), 1)


@pytest.mark.parametrize("split", ["validation", "test[:10]", "train[a:]", "train[:90]]"])
def test_bad_split_raises_one_sentence(split):
    with pytest.raises(ValueError, match="config.data.split") as error:
        data.load("mnist", split=split)
    assert ". " not in str(error.value)
