"""The runs of a config, R >= 1, trained by one compiled program over a leading run axis.

One code path for one run and many: the state, the feeder, the compiled call, the sampler
and the evaluator all carry a run axis of size R (R = 1 for a plain run). With R = 1 the step
runs on the run's slice directly (no vmap: a vmapped convolution over batched kernels is a
grouped convolution, slower on CPU); with R > 1 it is `jax.vmap`ped over the axis.

A config asks for several runs trained together with

    config.num_seeds = 10                     # runs with seeds seed, seed+1, ..., seed+9
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,2e-4,4e-4"

The runs are the product of the swept values and the seeds (seeds vary fastest), so the two
settings above give 30 runs. `sweep_values` holds `path=v1,v2,...` entries separated by `;`;
a path is a continuous hyperparameter that lives in the state, so one program serves every
value:

- `optimizer.generator.<name>`, `optimizer.discriminator.<name>`: any numeric argument of the
  optax optimiser (`learning_rate`, `b1`, ...); the optimisers are `optax.inject_hyperparams`,
  so the value sits in `state.opt_state["generator" | "discriminator"].hyperparams[<name>]`;
- `penalties.<name>`: a penalty weight, `state.hyper[<name>]`.

Run r is exactly the single run of `Runs.configs(config)[r]` (same seed, same value): its own
init, its own noise, its own data order (`batch_indices(..., seed=its seed)`), and its own
training set when the dataset's points depend on the seed (the 2-D mixtures); a dataset that
does not (images) is held once and shared. The per-device step is `jax.vmap`ped over the run
axis of the state and of the batch, inside the same `shard_map` over the device mesh as a
single run. Every field of the state has the run axis except `step`, which all runs share, so
the loop, the checkpoints (one slot per run in every array) and resuming work unchanged.

With R > 1 the call's metrics are per run, under `<name>/<run label>` (e.g. `d_loss/seed=3`);
samples are `[R, num, ...]` (drawn as a mosaic of one panel per run); evaluations are per run
under the same labels, with `<name>/mean` over the seeds when only the seed differs. With
R = 1 the names carry no label.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from jax.sharding import PartitionSpec as P

from jaxgan import data as data_lib
from jaxgan.calls import draw_latents
from jaxgan.programs import registry as registry_lib
from jaxgan.train import build as build_lib
from jaxgan.train import parallel, writers
from jaxgan.train import state as state_lib
from jaxgan.train.state import TrainState

PyTree = Any

# Batches of a call are stacked [steps_per_call, runs, num_critic_steps, batch, ...].
RUNS_BATCH_SPEC = P(None, None, None, parallel.AXIS)
_OPTIMIZERS = ("generator", "discriminator")


@dataclasses.dataclass(frozen=True)
class Runs:
    """The runs a config trains together: run r has seed `seeds[r]` and `values[path][r]`."""

    seeds: tuple[int, ...]
    values: dict[str, tuple[float, ...]]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.seeds)

    def configs(self, config: ml_collections.ConfigDict) -> list[ml_collections.ConfigDict]:
        """The single-run config each run is equivalent to (num_seeds 1, no sweep)."""
        result = []
        for r, seed in enumerate(self.seeds):
            overrides = {"seed": seed, "num_seeds": 1, "sweep_values": ""}
            overrides.update({path: values[r] for path, values in self.values.items()})
            result.append(with_overrides(config, overrides))
        return result


def _set_path(config: ml_collections.ConfigDict, path: str, value) -> None:
    *parents, last = path.split(".")
    target = config
    for part in parents:
        target = target[part]
    target[last] = value


def with_overrides(config: ml_collections.ConfigDict, overrides: dict[str, Any]) -> ml_collections.ConfigDict:
    """A copy of `config` with `{"dotted.path": value}` set (a dict value replaces a whole sub-config)."""
    config = ml_collections.ConfigDict(config.to_dict())
    for path, value in overrides.items():
        try:
            _set_path(config, path, value)
        except (KeyError, AttributeError) as error:
            raise ValueError(f"override {path!r}: config has no such parent field ({error}).") from None
    return config


def _sweep_error(path: str, reason: str) -> ValueError:
    return ValueError(
        f"config.sweep_values names {path!r}, {reason}; a swept setting must live in the state: "
        "optimizer.generator.<hyperparameter>, optimizer.discriminator.<hyperparameter> (a numeric argument "
        "of the optax optimiser, e.g. learning_rate) or penalties.<name>."
    )


def _check_path(config: ml_collections.ConfigDict, path: str) -> None:
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "optimizer" and parts[1] in _OPTIMIZERS:
        spec = config.optimizer[parts[1]]
        factory = getattr(optax, spec.get("name", ""), None)
        accepted = set(inspect.signature(factory).parameters) if inspect.isfunction(factory) else set()
        if parts[2] not in accepted:
            raise _sweep_error(path, f"which is not an argument of optax.{spec.get('name')} ({sorted(accepted)})")
        return
    if len(parts) == 2 and parts[0] == "penalties":
        if parts[1] not in config.penalties:
            raise _sweep_error(path, f"which is not a penalty ({sorted(config.penalties)})")
        return
    raise _sweep_error(path, "which cannot be vmapped")


def parse_sweep_values(config: ml_collections.ConfigDict) -> dict[str, tuple[float, ...]]:
    """`"path=v1,v2;path2=v3"` -> `{path: (v1, v2), path2: (v3,)}`, each path checked."""
    text = str(config.get("sweep_values", "") or "").strip()
    sweeps: dict[str, tuple[float, ...]] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        path, sep, listed = entry.partition("=")
        path = path.strip()
        try:
            values = tuple(float(v) for v in listed.split(",") if v.strip())
        except ValueError:
            values = ()
        if not sep or not values:
            raise ValueError(
                f"config.sweep_values entry {entry!r} is not of the form 'path=v1,v2,...' with numbers, e.g. "
                "'optimizer.discriminator.learning_rate=1e-4,2e-4'; separate several entries with ';'."
            )
        if path in sweeps:
            raise ValueError(f"config.sweep_values names {path!r} twice; list all its values in one entry.")
        _check_path(config, path)
        if path.startswith("penalties.") and min(values) < 0:
            raise ValueError(f"config.sweep_values: the weights of {path!r} must be non-negative; got {values}.")
        sweeps[path] = values
    return sweeps


def runs_of(config: ml_collections.ConfigDict) -> Runs:
    """The runs of `config`: the product of its swept values and its `num_seeds` seeds."""
    num_seeds = config.get("num_seeds", 1)
    if not isinstance(num_seeds, int) or isinstance(num_seeds, bool) or num_seeds < 1:
        raise ValueError(f"config.num_seeds must be a positive integer; got {num_seeds!r}.")
    sweeps = parse_sweep_values(config)
    paths = list(sweeps)
    seeds, values, labels = [], {p: [] for p in paths}, []
    for combination in itertools.product(*(sweeps[p] for p in paths), range(num_seeds)):
        *point, offset = combination
        seed = config.seed + offset
        seeds.append(seed)
        parts = [f"seed={seed}"] if num_seeds > 1 or not paths else []
        for path, value in zip(paths, point):
            values[path].append(value)
            parts.append(f"{path}={value:g}")
        labels.append(",".join(parts))
    return Runs(tuple(seeds), {p: tuple(v) for p, v in values.items()}, tuple(labels))


def num_runs(config: ml_collections.ConfigDict) -> int:
    return len(runs_of(config))


# ---------------------------------------------------------------------------- state


def _build_config(config: ml_collections.ConfigDict, runs: Runs) -> ml_collections.ConfigDict:
    """The config the shared parts are built from: run 0's, with every swept penalty switched on."""
    # A penalty of weight 0 is left out of the step; keep it in when any run weighs it.
    overrides = {p: max(v) if p.startswith("penalties.") else v[0] for p, v in runs.values.items()}
    return with_overrides(config, {"seed": runs.seeds[0], **overrides})


