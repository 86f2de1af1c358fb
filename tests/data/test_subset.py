"""`config.data.num_train`: a seeded, stratified subset of the training split, the same for every
seed of a run and every resume, refused in one sentence when it does not fit."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxgan.data import ArrayDataset, bundled, labelled, subset
from jaxgan.train import build as build_lib
from jaxgan.train import workdir as workdir_lib
from tests.train.helpers import tiny_ring_config


def test_stratified_counts_are_largest_remainder_shares():
    # sizes 3, 3, 4 of 10, num 5: exact shares 1.5, 1.5, 2.0 -> floors 1, 1, 2; the one left goes to
    # the largest remainder, a tie of classes 0 and 1 broken to the lower class.
    np.testing.assert_array_equal(subset.stratified_counts([3, 3, 4], 5), [2, 1, 2])
    # 7 of sizes 5, 1, 4 (10): exact 3.5, 0.7, 2.8 -> floors 3, 0, 2, remainders .5, .7, .8: classes 2 then 1.
    np.testing.assert_array_equal(subset.stratified_counts([5, 1, 4], 7), [3, 1, 3])
    np.testing.assert_array_equal(subset.stratified_counts([450] * 10, 500), [50] * 10)


def test_500_of_the_training_digits_fifty_per_class_the_examples_of_their_positions():
    base = bundled.load_mnist(split="train[:90%]")
    chosen = subset.train_subset(base, 500, seed=0)
    assert len(chosen) == 500 and chosen.element_shape == (28, 28, 1) and chosen.num_classes == 10
    positions = chosen.metadata["subset_positions"]
    assert len(np.unique(positions)) == 500 and positions.min() >= 0 and positions.max() < 4500
    assert np.all(np.diff(positions) > 0)  # kept in the split's order
    got = chosen.get(np.arange(500))
    np.testing.assert_array_equal(np.bincount(got["label"], minlength=10), [50] * 10)
    expected = base.get(positions)
    np.testing.assert_array_equal(got["x"], expected["x"])
    np.testing.assert_array_equal(got["label"], expected["label"])
    np.testing.assert_array_equal(chosen.arrays()["x"], expected["x"])
    assert chosen.metadata["num_train"] == 500 and chosen.metadata["subset_stratified"]


def test_the_subset_is_a_function_of_its_seed_alone():
    base = bundled.load_mnist(split="train[:90%]")
    first = subset.train_subset(base, 1000, seed=0).metadata["subset_positions"]
    again = subset.train_subset(base, 1000, seed=0).metadata["subset_positions"]
    other = subset.train_subset(base, 1000, seed=1).metadata["subset_positions"]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # 1,000 of 4,500 is 100 per class; 500 is not simply the first half of 1,000 (each size its own draw)
    assert np.bincount(base.get(first)["label"], minlength=10).tolist() == [100] * 10


def test_unlabelled_data_draw_uniformly_without_replacement():
    unlabelled = ArrayDataset("points", np.arange(2000, dtype=np.float32)[:, None])
    dataset = subset.train_subset(unlabelled, 100, seed=0)
    expected = np.sort(np.random.default_rng(0).choice(2000, size=100, replace=False))
    np.testing.assert_array_equal(dataset.metadata["subset_positions"], expected)
    np.testing.assert_array_equal(dataset.get(np.arange(100))["x"][:, 0], expected)
    assert not dataset.metadata["subset_stratified"] and dataset.num_classes is None


def test_every_seed_of_a_run_reads_the_same_examples_and_zero_means_the_whole_split():
    base = {"data.name": "mnist", "data.split": "train[:90%]", "data.num_train": 500}
    one = build_lib.load_dataset(tiny_ring_config(**base, seed=0), seed=0)
    other = build_lib.load_dataset(tiny_ring_config(**base, seed=7), seed=7)
    np.testing.assert_array_equal(one.get(np.arange(500))["x"], other.get(np.arange(500))["x"])
    moved = build_lib.load_dataset(tiny_ring_config(**base, **{"data.subset_seed": 3}), seed=0)
    assert not np.array_equal(moved.metadata["subset_positions"], one.metadata["subset_positions"])
    whole = build_lib.load_dataset(tiny_ring_config(**{**base, "data.num_train": 0}), seed=0)
    assert len(whole) == 4500 and "subset_positions" not in whole.metadata


@pytest.mark.parametrize("num", [4501, -1, True, 2.5])
def test_a_subset_larger_than_the_split_or_not_a_count_is_refused_in_one_sentence(num):
    config = tiny_ring_config(**{"data.name": "mnist", "data.split": "train[:90%]"})
    config.data.num_train = num if isinstance(num, int) else 0
    if not isinstance(num, int):
        with pytest.raises(TypeError):  # ml_collections keeps the field an int
            config.data.num_train = num
        return
    with pytest.raises(ValueError, match=r"^config\.data\.num_train=.*holds 4500 examples; use an int from 1 to 4500"):
        build_lib.build(config)


def test_the_labelled_subset_draw_is_unchanged():
    # labelled_subset draws through subset.draw_per_class: the positions the earlier code drew
    # (per class rng.choice in class order, then one permutation) with the same generator.
    dataset = bundled.load_digits(split="train")
    labels = dataset.get(np.arange(len(dataset)))["label"]
    rng = np.random.default_rng(5)
    chosen = [rng.choice(np.flatnonzero(labels == c), size=3, replace=False) for c in range(10)]
    expected = rng.permutation(np.concatenate(chosen))
    np.testing.assert_array_equal(labelled.labelled_subset(dataset, 3, seed=5).positions, expected)


@pytest.mark.slow
def test_a_resumed_run_reads_the_same_examples(tmp_path):
    """The subset is fixed by fields of the config (recorded in config.json); the config a resume
    reads back rebuilds the same examples, and the restored experiment holds them."""
    from jaxgan.train import restore, train_and_evaluate

    config = tiny_ring_config(**{"data.num_train": 100, "data.subset_seed": 2})
    train_and_evaluate(config, str(tmp_path))
    saved = workdir_lib.load_config(str(tmp_path))
    assert saved.data.num_train == 100 and saved.data.subset_seed == 2
    launched = build_lib.load_dataset(config, seed=config.seed)
    _, experiment, state = restore.load_latest(str(tmp_path))
    assert int(jax.device_get(state.step)) == config.num_steps
    np.testing.assert_array_equal(
        experiment.dataset.metadata["subset_positions"], launched.metadata["subset_positions"]
    )
    np.testing.assert_array_equal(experiment.dataset.get(np.arange(100))["x"], launched.get(np.arange(100))["x"])
