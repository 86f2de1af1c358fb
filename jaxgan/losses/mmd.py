"""MMD-GAN (Li et al. 2017): D embeds examples, the objective is MMD² between the embeddings.

D's outputs are feature vectors `[B, F]`. Under the sum of Gaussian kernels
`k(x, y) = Σ_σ exp(-‖x-y‖²/(2σ²))`, σ ∈ `bandwidths` (default {1, 2, 4, 8, 16}),

    D loss  -MMD²(d_real, d_fake)      (D maximises the discrepancy)
    G loss   MMD²(d_real, d_fake)      (G minimises it; needs `d_real`)

MMD² is `jaxgan.kernels.mmd2`: the biased estimate by default, as in Li et al.'s reference
code, or the unbiased one with `unbiased=True` (MATH.md §3). This is the core objective only:
the paper's autoencoder terms and its one-sided feasibility penalty are not included. The
estimator has no weighted form, so `real_weights`/`fake_weights` must be None.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jax

from jaxgan import kernels
from jaxgan.losses._base import as_float, require_no_weights

ArrayLike = jax.typing.ArrayLike


def check_bandwidths(bandwidths) -> tuple[float, ...]:
    """`bandwidths` as a tuple of positive floats (one number is one bandwidth)."""
    message = f"mmd: `bandwidths` must be a non-empty sequence of positive floats; got {bandwidths!r}."
    if isinstance(bandwidths, (int, float)):
        bandwidths = (bandwidths,)
    if isinstance(bandwidths, (str, bytes)) or not isinstance(bandwidths, Iterable):
        raise ValueError(message)
    values = []
    for bandwidth in bandwidths:
        try:
            values.append(float(bandwidth))
        except (TypeError, ValueError):
            raise ValueError(message) from None
    if not values or not all(value > 0 for value in values):
        raise ValueError(message)
    return tuple(values)


def check_unbiased(unbiased) -> None:
    if not isinstance(unbiased, bool):
        raise ValueError(f"mmd: `unbiased` must be True or False; got {unbiased!r}.")


def _mmd2(d_real, d_fake, bandwidths, unbiased) -> jax.Array:
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    if d_real.ndim != 2 or d_fake.ndim != 2:
        raise ValueError(
            f"mmd: discriminator outputs must be feature vectors [B, F]; got shapes {d_real.shape} and {d_fake.shape}."
        )
    check_unbiased(unbiased)
    kernel = kernels.rbf_kernel(check_bandwidths(bandwidths))
    return kernels.mmd2(d_real, d_fake, kernel=kernel, unbiased=unbiased)


def mmd_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    bandwidths: Sequence[float] = kernels.MMD_GAN_BANDWIDTHS,
    unbiased: bool = False,
    real_weights: None = None,
    fake_weights: None = None,
) -> jax.Array:
    """MMD-GAN D loss `-MMD²(d_real, d_fake)` under a sum of RBF kernels (Li et al. 2017)."""
    require_no_weights("mmd", real_weights=real_weights, fake_weights=fake_weights)
    return -_mmd2(d_real, d_fake, bandwidths, unbiased)


def mmd_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    bandwidths: Sequence[float] = kernels.MMD_GAN_BANDWIDTHS,
    unbiased: bool = False,
    real_weights: None = None,
    fake_weights: None = None,
) -> jax.Array:
    """MMD-GAN G loss `MMD²(d_real, d_fake)` under a sum of RBF kernels (Li et al. 2017); needs `d_real`."""
    if d_real is None:
        raise ValueError("mmd: the generator loss needs `d_real` (D's features of real data); got None.")
    require_no_weights("mmd", real_weights=real_weights, fake_weights=fake_weights)
    return _mmd2(d_real, d_fake, bandwidths, unbiased)
