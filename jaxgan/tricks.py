"""Batch transformations the step applies around D: PacGAN packing and per-example randomness."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax


def pack(x: jax.Array, num_packed: int) -> jax.Array:
    """PacGAN (Lin et al. 2018): `num_packed` consecutive examples concatenated into one.

    `[B, ..., C] -> [B / m, ..., m·C]`: vectors are concatenated, images stacked along
    channels, so D sees m samples at once, all real or all generated.
    """
    if num_packed == 1:
        return x
    batch, *rest = x.shape
    if batch % num_packed:
        raise ValueError(f"pack: the batch ({batch}) must be a multiple of `pack` ({num_packed}).")
    x = x.reshape(batch // num_packed, num_packed, *rest)
    x = jnp.moveaxis(x, 1, -2)
    return x.reshape(batch // num_packed, *rest[:-1], num_packed * rest[-1])


def example_offset(local_batch: int, axis_name: str | None) -> jax.Array:
    """Global index of this device's first example (0 on one device)."""
    if axis_name is None:
        return jnp.zeros((), jnp.int32)
    return lax.axis_index(axis_name) * local_batch


def per_example_keys(key: jax.Array, local_batch: int, axis_name: str | None) -> jax.Array:
    """One key per example, drawn from the example's global index.

    The randomness of an example is then the same however the global batch is split over
    devices, which is what makes 1, 2, 4 and 8 devices give the same parameters.
    """
    index = example_offset(local_batch, axis_name) + jnp.arange(local_batch)
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(index)


def gather_global(x: jax.Array, axis_name: str | None) -> jax.Array:
    """D's outputs over the whole global batch, on every device.

    Objectives that are not means of per-example terms (Fisher's constraint, MMD, the
    relativistic averages) then see exactly what one device would. Outputs are small
    ([B] or [B, F]), so this costs little; gradients flow back to the local shard.
    """
    if axis_name is None:
        return x
    return lax.all_gather(x, axis_name, tiled=True)
