"""tensorflow-datasets loading through `tfds.data_source` on mocked data (no TensorFlow needed)."""

import tempfile
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan import data

NUM_MOCK = 24


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(num_examples=NUM_MOCK, policy=tfds.testing.MockPolicy.USE_CODE):
        yield


@pytest.mark.parametrize(
    "name, image_size, shape",
    [
        ("tfds:mnist", 0, (28, 28, 1)),
        ("tfds:mnist", 32, (32, 32, 1)),
        ("cifar10", 0, (32, 32, 3)),
        ("tfds:cifar10", 64, (64, 64, 3)),
        ("celeb_a", 64, (64, 64, 3)),
    ],
)
def test_shapes_and_ranges(mock_tfds, name, image_size, shape):
    dataset = data.load(name, image_size=image_size)
    assert isinstance(dataset, data.TfdsDataset) and dataset.name == name
    assert len(dataset) == NUM_MOCK and dataset.element_shape == shape
    assert dataset.arrays() is None  # read on demand, not held in memory
    batch = dataset.get(np.arange(6))
    assert batch["x"].shape == (6, *shape) and batch["x"].dtype == np.float32
    assert batch["x"].min() >= -1.0 and batch["x"].max() <= 1.0
    assert batch["x"].std() > 0.1  # real pixels, not a constant
    if name == "celeb_a":
        assert dataset.num_classes is None and "label" not in batch
    else:
        assert dataset.num_classes == 10
        assert batch["label"].dtype == np.int32 and batch["label"].shape == (6,)
        assert batch["label"].min() >= 0 and batch["label"].max() < 10


def test_values_are_the_source_images_mapped_to_signed_unit(mock_tfds):
    source = tfds.data_source("cifar10", split="train")
    batch = data.load("cifar10").get(np.array([5, 2]))
    for row, index in enumerate([5, 2]):
        example = source[index]
        np.testing.assert_allclose(batch["x"][row], example["image"] / 127.5 - 1.0, atol=1e-6)
        assert batch["label"][row] == example["label"]


def test_deterministic_shuffled_batches(mock_tfds):
    dataset = data.load("tfds:mnist")
    first = data.BatchIterator(dataset, batch_size=8, seed=3, steps_per_call=2, prefetch=False)
    again = data.BatchIterator(dataset, batch_size=8, seed=3, steps_per_call=2)
    other = data.BatchIterator(dataset, batch_size=8, seed=4, steps_per_call=2, prefetch=False)
    for _ in range(2):  # the second chunk of `again` comes from its prefetch thread
        chunk, chunk_again = next(first), next(again)
        np.testing.assert_array_equal(chunk["x"], chunk_again["x"])
        np.testing.assert_array_equal(chunk["label"], chunk_again["label"])
    assert not np.array_equal(first.indices(0), other.indices(0))
    assert not np.array_equal(next(other)["x"], first.chunk(0)["x"])
    # 24 // 8 = 3 steps per epoch: each epoch reads all 24 examples once.
    epoch = np.concatenate([first.indices(s, 1)[0] for s in range(3)])
    np.testing.assert_array_equal(np.sort(epoch), np.arange(NUM_MOCK))
    again.close()


def test_processes_read_the_global_batch_exactly_once(mock_tfds):
    dataset = data.load("cifar10", image_size=16)
    whole = data.BatchIterator(dataset, batch_size=12, seed=0, steps_per_call=2, prefetch=False)
    parts = [
        data.BatchIterator(dataset, batch_size=12, seed=0, steps_per_call=2, process_index=p, process_count=4, prefetch=False)
        for p in range(4)
    ]
    local_indices = np.concatenate([part.indices(0) for part in parts], axis=1)
    np.testing.assert_array_equal(local_indices, whole.indices(0))
    for step_indices in local_indices:
        assert len(np.unique(step_indices)) == 12  # no example read twice in a global batch
    stacked = np.concatenate([next(part)["x"] for part in parts], axis=1)
    assert stacked.shape == (2, 12, 16, 16, 3)
    np.testing.assert_array_equal(stacked, next(whole)["x"])


def test_missing_offline_dataset_fails_fast_with_one_sentence():
    empty_dir = tempfile.mkdtemp()
    start = time.perf_counter()
    with pytest.raises(data.OfflineDatasetError) as error:
        data.load("tfds:cifar10", data_dir=empty_dir)
    assert time.perf_counter() - start < 10.0
    assert isinstance(error.value, ValueError)
    message = str(error.value)
    assert "'cifar10'" in message and empty_dir in message
    assert "tfds build cifar10" in message and "--config.data.data_dir" in message and "mnist" in message
    assert message.endswith(".") and ". " not in message and "\n" not in message


def test_unknown_names_raise_one_sentence():
    with pytest.raises(ValueError, match="config.data.name 'tfds:no_such_dataset_xyz'") as error:
        data.load("tfds:no_such_dataset_xyz")
    assert "\n" not in str(error.value) and ". " not in str(error.value)
    with pytest.raises(ValueError, match="config.data.name 'imagenette64'"):
        data.load("imagenette64")


def test_names_lists_the_offline_and_tfds_datasets():
    names = data.names()
    assert names[:4] == ["ring", "grid", "digits", "mnist"]
    assert {"cifar10", "celeb_a", "fashion_mnist"} <= set(names)
