"""Translation datasets: the digit tasks (closed-form edge maps and dilation, the split kept, no
digit in both domains), unpaired batches drawing x and y independently, the features they
declare reaching the step, and the tensorflow-datasets sources on mocked data."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan import data
from jaxgan.data import translation


def test_edge_map_and_dilation_closed_forms():
    square = -np.ones((1, 6, 6, 1), np.float32)
    square[0, 1:5, 1:5] = 1.0  # a 4x4 block
    edges = translation.edge_map(square)[0, ..., 0]
    expected = -np.ones((6, 6))
    expected[1:5, 1:5] = 1.0
    expected[2:4, 2:4] = -1.0  # the interior of the block is not an edge
    np.testing.assert_array_equal(edges, expected)
    dot = -np.ones((1, 5, 5, 1), np.float32)
    dot[0, 2, 2] = 1.0
    inverted = translation.dilate_and_invert(dot)[0, ..., 0]
    expected = np.ones((5, 5))
    expected[1:4, 1:4] = -1.0  # dilated to 3x3, then inverted: dark on light
    np.testing.assert_array_equal(inverted, expected)


def test_edges2digits_keeps_the_split_and_pairs_each_digit_with_its_edges():
    train, test = data.load("edges2digits", split="train[:90%]"), data.load("edges2digits", split="test")
    assert (len(train), len(test)) == (4500, 500)
    assert not set(train.metadata["source_indices"]) & set(test.metadata["source_indices"])  # never trained on
    batch = test.get(np.arange(5))
    np.testing.assert_array_equal(batch["source"], translation.edge_map(batch["target"]))
    np.testing.assert_array_equal(batch["target"], data.load("mnist", split="test").get(np.arange(5))["x"])
    assert set(train.feature_specs()) == {"source", "target", "label"}


def test_digits2inverted_domains_share_no_digit_and_pairs_are_drawn_independently():
    dataset = data.load("digits2inverted", split="train[:90%]")
    x_part, y_part = dataset.x_source, dataset.y_source
    assert len(x_part) == len(y_part) == 2250 and len(dataset) == 2250 * 2250
    digits = data.load("mnist", split="train[:90%]").get(np.arange(4500))["x"]
    np.testing.assert_array_equal(x_part.get(np.arange(2250))["x"], digits[:2250])
    np.testing.assert_array_equal(y_part.get(np.arange(2250))["x"], translation.dilate_and_invert(digits[2250:]))
    # Example i is (x[i // N_y], y[i mod N_y]): a permutation of all pairs draws them independently.
    indices = data.batch_indices(0, num_examples=len(dataset), batch_size=4000, seed=0)
    batch = dataset.get(indices)
    np.testing.assert_array_equal(batch["label"], x_part.get(indices // 2250)["label"])
    np.testing.assert_array_equal(batch["y_label"], y_part.get(indices % 2250)["label"])
    joint = np.histogram2d(batch["label"], batch["y_label"], bins=10)[0]
    expected = np.outer(joint.sum(1), joint.sum(0)) / joint.sum()
    assert np.sum((joint - expected) ** 2 / expected) < 130  # chi-square, 81 degrees of freedom (p ~ 5e-4)
    assert set(dataset.feature_specs()) == {"x", "y", "label", "y_label"}


def test_digits2negatives_is_the_same_halves_with_y_negated_and_nothing_else():
    dataset = data.load("digits2negatives", split="train[:90%]")
    digits = data.load("mnist", split="train[:90%]").get(np.arange(4500))
    np.testing.assert_array_equal(dataset.x_source.get(np.arange(2250))["x"], digits["x"][:2250])
    y = dataset.y_source.get(np.arange(2250))
    np.testing.assert_array_equal(y["x"], -digits["x"][2250:])
    np.testing.assert_array_equal(y["label"], digits["label"][2250:])
    assert dataset.metadata["target_domain"] == "negative_digits"
    assert data.load("digits2inverted", split="test").metadata["target_domain"] == "inverted_digits"
    negatives = translation.DOMAINS["negative_digits"]
    np.testing.assert_array_equal(negatives.transform(digits["x"][2250:2260]), y["x"][:10])
    np.testing.assert_array_equal(negatives.to_classifier(y["x"][:10]), digits["x"][2250:2260])  # read back exactly


def test_held_out_sources_are_the_first_sources_of_either_kind():
    paired = data.load("edges2digits", split="test")
    got = translation.held_out_sources(paired, 10)
    for name, value in paired.get(np.arange(10)).items():
        np.testing.assert_array_equal(got[name], value)
    unpaired = data.load("digits2inverted", split="test")
    got = translation.held_out_sources(unpaired, 10)
    first = unpaired.x_source.get(np.arange(10))
    np.testing.assert_array_equal(got["source"], first["x"])  # X's first ten, not the product's (all x[0])
    np.testing.assert_array_equal(got["label"], first["label"])
    assert len({image.tobytes() for image in got["source"]}) == 10
    assert len(translation.held_out_sources(unpaired, 10_000)["source"]) == len(unpaired.x_source) == 250


def test_the_features_a_dataset_declares_reach_the_step():
    from jaxgan.train import build

    class Reads:
        features = ("source", "target")

    specs = build.feature_specs(data.load("edges2digits", split="test"), Reads())
    assert {name: (s.shape, str(s.dtype)) for name, s in specs.items()} == {
        "source": ((28, 28, 1), "float32"),
        "target": ((28, 28, 1), "float32"),
    }
    with pytest.raises(ValueError, match=r"reads batch feature\(s\) \['source', 'target'\], which dataset 'mnist'"):
        build.feature_specs(data.load("mnist", split="test"), Reads())


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(num_examples=5, policy=tfds.testing.MockPolicy.USE_CODE):
        yield


def test_cycle_gan_pairs_are_unpaired_datasets(mock_tfds):
    dataset = data.load("cycle_gan/horse2zebra", split="train", image_size=16)
    assert isinstance(dataset, translation.UnpairedDataset) and len(dataset) == 25
    batch = dataset.get(np.arange(7))
    assert batch["x"].shape == batch["y"].shape == (7, 16, 16, 3)
    assert -1.0 <= batch["x"].min() and batch["y"].max() <= 1.0
    with pytest.raises(ValueError, match=r"config.data.split 'validation' is not accepted for 'cycle_gan/horse2zebra'"):
        data.load("cycle_gan/horse2zebra", split="validation", image_size=16)
    with pytest.raises(ValueError, match=r"config.data.image_size 0 is not accepted for 'cycle_gan/horse2zebra'"):
        data.load("cycle_gan/horse2zebra", split="train")


def test_a_tfds_dataset_with_two_image_features_is_paired(mock_tfds):
    dataset = data.load("tfds_pair:smallnorb", split="train")  # image, image2: a stereo pair
    assert isinstance(dataset, translation.TfdsPairedDataset) and len(dataset) == 5
    batch = dataset.get(np.arange(3))
    assert batch["source"].shape == batch["target"].shape == (3, 96, 96, 1)
    with pytest.raises(ValueError, match=r"needs a tfds dataset with exactly two image features"):
        data.load("tfds_pair:mnist", split="train")
