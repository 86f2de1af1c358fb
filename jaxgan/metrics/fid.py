"""Fréchet Inception Distance and Kernel Inception Distance on feature vectors.

Both take features (e.g. InceptionV3 pool3, or the small classifier's penultimate layer) of
real and generated examples, `[num_examples, width]`, and return Python floats.

FID (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium") is the Fréchet (W2) distance between Gaussians fitted to the features:

    FID = ‖μ1 - μ2‖² + Tr(Σ1 + Σ2 - 2 (Σ1^½ Σ2 Σ1^½)^½)

`Tr((Σ1^½ Σ2 Σ1^½)^½)` equals the usual `Tr((Σ1 Σ2)^½)` (the two matrices are similar) but
is the square root of a symmetric positive semi-definite matrix, so it is computed from
real eigenvalues (`numpy.linalg.eigh`, float64, on the host) with no complex round-off.

KID (Bińkowski et al. 2018, "Demystifying MMD GANs") is the unbiased MMD² under the cubic
polynomial kernel `k(x, y) = (xᵀy / d + 1)³`, averaged over random subsets.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import kernels


class KID(NamedTuple):
    mean: float
    std: float


def check_features(real_feats, fake_feats, *, metric: str, min_examples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Both feature sets as float64 `[n, width]` arrays, checked for shape, width, size and finiteness."""
    real = np.asarray(real_feats, dtype=np.float64)
    fake = np.asarray(fake_feats, dtype=np.float64)
    for name, feats in (("real_feats", real), ("fake_feats", fake)):
        if feats.ndim != 2:
            raise ValueError(f"{metric}: `{name}` must be a 2-D array [num_examples, width]; got shape {feats.shape}.")
        if feats.shape[0] < min_examples:
            raise ValueError(f"{metric}: `{name}` has {feats.shape[0]} examples; at least {min_examples} are needed.")
        if not np.all(np.isfinite(feats)):
            raise ValueError(f"{metric}: `{name}` contains NaN or infinite values; only finite features are accepted.")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"{metric}: feature widths differ ({real.shape[1]} real vs {fake.shape[1]} fake); both need the same width."
        )
    return real, fake


def feature_moments(feats) -> tuple[np.ndarray, np.ndarray]:
    """Mean `[d]` and unbiased covariance `[d, d]` (divides by n - 1) of `feats [n, d]`, float64."""
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise ValueError(
            f"feature_moments: `feats` must be [num_examples >= 2, width] for a covariance; got shape {feats.shape}."
        )
    return feats.mean(axis=0), np.cov(feats, rowvar=False).reshape(feats.shape[1], feats.shape[1])


def _symmetric_eigh(matrix: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a covariance, clipping round-off negatives; rejects non-PSD input."""
    scale = max(float(np.max(np.abs(matrix))), np.finfo(np.float64).tiny)
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-8 * scale):
        raise ValueError(f"fid_from_moments: `{name}` must be a symmetric covariance matrix.")
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    # Eigenvalues of a PSD matrix come out of eigh accurate to ~d·ε·‖Σ‖; below that they are noise.
    tolerance = matrix.shape[0] * np.finfo(np.float64).eps * max(float(np.max(np.abs(values))), 1e-300) * 10
    if values.min() < -1e3 * tolerance:
        raise ValueError(
            f"fid_from_moments: `{name}` is not positive semi-definite (smallest eigenvalue "
            f"{values.min():.3g}); pass a covariance matrix."
        )
    return np.clip(values, 0.0, None), vectors


def _is_singular(eigenvalues: np.ndarray) -> bool:
    top = max(float(np.max(np.abs(eigenvalues))), np.finfo(np.float64).tiny)
    return bool(eigenvalues.min() <= eigenvalues.shape[0] * np.finfo(np.float64).eps * top)


def fid_from_moments(mu1, sigma1, mu2, sigma2, *, eps: float = 1e-6) -> float:
    """Fréchet distance `‖μ1-μ2‖² + Tr(Σ1 + Σ2 - 2 (Σ1^½ Σ2 Σ1^½)^½)` between two Gaussians.

    This is W2² between N(μ1, Σ1) and N(μ2, Σ2) (Dowson & Landau 1982). Computed in float64.
    When either covariance is singular (e.g. fewer examples than feature dimensions),
    `eps·I` is added to both before the square root and a warning says so; the symmetric
    eigenvalue route needs no inverse, so this only guards the accuracy of the near-zero
    eigenvalues. `eps=0` turns the regularisation off.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.ndim != 1 or mu1.shape != mu2.shape:
        raise ValueError(
            f"fid_from_moments: `mu1` and `mu2` must be vectors of one length; got {mu1.shape} and {mu2.shape}."
        )
    d = mu1.shape[0]
    if sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"fid_from_moments: covariances must be [{d}, {d}] to match the means; got {sigma1.shape} and {sigma2.shape}."
        )
    if eps < 0:
        raise ValueError(f"fid_from_moments: `eps` must be >= 0; got {eps}.")
    if not all(np.all(np.isfinite(a)) for a in (mu1, mu2, sigma1, sigma2)):
        raise ValueError("fid_from_moments: means and covariances must be finite.")
    values1, vectors1 = _symmetric_eigh(sigma1, "sigma1")
    values2, _ = _symmetric_eigh(sigma2, "sigma2")
    if eps > 0 and (_is_singular(values1) or _is_singular(values2)):
        warnings.warn(
            f"fid: a feature covariance is singular; adding eps={eps:g} times the identity to both covariances.",
            RuntimeWarning,
            stacklevel=2,
        )
        sigma1, values1 = sigma1 + eps * np.eye(d), values1 + eps
        sigma2 = sigma2 + eps * np.eye(d)
    # Tr((Σ1^½ Σ2 Σ1^½)^½) = Tr((Σ1 Σ2)^½): the square root of a symmetric PSD matrix.
    sqrt_sigma1 = (vectors1 * np.sqrt(values1)) @ vectors1.T
    inner = sqrt_sigma1 @ sigma2 @ sqrt_sigma1
    inner_values = np.linalg.eigvalsh((inner + inner.T) / 2)
    trace_sqrt = float(np.sum(np.sqrt(np.clip(inner_values, 0.0, None))))
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    # The exact value is >= 0; round-off on identical inputs can leave a tiny negative.
    return max(value, 0.0)


