"""FID and KID: closed forms, an independent scipy/numpy reference, bad inputs."""

import numpy as np
import pytest
import scipy.linalg

from jaxgan import kernels
from jaxgan.metrics.fid import feature_moments, fid, fid_from_moments, kid


def _reference_fid(mu1, sigma1, mu2, sigma2):
    """The pytorch-fid formula: Tr((Σ1 Σ2)^½) by scipy's sqrtm of the non-symmetric product."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    assert np.max(np.abs(np.imag(covmean))) < 1e-6
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(np.real(covmean))


def _random_covariance(rng, d, rank=None):
    factor = rng.standard_normal((d, rank or d))
    return factor @ factor.T / d + (0 if rank else 0.1 * np.eye(d))


@pytest.mark.parametrize("d", [1, 3, 64])
def test_unit_mean_shift_gives_dimension(d):
    assert fid_from_moments(np.zeros(d), np.eye(d), np.ones(d), np.eye(d)) == pytest.approx(d, rel=1e-12)


def test_identical_gaussians_give_zero():
    sigma = _random_covariance(np.random.default_rng(0), 10)
    assert fid_from_moments(np.ones(10), sigma, np.ones(10), sigma) == pytest.approx(0.0, abs=1e-10)


def test_equals_w2_for_diagonal_covariances():
    # Commuting covariances: W2² = ‖Δμ‖² + Σ_i (√a_i - √b_i)².
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)  # 5 + 5 = 10
    assert expected == 10.0
    assert fid_from_moments(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(10.0, rel=1e-12)


def test_equals_w2_formula_for_general_covariances():
    rng = np.random.default_rng(1)
    d = 6
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    sigma1, sigma2 = _random_covariance(rng, d), _random_covariance(rng, d)
    root1 = scipy.linalg.sqrtm(sigma1).real
    w2 = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * scipy.linalg.sqrtm(root1 @ sigma2 @ root1).real)
    assert fid_from_moments(mu1, sigma1, mu2, sigma2) == pytest.approx(w2, rel=1e-10)
    # Symmetric in its two arguments.
    assert fid_from_moments(mu2, sigma2, mu1, sigma1) == pytest.approx(w2, rel=1e-10)


def test_large_gaussian_samples_approach_dimension():
    rng = np.random.default_rng(2)
    real = rng.standard_normal((40_000, 4))
    fake = rng.standard_normal((40_000, 4)) + 1.0
    assert fid(real, fake) == pytest.approx(4.0, abs=0.05)


def test_matches_scipy_sqrtm_reference_on_features():
    rng = np.random.default_rng(3)
    real = rng.gamma(2.0, size=(500, 32))
    fake = rng.gamma(2.5, size=(400, 32)) @ (np.eye(32) + 0.1 * rng.standard_normal((32, 32)))
    mu1, sigma1 = real.mean(0), np.cov(real, rowvar=False)
    mu2, sigma2 = fake.mean(0), np.cov(fake, rowvar=False)
    assert fid(real, fake) == pytest.approx(_reference_fid(mu1, sigma1, mu2, sigma2), rel=1e-4)
    assert fid(real, fake) > 1.0


def test_feature_moments_are_mean_and_unbiased_covariance():
    x = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]])
    mu, sigma = feature_moments(x)
    np.testing.assert_allclose(mu, [2.0, 2.0])
    np.testing.assert_allclose(sigma, [[4.0, 3.0], [3.0, 3.0]])


def test_singular_covariances_are_regularised_with_a_warning():
    rng = np.random.default_rng(4)
    # Fewer examples than dimensions: both covariances are singular.
    real, fake = rng.standard_normal((20, 50)), rng.standard_normal((20, 50)) + 0.5
    with pytest.warns(RuntimeWarning, match="eps=1e-06"):
        value = fid(real, fake)
    mu1, sigma1 = feature_moments(real)
    mu2, sigma2 = feature_moments(fake)
    eps = 1e-6 * np.eye(50)
    assert np.isfinite(value)
    assert value == pytest.approx(_reference_fid(mu1, sigma1 + eps, mu2, sigma2 + eps), rel=1e-4)
    # Without regularisation the eigenvalue route is still finite and nearly the same.
    assert fid(real, fake, eps=0.0) == pytest.approx(value, rel=1e-4)


@pytest.mark.parametrize(
    "real, fake, match",
    [
        (np.zeros((10, 3)), np.zeros((10, 4)), "feature widths differ"),
        (np.zeros((1, 3)), np.zeros((10, 3)), "at least 2"),
        (np.zeros((10,)), np.zeros((10, 3)), "2-D array"),
        (np.full((10, 3), np.nan), np.zeros((10, 3)), "NaN"),
    ],
)
def test_bad_features_raise(real, fake, match):
    with pytest.raises(ValueError, match=match):
        fid(real, fake)
    with pytest.raises(ValueError, match=match):
        kid(real, fake)


def test_non_psd_covariance_raises():
    with pytest.raises(ValueError, match="positive semi-definite"):
        fid_from_moments(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="to match the means"):
        fid_from_moments(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


def _reference_mmd2_cubic(x, y):
    d = x.shape[1]
    k = lambda u, v: (u @ v.T / d + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * k(x, y).mean()
    )


def test_kid_on_whole_sets_matches_float64_reference_and_shared_mmd():
    rng = np.random.default_rng(5)
    real = np.abs(rng.standard_normal((300, 64)))
    fake = 1.1 * np.abs(rng.standard_normal((300, 64)))
    # subset_size is clamped to 300, so the one subset is a permutation of each whole set.
    result = kid(real, fake, subsets=1, subset_size=1000)
    assert result.std == 0.0
    assert result.mean == pytest.approx(_reference_mmd2_cubic(real, fake), rel=1e-4)
    shared = kernels.mmd2(real.astype(np.float32), fake.astype(np.float32), kernel=kernels.polynomial_kernel(3))
    # float32 both, summed in different orders: MMD² is a difference of sums of ~1 (KID's is ~0.07)
    assert result.mean == pytest.approx(float(shared), rel=1e-4)


def test_kid_subsets_mean_std_and_determinism():
    rng = np.random.default_rng(6)
    real, fake = rng.standard_normal((120, 8)), rng.standard_normal((100, 8)) + 0.3
    result = kid(real, fake, subsets=20, subset_size=50, seed=3)
    ref_rng = np.random.default_rng(3)
    real_idx = [ref_rng.choice(120, 50, replace=False) for _ in range(20)]
    fake_idx = [ref_rng.choice(100, 50, replace=False) for _ in range(20)]
    values = [_reference_mmd2_cubic(real[r], fake[f]) for r, f in zip(real_idx, fake_idx)]
    assert result.mean == pytest.approx(np.mean(values), rel=1e-4)
    assert result.std == pytest.approx(np.std(values), rel=1e-3)
    assert kid(real, fake, subsets=20, subset_size=50, seed=3) == result


def test_kid_is_near_zero_for_one_distribution():
    rng = np.random.default_rng(7)
    same = kid(rng.standard_normal((400, 16)), rng.standard_normal((400, 16)), subsets=10, subset_size=200)
    shifted = kid(rng.standard_normal((400, 16)), rng.standard_normal((400, 16)) + 1.0, subsets=10, subset_size=200)
    assert abs(same.mean) < 0.01
    assert shifted.mean > 0.5


@pytest.mark.parametrize("options", [{"subsets": 0}, {"subset_size": 1}, {"subsets": 2.5}])
def test_kid_bad_options_raise(options):
    with pytest.raises(ValueError, match="kid: `subset"):
        kid(np.zeros((10, 3)), np.zeros((10, 3)), **options)
