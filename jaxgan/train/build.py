"""From a config to the built parts of an experiment, checking every setting before compiling.

This is where the config becomes objects: the dataset, the networks, the objective, the
penalties, the optimisers and the program they make (`config.program`). The state and the
step get only the program; the loop reads its own settings (steps, cadence, batch size).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan import data as data_lib
from jaxgan import losses as losses_lib
from jaxgan import penalties as penalties_lib
from jaxgan import programs
from jaxgan.program import Program
from jaxgan.programs import _parts
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


def optimizer(spec: ml_collections.ConfigDict, which: str) -> optax.GradientTransformation:
    """Any optax optimiser by name, its hyperparameters injected into its state (vmappable)."""
    spec = dict(spec)
    name = spec.pop("name", None)
    factory = getattr(optax, name, None) if isinstance(name, str) else None
    if factory is None or not callable(factory) or not inspect.isfunction(factory):
        raise ValueError(
            f"config.optimizer.{which}.name={name!r} is not an optax optimiser; use one of optax's "
            "optimiser function names, e.g. 'adam', 'adamw', 'rmsprop', 'sgd'."
        )
    accepted = set(inspect.signature(factory).parameters)
    unknown = sorted(set(spec) - accepted)
    if unknown:
        raise ValueError(
            f"config.optimizer.{which} has unknown field(s) {unknown} for optax.{name}; accepted: {sorted(accepted)}."
        )
    return optax.inject_hyperparams(factory)(**spec)


def _accepted(name) -> set[str]:
    factory = getattr(optax, name, None) if isinstance(name, str) else None
    return set(inspect.signature(factory).parameters) if inspect.isfunction(factory) else set()


def build(config: ml_collections.ConfigDict, *, num_devices: int = 1, axis_name: str | None = None) -> Experiment:
    """Check the config and build its parts; every mistake raises one ValueError sentence.

    The settings every program shares are checked here, then `config.program` names the
    family whose builder (`PROGRAMS`) turns the config's model, loss and optimiser sections
    into its `Program`.
    """
    if config.program not in PROGRAMS:
        raise ValueError(f"config.program={config.program!r} is not a program; use one of {sorted(PROGRAMS)}.")
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

        evaluators.parse_names(config.evaluators)  # an unknown name is refused before anything is built
    parallel.check_global_batch(batch_size, num_devices, pack=pack)
    d_optimizer = config.optimizer.discriminator
    if config.unroll_steps and "eps_root" in _accepted(d_optimizer.get("name")) and not d_optimizer.get("eps_root"):
        raise ValueError(
            f"config.unroll_steps={config.unroll_steps} differentiates through optax.{d_optimizer.name}, which needs "
            "config.optimizer.discriminator.eps_root > 0 (e.g. 1e-8); set it, or use unroll_steps=0."
        )

    dtype_name = config.model.dtype
    if dtype_name not in _parts.DTYPES:
        raise ValueError(f"config.model.dtype={dtype_name!r} is not supported; use one of {sorted(_parts.DTYPES)}.")

    dataset = load_dataset(config, seed=config.seed)
    needed = batch_size * num_critic_steps
    if needed > len(dataset):
        raise ValueError(
            f"config.batch_size ({batch_size}) x num_critic_steps ({num_critic_steps}) is larger than "
            f"dataset {config.data.name!r} ({len(dataset)} examples); use a batch of at most {len(dataset) // num_critic_steps}."
        )

    program = PROGRAMS[config.program](config, dataset, axis_name=axis_name)
    return Experiment(dataset=dataset, program=program, feature_specs=feature_specs(dataset, program))


def load_dataset(config: ml_collections.ConfigDict, *, seed: int):
    """The training set of `config.data` for `seed`, with its labelled subset when
    `config.data.labelled_per_class` > 0 (semi-supervised programs)."""
    from jaxgan.data import semi_supervised

    labelled = config.data.labelled_per_class
    if labelled and config.program not in LABELLED_SUBSET_PROGRAMS:
        raise ValueError(
            f"config.data.labelled_per_class={labelled!r} is read by program(s) {sorted(LABELLED_SUBSET_PROGRAMS)} "
            f"only; leave it at 0 for config.program={config.program!r}."
        )
    dataset = data_lib.load(
        config.data.name,
        split=config.data.split,
        seed=seed,
        num_examples=config.data.num_examples,
        image_size=config.data.image_size,
        data_dir=config.data.data_dir,
    )
    if labelled:
        dataset = semi_supervised.labelled_subset(dataset, labelled, seed=seed)
    return dataset


def _gan(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None) -> Program:
    """The unconditional GAN (`programs/gan.py`) from `config.model`, `loss`, `penalties`, `optimizer`."""
    generator = _parts.generator(config, dataset, axis_name=axis_name)
    discriminator = _parts.discriminator(config, axis_name=axis_name)

    objective = losses_lib.get(config.loss.name, **config.loss.params.to_dict())

    for name, weight in config.penalties.items():
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"config.penalties.{name} must be a non-negative weight; got {weight!r}.")
    penalties = penalties_lib.from_weights(dict(config.penalties), target_norm=config.penalty_target_norm)
    penalty_weights = {name: float(config.penalties[name]) for name, _ in penalties}

    options = programs.gan.GanOptions(
        latent_dim=config.latent_dim,
        num_critic_steps=config.num_critic_steps,
        clip_weights=float(config.clip_weights),
        ema_decay=float(config.ema_decay),
        pack=config.pack,
        unroll_steps=int(config.unroll_steps),
        feature_matching=float(config.feature_matching),
    )
    return programs.gan.program(
        generator=generator,
        discriminator=discriminator,
        objective=objective,
        penalties=penalties,
        penalty_weights=penalty_weights,
        g_tx=optimizer(config.optimizer.generator, "generator"),
        d_tx=optimizer(config.optimizer.discriminator, "discriminator"),
        options=options,
    )


# Each program by name: `builder(config, dataset, *, axis_name) -> Program`.
PROGRAMS = {
    "gan": _gan,
    "conditional": programs.conditional.from_config,
    "acgan": programs.conditional.from_config,
    "infogan": programs.infogan.from_config,
    "semi_supervised": programs.semi_supervised.from_config,
    "ebgan": programs.ebgan.from_config,
    "began": programs.began.from_config,
    "madgan": programs.madgan.from_config,
    "vaegan": programs.vaegan.from_config,
    "pix2pix": programs.translation.pix2pix_from_config,
    "cyclegan": programs.translation.cyclegan_from_config,
}


# Programs that train on a labelled subset (`config.data.labelled_per_class`).
LABELLED_SUBSET_PROGRAMS = frozenset({"semi_supervised"})


def feature_specs(dataset, program: Program) -> dict[str, jax.ShapeDtypeStruct]:
    """The shape and dtype of one example of each batch feature the program reads.

    A dataset declares its features with `feature_specs() -> {name: (shape, dtype)}` (a
    translation dataset's `source` and `target`); without it they are `x` and, when it has
    labels, `label`."""
    declared = getattr(dataset, "feature_specs", None)
    if declared is not None:
        specs = {name: jax.ShapeDtypeStruct(tuple(shape), dtype) for name, (shape, dtype) in declared().items()}
    else:
        specs = {"x": jax.ShapeDtypeStruct(tuple(dataset.element_shape), jnp.float32)}
        if dataset.num_classes is not None:
            specs["label"] = jax.ShapeDtypeStruct((), jnp.int32)
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
