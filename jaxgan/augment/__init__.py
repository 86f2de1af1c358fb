"""Random per-example transformations of what a network sees: DiffAugment, ADA, latent noise.

    augmentation = diffaugment_stage(("color", "translation"), axis_name=axis) .then(ada_stage(...))
    Call("discriminator", ("x",), "d_real", augment=augmentation)   # D sees augment(x)

An `Augmentation` is a sequence of stages; each stage is a function of one example, its own key
and (optionally) a term's state (`one(x_i, key_i, state)`; ADA reads its p from the state of
the term named "ada"). A call applies it to the first input of each of its input sets
(`jaxgan.calls.run_call`), before packing. Example i's key for stage s is
`fold_in(fold_in(key, s), global index of i)` (`jaxgan.tricks.per_example_keys`), so every
example is transformed the same way on any number of devices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax

from jaxgan import tricks
from jaxgan.augment import ada, diffaugment


@dataclasses.dataclass(frozen=True)
class Stage:
    """`one(x_i, key_i, state) -> x_i` for one example; `state`: the term whose state it reads."""

    name: str
    one: Callable[[jax.Array, jax.Array, Any], jax.Array]
    state: str | None = None


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """Stages applied in order to a batch, each example from its global index (see the module doc)."""

    stages: tuple[Stage, ...]
    axis_name: str | None = None

    def then(self, other: Augmentation) -> Augmentation:
        """This augmentation, then `other` (on the same device axis)."""
        if other.axis_name != self.axis_name:
            raise ValueError("augmentations on different device axes cannot be chained.")
        return Augmentation(self.stages + other.stages, self.axis_name)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(stage.state for stage in self.stages if stage.state is not None)

    def __call__(self, x: jax.Array, key: jax.Array, term_state: Mapping[str, Any] | None = None) -> jax.Array:
        for index, stage in enumerate(self.stages):
            keys = tricks.per_example_keys(jax.random.fold_in(key, index), x.shape[0], self.axis_name)
            if stage.state is None:
                state = None
            elif term_state is None or stage.state not in term_state:
                raise ValueError(
                    f"augmentation {stage.name!r} reads the state of term {stage.state!r}, which is absent."
                )
            else:
                state = term_state[stage.state]
            x = jax.vmap(lambda xi, ki, stage=stage, state=state: stage.one(xi, ki, state))(x, keys)
        return x


def diffaugment_stage(policy: tuple[str, ...], *, axis_name: str | None = None) -> Augmentation:
    """DiffAugment's policies (`jaxgan.augment.diffaugment`), e.g. ("color", "translation", "cutout")."""
    return Augmentation(
        (Stage(",".join(policy), lambda x, key, state: diffaugment.augment_one(policy, x, key)),), axis_name
    )


def ada_stage(*, state: str = "ada", axis_name: str | None = None) -> Augmentation:
    """ADA's pipeline (`jaxgan.augment.ada`) at the probability `term_state[state]["p"]`."""
    return Augmentation((Stage("ada", lambda x, key, s: ada.augment_one(x, key, s["p"]), state=state),), axis_name)


def latent_noise(sigma: float, *, axis_name: str | None = None) -> Augmentation:
    """`z + σ ε`, ε ~ N(0, I) per example (zCR's nearby latents, Zhao et al. 2021)."""

    def one(z, key, state):
        return z + sigma * jax.random.normal(key, z.shape, z.dtype)

    return Augmentation((Stage("latent_noise", one),), axis_name)


__all__ = ["Augmentation", "Stage", "ada", "ada_stage", "diffaugment", "diffaugment_stage", "latent_noise"]
