"""The device mesh: runs divided over axis `runs`, each run's batch over axis `data`.

The step (written with `axis_name`) runs under `jax.shard_map` inside `jax.jit`: each run's
state is on the devices of its row of the mesh (replicated along `data`), its batch is sharded
along its example axis, and gradients, batch statistics and the objective's whole-batch
statistics are combined over `data` inside the step (the call is built by `feeding.make_call`).
No collective crosses `runs`: the runs of a launch (`config.num_seeds`, a sweep) are
independent, so dividing them over devices (`config.run_devices`) changes no value; on a CPU,
where a device is a thread of execution, it is how one program of many runs uses every core.

The same per-device function also runs under `jax.pmap(..., axis_name="data")`; `pmap_call`
exists so that a test can show both give the same result. Across hosts the mesh spans every
process's devices (after `jax.distributed.initialize`), and each process feeds only its own shard.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

AXIS = "data"
RUNS = "runs"
PyTree = Any

# A call's batches are stacked [steps_per_call, runs, batches_per_step, batch, ...]: the run axis
# divided over `runs`, the batch axis over `data`.
BATCH_SPEC = P(None, RUNS, None, AXIS)
# The run axis of anything stacked [runs, ...] (a state's fields, datasets of their own per run).
RUN_SPEC = P(RUNS)


def make_mesh(devices: list | None = None, run_devices: int = 1) -> Mesh:
    """A mesh `(runs, data)` of shape `(run_devices, devices / run_devices)` (`jax.make_mesh`)
    over `devices` (default: all devices of all processes).

    The devices are in process order, each process's devices next to each other (in the order
    `jax.make_mesh` chose for them): each process feeds a contiguous slice of the global batch
    (`shard_batch`), and example i of the global batch is on device `i // local_batch` of the
    run's row. `run_devices` > 1 only within one process (`check_run_devices`).
    """
    devices = jax.devices() if devices is None else list(devices)
    shape = (run_devices, len(devices) // run_devices)
    # Auto axes: the step is per device under shard_map; nothing outside it is sharded by type.
    mesh = jax.make_mesh(shape, (RUNS, AXIS), axis_types=(AxisType.Auto,) * 2, devices=devices)
    ordered = sorted(mesh.devices.flat, key=lambda device: device.process_index)  # a stable sort
    if ordered != list(mesh.devices.flat):
        mesh = Mesh(np.asarray(ordered).reshape(shape), (RUNS, AXIS), axis_types=(AxisType.Auto,) * 2)
    return mesh


def data_size(mesh: Mesh) -> int:
    """The devices each run's batch is divided over."""
    return mesh.shape[AXIS]


def check_run_devices(setting, num_runs: int, devices: list) -> int:
    """The devices the runs are divided over (`config.run_devices`); 0 chooses: on a CPU in one
    process, the most that divide both the runs and the devices; elsewhere 1 (every device
    trains every run on its slice of the batch, the runs vmapped). Refused in one sentence
    before anything compiles when the runs or the devices do not divide."""
    if not isinstance(setting, int) or isinstance(setting, bool) or setting < 0:
        raise ValueError(
            f"config.run_devices must be a non-negative integer (0: chosen per platform); got {setting!r}."
        )
    count = len(devices)
    if setting == 0:
        on_cpu = all(device.platform == "cpu" for device in devices)
        return math.gcd(num_runs, count) if on_cpu and jax.process_count() == 1 else 1
    if num_runs % setting or count % setting:
        raise ValueError(
            f"config.run_devices={setting} must divide both the runs ({num_runs}) and the devices ({count}); "
            f"use one of {[d for d in range(1, count + 1) if num_runs % d == 0 and count % d == 0]} or 0 (chosen)."
        )
    if setting > 1 and jax.process_count() > 1:
        raise ValueError(
            f"config.run_devices={setting} divides the runs over the devices of one process; across "
            f"{jax.process_count()} processes every device trains every run: use 1 or 0 (chosen)."
        )
    return setting


def cpu_devices_for_runs(num_runs: int, run_devices: int = 0) -> int | None:
    """On a CPU, one device per core that the runs divide over (`jax_num_cpu_devices`), so that
    one program of `num_runs` runs uses every core as separate processes would; with
    `run_devices` > 0 (`config.run_devices` given) that many. Call before JAX initialises its
    backends. Leaves a device count the user set (`jax_num_cpu_devices`,
    `--xla_force_host_platform_device_count`) alone; returns the count set, or None."""
    if (
        num_runs < 2
        or jax.config.jax_num_cpu_devices >= 0
        or "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
    ):
        return None
    if run_devices > 0:  # as many as asked for (whether they divide the runs is checked in `setup`)
        count = run_devices
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        count = max(d for d in range(1, min(cores, num_runs) + 1) if num_runs % d == 0)
    if count < 2:
        return None
    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError:  # the backends are up already (an earlier JAX call): the devices stay as they are
        return None
    return count


def check_global_batch(global_batch: int, num_devices: int, *, pack: int = 1) -> None:
    """Refuse a global batch that does not divide over the devices of a run (`data_size`), before anything compiles."""
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
    return place_runs(tree, mesh, jax.tree.map(lambda _: P(), tree))


def place_runs(tree: PyTree, mesh: Mesh, specs: PyTree) -> PyTree:
    """Place identical host values (every process passes the same) on the mesh, each leaf as its
    spec in `specs` says (`RUN_SPEC`: the run axis divided over `runs`; `P()`: on every device)."""
    return jax.tree.map(
        lambda spec, x: jax.make_array_from_process_local_data(NamedSharding(mesh, spec), np.asarray(x)),
        specs,
        tree,
        is_leaf=lambda x: isinstance(x, P),
    )


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
