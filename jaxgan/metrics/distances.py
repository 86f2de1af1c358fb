"""Sample distances: MMD² (the shared estimator), 1-D Wasserstein-1 and sliced Wasserstein-1.

All return Python floats.
"""

from __future__ import annotations

import jax
import numpy as np

from jaxgan import kernels
from jaxgan.kernels import Kernel, polynomial_kernel, rbf_kernel

# The kernels are re-exported so a caller of `mmd2` needs one import.
__all__ = [
    "Kernel",
    "mmd2",
    "polynomial_kernel",
    "random_directions",
    "rbf_kernel",
    "sliced_wasserstein",
    "wasserstein_1d",
]


def mmd2(x, y, *, kernel: Kernel | None = None, unbiased: bool = True) -> float:
    """Squared MMD between `x [m, d]` and `y [n, d]` (Gretton et al. 2012), as a float.

    `MMD²_u = Σ_{i≠j} k(x_i,x_j)/(m(m-1)) + Σ_{i≠j} k(y_i,y_j)/(n(n-1)) - 2 Σ_{i,j} k(x_i,y_j)/(mn)`
    (biased: keep the diagonals, divide by m² and n²). A thin wrapper of `jaxgan.kernels.mmd2`,
    the one estimator shared with the MMD-GAN objective and KID; `kernel` defaults to the
    MMD-GAN sum of RBF kernels with σ ∈ {1, 2, 4, 8, 16} (Li et al. 2017).
    """
    return float(_mmd2_jit(np.asarray(x, np.float32), np.asarray(y, np.float32), kernel=kernel, unbiased=unbiased))


# Compiled once per (shapes, kernel object, unbiased); eagerly every op would compile alone.
_mmd2_jit = jax.jit(kernels.mmd2, static_argnames=("kernel", "unbiased"))


def _check_samples(x, y, *, metric: str, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    shape = "[num_examples]" if ndim == 1 else "[num_examples, dims]"
    for name, a in (("x", x), ("y", y)):
        if a.ndim != ndim or a.shape[0] < 1:
            raise ValueError(f"{metric}: `{name}` must be a non-empty {ndim}-D array {shape}; got shape {a.shape}.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{metric}: `{name}` contains NaN or infinite values; only finite samples are accepted.")
    if ndim == 2 and x.shape[1] != y.shape[1]:
        raise ValueError(f"{metric}: sample widths differ ({x.shape[1]} vs {y.shape[1]}); both need the same width.")
    return x, y


def _w1_sorted(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """W1 between the columns of sorted `xs [n, P]` and `ys [m, P]`: ∫₀¹ |F⁻¹(t) - G⁻¹(t)| dt."""
    n, m = xs.shape[0], ys.shape[0]
    if n == m:
        return np.mean(np.abs(xs - ys), axis=0)
    # Both quantile functions are constant between consecutive points of {i/n} ∪ {j/m}.
    breaks = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    widths = np.diff(breaks, prepend=0.0)
    middles = breaks - widths / 2
    ix = np.minimum((middles * n).astype(np.int64), n - 1)
    iy = np.minimum((middles * m).astype(np.int64), m - 1)
    return np.sum(widths[:, None] * np.abs(xs[ix] - ys[iy]), axis=0)


def wasserstein_1d(x, y) -> float:
    """Wasserstein-1 distance between the empirical distributions of 1-D samples `x [n]`, `y [m]`.

    `W1 = ∫₀¹ |F⁻¹(t) - G⁻¹(t)| dt`, which for n = m is `mean |sorted(x) - sorted(y)|`.
    Example: W1(N(0,1), N(1, σ=2)) = 1.16663.
    """
    x, y = _check_samples(x, y, metric="wasserstein_1d", ndim=1)
    return float(_w1_sorted(np.sort(x)[:, None], np.sort(y)[:, None])[0])


def random_directions(num_directions: int, dims: int, *, key: jax.Array | int = 0) -> np.ndarray:
    """`num_directions` unit vectors in R^dims drawn uniformly on the sphere (normalised Gaussians)."""
    if isinstance(key, (int, np.integer)):
        key = jax.random.key(int(key))
    gaussian = np.asarray(jax.random.normal(key, (num_directions, dims)), np.float64)
    return gaussian / np.linalg.norm(gaussian, axis=1, keepdims=True)


def sliced_wasserstein(x, y, projections: int | np.ndarray = 50, *, key: jax.Array | int = 0) -> float:
    """Sliced Wasserstein-1: the mean over directions θ of `W1(θᵀx, θᵀy)`.

    Rabin et al. 2011; Deshpande et al. 2018. `projections` is either a count of random
    unit directions drawn from `key` (a `jax.random` key or an int seed), or an array of
    directions `[P, d]`, each normalised to unit length here.
    """
    x, y = _check_samples(x, y, metric="sliced_wasserstein", ndim=2)
    dims = x.shape[1]
    if isinstance(projections, (int, np.integer)) and not isinstance(projections, bool):
        if projections < 1:
            raise ValueError(
                f"sliced_wasserstein: `projections` must be a positive count or an array of directions; got {projections}."
            )
        directions = random_directions(int(projections), dims, key=key)
    else:
        directions = np.asarray(projections, dtype=np.float64)
        if directions.ndim == 1:
            directions = directions[None]
        if directions.ndim != 2 or directions.shape[1] != dims or directions.shape[0] < 1:
            raise ValueError(
                f"sliced_wasserstein: `projections` as directions must have shape [P, {dims}]; got {np.shape(projections)}."
            )
        norms = np.linalg.norm(directions, axis=1, keepdims=True)
        if not np.all(np.isfinite(directions)) or np.any(norms == 0):
            raise ValueError("sliced_wasserstein: every direction in `projections` must be finite and non-zero.")
        directions = directions / norms
    projected_x = np.sort(x @ directions.T, axis=0)
    projected_y = np.sort(y @ directions.T, axis=0)
    return float(np.mean(_w1_sorted(projected_x, projected_y)))
