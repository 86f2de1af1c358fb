"""Kernels and the one MMD estimator shared by the MMD-GAN objective and the KID/MMD metrics.

A kernel is a function `(x [m, d], y [n, d]) -> Gram matrix [m, n]`. `mmd2` takes a kernel
and two samples and returns the biased or unbiased estimate of the squared maximum mean
discrepancy (Gretton et al. 2012):

    MMD²_u = Σ_{i≠j} k(x_i,x_j) / (m(m-1)) + Σ_{i≠j} k(y_i,y_j) / (n(n-1)) - 2 Σ_{i,j} k(x_i,y_j) / (mn)

The biased estimator keeps the diagonals and divides by m² and n².
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

Kernel = Callable[[jax.Array, jax.Array], jax.Array]

MMD_GAN_BANDWIDTHS = (1.0, 2.0, 4.0, 8.0, 16.0)  # Li et al. 2017


def _squared_distances(x: jax.Array, y: jax.Array) -> jax.Array:
    x_sq = jnp.sum(x * x, axis=-1)
    y_sq = jnp.sum(y * y, axis=-1)
    # Clamped: cancellation can make the expanded form slightly negative.
    return jnp.maximum(x_sq[:, None] + y_sq[None, :] - 2.0 * x @ y.T, 0.0)


def rbf_kernel(bandwidths: Sequence[float] | float = MMD_GAN_BANDWIDTHS) -> Kernel:
    """Sum of Gaussian kernels `Σ_σ exp(-‖x-y‖² / (2σ²))` over the given bandwidths σ."""
    if isinstance(bandwidths, (int, float)):
        bandwidths = (float(bandwidths),)
    bandwidths = tuple(float(b) for b in bandwidths)
    if not bandwidths:
        raise ValueError("rbf_kernel: `bandwidths` is empty; pass one or more positive floats.")
    if any(b <= 0 for b in bandwidths):
        raise ValueError(f"rbf_kernel: `bandwidths` must all be positive; got {bandwidths}.")

    def kernel(x: jax.Array, y: jax.Array) -> jax.Array:
        d2 = _squared_distances(x, y)
        return sum(jnp.exp(-d2 / (2.0 * b * b)) for b in bandwidths)

    return kernel


def polynomial_kernel(degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> Kernel:
    """`(γ xᵀy + c)^degree`; γ defaults to 1/d (the KID kernel of Bińkowski et al. 2018)."""
    if degree < 1:
        raise ValueError(f"polynomial_kernel: `degree` must be a positive integer; got {degree}.")

    def kernel(x: jax.Array, y: jax.Array) -> jax.Array:
        g = 1.0 / x.shape[-1] if gamma is None else gamma
        return (g * (x @ y.T) + coef0) ** degree

    return kernel


def mmd2(x: jax.Array, y: jax.Array, *, kernel: Kernel | None = None, unbiased: bool = True) -> jax.Array:
    """Squared MMD between samples `x [m, d]` and `y [n, d]` under `kernel` (float32).

    `kernel` defaults to the MMD-GAN sum of RBF kernels. The unbiased estimator needs at
    least two examples on each side.
    """
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"mmd2: samples must be [num_examples, features]; got shapes {x.shape} and {y.shape}.")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"mmd2: feature widths differ ({x.shape[1]} vs {y.shape[1]}); both samples need the same width."
        )
    m, n = x.shape[0], y.shape[0]
    if unbiased and (m < 2 or n < 2):
        raise ValueError(f"mmd2: the unbiased estimator needs at least 2 examples per sample; got {m} and {n}.")
    kernel = rbf_kernel() if kernel is None else kernel
    x = jnp.asarray(x, jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    if unbiased:
        xx = (jnp.sum(k_xx) - jnp.trace(k_xx)) / (m * (m - 1))
        yy = (jnp.sum(k_yy) - jnp.trace(k_yy)) / (n * (n - 1))
    else:
        xx = jnp.mean(k_xx)
        yy = jnp.mean(k_yy)
    return xx + yy - 2.0 * jnp.mean(k_xy)
