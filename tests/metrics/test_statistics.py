"""Streamed feature moments and the statistics file (pytorch-fid's `mu`, `sigma` layout)."""

import numpy as np
import pytest
import scipy.linalg

from jaxgan import metrics
from jaxgan.metrics import statistics


def _features(n, d, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) / np.sqrt(d) + offset


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2):
    """pytorch-fid's `calculate_frechet_distance` (fid_score.py): scipy's sqrtm of Σ1 Σ2."""
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def test_running_moments_equal_numpy_over_uneven_batches():
    feats = _features(203, 12, seed=0, offset=1e4)  # a large mean: the shifted sums keep the covariance exact
    moments = statistics.RunningMoments()
    for start, stop in ((0, 1), (1, 50), (50, 51), (51, 203)):
        moments.update(feats[start:stop])
    mu, sigma = moments.moments()
    assert moments.count == 203
    np.testing.assert_allclose(mu, feats.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(sigma, np.cov(feats, rowvar=False), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 images"):
        one = statistics.RunningMoments()
        one.update(feats[:1])
        one.moments()


def test_statistics_file_round_trip_and_pytorch_fid_formula(tmp_path):
    a, b = _features(300, 16, seed=1), _features(250, 16, seed=2, offset=0.3)
    stats_a = statistics.Statistics(*metrics.feature_moments(a), 300, "inception", a.astype(np.float32))
    path = statistics.save(tmp_path / "a.npz", stats_a, with_features=True)
    with np.load(path) as stored:  # pytorch-fid reads exactly these two arrays
        np.testing.assert_array_equal(stored["mu"], stats_a.mu)
        np.testing.assert_array_equal(stored["sigma"], stats_a.sigma)
    loaded = statistics.load(path)
    assert (loaded.num, loaded.features_name) == (300, "inception")
    np.testing.assert_array_equal(loaded.features, a.astype(np.float32))
    mu_b, sigma_b = metrics.feature_moments(b)
    from_file = metrics.fid_from_moments(loaded.mu, loaded.sigma, mu_b, sigma_b)
    assert from_file == metrics.fid(a, b)
    np.testing.assert_allclose(from_file, pytorch_fid_distance(loaded.mu, loaded.sigma, mu_b, sigma_b), rtol=1e-9)
    # A file of pytorch-fid's own (mu and sigma only) reads as Inception statistics.
    np.savez(tmp_path / "theirs.npz", mu=mu_b, sigma=sigma_b)
    theirs = statistics.load(tmp_path / "theirs.npz")
    assert (theirs.num, theirs.features_name, theirs.features) == (0, "inception", None)
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match=r"holds no statistics \(its arrays are \['x'\]\)"):
        statistics.load(tmp_path / "other.npz")
