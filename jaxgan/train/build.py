"""From a config to the built parts of an experiment, checking every setting before compiling.

This is where the config becomes objects: the dataset, and the program that the family of
`config.program` builds from it (`jaxgan.programs.registry`). The state and the step get only
the program; the loop reads its own settings (steps, cadence, batch size).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import ml_collections

from jaxgan import data as data_lib
from jaxgan.data import labelled, subset
from jaxgan.program import Program
from jaxgan.programs import registry
from jaxgan.train import parallel
from jaxgan.train import state as state_lib
from jaxgan.train.state import TrainState, create_state
from jaxgan.train.step import make_train_step


@dataclasses.dataclass(frozen=True)
class Experiment:
    """The built parts of a config: its dataset and its program (networks, groups, sampling)."""

    dataset: Any
    program: Program
    feature_specs: dict[str, jax.ShapeDtypeStruct]

    @property
    def sample_network(self):
        return self.program.networks[self.program.sample.network]


def _positive_int(config, name: str) -> int:
    value = config[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"config.{name} must be a positive integer; got {value!r}.")
    return value


def _non_negative(config, name: str) -> float:
    value = config[name]
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"config.{name} must be a non-negative number; got {value!r}.")
    return float(value)


def build(
    config: ml_collections.ConfigDict, *, num_devices: int = 1, axis_name: str | None = None, stage: int = 0
) -> Experiment:
    """Check the config and build its parts; every mistake raises one ValueError sentence.

    The settings every program shares are checked here; then `config.program` names the
    family (`jaxgan.programs.registry`), whose record refuses the shared settings it does not
    read and builds its `Program` from the config's model, loss and optimiser sections.
    `stage`: which program of a run in stages (`family.Stages`; its schedule is checked here).
    """
    family = registry.check_config(config)
    num_steps = _positive_int(config, "num_steps")
    batch_size = _positive_int(config, "batch_size")
    steps_per_call = _positive_int(config, "steps_per_call")
    num_critic_steps = _positive_int(config, "num_critic_steps")
    pack = _positive_int(config, "pack")
    _positive_int(config, "latent_dim")
    if not 0.0 <= config.ema_decay < 1.0:
        raise ValueError(f"config.ema_decay must be in [0, 1); got {config.ema_decay!r}.")
    for name in ("clip_weights", "feature_matching", "unroll_steps"):
        _non_negative(config, name)
    if num_steps % steps_per_call:
        raise ValueError(
            f"config.num_steps ({num_steps}) must be a multiple of config.steps_per_call ({steps_per_call})."
        )
    for name in ("log_every", "checkpoint_every", "sample_every"):
        every = config[name]
        if every and every % steps_per_call:
            raise ValueError(f"config.{name} ({every}) must be a multiple of config.steps_per_call ({steps_per_call}).")
    for name in ("keep_checkpoints", "num_samples", "num_eval_samples"):
        _positive_int(config, name)
    if str(config.evaluators or "").strip():
        from jaxgan.metrics import evaluators  # the metrics pull in their feature networks lazily

        # an unknown name is refused before anything is built
        evaluators.parse_names(config.evaluators, evaluators.with_own(family.exports.evaluators))
    parallel.check_global_batch(batch_size, num_devices, pack=pack)
    starts = registry.stage_starts(config)  # a run in stages: its schedule refused here when wrong
    if starts is not None:
        for first in starts[1:]:
            if first % steps_per_call:
                raise ValueError(
                    f"config.steps_per_call ({steps_per_call}) must divide the first step of every stage ({list(starts)}), "
                    "so that each call trains in one stage."
                )
        if not 0 <= stage < len(starts):
            raise ValueError(f"stage {stage} is not one of the run's stages 0..{len(starts) - 1}.")

    dataset = load_dataset(config, seed=config.seed)
    needed = batch_size * num_critic_steps
    if needed > len(dataset):
        raise ValueError(
            f"config.batch_size ({batch_size}) x num_critic_steps ({num_critic_steps}) is larger than "
            f"dataset {config.data.name!r} ({len(dataset)} examples); use a batch of at most {len(dataset) // num_critic_steps}."
        )

    program = registry.build_program(config, dataset, axis_name=axis_name, stage=stage)
    return Experiment(dataset=dataset, program=program, feature_specs=feature_specs(dataset, program))


def load_dataset(config: ml_collections.ConfigDict, *, seed: int):
    """The training set of `config.data` for `seed`: `config.data.num_train` examples of the split
    when it is > 0 (`jaxgan.data.subset`, drawn with `config.data.subset_seed`), with its labelled
    subset of `config.data.labelled_per_class` examples per class for a family that trains on one."""
    dataset = data_lib.load(config.data.name, split=config.data.split, seed=seed, **data_settings(config))
    dataset = subset.train_subset(
        dataset, config.data.get("num_train", 0), seed=config.data.get("subset_seed", 0), split=config.data.split
    )
    if registry.get(config.program).needs.labelled_subset and config.data.labelled_per_class:
        dataset = labelled.labelled_subset(dataset, config.data.labelled_per_class, seed=seed)
    return dataset


def data_settings(config: ml_collections.ConfigDict) -> dict:
    """The keyword arguments of `jaxgan.data.load` that `config.data` sets, besides name, split and seed."""
    names = ("num_examples", "image_size", "data_dir", "resize_filter", "channels", "labels", "num_classes")
    return {**{name: config.data[name] for name in names}, "skip_bad_files": config.data.skip_bad_files}


def feature_specs(dataset, program: Program) -> dict[str, jax.ShapeDtypeStruct]:
    """The shape and dtype of one example of each batch feature the program reads
    (`jaxgan.data.feature_specs`), refused in one sentence when the dataset lacks one."""
    specs = {
        name: jax.ShapeDtypeStruct(shape, dtype) for name, (shape, dtype) in data_lib.feature_specs(dataset).items()
    }
    missing = sorted(set(program.features) - set(specs))
    if missing:
        raise ValueError(
            f"the program reads batch feature(s) {missing}, which dataset {dataset.name!r} does not have "
            f"(it has {sorted(specs)}); use a dataset with them (config.data.name)."
        )
    return {name: specs[name] for name in program.features}


def train_step(experiment: Experiment, *, axis_name: str | None = None):
    """The per-device train step of an experiment (`step.make_train_step` on its program)."""
    return make_train_step(experiment.program, axis_name=axis_name)


def new_state(experiment: Experiment, rng) -> TrainState:
    """A fresh `TrainState` of an experiment from the key `rng`."""
    return create_state(experiment.program, rng=rng, feature_specs=experiment.feature_specs)


def state_init(experiment: Experiment):
    """The function `rng -> TrainState` that `new_state` compiles, to trace inside one's own
    transformation (`jax.vmap` over seeds)."""
    return state_lib.state_init(experiment.program, experiment.feature_specs)
