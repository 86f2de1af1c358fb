"""The run axis: R >= 1 runs' states stacked on a leading axis, and functions mapped over it.

One code path for one run and many: the state, the compiled call, the sampler and the
evaluator all carry a run axis of size R (R = 1 for a plain run). With R = 1 a function runs
on the run's slice directly (no vmap: a vmapped convolution over batched kernels is a grouped
convolution, slower on CPU); with R > 1 it is `jax.vmap`ped over the axis, or (the training
call on a CPU, `config.run_mapping`) applied to one run after another. The runs may also be
divided over devices (`config.run_devices`, `parallel.make_mesh`): each device then maps its
own runs. Every field of the state has the run axis except `step`, which all runs share, so
the loop, the checkpoints (one slot per run in every array) and resuming work unchanged.

With R > 1 the call's metrics are per run, under `<name>/<run label>` (e.g. `d_loss/seed=3`);
with R = 1 the names carry no label.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec as P

from jaxgan.train import build as build_lib
from jaxgan.train import parallel, sweeps
from jaxgan.train import state as state_lib
from jaxgan.train.state import TrainState
from jaxgan.train.sweeps import Runs


def state_axes(state: TrainState) -> TrainState:
    """The run axes of a stacked state: 0 everywhere but the shared `step`."""
    return jax.tree.map(lambda _: 0, state).replace(step=None)


def state_specs(state: TrainState) -> TrainState:
    """How a stacked state lies on the mesh: the run axis of every field divided over `runs`
    (`config.run_devices`), the shared `step` on every device."""
    return jax.tree.map(
        lambda axis: P() if axis is None else parallel.RUN_SPEC, state_axes(state), is_leaf=lambda a: a is None
    )


def place(state: TrainState, mesh) -> TrainState:
    """A stacked state (identical in every process) on the mesh, as `state_specs` says."""
    return parallel.place_runs(state, mesh, state_specs(state))


def initial_state(experiment: build_lib.Experiment, runs: Runs) -> TrainState:
    """Every run's initial state, stacked on a leading run axis; `step` is shared (a scalar).

    Run r is initialised from `PRNGKey(seeds[r])` exactly as a single run, then its swept
    hyperparameters are written into its slot of the optimiser states and term weights.
    """
    sweeps.check_swept_groups(runs, [group.name for group in experiment.program.groups])
    if len(runs) == 1:
        stacked = stack(build_lib.new_state(experiment, jax.random.PRNGKey(runs.seeds[0])))
    else:
        init = jax.vmap(build_lib.state_init(experiment))

        def init_runs(keys):
            states = init(keys)
            return states.replace(step=states.step[0])

        keys = jnp.stack([jax.random.PRNGKey(seed) for seed in runs.seeds])
        if isinstance(keys, jax.core.Tracer):  # traced (restore's `jax.eval_shape`): nothing compiles
            stacked = init_runs(keys)  # and a nested jit may not take compiler options
        else:
            stacked = jax.jit(init_runs, compiler_options=state_lib.init_compiler_options())(keys)
    return set_values(stacked, runs.values)


def set_values(state: TrainState, values: dict[str, Sequence[float]]) -> TrainState:
    """Write per-run hyperparameter values (`path -> [runs]`) into a stacked state:
    `optimizer.<group>.<name>` into `opt_state[group].hyperparams`, `penalties.<name>` into `hyper`."""
    for path, per_run in values.items():
        parts = path.split(".")
        if parts[0] == "optimizer":
            opt_states = dict(state.opt_state)
            opt_state = opt_states[parts[1]]
            hyperparams = dict(opt_state.hyperparams)
            old = hyperparams[parts[2]]
            hyperparams[parts[2]] = jnp.asarray(per_run, old.dtype).reshape(old.shape)
            opt_states[parts[1]] = opt_state._replace(hyperparams=hyperparams)
            state = state.replace(opt_state=opt_states)
        else:
            weights = dict(state.hyper)
            old = weights[parts[1]]
            weights[parts[1]] = jnp.asarray(per_run, old.dtype).reshape(old.shape)
            state = state.replace(hyper=weights)
    return state


@functools.partial(jax.jit, static_argnums=1)
def unstack(state: TrainState, run: int) -> TrainState:
    """Run `run`'s own state (a single-run `TrainState`, no run axis) out of a stacked one.

    One compiled program for the whole tree (eagerly, every leaf's slice would compile alone)."""
    axes = state_axes(state)
    return jax.tree.map(lambda axis, x: x if axis is None else x[run], axes, state, is_leaf=lambda a: a is None)


@jax.jit
def stack(state: TrainState) -> TrainState:
    """A single-run state with a run axis of size 1 added (the inverse of `unstack(..., 0)`)."""
    axes = state_axes(state)
    return jax.tree.map(lambda axis, x: x if axis is None else x[None], axes, state, is_leaf=lambda a: a is None)


def over_runs(fn: Callable, num: int, in_axes, out_axes, *, in_turn: bool = False) -> Callable:
    """`fn` over a leading run axis of size `num`: for num > 1 vmapped, or with `in_turn` one run
    after another (`lax.map`); for num = 1 applied to the run's slice (no vmap in the program)
    and the axis put back."""
    if num > 1:
        return _in_turn(fn, in_axes, out_axes) if in_turn else jax.vmap(fn, in_axes=in_axes, out_axes=out_axes)

    def squeeze(axes, tree):
        return jax.tree.map(lambda a, x: x if a is None else jnp.squeeze(x, a), axes, tree, is_leaf=lambda a: a is None)

    def expand(axes, tree):
        return jax.tree.map(
            lambda a, x: x if a is None else jnp.expand_dims(x, a), axes, tree, is_leaf=lambda a: a is None
        )

    def single(*args):
        args = tuple(squeeze(_full(a, x), x) for a, x in zip(in_axes, args))
        out = fn(*args)
        return (
            tuple(expand(_full(a, o), o) for a, o in zip(out_axes, out))
            if isinstance(out_axes, tuple)
            else expand(_full(out_axes, out), out)
        )

    return single


def _in_turn(fn: Callable, in_axes: tuple, out_axes) -> Callable:
    """`jax.vmap(fn, in_axes, out_axes)`'s values, computed one run at a time (`lax.map`): the
    program holds one run's operations, which on a CPU keep one run's working set in the caches
    (vmapped, every run's parameters and optimiser moments pass through them at every
    operation). An output with out axis None does not depend on the run (as vmap requires):
    the first run's is returned."""

    def mapped(*args):
        leaves, treedef = jax.tree.flatten(args)
        axes = treedef.flatten_up_to(tuple(_full(a, x) for a, x in zip(in_axes, args)))
        positions = [i for i, axis in enumerate(axes) if axis is not None]

        def one(slices):
            run_leaves = list(leaves)
            for i, x in zip(positions, slices):
                run_leaves[i] = x
            return fn(*treedef.unflatten(run_leaves))

        out = jax.lax.map(one, [jnp.moveaxis(leaves[i], axes[i], 0) for i in positions])
        out_leaves, out_def = jax.tree.flatten(out)
        out_full = (
            tuple(_full(a, o) for a, o in zip(out_axes, out)) if isinstance(out_axes, tuple) else _full(out_axes, out)
        )
        placed = [
            x[0] if axis is None else jnp.moveaxis(x, 0, axis)
            for axis, x in zip(out_def.flatten_up_to(out_full), out_leaves)
        ]
        return out_def.unflatten(placed)

    return mapped


def _full(axes, tree):
    """`axes` as a full tree of per-leaf axes for `tree` (a bare int or None applies to all)."""
    if axes is None or isinstance(axes, int):
        return jax.tree.map(lambda _: axes, tree)
    return axes


def runs_call(multi_step: Callable, state_template: TrainState, num: int, *, in_turn: bool = False) -> Callable:
    """`multi_step(state, batches)` over the run axis of the state (all but `step`), of the
    batches `[K, runs, ...]` (axis 1) and of the metrics `[K, runs]`: vmapped, or with `in_turn`
    each run's K steps one run after another. Outside the K-step loop, so that with one run the
    loop carries the run's own state (no reshape per step)."""
    axes = state_axes(state_template)
    return over_runs(multi_step, num, in_axes=(axes, 1), out_axes=(axes, 1), in_turn=in_turn)


MAPPINGS = ("auto", "vmap", "in_turn")


def check_mapping(setting, devices: list) -> bool:
    """Whether a device's runs train in turn (`config.run_mapping`): "vmap" batches them into
    one program's operations, which fills an accelerator; "in_turn" trains one run's K steps
    after another's, which on a CPU keeps a run's working set in the caches and leaves convolutions
    ungrouped; "auto" is "in_turn" on a CPU and "vmap" elsewhere."""
    if setting not in MAPPINGS:
        raise ValueError(f"config.run_mapping must be one of {', '.join(map(repr, MAPPINGS))}; got {setting!r}.")
    if setting == "auto":
        return all(device.platform == "cpu" for device in devices)
    return setting == "in_turn"


def per_run_metrics(metrics: dict[str, jax.Array], labels: Sequence[str]) -> dict[str, jax.Array]:
    """`{name: [K, runs]}` -> `{name/label: [K]}`: one series per run, so the loop logs each run
    and names the run whose measurement turned non-finite (`{name: [K]}` for one run)."""
    if len(labels) == 1:
        return {name: values[:, 0] for name, values in metrics.items()}
    return {f"{name}/{label}": values[:, r] for name, values in metrics.items() for r, label in enumerate(labels)}
