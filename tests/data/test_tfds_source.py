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


def test_the_feeder_reads_every_feature_in_the_order_of_the_step(mock_tfds):
    """The loop's feeder on a tfds source (read on the host): x and label of each step's batch,
    in the order `batch_indices` gives, the same for the same seed and another for another."""
    import jax

    from jaxgan.train import feeding, parallel

    dataset = data.load("tfds:mnist")
    mesh = parallel.make_mesh(jax.devices()[:1])

    def feeder(seed):
        return feeding.Feeder(
            [dataset],
            mesh,
            seeds=(seed,),
            features=("x", "label"),
            batch_size=8,
            batches_per_step=1,
            steps_per_call=2,
            on_device=True,
        )  # not in memory: host path

    first = feeder(3)
    assert first.device_arrays is None
    (batch,) = first.inputs(2)
    assert batch["x"].shape == (2, 1, 1, 8, 28, 28, 1) and batch["label"].shape == (2, 1, 1, 8)
    for k in range(2):
        expected = dataset.get(data.batch_indices(2 + k, num_examples=NUM_MOCK, batch_size=8, seed=3))
        np.testing.assert_array_equal(np.asarray(batch["x"])[k, 0, 0], expected["x"])
        np.testing.assert_array_equal(np.asarray(batch["label"])[k, 0, 0], expected["label"])
    assert not np.array_equal(first.indices(0), feeder(4).indices(0))
    # 24 // 8 = 3 steps per epoch: each epoch reads all 24 examples once.
    epoch = np.concatenate([first.indices(s)[0, 0, 0] for s in range(3)])
    np.testing.assert_array_equal(np.sort(epoch), np.arange(NUM_MOCK))


def test_processes_read_the_global_batch_exactly_once(mock_tfds):
    dataset = data.load("cifar10", image_size=16)
    for step in range(2):
        whole = data.batch_indices(step, num_examples=len(dataset), batch_size=12, seed=0)
        parts = [data.process_slice(whole, process_index=p, process_count=4) for p in range(4)]
        np.testing.assert_array_equal(np.concatenate(parts), whole)
        assert len(np.unique(whole)) == 12  # no example read twice in a global batch
        stacked = np.concatenate([dataset.get(part)["x"] for part in parts])
        assert stacked.shape == (12, 16, 16, 3)
        np.testing.assert_array_equal(stacked, dataset.get(whole)["x"])


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
