"""Mode coverage of samples from a Gaussian mixture with known centres (the PacGAN protocol).

Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks"
(following Metz et al. 2017 and Srivastava et al. 2017): each sample is assigned to its
nearest mode in units of the mode's standard deviation; it is high quality (HQ) when that
distance is below `threshold` (3) standard deviations. Reported on 2,500 samples.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class ModeCoverage(NamedTuple):
    modes: int  # modes with at least one HQ sample
    high_quality_fraction: float  # HQ samples / all samples
    reverse_kl: float  # Σ_k p_k log(K p_k) over the HQ histogram; inf when no sample is HQ


def mode_coverage(samples, centers, std, *, threshold: float = 3.0) -> ModeCoverage:
    """Modes captured, fraction of high-quality samples and reverse KL to the uniform mixture.

    With `samples [n, d]`, `centers [K, d]` and `std` (a float, or one per mode `[K]`):
    `dist_k(x) = ‖x - c_k‖ / std_k`; `x` belongs to `argmin_k dist_k(x)` and is HQ when
    `min_k dist_k(x) < threshold`. `p_k` is the share of HQ samples at mode k, and
    `reverse_kl = KL(p ‖ uniform) = Σ_{k: p_k > 0} p_k log(K p_k)`.
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[0] < 1:
        raise ValueError(f"mode_coverage: `centers` must be [num_modes, dims]; got shape {centers.shape}.")
    if samples.ndim != 2 or samples.shape[0] < 1 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"mode_coverage: `samples` must be [num_samples, {centers.shape[1]}] to match `centers`; got shape {samples.shape}."
        )
    if not np.all(np.isfinite(samples)):
        raise ValueError("mode_coverage: `samples` contains NaN or infinite values; only finite samples are accepted.")
    num_modes = centers.shape[0]
    std = np.asarray(std, dtype=np.float64)
    if std.ndim == 0:
        std = np.full(num_modes, std)
    if std.shape != (num_modes,) or not np.all(std > 0):
        raise ValueError(f"mode_coverage: `std` must be a positive float or {num_modes} positive floats, one per mode.")
    if not threshold > 0:
        raise ValueError(
            f"mode_coverage: `threshold` must be a positive number of standard deviations; got {threshold}."
        )

    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1) / std[None, :]
    nearest = np.argmin(distances, axis=1)
    high_quality = distances[np.arange(samples.shape[0]), nearest] < threshold
    counts = np.bincount(nearest[high_quality], minlength=num_modes)
    num_high_quality = int(counts.sum())
    if num_high_quality == 0:
        reverse_kl = float("inf")
    else:
        p = counts[counts > 0] / num_high_quality
        reverse_kl = float(np.sum(p * np.log(num_modes * p)))
    return ModeCoverage(
        modes=int(np.count_nonzero(counts)),
        high_quality_fraction=num_high_quality / samples.shape[0],
        reverse_kl=reverse_kl,
    )
