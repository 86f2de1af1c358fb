"""1-NN accuracy, precision/recall, density/coverage against scikit-learn's NearestNeighbors."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from jaxgan.metrics.neighbours import density_coverage, nearest_neighbour_accuracy, one_nn_accuracy, precision_recall


def _radii(points, k):
    """Distance to the k-th nearest neighbour, the point itself excluded (sklearn's query=None)."""
    return NearestNeighbors().fit(points).kneighbors(n_neighbors=k)[0][:, -1]


def _in_balls(queries, centres, radii):
    """How many balls B(centre_i, radius_i) contain each query, via sorted neighbour lists."""
    distances, indices = NearestNeighbors().fit(centres).kneighbors(queries, n_neighbors=len(centres))
    return np.sum(distances <= radii[indices], axis=1)


def _samples(seed, real_size=700, fake_size=600, dims=5):
    # Sizes above the 512-row block, so the padded last block is exercised.
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((real_size, dims))
    fake = 1.3 * rng.standard_normal((fake_size, dims)) + 0.4
    return real, fake


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_match_sklearn(k):
    real, fake = _samples(0)
    expected_precision = np.mean(_in_balls(fake, real, _radii(real, k)) > 0)
    expected_recall = np.mean(_in_balls(real, fake, _radii(fake, k)) > 0)
    precision, recall = precision_recall(real, fake, k=k)
    assert precision == pytest.approx(expected_precision, rel=1e-4)
    assert recall == pytest.approx(expected_recall, rel=1e-4)
    assert 0.1 < precision < 0.95 and 0.1 < recall < 0.99  # a case where neither is trivial


@pytest.mark.parametrize("k", [2, 5])
def test_density_coverage_match_sklearn(k):
    real, fake = _samples(1)
    radii = _radii(real, k)
    expected_density = np.sum(_in_balls(fake, real, radii)) / (k * len(fake))
    nearest_fake = NearestNeighbors().fit(fake).kneighbors(real, n_neighbors=1)[0][:, 0]
    expected_coverage = np.mean(nearest_fake <= radii)
    density, coverage = density_coverage(real, fake, k=k)
    assert density == pytest.approx(expected_density, rel=1e-4)
    assert coverage == pytest.approx(expected_coverage, rel=1e-4)


def test_one_nn_accuracy_matches_sklearn():
    real, fake = _samples(2)
    pooled = np.concatenate([real, fake])
    is_fake = np.arange(len(pooled)) >= len(real)
    nearest = NearestNeighbors().fit(pooled).kneighbors(n_neighbors=1)[1][:, 0]
    assert one_nn_accuracy(real, fake) == pytest.approx(np.mean(is_fake[nearest] == is_fake), rel=1e-4)


def test_one_nn_accuracy_half_for_one_distribution_and_one_for_separated():
    rng = np.random.default_rng(3)
    real, same = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    assert one_nn_accuracy(real, same) == pytest.approx(0.5, abs=0.04)
    assert one_nn_accuracy(real, same + 20.0) == 1.0


def test_precision_and_recall_are_not_swapped():
    # Fake samples cover only a narrow core of the real distribution: all look real (precision
    # ~1), but most real samples are far from any fake one (recall low).
    rng = np.random.default_rng(4)
    real = rng.standard_normal((1000, 2))
    fake = 0.1 * rng.standard_normal((1000, 2))
    precision, recall = precision_recall(real, fake)
    assert precision > 0.95
    assert recall < 0.2
    # Swapping the arguments swaps the roles.
    swapped = precision_recall(fake, real)
    assert swapped.precision < 0.2 and swapped.recall > 0.95


def test_density_about_one_and_full_coverage_for_one_distribution():
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((1500, 3)), rng.standard_normal((1500, 3))
    density, coverage = density_coverage(real, fake)
    assert density == pytest.approx(1.0, abs=0.1)
    assert coverage > 0.9
    outlying = density_coverage(real, fake + 10.0)
    assert outlying.density == 0.0 and outlying.coverage == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3), "at least 4"),
        (lambda: precision_recall(np.zeros((10, 2)), np.zeros((10, 3))), "feature widths differ"),
        (lambda: density_coverage(np.zeros((10, 2)), np.zeros((10, 2)), k=0), "positive integer"),
        (lambda: one_nn_accuracy(np.zeros((10,)), np.zeros((10, 2))), "2-D array"),
    ],
)
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nearest_neighbour_classifier_matches_a_brute_force_numpy_one():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(700, 5)), rng.normal(size=(300, 5))
    train_labels, test_labels = rng.integers(0, 3, size=700), rng.integers(0, 3, size=300)
    test_labels[:150] = train_labels[np.argmin(((test[:150, None] - train[None]) ** 2).sum(-1), axis=1)]
    nearest = np.argmin(((test[:, None] - train[None]) ** 2).sum(-1), axis=1)
    expected = np.mean(train_labels[nearest] == test_labels)
    assert expected > 0.5  # half agree by construction, the rest by chance
    assert nearest_neighbour_accuracy(train, train_labels, test, test_labels) == pytest.approx(expected)
    # a test point equal to a training point takes that point's label (no point is excluded)
    assert nearest_neighbour_accuracy(train, train_labels, train[:600], train_labels[:600]) == 1.0
    with pytest.raises(ValueError, match="one label per example"):
        nearest_neighbour_accuracy(train, train_labels[:5], test, test_labels)
