"""Many runs in one compiled program: the whole state vmapped over a leading run axis.

A config asks for several runs trained together with

    config.num_seeds = 10                     # runs with seeds seed, seed+1, ..., seed+9
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,2e-4,4e-4"

The runs are the product of the swept values and the seeds (seeds vary fastest), so the two
settings above give 30 runs. `sweep_values` holds `path=v1,v2,...` entries separated by `;`;
a path is a continuous hyperparameter that lives in the state, so one program serves every
value:

- `optimizer.generator.<name>`, `optimizer.discriminator.<name>`: any numeric argument of the
  optax optimiser (`learning_rate`, `b1`, ...); the optimisers are `optax.inject_hyperparams`,
  so the value sits in `state.{g,d}_opt_state.hyperparams[<name>]`;
- `penalties.<name>`: a penalty weight, `state.penalty_weights[<name>]`.

Run r is exactly the single run of `Runs.configs(config)[r]` (same seed, same value): its own
init, its own noise, its own data order (`batch_indices(..., seed=its seed)`), and its own
training set when the dataset's points depend on the seed (the 2-D mixtures); a dataset that
does not (images) is held once and shared. The per-device step is `jax.vmap`ped over the run
axis of the state and of the batch, inside the same `shard_map` over the device mesh as a
single run. Every field of the state has the run axis except `step`, which all runs share, so
the loop, the checkpoints (one slot per run in every array) and resuming work unchanged.

The call's metrics are per run, under `<name>/<run label>` (e.g. `d_loss/seed=3`); samples
are one array per run (drawn as a mosaic of one panel per run); evaluations are per run under
the same labels, with `<name>/mean` over the seeds when only the seed differs.
"""

from __future__ import annotations

import dataclasses
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
from jaxgan.train import build as build_lib
from jaxgan.train import parallel, sampling, writers
from jaxgan.train.state import GANState
from jaxgan.train.step import make_multi_step

PyTree = Any

# Batches of a call are stacked [steps_per_call, runs, num_critic_steps, batch, ...].
RUNS_BATCH_SPEC = P(None, None, None, parallel.AXIS)
_OPTIMIZERS = {"generator": "g_opt_state", "discriminator": "d_opt_state"}


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


def state_axes(state: GANState) -> GANState:
    """The vmap axes of a stacked state: 0 everywhere but the shared `step`."""
    return jax.tree.map(lambda _: 0, state).replace(step=None)


def initial_state(
    config: ml_collections.ConfigDict, experiment: build_lib.Experiment, runs: Runs | None = None
) -> GANState:
    """Every run's initial state, stacked on a leading axis; `step` is shared (a scalar).

    Run r is initialised from `PRNGKey(seeds[r])` exactly as a single run, then its swept
    hyperparameters are written into its slot of the optimiser states and penalty weights.
    """
    runs = runs_of(config) if runs is None else runs
    keys = jnp.stack([jax.random.PRNGKey(seed) for seed in runs.seeds])

    state = jax.jit(jax.vmap(lambda key: build_lib.new_state(config, experiment, key)))(keys)
    state = state.replace(step=state.step[0])
    return set_values(state, runs.values)


def set_values(state: GANState, values: dict[str, Sequence[float]]) -> GANState:
    """Write per-run hyperparameter values (`path -> [runs]`) into a stacked state."""
    for path, per_run in values.items():
        parts = path.split(".")
        if parts[0] == "optimizer":
            field = _OPTIMIZERS[parts[1]]
            opt_state = getattr(state, field)
            hyperparams = dict(opt_state.hyperparams)
            old = hyperparams[parts[2]]
            hyperparams[parts[2]] = jnp.asarray(per_run, old.dtype).reshape(old.shape)
            state = state.replace(**{field: opt_state._replace(hyperparams=hyperparams)})
        else:
            weights = dict(state.penalty_weights)
            old = weights[parts[1]]
            weights[parts[1]] = jnp.asarray(per_run, old.dtype).reshape(old.shape)
            state = state.replace(penalty_weights=weights)
    return state


def unstack(state: GANState, run: int) -> GANState:
    """Run `run`'s own state (a single-run `GANState`) out of a stacked one."""
    axes = state_axes(state)
    return jax.tree.map(lambda axis, x: x if axis is None else x[run], axes, state, is_leaf=lambda a: a is None)


# ---------------------------------------------------------------------------- step and data


def vmap_runs(train_step: Callable, state_template: GANState) -> Callable:
    """`step(state, batch)` over a leading run axis of the state (but `step`) and of the batch."""
    axes = state_axes(state_template)
    return jax.vmap(train_step, in_axes=(axes, 0), out_axes=(axes, 0))