def build_experiment(config: ml_collections.ConfigDict, **kwargs) -> build_lib.Experiment:
    """`build.build` for the runs of `config`: the parts they share (`kwargs` as for `build`)."""
    return build_lib.build(_build_config(config, runs_of(config)), **kwargs)


def state_axes(state: TrainState) -> TrainState:
    """The run axes of a stacked state: 0 everywhere but the shared `step`."""
    return jax.tree.map(lambda _: 0, state).replace(step=None)


def initial_state(
    config: ml_collections.ConfigDict, experiment: build_lib.Experiment, runs: Runs | None = None
) -> TrainState:
    """Every run's initial state, stacked on a leading run axis; `step` is shared (a scalar).

    Run r is initialised from `PRNGKey(seeds[r])` exactly as a single run, then its swept
    hyperparameters are written into its slot of the optimiser states and term weights.
    """
    runs = runs_of(config) if runs is None else runs
    if len(runs) == 1:
        stacked = stack(build_lib.new_state(experiment, jax.random.PRNGKey(runs.seeds[0])))
    else:
        init = jax.vmap(build_lib.state_init(experiment))

        def init_runs(keys):
            states = init(keys)
            return states.replace(step=states.step[0])

        keys = jnp.stack([jax.random.PRNGKey(seed) for seed in runs.seeds])
        stacked = jax.jit(init_runs, compiler_options=state_lib.init_compiler_options())(keys)
    return set_values(stacked, runs.values)