def fid(real_feats, fake_feats, *, eps: float = 1e-6) -> float:
    """FID between feature sets `real_feats [m, d]` and `fake_feats [n, d]` (m, n >= 2).

    `‖μ_r - μ_f‖² + Tr(Σ_r + Σ_f - 2 (Σ_r Σ_f)^½)` with sample means and unbiased sample
    covariances; Heusel et al. 2017. See `fid_from_moments` for the square root and `eps`.
    """
    real, fake = check_features(real_feats, fake_feats, metric="fid")
    mu1, sigma1 = feature_moments(real)
    mu2, sigma2 = feature_moments(fake)
    return fid_from_moments(mu1, sigma1, mu2, sigma2, eps=eps)


def _subset_mmd2(real: jax.Array, fake: jax.Array, real_idx: jax.Array, fake_idx: jax.Array) -> jax.Array:
    kernel = kernels.polynomial_kernel(degree=3, coef0=1.0)

    def one(indices):
        r, f = indices
        return kernels.mmd2(real[r], fake[f], kernel=kernel, unbiased=True)

    # Sequential over subsets: a vmap would hold every subset's Gram matrices at once.
    return jax.lax.map(one, (real_idx, fake_idx))


_subset_mmd2_jit = jax.jit(_subset_mmd2)


def kid(real_feats, fake_feats, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> KID:
    """Kernel Inception Distance: mean and std of the unbiased MMD² over random subsets.

    `k(x, y) = (xᵀy / d + 1)³` (Bińkowski et al. 2018), through `jaxgan.kernels.mmd2`, the
    estimator the MMD objective uses. Each of `subsets` draws `subset_size` real and
    `subset_size` fake examples without replacement (numpy generator seeded by `seed`);
    `subset_size` is clamped to the smaller sample size. Returns `KID(mean, std)`.
    """
    if isinstance(subsets, bool) or not isinstance(subsets, (int, np.integer)) or subsets < 1:
        raise ValueError(f"kid: `subsets` must be a positive integer; got {subsets!r}.")
    if isinstance(subset_size, bool) or not isinstance(subset_size, (int, np.integer)) or subset_size < 2:
        raise ValueError(f"kid: `subset_size` must be an integer >= 2; got {subset_size!r}.")
    real, fake = check_features(real_feats, fake_feats, metric="kid")
    size = int(min(subset_size, real.shape[0], fake.shape[0]))
    rng = np.random.default_rng(seed)
    real_idx = np.stack([rng.choice(real.shape[0], size, replace=False) for _ in range(subsets)])
    fake_idx = np.stack([rng.choice(fake.shape[0], size, replace=False) for _ in range(subsets)])
    values = np.asarray(
        _subset_mmd2_jit(
            jnp.asarray(real, jnp.float32), jnp.asarray(fake, jnp.float32), jnp.asarray(real_idx), jnp.asarray(fake_idx)
        ),
        dtype=np.float64,
    )
    return KID(float(values.mean()), float(values.std()))