def per_run_metrics(metrics: dict[str, jax.Array], labels: Sequence[str]) -> dict[str, jax.Array]:
    """`{name: [K, runs]}` -> `{name/label: [K]}`: one series per run, so the loop logs each run
    and names the run whose measurement turned non-finite."""
    return {f"{name}/{label}": values[:, r] for name, values in metrics.items() for r, label in enumerate(labels)}


def run_datasets(config: ml_collections.ConfigDict, runs: Runs, dataset) -> list:
    """Each run's training set: `data.load(..., seed=its seed)`, or the one dataset when the
    data do not depend on the seed (checked on the first examples of two seeds)."""
    distinct = sorted(set(runs.seeds))
    if len(distinct) == 1:
        return [dataset] * len(runs)

    def load(seed):
        return data_lib.load(
            config.data.name,
            split=config.data.split,
            seed=seed,
            num_examples=config.data.num_examples,
            image_size=config.data.image_size,
            data_dir=config.data.data_dir,
        )

    probe = np.arange(min(len(dataset), 256))
    other = load(distinct[1])
    if np.array_equal(dataset.get(probe)["x"], other.get(probe)["x"]):
        return [dataset] * len(runs)
    loaded = {runs.seeds[0]: dataset, distinct[1]: other}
    for seed in distinct:
        if seed not in loaded:
            loaded[seed] = load(seed)
    return [loaded[seed] for seed in runs.seeds]


class RunsFeeder:
    """Batches for steps [s, s+K) of every run: indices `[K, runs, n_critic, B]`, each run in
    its own order (`batch_indices` with its seed). Like the single-run feeder, a dataset that
    fits is kept on the devices (once when shared, stacked `[runs, N, ...]` otherwise)."""

    def __init__(self, datasets, mesh, *, seeds, batch_size, num_critic_steps, steps_per_call, on_device):
        self.datasets = list(datasets)
        self.mesh = mesh
        self.seeds = tuple(seeds)
        self.batch_size = batch_size
        self.num_critic_steps = num_critic_steps
        self.steps_per_call = steps_per_call
        self.shared = all(d is self.datasets[0] for d in self.datasets)
        self.device_arrays = None
        if on_device:
            owners = self.datasets[:1] if self.shared else self.datasets
            arrays = [d.arrays() for d in owners]
            if all(a is not None for a in arrays):
                x = arrays[0]["x"] if self.shared else np.stack([a["x"] for a in arrays])
                self.device_arrays = parallel.replicate({"x": x}, mesh)

    def indices(self, start_step: int) -> np.ndarray:
        def one(dataset, seed):
            rows = [
                data_lib.batch_indices(
                    (start_step + k) * self.num_critic_steps + c,
                    num_examples=len(dataset),
                    batch_size=self.batch_size,
                    seed=seed,
                )
                for k in range(self.steps_per_call)
                for c in range(self.num_critic_steps)
            ]
            return np.stack(rows).reshape(self.steps_per_call, self.num_critic_steps, self.batch_size)

        return np.stack([one(d, s) for d, s in zip(self.datasets, self.seeds)], axis=1)

    def inputs(self, start_step: int) -> tuple:
        indices = self.indices(start_step)
        if self.device_arrays is not None:
            return (self.device_arrays, parallel.shard_batch(indices.astype(np.int32), self.mesh, RUNS_BATCH_SPEC))
        xs = []
        for r, dataset in enumerate(self.datasets):
            flat = indices[:, r].reshape(-1, self.batch_size)
            local = data_lib.process_slice(
                flat.T, process_index=jax.process_index(), process_count=jax.process_count()
            ).T
            x = dataset.get(local.reshape(-1))["x"]
            xs.append(x.reshape(self.steps_per_call, self.num_critic_steps, local.shape[-1], *x.shape[1:]))
        return (parallel.shard_batch({"x": np.stack(xs, axis=1)}, self.mesh, RUNS_BATCH_SPEC),)


def _gather(arrays, indices, shared: bool):
    if shared:
        return jax.tree.map(lambda a: jnp.take(a, indices, axis=0), arrays)
    take = jax.vmap(lambda a, i: jnp.take(a, i, axis=0), in_axes=(0, 1), out_axes=1)
    return jax.tree.map(lambda a: take(a, indices), arrays)


def make_call(per_device_fn: Callable, mesh, *, gather: bool, shared: bool, donate: bool = True) -> Callable:
    """`jit(shard_map(fn))` with the run axis on the batch: state replicated, examples sharded."""
    if gather:

        def gathered(state, arrays, indices):
            return per_device_fn(state, _gather(arrays, indices, shared))

        mapped = jax.shard_map(
            gathered, mesh=mesh, in_specs=(P(), P(), RUNS_BATCH_SPEC), out_specs=(P(), P()), check_vma=False
        )
    else:
        mapped = jax.shard_map(
            per_device_fn, mesh=mesh, in_specs=(P(), RUNS_BATCH_SPEC), out_specs=(P(), P()), check_vma=False
        )
    return jax.jit(mapped, donate_argnums=(0,) if donate else ())