def set_values(state: TrainState, values: dict[str, Sequence[float]]) -> TrainState:
    """Write per-run hyperparameter values (`path -> [runs]`) into a stacked state."""
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


# ---------------------------------------------------------------------------- step and data


def over_runs(fn: Callable, num: int, in_axes, out_axes) -> Callable:
    """`fn` over a leading run axis of size `num`: vmapped for num > 1; for num = 1 applied to
    the run's slice (no vmap in the program) and the axis put back."""
    if num > 1:
        return jax.vmap(fn, in_axes=in_axes, out_axes=out_axes)

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


def _full(axes, tree):
    """`axes` as a full tree of per-leaf axes for `tree` (a bare int or None applies to all)."""
    if axes is None or isinstance(axes, int):
        return jax.tree.map(lambda _: axes, tree)
    return axes


def runs_call(multi_step: Callable, state_template: TrainState, num: int) -> Callable:
    """`multi_step(state, batches)` over the run axis of the state (all but `step`), of the
    batches `[K, runs, ...]` (axis 1) and of the metrics `[K, runs]`. Outside the K-step loop,
    so that with one run the loop carries the run's own state (no reshape per step)."""
    axes = state_axes(state_template)
    return over_runs(multi_step, num, in_axes=(axes, 1), out_axes=(axes, 1))


def per_run_metrics(metrics: dict[str, jax.Array], labels: Sequence[str]) -> dict[str, jax.Array]:
    """`{name: [K, runs]}` -> `{name/label: [K]}`: one series per run, so the loop logs each run
    and names the run whose measurement turned non-finite (`{name: [K]}` for one run)."""
    if len(labels) == 1:
        return {name: values[:, 0] for name, values in metrics.items()}
    return {f"{name}/{label}": values[:, r] for name, values in metrics.items() for r, label in enumerate(labels)}


def run_datasets(config: ml_collections.ConfigDict, runs: Runs, dataset) -> list:
    """Each run's training set: `data.load(..., seed=its seed)`, or the one dataset when the
    data do not depend on the seed (checked on the first examples of two seeds)."""
    distinct = sorted(set(runs.seeds))
    if len(distinct) == 1:
        return [dataset] * len(runs)

    def load(seed):
        return build_lib.load_dataset(config, seed=seed)

    probe = np.arange(min(len(dataset), 256))
    other = load(distinct[1])
    first, second = dataset.get(probe), other.get(probe)
    if all(np.array_equal(first[name], second[name]) for name in first):
        return [dataset] * len(runs)
    loaded = {runs.seeds[0]: dataset, distinct[1]: other}
    for seed in distinct:
        if seed not in loaded:
            loaded[seed] = load(seed)
    return [loaded[seed] for seed in runs.seeds]


