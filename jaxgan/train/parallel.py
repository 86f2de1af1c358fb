"""Data parallelism: the per-device step over a 1-D device mesh (axis `data`).

The step (written with `axis_name`) runs under `jax.shard_map` inside `jax.jit`: the state is
replicated, the batch is sharded along its example axis, and gradients, batch statistics and
the objective's whole-batch statistics are combined over `data` inside the step (the call is
built by `feeding.make_call`). The same per-device function also runs under
`jax.pmap(..., axis_name="data")`; `pmap_call` exists so that a test can show both give the
same result. Across hosts the mesh spans every process's devices (after
`jax.distributed.initialize`), and each process feeds only its own shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

AXIS = "data"
PyTree = Any

# A call's batches are stacked [steps_per_call, runs, batches_per_step, batch, ...]; the batch
# axis is sharded.
BATCH_SPEC = P(None, None, None, AXIS)


def make_mesh(devices: list | None = None) -> Mesh:
    """A 1-D mesh (`jax.make_mesh`) over `devices` (default: all devices of all processes).

    The devices are in process order, each process's devices next to each other (in the order
    `jax.make_mesh` chose for them): each process feeds a contiguous slice of the global batch
    (`shard_batch`), and example i of the global batch is on device `i // local_batch`.
    """
    devices = jax.devices() if devices is None else list(devices)
    # Auto axes: the step is per device under shard_map; nothing outside it is sharded by type.
    mesh = jax.make_mesh((len(devices),), (AXIS,), axis_types=(AxisType.Auto,), devices=devices)
    ordered = sorted(mesh.devices.flat, key=lambda device: device.process_index)  # a stable sort
    if ordered != list(mesh.devices.flat):
        mesh = Mesh(np.asarray(ordered), (AXIS,), axis_types=(AxisType.Auto,))
    return mesh


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
