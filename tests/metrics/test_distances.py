"""MMD², W1 and sliced W1: closed forms and scipy references."""

import numpy as np
import pytest
import scipy.stats

from jaxgan import kernels
from jaxgan.metrics.distances import mmd2, sliced_wasserstein, wasserstein_1d


def _gaussian_expected_kernel(mu1, sigma1, mu2, sigma2, bandwidth):
    """E k(X, Y) for X ~ N(μ1, Σ1), Y ~ N(μ2, Σ2), k = exp(-|x-y|²/(2σ²)) (MATH.md §3)."""
    d = len(mu1)
    a = bandwidth**2 * np.eye(d) + sigma1 + sigma2
    diff = mu1 - mu2
    return bandwidth**d / np.sqrt(np.linalg.det(a)) * np.exp(-0.5 * diff @ np.linalg.solve(a, diff))


def test_mmd2_matches_gaussian_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = np.zeros(2), np.array([1.0, 0.0])
    sigma1, sigma2 = np.eye(2), np.diag([0.5, 2.0])
    expected = (
        _gaussian_expected_kernel(mu1, sigma1, mu1, sigma1, 1.0)
        + _gaussian_expected_kernel(mu2, sigma2, mu2, sigma2, 1.0)
        - 2 * _gaussian_expected_kernel(mu1, sigma1, mu2, sigma2, 1.0)
    )
    x = rng.multivariate_normal(mu1, sigma1, size=4000)
    y = rng.multivariate_normal(mu2, sigma2, size=4000)
    estimate = mmd2(x, y, kernel=kernels.rbf_kernel(1.0))
    # By hand: 1/√9 + 1/√10 - 2 e^{-0.2}/√10 (A = 3I, diag(2, 5), diag(2.5, 4)).
    assert expected == pytest.approx(1 / 3 + (1 - 2 * np.exp(-0.2)) / np.sqrt(10), rel=1e-12)
    assert expected == pytest.approx(0.131751, abs=1e-6)
    assert estimate == pytest.approx(expected, abs=0.015)  # the estimate's std is ~0.006 at n = 4000


def test_mmd2_matches_numpy_estimators_under_the_default_kernel():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((50, 3)), rng.standard_normal((40, 3)) + 0.5
    # The default kernel: the MMD-GAN sum of RBF kernels, σ ∈ {1, 2, 4, 8, 16}.
    gram = lambda a, b: sum(  # noqa: E731
        np.exp(-np.sum((a[:, None] - b[None]) ** 2, -1) / (2 * s**2)) for s in kernels.MMD_GAN_BANDWIDTHS
    )
    kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
    unbiased = (kxx.sum() - np.trace(kxx)) / (50 * 49) + (kyy.sum() - np.trace(kyy)) / (40 * 39) - 2 * kxy.mean()
    biased = kxx.mean() + kyy.mean() - 2 * kxy.mean()
    assert unbiased != pytest.approx(biased, abs=1e-3)
    assert mmd2(x, y) == pytest.approx(unbiased, abs=2e-5)  # float32 round-off on terms of size ~5
    assert mmd2(x, y, unbiased=False) == pytest.approx(biased, abs=2e-5)
    with pytest.raises(ValueError, match="feature widths differ"):
        mmd2(x, y[:, :2])


def test_w1_between_gaussians():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(400_000)
    y = 1.0 + 2.0 * rng.standard_normal(400_000)
    assert wasserstein_1d(x, y) == pytest.approx(1.16663, abs=1e-2)


@pytest.mark.parametrize("sizes", [(500, 500), (500, 333), (7, 1000)])
def test_w1_matches_scipy(sizes):
    rng = np.random.default_rng(3)
    x = rng.exponential(size=sizes[0])
    y = rng.normal(0.5, 1.5, size=sizes[1])
    assert wasserstein_1d(x, y) == pytest.approx(scipy.stats.wasserstein_distance(x, y), rel=1e-4)


def test_w1_of_shift_and_equal_size_formula():
    x = np.array([3.0, 1.0, 2.0])
    assert wasserstein_1d(x, x + 0.5) == pytest.approx(0.5)
    assert wasserstein_1d(x, np.array([0.0, 0.0, 6.0])) == pytest.approx((1 + 2 + 3) / 3)


def test_sliced_wasserstein_with_given_directions():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((300, 3)), rng.standard_normal((200, 3)) * [1.0, 2.0, 3.0]
    # An axis direction (any length) reduces to W1 of that coordinate.
    assert sliced_wasserstein(x, y, np.array([[0.0, 0.0, 5.0]])) == pytest.approx(
        scipy.stats.wasserstein_distance(x[:, 2], y[:, 2]), rel=1e-4
    )
    # Several directions: the mean of the projected W1s.
    directions = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    expected = np.mean([scipy.stats.wasserstein_distance(x @ d, y @ d) for d in directions])
    assert sliced_wasserstein(x, y, directions) == pytest.approx(expected, rel=1e-4)


def test_sliced_wasserstein_random_directions_are_seeded():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((100, 4)), rng.standard_normal((100, 4)) + 1.0
    first = sliced_wasserstein(x, y, 30, key=7)
    assert sliced_wasserstein(x, y, 30, key=7) == first
    assert sliced_wasserstein(x, y, 30, key=8) != first
    # A shift by s = (1, 1, 1, 1): W1 along θ is ≈ |θ·s|, and E|θ·s| = ‖s‖ E|θ_1| = 2 Γ(2)/(√π Γ(5/2)) ≈ 0.85.
    assert 0.6 < first < 1.1
    # In one dimension every direction is ±1.
    assert sliced_wasserstein(x[:, :1], y[:, :1], 5) == pytest.approx(wasserstein_1d(x[:, 0], y[:, 0]))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: wasserstein_1d(np.zeros((3, 2)), np.zeros(3)), "1-D array"),
        (lambda: wasserstein_1d(np.array([np.inf]), np.zeros(3)), "NaN or infinite"),
        (lambda: sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 3)), 4), "widths differ"),
        (lambda: sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), 0), "positive count"),
        (lambda: sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((1, 2))), "non-zero"),
        (lambda: sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), np.ones((1, 3))), r"\[P, 2\]"),
    ],
)
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
