"""Objectives by name: `get(name, **params) -> Objective`, `names()`.

`get` checks the name and the parameters before anything is traced, binds the parameters
to the module-level loss functions with `functools.partial`, and returns the `Objective`
the train step is written against. Parameter defaults are the functions' own defaults.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from jaxgan.losses import fgan, fisher, mmd, relativistic, separable
from jaxgan.losses._base import Objective, StatefulObjective


@dataclasses.dataclass(frozen=True)
class _Entry:
    discriminator: Callable
    generator: Callable
    discriminator_params: tuple[str, ...] = ()
    generator_params: tuple[str, ...] = ()
    # Checks the merged parameters; returns them, normalised where needed.
    validate: Callable[[dict[str, Any]], dict[str, Any]] = lambda params: params
    initial_state: Callable[[], Any] | None = None

    def defaults(self) -> dict[str, Any]:
        defaults = {}
        for function, params in (
            (self.discriminator, self.discriminator_params),
            (self.generator, self.generator_params),
        ):
            signature = inspect.signature(function).parameters
            defaults.update({param: signature[param].default for param in params})
        return defaults


def _checked(*checks: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def validate(params):
        for check in checks:
            check(params)
        return params

    return validate


def _validate_mmd(params):
    mmd.check_unbiased(params["unbiased"])
    return {**params, "bandwidths": mmd.check_bandwidths(params["bandwidths"])}


_label_smoothing = _checked(lambda p: separable.check_label_smoothing(p["label_smoothing"]))
_generator_form = _checked(lambda p: fgan.check_generator_form(p["generator_form"]))

_REGISTRY: Mapping[str, _Entry] = {
    "minimax": _Entry(
        separable.minimax_discriminator_loss,
        separable.minimax_generator_loss,
        ("label_smoothing",),
        (),
        _label_smoothing,
    ),
    "non_saturating": _Entry(
        separable.non_saturating_discriminator_loss,
        separable.non_saturating_generator_loss,
        ("label_smoothing",),
        (),
        _label_smoothing,
    ),
    "least_squares": _Entry(
        separable.least_squares_discriminator_loss,
        separable.least_squares_generator_loss,
        ("a", "b"),
        ("c",),
        _checked(lambda p: separable.check_least_squares_targets(p["a"], p["b"])),
    ),
    "wasserstein": _Entry(separable.wasserstein_discriminator_loss, separable.wasserstein_generator_loss),
    "hinge": _Entry(separable.hinge_discriminator_loss, separable.hinge_generator_loss),
    "relativistic_average": _Entry(
        relativistic.relativistic_average_discriminator_loss, relativistic.relativistic_average_generator_loss
    ),
    **{
        f"fgan_{divergence}": _Entry(
            getattr(fgan, f"fgan_{divergence}_discriminator_loss"),
            getattr(fgan, f"fgan_{divergence}_generator_loss"),
            (),
            ("generator_form",),
            _generator_form,
        )
        for divergence in fgan.DIVERGENCES
    },
    "fisher": _Entry(
        fisher.fisher_discriminator_loss,
        fisher.fisher_generator_loss,
        ("rho",),
        (),
        _checked(lambda p: fisher.check_rho(p["rho"])),
        initial_state=fisher.fisher_init_state,
    ),
    "mmd": _Entry(
        mmd.mmd_discriminator_loss,
        mmd.mmd_generator_loss,
        ("bandwidths", "unbiased"),
        ("bandwidths", "unbiased"),
        _validate_mmd,
    ),
}


def names() -> tuple[str, ...]:
    """The registered objective names, sorted."""
    return tuple(sorted(_REGISTRY))


def get(name: str, **params: Any) -> Objective:
    """The objective `name` with `params` bound, e.g. `get("least_squares", a=-1.0, b=1.0, c=0.0)`.

    Returns an `Objective` (a `StatefulObjective` for "fisher"). Raises `ValueError` for an
    unknown name, an unknown parameter, or a parameter value the objective cannot use.
    """
    if name not in _REGISTRY:
        raise ValueError(f"Unknown objective (config.loss.name) {name!r}; accepted names are {list(names())}.")
    entry = _REGISTRY[name]
    defaults = entry.defaults()
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        accepted = sorted(defaults) if defaults else "none"
        raise ValueError(f"Objective {name!r} got unknown parameter(s) {unknown}; it accepts {accepted}.")
    bound = entry.validate({**defaults, **params})
    discriminator = functools.partial(entry.discriminator, **{k: bound[k] for k in entry.discriminator_params})
    generator = functools.partial(entry.generator, **{k: bound[k] for k in entry.generator_params})
    if entry.initial_state is not None:
        return StatefulObjective(name, discriminator, generator, initial_state=entry.initial_state)
    return Objective(name, discriminator, generator)
