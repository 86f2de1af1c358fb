"""What every family builds from the config the same way: `Parts(config, dataset, family, axis_name)`.

A family's `build(parts)` asks its parts by role, and never reads a network, an optimiser, an
objective or a penalty out of the config itself:

    parts.generator()                      # config.model.generator, a registered generator
    parts.network("encoder")               # config.model.encoder, any kind of the models registry
    parts.optimizer("discriminator")       # config.optimizer.discriminator, any optax optimiser
    parts.objective()                      # config.loss, from the objectives registry
    parts.penalties()                      # config.penalties with non-zero weights, as (name, fn)
    parts.settings                         # the family's own section, config.<family.section>
    parts.stage                            # the stage to build, for a run in stages (family.Stages)

Every network gets the config's compute dtype and the device axis for the fields it has
(`batch_norm_axis_name`, `example_axis_name`). The parts record which `config.model.<entry>`
and `config.optimizer.<group>` the family asked for, so the shell refuses an entry that no part
of the program reads (`registry.build_program`).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan import losses as losses_lib
from jaxgan import models as models_lib
from jaxgan import penalties as penalties_lib
from jaxgan import regularisers
from jaxgan.programs.family import settings_of

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
AUTOENCODERS = ("autoencoder", "began_autoencoder", "mlp_autoencoder")  # the registered discriminators that reconstruct


def optimizer(spec: ml_collections.ConfigDict, group: str) -> optax.GradientTransformation:
    """Any optax optimiser by name (`config.optimizer.<group>`), its hyperparameters injected
    into its state (`optax.inject_hyperparams`), so a sweep can set them per run.

    `config.optimizer.<group>.schedule` (optional): any optax schedule by name and arguments,
    e.g. `{"name": "cosine_decay_schedule", "init_value": 1.0, "decay_steps": 5000}`, a factor
    of the learning rate at each of the group's updates (the optimiser's update times the
    schedule's value at the update's count, kept in the optimiser's state: resumed with it). For
    optax's optimisers, whose learning rate scales the final update, this is the learning rate
    times the factor, and the learning rate stays a sweepable number. Counted in the group's own
    updates (a D trained 5 times a step counts 5).

    `config.optimizer.<group>.l2_penalty` (optional, a number >= 0): adds `l2_penalty * θ` to the
    gradient before the optimiser (`optax.add_decayed_weights` first in the chain), which is
    PyTorch's `weight_decay` of `torch.optim.Adam` (an L2 penalty, coupled: Adam normalises it with
    the loss's gradient), not AdamW's decoupled decay (optax's `adamw` and its `weight_decay`).
    Injected too: a sweep can set it per run."""
    spec = dict(spec)
    name = spec.pop("name", None)
    schedule_spec = spec.pop("schedule", None)
    l2_penalty = spec.pop("l2_penalty", None)
    factory = getattr(optax, name, None) if isinstance(name, str) else None
    if factory is None or not callable(factory) or not inspect.isfunction(factory):
        raise ValueError(
            f"config.optimizer.{group}.name={name!r} is not an optax optimiser; use one of optax's "
            "optimiser function names, e.g. 'adam', 'adamw', 'rmsprop', 'sgd'."
        )
    accepted = optimizer_arguments(name)
    unknown = sorted(set(spec) - accepted)
    if unknown:
        raise ValueError(
            f"config.optimizer.{group} has unknown field(s) {unknown} for optax.{name}; accepted: "
            f"{sorted(accepted | {'schedule', 'l2_penalty'})}."
        )
    if l2_penalty is not None and (
        isinstance(l2_penalty, bool) or not isinstance(l2_penalty, (int, float)) or not 0 <= l2_penalty < float("inf")
    ):
        raise ValueError(f"config.optimizer.{group}.l2_penalty must be a number >= 0; got {l2_penalty!r}.")
    if schedule_spec is None and l2_penalty is None:
        return optax.inject_hyperparams(factory)(**spec)
    factor = None if schedule_spec is None else schedule(schedule_spec, group)

    def chained(**arguments):
        penalty = arguments.pop("l2_penalty", None)
        links = [] if penalty is None else [optax.add_decayed_weights(penalty)]
        links.append(factory(**arguments))
        if factor is not None:
            links.append(optax.scale_by_schedule(factor))
        return optax.chain(*links)

    signature = inspect.signature(factory)  # inject_hyperparams binds arguments by it
    if l2_penalty is not None:
        spec["l2_penalty"] = float(l2_penalty)
        extra = inspect.Parameter("l2_penalty", inspect.Parameter.KEYWORD_ONLY, default=None)
        signature = signature.replace(parameters=[*signature.parameters.values(), extra])
    chained.__signature__ = signature

    return optax.inject_hyperparams(chained)(**spec)


def schedule(spec, group: str) -> optax.Schedule:
    """The optax schedule `config.optimizer.<group>.schedule` names (`optax.schedules.<name>` with
    its numeric arguments), or one sentence naming the setting and what is accepted."""
    field = f"config.optimizer.{group}.schedule"
    if not isinstance(spec, (dict, ml_collections.ConfigDict)):
        raise ValueError(f"{field} must be a dict with an optax schedule's name and arguments; got {spec!r}.")
    spec = dict(spec)
    name = spec.pop("name", None)
    names = schedule_names()
    if name not in names:
        raise ValueError(f"{field}.name={name!r} is not an optax schedule; use one of {sorted(names)}.")
    parameters = inspect.signature(getattr(optax.schedules, name)).parameters
    unknown = sorted(set(spec) - set(parameters))
    if unknown:
        raise ValueError(
            f"{field} has unknown field(s) {unknown} for optax.schedules.{name}; accepted: {sorted(parameters)}."
        )
    try:
        factor = getattr(optax.schedules, name)(**{key: _plain(value) for key, value in spec.items()})
        float(factor(0))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field} does not make an optax.schedules.{name}: {error}") from None
    return factor


def _plain(value):
    """A config value as optax takes it: a dict with integer keys where the config wrote step
    numbers as strings (ConfigDict keys are strings: `boundaries_and_scales`)."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        return {
            int(key) if isinstance(key, str) and key.isdigit() else key: _plain(item) for key, item in value.items()
        }
    return value


