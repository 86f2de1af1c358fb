"""The PacGAN 2-D mixtures: centers, per-mode statistics, equal weights, seeding."""

import itertools

import numpy as np
import pytest

from jaxgan import data
from jaxgan.data import mixtures


def test_ring_centers_are_eight_points_on_the_unit_circle():
    centers = data.ring_centers()
    assert centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(centers[0], [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(centers[2], [0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(centers[5], [-np.sqrt(0.5), -np.sqrt(0.5)], atol=1e-6)


def test_grid_centers_are_the_25_points_of_minus4_to_4_step_2():
    centers = data.grid_centers()
    assert centers.shape == (25, 2)
    expected = set(itertools.product([-4.0, -2.0, 0.0, 2.0, 4.0], repeat=2))
    assert {tuple(map(float, c)) for c in centers} == expected


@pytest.mark.parametrize(
    "name, num_modes, std, num_examples",
    [("ring", 8, 0.01, 40_000), ("grid", 25, 0.05, 50_000)],
)
def test_mixture_statistics(name, num_modes, std, num_examples):
    dataset = data.load(name, num_examples=num_examples, seed=3)
    arrays = dataset.arrays()
    x, modes = arrays["x"].astype(np.float64), arrays["label"]
    centers = dataset.metadata["centers"]
    assert dataset.metadata["std"] == std
    assert dataset.num_classes == num_modes and dataset.element_shape == (2,)
    assert len(dataset) == num_examples and arrays["x"].dtype == np.float32
    per_mode = num_examples // num_modes
    np.testing.assert_array_equal(np.bincount(modes, minlength=num_modes), per_mode)  # equal weights
    for k in range(num_modes):
        points = x[modes == k]
        # The mean of n points is within 5 standard errors of the center.
        np.testing.assert_allclose(points.mean(axis=0), centers[k], atol=5 * std / np.sqrt(per_mode))
        np.testing.assert_allclose(points.std(axis=0), std, rtol=0.06)
    # Every point is nearest to its own mode's center (the modes are > 100 std apart).
    nearest = np.argmin(np.linalg.norm(x[:, None] - centers[None], axis=-1), axis=1)
    np.testing.assert_array_equal(nearest, modes)


def test_uneven_count_spreads_the_remainder_one_per_mode():
    dataset = data.load("ring", num_examples=803)
    counts = np.bincount(dataset.arrays()["label"], minlength=8)
    assert sorted(counts) == [100] * 5 + [101] * 3


def test_seeded_determinism_and_independent_splits():
    first = data.load("grid", num_examples=1000, seed=7).arrays()
    again = data.load("grid", num_examples=1000, seed=7).arrays()
    other_seed = data.load("grid", num_examples=1000, seed=8).arrays()
    test_split = data.load("grid", num_examples=1000, seed=7, split="test").arrays()
    np.testing.assert_array_equal(first["x"], again["x"])
    np.testing.assert_array_equal(first["label"], again["label"])
    assert np.abs(first["x"] - other_seed["x"]).max() > 1.0
    assert np.abs(first["x"] - test_split["x"]).max() > 1.0


def test_get_returns_the_requested_rows():
    dataset = data.load("ring", num_examples=100)
    batch = dataset.get(np.array([5, 0, 5]))
    np.testing.assert_array_equal(batch["x"], dataset.arrays()["x"][[5, 0, 5]])
    assert batch["label"].dtype == np.int32 and batch["x"].dtype == np.float32
    with pytest.raises(IndexError):
        dataset.get(np.array([100]))


def test_sample_mixture_matches_its_seed():
    points, modes = mixtures.sample_mixture(data.ring_centers(), 0.01, num_examples=16, seed=1)
    points_again, _ = mixtures.sample_mixture(data.ring_centers(), 0.01, num_examples=16, seed=1)
    np.testing.assert_array_equal(points, points_again)
    assert points.shape == (16, 2) and modes.shape == (16,)


@pytest.mark.parametrize(
    "kwargs, setting",
    [
        ({"split": "validation"}, "config.data.split"),
        ({"num_examples": 0}, "config.data.num_examples"),
        ({"image_size": 32}, "config.data.image_size"),
        ({"seed": -1}, "config.seed"),
    ],
)
def test_bad_settings_raise_one_sentence(kwargs, setting):
    with pytest.raises(ValueError, match=setting) as error:
        data.load("ring", **kwargs)
    message = str(error.value)
    assert message.endswith(".") and ". " not in message
