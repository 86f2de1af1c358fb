"""The runs of a config: its seeds and swept hyperparameter values, R >= 1 runs trained together.

    config.num_seeds = 10                     # runs with seeds seed, seed+1, ..., seed+9
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,2e-4,4e-4"

The runs are the product of the swept values and the seeds (seeds vary fastest), so the two
settings above give 30 runs. `sweep_values` holds `path=v1,v2,...` entries separated by `;`;
a path is a continuous hyperparameter that lives in the state, so one program serves every
value:

- `optimizer.<group>.<name>`, for every optimiser group of the program (`generator`,
  `discriminator`, VAE-GAN's `encoder`, ...; the section `config.optimizer.<group>`): any
  numeric argument of the optax optimiser (`learning_rate`, `b1`, ...); the optimisers are
  `optax.inject_hyperparams`, so the value sits in `state.opt_state[<group>].hyperparams[<name>]`;
- `penalties.<name>`: a penalty weight, `state.hyper[<name>]`.

Run r is exactly the single run of `Runs.configs(config)[r]` (same seed, same value). The
runs share one set of parts (`build_experiment`); `run_axis` stacks their states.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from typing import Any

import ml_collections
import optax

from jaxgan.train import build as build_lib


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
        "optimizer.<group>.<hyperparameter> (a numeric argument of the optax optimiser of an optimiser "
        "group in config.optimizer, e.g. optimizer.discriminator.learning_rate) or penalties.<name>."
    )


def _check_sweep_path(config: ml_collections.ConfigDict, path: str) -> None:
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "optimizer":
        if parts[1] not in config.optimizer:
            raise _sweep_error(path, f"and config.optimizer has no group {parts[1]!r} ({sorted(config.optimizer)})")
        spec = config.optimizer[parts[1]]
        factory = getattr(optax, spec.get("name", ""), None)
        accepted = set(inspect.signature(factory).parameters) if inspect.isfunction(factory) else set()
        if "l2_penalty" in spec:  # `programs.parts.optimizer` injects it beside the optimiser's own
            accepted.add("l2_penalty")
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
        _check_sweep_path(config, path)
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


def _build_config(config: ml_collections.ConfigDict, runs: Runs) -> ml_collections.ConfigDict:
    """The config the shared parts are built from: run 0's, with every swept penalty switched on."""
    # A penalty of weight 0 is left out of the step; keep it in when any run weighs it.
    overrides = {p: max(v) if p.startswith("penalties.") else v[0] for p, v in runs.values.items()}
    return with_overrides(config, {"seed": runs.seeds[0], **overrides})


def build_experiment(config: ml_collections.ConfigDict, *, runs: Runs | None = None, **kwargs) -> build_lib.Experiment:
    """`build.build` for the runs of `config` (default `runs_of(config)`): the parts they share
    (`kwargs` as for `build`)."""
    runs = runs_of(config) if runs is None else runs
    return build_lib.build(_build_config(config, runs), **kwargs)


def check_swept_groups(runs: Runs, group_names: list[str]) -> None:
    """Refuse a swept `optimizer.<group>.<name>` whose group the program does not have."""
    for path in runs.values:
        parts = path.split(".")
        if parts[0] == "optimizer" and parts[1] not in group_names:
            raise _sweep_error(path, f"and the program has no optimiser group {parts[1]!r} ({group_names})")