class Feeder:
    """Batches for steps [s, s+K) of every run: indices `[K, runs, batches_per_step, B]`, each
    run in its own order (`batch_indices` with its seed), every feature the program reads.

    A dataset that fits is kept on the devices (once when shared by the runs, stacked
    `[runs, N, ...]` otherwise) and gathered inside the program; otherwise this process reads
    its own slice of each global batch and sends it to its devices.
    """

    def __init__(self, datasets, mesh, *, seeds, features, batch_size, batches_per_step, steps_per_call, on_device):
        self.datasets = list(datasets)
        self.mesh = mesh
        self.seeds = tuple(seeds)
        self.features = tuple(features)
        self.batch_size = batch_size
        self.batches_per_step = batches_per_step
        self.steps_per_call = steps_per_call
        self.shared = all(d is self.datasets[0] for d in self.datasets)
        self.device_arrays = None
        if on_device:
            owners = self.datasets[:1] if self.shared else self.datasets
            arrays = [d.arrays() for d in owners]
            if all(a is not None for a in arrays):
                picked = [{name: a[name] for name in self.features} for a in arrays]
                tree = picked[0] if self.shared else jax.tree.map(lambda *xs: np.stack(xs), *picked)
                self.device_arrays = parallel.replicate(tree, mesh)

    def indices(self, start_step: int) -> np.ndarray:
        def one(dataset, seed):
            rows = [
                data_lib.batch_indices(
                    (start_step + k) * self.batches_per_step + c,
                    num_examples=len(dataset),
                    batch_size=self.batch_size,
                    seed=seed,
                )
                for k in range(self.steps_per_call)
                for c in range(self.batches_per_step)
            ]
            return np.stack(rows).reshape(self.steps_per_call, self.batches_per_step, self.batch_size)

        return np.stack([one(d, s) for d, s in zip(self.datasets, self.seeds)], axis=1)

    def inputs(self, start_step: int) -> tuple:
        indices = self.indices(start_step)
        local = np.moveaxis(
            data_lib.process_slice(
                np.moveaxis(indices, 3, 0), process_index=jax.process_index(), process_count=jax.process_count()
            ),
            0,
            3,
        )  # [K, runs, batches_per_step, B / processes]
        if self.device_arrays is not None:
            return (self.device_arrays, parallel.shard_batch(local.astype(np.int32), self.mesh, RUNS_BATCH_SPEC))
        per_run = []
        for r, dataset in enumerate(self.datasets):
            got = dataset.get(local[:, r].reshape(-1))
            per_run.append(
                {name: got[name].reshape(*local[:, r].shape, *got[name].shape[1:]) for name in self.features}
            )
        batches = jax.tree.map(lambda *xs: np.stack(xs, axis=1), *per_run)
        return (parallel.shard_batch(batches, self.mesh, RUNS_BATCH_SPEC),)


def _gather(arrays, indices, shared: bool):
    if shared:
        return jax.tree.map(lambda a: jnp.take(a, indices, axis=0), arrays)
    take = jax.vmap(lambda a, i: jnp.take(a, i, axis=0), in_axes=(0, 1), out_axes=1)
    return jax.tree.map(lambda a: take(a, indices), arrays)


def make_call(per_device_fn: Callable, mesh, *, gather: bool, shared: bool, donate: bool = True) -> Callable:
    """`jit(shard_map(fn))` with the run axis on the batch: state replicated, examples sharded."""
    if gather:

        def gathered(state, arrays, indices):
            batches = _gather(arrays, indices, shared)
            # Materialise the batch: fused into D's first convolution, the gather would turn
            # it into a naive loop on CPU (50x slower for the seed DCGAN).
            batches = jax.lax.optimization_barrier(batches)
            return per_device_fn(state, batches)

        mapped = jax.shard_map(
            gathered, mesh=mesh, in_specs=(P(), P(), RUNS_BATCH_SPEC), out_specs=(P(), P()), check_vma=False
        )
    else:
        mapped = jax.shard_map(
            per_device_fn, mesh=mesh, in_specs=(P(), RUNS_BATCH_SPEC), out_specs=(P(), P()), check_vma=False
        )
    return jax.jit(mapped, donate_argnums=(0,) if donate else ())