def setup(config: ml_collections.ConfigDict, *, devices: list | None = None):
    """Like `loop.setup`, for the runs of `config` trained together: a `loop.Run` whose state is
    stacked, whose call trains every run, and whose feeder feeds every run."""
    from jaxgan.train.loop import Run  # the loop imports this module

    runs = runs_of(config)
    mesh = parallel.make_mesh(devices)
    experiment = build_experiment(config, num_devices=mesh.size, axis_name=parallel.AXIS)
    step = build_lib.train_step(experiment, axis_name=parallel.AXIS)
    state = initial_state(config, experiment, runs)
    multi_step = make_multi_step(vmap_runs(step, state), config.steps_per_call)

    def per_device(state, batches):
        state, metrics = multi_step(state, batches)
        return state, per_run_metrics(metrics, runs.labels)

    feeder = RunsFeeder(
        run_datasets(config, runs, experiment.dataset),
        mesh,
        seeds=runs.seeds,
        batch_size=config.batch_size,
        num_critic_steps=config.num_critic_steps,
        steps_per_call=config.steps_per_call,
        on_device=config.data.on_device,
    )
    call = make_call(per_device, mesh, gather=feeder.device_arrays is not None, shared=feeder.shared)
    return Run(config, experiment, mesh, state, call, feeder)


# ---------------------------------------------------------------------------- samples and evaluation


class RunsSampler:
    """`sample(state, key, num)` of a stacked state: a list of `num` samples per run.

    Every run is sampled at the same latent points (common random numbers: differences
    between runs are then the runs', not the draw's)."""

    def __init__(self, generator, latent_dim: int, *, batch_size: int = 500):
        self.latent_dim = latent_dim
        self.batch_size = batch_size

        def generate(params, variables, z):
            return generator.apply({"params": params, **variables}, z, train=False)

        self._generate = jax.jit(jax.vmap(generate, in_axes=(0, 0, None)))

    def sample(self, state: GANState, key: jax.Array, num: int) -> list[np.ndarray]:
        params = jax.device_get(state.sampling_params)
        variables = jax.device_get(state.g_variables)
        z = jax.random.normal(key, (num, self.latent_dim), jnp.float32)
        padded = -(-num // self.batch_size) * self.batch_size
        z = jnp.pad(z, ((0, padded - num), (0, 0)))
        chunks = [
            self._generate(params, variables, z[i : i + self.batch_size]) for i in range(0, padded, self.batch_size)
        ]
        stacked = np.asarray(jnp.concatenate(chunks, axis=1)[:, :num], np.float32)
        return list(stacked)


def sampler(config: ml_collections.ConfigDict, generator):
    """The loop's sampler: `sampling.Sampler` for one run, `RunsSampler` for several."""
    if num_runs(config) == 1:
        return sampling.Sampler(generator, config.latent_dim)
    return RunsSampler(generator, config.latent_dim)


def evaluator(config: ml_collections.ConfigDict, dataset, sampler_) -> Callable[[GANState], dict[str, float]] | None:
    """The loop's evaluator: per-run values under `name/label` (and `name/mean` over seeds)."""
    if num_runs(config) == 1:
        return sampling.make_evaluator(config, dataset, sampler_)
    names = [n.strip() for n in str(config.evaluators or "").split(",") if n.strip()]
    if not names:
        return None
    from jaxgan.metrics import evaluators  # metrics pull in their feature networks lazily

    unknown = sorted(set(names) - set(evaluators.names()))
    if unknown:
        raise ValueError(f"config.evaluators names {unknown}, which are unknown; use names from {evaluators.names()}.")
    runs = runs_of(config)
    labels = runs.labels
    real = sampling.real_samples(dataset, config.num_eval_samples, seed=config.seed)

    def evaluate(state: GANState) -> dict[str, float]:
        fakes = sampler_.sample(state, jax.random.PRNGKey(config.seed + 2), config.num_eval_samples)
        per_run = [
            evaluators.evaluate(names, real=real, fake=fake, dataset_name=config.data.name, metadata=dataset.metadata)
            for fake in fakes
        ]
        result = {}
        for key in per_run[0]:
            values = [float(values[key]) for values in per_run]
            result.update({f"{key}/{label}": v for label, v in zip(labels, values)})
            if not runs.values:  # runs that differ only by seed: their mean is the estimate
                result[f"{key}/mean"] = float(np.mean(values))
        return result

    return evaluate


def samples_picture(samples, metadata: dict | None = None, *, columns: int | None = None) -> np.ndarray:
    """`writers.samples_picture` of one run's samples, or a mosaic of one panel per run (a list)."""
    if not isinstance(samples, list):
        return writers.samples_picture(samples, metadata)
    return mosaic([writers.samples_picture(s, metadata) for s in samples], columns=columns)


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