def schedule_names() -> set[str]:
    """The optax schedules a config may name: the functions of `optax.schedules` whose name ends
    in `_schedule` or `_decay` and that take numbers (not `join_schedules`, which takes schedules)."""
    return {
        name
        for name, value in vars(optax.schedules).items()
        if inspect.isfunction(value)
        and (name.endswith("_schedule") or name.endswith("_decay"))
        and name != "join_schedules"
    }


def check_number(
    field: str, value, low: float, high: float = math.inf, *, closed_low: bool = False, closed_high: bool = True
) -> float:
    """`value` as a float in the interval from `low` to `high` (each end closed or open), or one
    sentence naming `config.<field>` and the interval."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low <= value if closed_low else low < value) and (value <= high if closed_high else value < high)
    if not ok:
        bounds = f"{'[' if closed_low else '('}{low:g}, {high:g}{']' if closed_high else ')'}".replace("inf]", "inf)")
        raise ValueError(f"config.{field} must be a number in {bounds}; got {value!r}.")
    return float(value)


def optimizer_arguments(name) -> set[str]:
    """The keyword arguments of the optax optimiser `name` (empty when it is not one)."""
    factory = getattr(optax, name, None) if isinstance(name, str) else None
    return set(inspect.signature(factory).parameters) if inspect.isfunction(factory) else set()


class Parts:
    """The parts of one family's program, built from `config` for `dataset` (see the module doc)."""

    def __init__(self, config: ml_collections.ConfigDict, dataset, *, family, axis_name: str | None, stage: int = 0):
        self.config = config
        self.dataset = dataset
        self.family = family
        self.axis_name = axis_name
        self.stage = stage  # the stage of a run in stages (`family.Stages`); 0 for any other run
        self.models_read: set[str] = set()
        self.optimizers_read: set[str] = set()

    # -------------------------------------------------------------------- settings

    @property
    def settings(self) -> ml_collections.ConfigDict:
        """The family's own section: its defaults, updated by `config.<family.section>` when the
        config has it (its keys are checked against the defaults by the shell)."""
        return settings_of(self.config, self.family)

    @property
    def dtype(self):
        return DTYPES[self.config.model.dtype]  # the name is checked by the shell

    def number(self, name: str, low: float = 0.0, high: float = math.inf, *, closed_low: bool = False) -> float:
        """`settings.<name>` as a float in (low, high] ([low, high] with `closed_low`), or one sentence."""
        return check_number(f"{self.family.section}.{name}", self.settings[name], low, high, closed_low=closed_low)

    def integer(self, name: str, low: int) -> int:
        """`settings.<name>` as an integer >= low, or one sentence."""
        value = self.settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"config.{self.family.section}.{name} must be an integer >= {low}; got {value!r}.")
        return value

    def flag(self, name: str) -> bool:
        """`settings.<name>` as True or False, or one sentence."""
        value = self.settings[name]
        if not isinstance(value, bool):
            raise ValueError(f"config.{self.family.section}.{name} must be True or False; got {value!r}.")
        return value

    def choice(self, name: str, accepted: Sequence[str]) -> str:
        """`settings.<name>`, one of `accepted`, or one sentence."""
        value = self.settings[name]
        if value not in accepted:
            raise ValueError(f"config.{self.family.section}.{name}={value!r} is not one of {list(accepted)}.")
        return value

    # -------------------------------------------------------------------- networks

    def network_name(self, entry: str) -> str:
        """The registered name that `config.model.<entry>` names (before the network is built)."""
        if entry not in self.config.model:
            raise ValueError(
                f"program {self.family.name!r} needs config.model.{entry} (a network: its name and settings); "
                "add it to the config."
            )
        return self.config.model[entry].name

    def network(self, entry: str, *, kind: str | None = None, accept: Sequence[str] = (), **settings) -> nn.Module:
        """The network of `config.model.<entry>`, a registered network of `kind` (default: the
        entry's name). `accept`: the names this family can use (default: every name of the
        kind). `settings`: the family's own, which the config does not set (a conditional
        body's `features_only`, a translation generator's `out_channels`)."""
        kind = kind or entry
        name = self.network_name(entry)
        allowed = tuple(accept) or models_lib.names(kind)
        if name not in allowed:
            raise ValueError(
                f"config.model.{entry}.name={name!r} is not a {kind} program {self.family.name!r} can use; "
                f"use one of {sorted(allowed)}."
            )
        kwargs = self.config.model[entry].to_dict()
        kwargs.pop("name")
        fields = models_lib.module_fields(models_lib.network_class(kind, name))
        fixed = {"dtype": self.dtype}
        if "batch_norm_axis_name" in fields:
            fixed["batch_norm_axis_name"] = self.axis_name if self.config.model.cross_device_batch_norm else None
        if "example_axis_name" in fields:
            fixed["example_axis_name"] = self.axis_name
        # A config entry lists every setting of its network (`jaxgan.config.model_config`); one the
        # family sets itself may stay at the network's default there, or equal the family's value.
        defaults = models_lib.default_settings(kind, name)
        clash = sorted(
            k
            for k in set(kwargs) & set(settings)
            if _setting(kwargs[k]) not in (_setting(settings[k]), _setting(defaults.get(k)))
        )
        if clash:
            raise ValueError(
                f"config.model.{entry}.{clash[0]}={kwargs[clash[0]]!r} is set by program {self.family.name!r} "
                f"(to {settings[clash[0]]!r} here); remove it from config.model.{entry}."
            )
        unknown = sorted(set(kwargs) - set(fields))
        if unknown:
            accepted = [f for f in fields if f not in fixed and f not in settings]
            raise ValueError(
                f"config.model.{entry} has unknown setting(s) {unknown} for {name!r}; accepted: {accepted}."
            )
        self.models_read.add(entry)
        return models_lib.build(kind, name, **{**kwargs, **fixed, **settings})

    def generator(self, entry: str = "generator", **settings) -> nn.Module:
        """`config.model.<entry>`, a registered generator whose samples have the dataset's shape."""
        module = self.network(entry, kind="generator", **settings)
        shape = getattr(module, "output_shape", None)
        if shape is not None and tuple(shape) != tuple(self.dataset.element_shape):
            raise ValueError(
                f"the generator makes samples of shape {tuple(shape)} but dataset {self.config.data.name!r} has "
                f"{tuple(self.dataset.element_shape)}; set config.model.{entry}.output_shape (or its image size) to match."
            )
        return module

    def discriminator(self, entry: str = "discriminator", **settings) -> nn.Module:
        """`config.model.<entry>`, a registered discriminator."""
        return self.network(entry, kind="discriminator", **settings)

    def autoencoder(self, entry: str = "discriminator") -> nn.Module:
        """`config.model.<entry>` as an autoencoder D (EBGAN, BEGAN): "autoencoder" for images,
        "mlp_autoencoder" for points."""
        images = len(self.dataset.element_shape) == 3
        name = self.network_name(entry)
        if name in AUTOENCODERS and images != (name != "mlp_autoencoder"):
            wanted = "autoencoder" if images else "mlp_autoencoder"
            raise ValueError(
                f"config.model.{entry}.name={name!r} does not fit dataset {self.config.data.name!r} of shape "
                f"{tuple(self.dataset.element_shape)}; use {wanted!r}."
            )
        return self.network(entry, kind="discriminator", accept=AUTOENCODERS)

    # -------------------------------------------------------------------- optimisers, objective, penalties

    def optimizer(self, group: str) -> optax.GradientTransformation:
        """The optax optimiser of the update group `group`: `config.optimizer.<group>`."""
        if group not in self.config.optimizer:
            raise ValueError(
                f"program {self.family.name!r} trains the group {group!r}, which needs config.optimizer.{group} "
                "(an optax optimiser's name and arguments); add it to the config."
            )
        self.optimizers_read.add(group)
        return optimizer(self.config.optimizer[group], group)

    def objective(self) -> losses_lib.Objective:
        """The objective of `config.loss` (`jaxgan.losses.get(name, **params)`)."""
        return losses_lib.get(self.config.loss.name, **self.config.loss.params.to_dict())

    def penalties(self) -> tuple[list[tuple[str, penalties_lib.Penalty]], dict[str, float]]:
        """The penalties of non-zero weight in `config.penalties`, and their weights by name (the
        program's sweepable `hyper`)."""
        for name, weight in self.config.penalties.items():
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"config.penalties.{name} must be a non-negative weight; got {weight!r}.")
        chosen = penalties_lib.from_weights(dict(self.config.penalties), target_norm=self.config.penalty_target_norm)
        return chosen, {name: float(self.config.penalties[name]) for name, _ in chosen}

    def projection(self):
        """Weight clipping after each D update (`config.clip_weights` > 0), else None."""
        if self.config.clip_weights > 0:
            clip = float(self.config.clip_weights)
            return lambda trained: penalties_lib.clip_weights(trained, clip)
        return None

    def ema(self, network: str = "generator") -> dict[str, Any]:
        """`{network: config.ema_decay}` when an EMA of its parameters is kept (decay > 0); with
        `config.ema_rampup` > 0 the decay is ADA's ramp-up schedule of the step
        (`jaxgan.regularisers.ema_decay`)."""
        rampup = self.config.get("ema_rampup", 0.0)
        if isinstance(rampup, bool) or not isinstance(rampup, (int, float)) or not 0 <= rampup < math.inf:
            raise ValueError(f"config.ema_rampup must be a number >= 0 (0: no ramp-up); got {rampup!r}.")
        if self.config.ema_decay <= 0:
            if rampup > 0:
                raise ValueError(
                    f"config.ema_rampup={rampup!r} ramps up an EMA, and config.ema_decay is 0 (no EMA); set ema_decay "
                    "> 0 or ema_rampup to 0."
                )
            return {}
        decay = float(self.config.ema_decay)
        if rampup == 0:
            return {network: decay}
        return {network: functools.partial(regularisers.ema_decay, decay=decay, rampup=float(rampup))}

    def num_classes(self) -> int:
        """The dataset's number of classes; `settings.num_classes` must equal it."""
        num_classes = self.settings.num_classes
        if self.dataset.num_classes is None:
            raise ValueError(
                f"config.program={self.config.program!r} needs labels, and dataset {self.config.data.name!r} has none; "
                "use a labelled dataset (e.g. mnist, digits, ring, grid, a folder: source with class subfolders or a "
                "dataset.json, an array: .npz with `label`)."
            )
        if num_classes != self.dataset.num_classes:
            raise ValueError(
                f"config.{self.family.section}.num_classes ({num_classes!r}) must be dataset {self.config.data.name!r}'s "
                f"number of classes, {self.dataset.num_classes}."
            )
        return num_classes


def _setting(value):
    return tuple(value) if isinstance(value, list) else value