# ---------------------------------------------------------------------------- samples and evaluation


class Sampler:
    """Samples of a stacked state: `draw(state, key, num)` gives `{"x": [runs, num, ...], name:
    [runs, num, ...] for each name of program.sample_record}` as host arrays; `sample(...)` gives
    the samples `x` alone.

    The program's sample call in inference mode, at the sampling params (the EMA when kept),
    on latents drawn per example (`calls.draw_latents`: from its index, so a sample does not
    depend on how many are drawn), and on the inputs `given` by the caller (`[num, ...]`
    arrays: the labels to draw for, a translation's sources; a given name replaces a drawn
    latent of that name). Every run is sampled at the same latent points (common random
    numbers: differences between runs are then the runs', not the draw's). Batches of
    `batch_size` go through one compiled program; the last is padded so nothing recompiles.
    """

    def __init__(self, program, num_runs: int, *, batch_size: int = 500):
        from jaxgan.calls import run_call

        self.program = program
        self.num_runs = num_runs
        self.batch_size = batch_size
        call = program.sample
        network = call.network

        def generate(params, variables, inputs):
            values, _ = run_call(program, call, {network: params}, {network: variables}, inputs, jax.random.PRNGKey(0))
            return values[call.output_names[0]]

        self._generate = jax.jit(over_runs(generate, num_runs, in_axes=(0, 0, None), out_axes=0))

    def draw(self, state: TrainState, key: jax.Array, num: int, given: dict | None = None) -> dict[str, np.ndarray]:
        given = {name: np.asarray(value) for name, value in (given or {}).items()}
        missing = [name for name in self.program.sample_given if name not in given]
        if missing:
            raise ValueError(f"sampling this program needs the input(s) {missing}; give them as [num, ...] arrays.")
        for name, value in given.items():
            if len(value) != num:
                raise ValueError(
                    f"the given input {name!r} has {len(value)} rows for {num} samples; give one per sample."
                )
        network = self.program.sample.network
        params = jax.device_get(state.sampling_params(network))
        variables = jax.device_get(state.variables[network])
        padded = -(-num // self.batch_size) * self.batch_size
        inputs = dict(draw_latents(self.program, self.program.sample_latents, key, padded))
        for name, value in given.items():  # padded with copies of the last row, cut off below
            inputs[name] = jnp.asarray(np.concatenate([value, np.repeat(value[-1:], padded - num, axis=0)]))
        chunks = [
            self._generate(params, variables, jax.tree.map(lambda a, i=i: a[i : i + self.batch_size], inputs))
            for i in range(0, padded, self.batch_size)
        ]
        drawn = {"x": np.asarray(jnp.concatenate(chunks, axis=1)[:, :num], np.float32)}
        for name in self.program.sample_record:
            value = np.asarray(inputs[name][:num])
            drawn[name] = np.broadcast_to(value, (self.num_runs, *value.shape)).copy()
        return drawn

    def sample(self, state: TrainState, key: jax.Array, num: int, given: dict | None = None) -> np.ndarray:
        return self.draw(state, key, num, given)["x"]


class Classifier:
    """`predict(state, x) -> [runs, n]` class predictions of the program's `classifier` call
    (argmax of its class logits), at the current params, in batches of one compiled size."""

    def __init__(self, program, num_runs: int, *, batch_size: int = 500):
        from jaxgan.calls import run_call
        from jaxgan.program import read

        call, logits_name = program.classifier
        self.network = call.network
        self.batch_size = batch_size
        network = call.network

        def predict(params, variables, x):
            values, _ = run_call(
                program, call, {network: params}, {network: variables}, {"x": x}, jax.random.PRNGKey(0)
            )
            return jnp.argmax(read(values, logits_name), axis=-1)

        self._predict = jax.jit(over_runs(predict, num_runs, in_axes=(0, 0, None), out_axes=0))

    def predict(self, state: TrainState, x: np.ndarray) -> np.ndarray:
        params = jax.device_get(state.params[self.network])
        variables = jax.device_get(state.variables[self.network])
        num = len(x)
        padded = -(-num // self.batch_size) * self.batch_size
        x = np.concatenate([x, np.repeat(x[-1:], padded - num, axis=0)])
        chunks = [
            self._predict(params, variables, x[i : i + self.batch_size]) for i in range(0, padded, self.batch_size)
        ]
        return np.asarray(jnp.concatenate(chunks, axis=1)[:, :num])


def real_examples(dataset, num: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """`num` real examples (all of them if fewer) and their labels (None when unlabelled), a
    fixed random subset for evaluation."""
    num = min(num, len(dataset))
    indices = np.sort(np.random.default_rng(seed).choice(len(dataset), size=num, replace=False))
    got = dataset.get(indices)
    return got["x"], got.get("label")


def real_samples(dataset, num: int, *, seed: int = 0) -> np.ndarray:
    """`num` real examples (all of them if fewer), a fixed random subset for evaluation."""
    return real_examples(dataset, num, seed=seed)[0]


class RunsEvaluator:
    """The loop's evaluator: one `metrics.evaluators.Evaluation` (the real data's features
    computed once, for every run and every evaluation) applied to each run's samples.

    `__call__(state)` gives values under `name` (one run) or `name/label`, plus `name/mean`
    over runs that differ only by seed. `record()` is what the evaluation used (feature
    network and its weights' hash, real samples), for the workdir.
    """

    def __init__(self, config: ml_collections.ConfigDict, dataset, sampler: Sampler):
        from jaxgan.metrics import evaluators  # metrics pull in their feature networks lazily

        self.runs = runs_of(config)
        self.sampler = sampler
        self.num_samples = config.num_eval_samples
        self.key = jax.random.PRNGKey(config.seed + 2)
        # the built-in evaluators and the family's own (`Family.exports.evaluators`)
        registry = evaluators.with_own(registry_lib.get(config.program).exports.evaluators)
        names = evaluators.parse_names(config.evaluators, registry)
        held_out = None
        if any("held_out" in registry[name].needs for name in names):
            held_out = _held_out(config, sampler.program)
        real, labels = real_examples(dataset, config.num_eval_samples, seed=config.seed)
        self.evaluation = evaluators.Evaluation(
            names,
            real=real,
            real_labels=labels,
            held_out=held_out,
            dataset_name=config.data.name,
            metadata=dataset.metadata,
            split=config.data.split,
            registry=registry,
        )
        needs_predict = any("predict" in registry[name].needs for name in names)
        self.classifier = Classifier(sampler.program, sampler.num_runs) if needs_predict else None

    def __call__(self, state: TrainState) -> dict[str, float]:
        drawn = self.sampler.draw(state, self.key, self.num_samples)
        predictions = None
        if self.classifier is not None:
            examples = self.evaluation.held_out[0]
            predictions = self.classifier.predict(state, examples)
        per_run = []
        for r, fake in enumerate(drawn["x"]):
            conditions = {name: value[r] for name, value in drawn.items() if name != "x"}
            predict = None if predictions is None else (lambda x, p=predictions[r]: p)
            per_run.append(self.evaluation(fake, conditions=conditions, predict=predict))
        return merge_runs(self.runs, per_run)

    def record(self) -> dict:
        return {**self.evaluation.record(), "num_fake": self.num_samples, "runs": list(self.runs.labels)}


def merge_runs(runs: Runs, per_run: Sequence[dict]) -> dict[str, float]:
    """Per-run results as one dict: `name` for one run; `name/label` for each of several, and
    `name/mean` when the runs differ only by seed (their mean is then the estimate)."""
    if len(runs) == 1:
        return {key: float(value) for key, value in per_run[0].items()}
    result = {}
    for key in per_run[0]:
        values = [float(values[key]) for values in per_run]
        result.update({f"{key}/{label}": v for label, v in zip(runs.labels, values)})
        if not runs.values:
            result[f"{key}/mean"] = float(np.mean(values))
    return result


def _held_out(config: ml_collections.ConfigDict, program) -> tuple[np.ndarray, np.ndarray]:
    """The examples and labels of `config.data.test_split`, for a program with a classifier."""
    if program.classifier is None:
        raise ValueError(
            f"config.evaluators names classifier_accuracy, and config.program={config.program!r} has no classifier "
            "(a program whose D classifies the data)."
        )
    held_out = data_lib.load(
        config.data.name,
        split=config.data.test_split,
        seed=config.seed,
        num_examples=config.data.num_examples,
        image_size=config.data.image_size,
        data_dir=config.data.data_dir,
    )
    if held_out.num_classes is None:
        raise ValueError(f"config.data.test_split={config.data.test_split!r} of {config.data.name!r} has no labels.")
    got = held_out.get(np.arange(len(held_out)))
    return got["x"], got["label"]


def evaluator(config: ml_collections.ConfigDict, dataset, sampler: Sampler) -> RunsEvaluator | None:
    """The evaluator of `config.evaluators`, or None when it names none."""
    if not str(config.evaluators or "").strip():
        return None
    return RunsEvaluator(config, dataset, sampler)


def samples_picture(
    samples: np.ndarray, metadata: dict | None = None, *, labels: np.ndarray | None = None, columns: int | None = None
) -> np.ndarray:
    """The picture of `[runs, num, ...]` samples (drawn for `labels [runs, num]`, when given): one
    run's picture, or a mosaic of one panel per run."""
    labels = [None] * len(samples) if labels is None else labels
    if len(samples) == 1:
        return writers.samples_picture(np.asarray(samples[0]), metadata, labels[0])
    panels = [writers.samples_picture(np.asarray(s), metadata, y) for s, y in zip(samples, labels)]
    return mosaic(panels, columns=columns)


def balanced_labels(num: int, num_classes: int) -> np.ndarray:
    """`num` labels in class order, as equal in number per class as `num` allows."""
    return np.sort(np.arange(num, dtype=np.int32) % num_classes)


def pictures(sampler: Sampler, state: TrainState, key: jax.Array, num: int, dataset) -> dict[str, np.ndarray]:
    """The loop's pictures of a state: `samples` (one row per class when the program draws a
    label: `num` samples over the classes) and each of the program's named `pictures`."""
    program = sampler.program
    given = None
    if "label" in program.sample_latents and dataset.num_classes:
        given = {"label": balanced_labels(num, dataset.num_classes)}
    drawn = sampler.draw(state, key, num, given=given)
    out = {"samples": samples_picture(drawn["x"], dataset.metadata, labels=drawn.get("label") if given else None)}
    for name, make in program.pictures.items():
        out[name] = picture(sampler, state, key, make)
    return out


def picture(sampler: Sampler, state: TrainState, key: jax.Array, make: Callable) -> np.ndarray:
    """One of a program's `pictures` (uint8 `[H, W, C]`; a mosaic of one panel per run).

    `make()` gives `(inputs, columns)` or `(inputs, columns, shown)`: the samples are drawn at the
    given `inputs` and tiled `columns` to a row; each name in `shown` is a given input drawn
    left of its sample (a translation's source)."""
    inputs, columns, *rest = make()
    shown = rest[0] if rest else ()
    x = sampler.draw(state, key, len(next(iter(inputs.values()))), given=inputs)["x"]
    tiles = [np.stack([np.asarray(inputs[name], np.float32) for name in shown] + [run], axis=1) for run in x]
    panels = [writers.image_grid(run.reshape(-1, *run.shape[2:]), columns=columns) for run in tiles]
    return panels[0] if len(panels) == 1 else mosaic(panels)


def mosaic(panels: Sequence[np.ndarray], *, columns: int | None = None, gap: int = 4) -> np.ndarray:
    """Equal-sized uint8 pictures `[H, W, C]` tiled row by row on a grey background."""
    height, width, channels = panels[0].shape
    columns = columns or math.ceil(math.sqrt(len(panels)))
    rows = math.ceil(len(panels) / columns)
    canvas = np.full((rows * (height + gap) + gap, columns * (width + gap) + gap, channels), 160, np.uint8)
    for i, panel in enumerate(panels):
        r, c = divmod(i, columns)
        top, left = gap + r * (height + gap), gap + c * (width + gap)
        canvas[top : top + height, left : left + width] = panel
    return canvas
