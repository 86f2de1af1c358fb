"""Data parallelism: the per-device step over a 1-D device mesh (axis `data`).

The step (written with `axis_name`) runs under `jax.shard_map` inside `jax.jit`: the state is
replicated, the batch is sharded along its example axis, and gradients, batch statistics and
the objective's whole-batch statistics are combined over `data` inside the step. The same
per-device function also runs under `jax.pmap(..., axis_name="data")`; `pmap_call` exists so
that a test can show both give the same result. Across hosts the mesh spans every process's
devices (after `jax.distributed.initialize`), and each process feeds only its own shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

AXIS = "data"
PyTree = Any

# Batches are stacked [steps_per_call, num_critic_steps, batch, ...]; the batch axis is sharded.
BATCH_SPEC = P(None, None, AXIS)


def make_mesh(devices: list | None = None) -> Mesh:
    """A 1-D mesh over all devices of all processes, in process order."""
    devices = jax.devices() if devices is None else devices
    return Mesh(np.asarray(devices), (AXIS,))


def check_global_batch(global_batch: int, num_devices: int, *, pack: int = 1) -> None:
    """Refuse a global batch that does not divide over the devices, before anything compiles."""
    if global_batch % num_devices:
        raise ValueError(
            f"batch_size {global_batch} does not divide over {num_devices} devices; use a multiple of {num_devices}."
        )
    local = global_batch // num_devices
    if local % pack:
        raise ValueError(
            f"the per-device batch ({local} = batch_size {global_batch} / {num_devices} devices) "
            f"must be a multiple of pack={pack}; use a batch_size that is a multiple of {num_devices * pack}."
        )


def replicate(tree: PyTree, mesh: Mesh) -> PyTree:
    """Place identical host values on every device of the mesh (every process passes the same)."""
    sharding = NamedSharding(mesh, P())
    return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), tree)


def shard_batch(tree: PyTree, mesh: Mesh, spec: P = BATCH_SPEC) -> PyTree:
    """Assemble the global batch from each process's own shard (its contiguous slice)."""
    sharding = NamedSharding(mesh, spec)
    return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), tree)


def shard_map_call(per_device_fn: Callable, mesh: Mesh, *, donate: bool = True) -> Callable:
    """`jit(shard_map(fn))` for `fn(state, batches) -> (state, metrics)`.

    State in and out replicated, batches sharded, metrics replicated (the step pmeans them).
    The state's buffers are donated: the caller must not reuse the state it passed.
    """
    mapped = jax.shard_map(per_device_fn, mesh=mesh, in_specs=(P(), BATCH_SPEC), out_specs=(P(), P()), check_vma=False)
    return jax.jit(mapped, donate_argnums=(0,) if donate else ())


def shard_map_gather_call(per_device_fn: Callable, mesh: Mesh, *, donate: bool = True) -> Callable:
    """Like `shard_map_call`, for a dataset kept on the device: `fn(state, arrays, indices)`.

    The dataset's arrays are replicated; the indices `[K, n_critic, B]` are sharded, and each
    device gathers its own examples inside the program.
    """

    def gathered(state, arrays, indices):
        batches = jax.tree.map(lambda a: jnp.take(a, indices, axis=0), arrays)
        # Materialise the batch: fused into D's first convolution, the gather would turn
        # it into a naive loop on CPU (50x slower for the seed DCGAN).
        batches = jax.lax.optimization_barrier(batches)
        return per_device_fn(state, batches)

    mapped = jax.shard_map(gathered, mesh=mesh, in_specs=(P(), P(), BATCH_SPEC), out_specs=(P(), P()), check_vma=False)
    return jax.jit(mapped, donate_argnums=(0,) if donate else ())


def pmap_call(per_device_fn: Callable) -> Callable:
    """The same per-device function under `jax.pmap` (in maintenance mode; kept for comparison).

    Takes the state with a leading device axis and batches `[devices, K, n_critic, B/devices, ...]`.
    """
    return jax.pmap(per_device_fn, axis_name=AXIS)


def split_for_pmap(batches: PyTree, num_devices: int) -> PyTree:
    """`[K, n, B, ...] -> [devices, K, n, B/devices, ...]`, each device its contiguous slice."""

    def split(x):
        k, n, b, *rest = x.shape
        x = x.reshape(k, n, num_devices, b // num_devices, *rest)
        return jnp.moveaxis(x, 2, 0)

    return jax.tree.map(split, batches)
