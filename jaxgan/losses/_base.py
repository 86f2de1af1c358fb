"""What every objective shares: float casting, weighted means, parameter checks, `Objective`.

A loss is a pure function of D's outputs. `weighted_mean` is the one reduction: the mean over
all elements of the outputs, weighted by `weights` aligned on the leading axes, so `[B]`
weights weight whole examples of `[B, H, W]` patch outputs. With the probabilities of a
discrete distribution as weights, a loss is an exact expectation (what the tests use).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

PyTree = Any


def as_float(x: jax.typing.ArrayLike) -> jax.Array:
    """`x` as an array of at least float32 precision (bfloat16/float16/int -> float32; float64 kept)."""
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, jnp.float32))


def _aligned_weights(weights: jax.Array, shape: tuple[int, ...], setting: str) -> jax.Array:
    """`weights` reshaped so its axes line up with the leading axes of `shape`."""
    fits = weights.ndim <= len(shape) and all(w in (1, s) for w, s in zip(weights.shape, shape[: weights.ndim]))
    if not fits:
        raise ValueError(
            f"`{setting}` of shape {weights.shape} does not broadcast to the discriminator outputs' "
            f"shape {shape}; pass weights whose shape is a leading part of it (e.g. [B]), or a scalar."
        )
    return weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))


def weighted_mean(
    values: jax.typing.ArrayLike, weights: jax.typing.ArrayLike | None = None, *, setting: str = "weights"
) -> jax.Array:
    """`Σ w·v / Σ w` over all elements, `w` broadcast from the leading axes; the plain mean if None.

    `setting` names the argument in the error raised for weights of the wrong shape.
    """
    values = as_float(values)
    if weights is None:
        return jnp.mean(values)
    weights = as_float(weights)
    dtype = jnp.result_type(values.dtype, weights.dtype)
    weights = jnp.broadcast_to(_aligned_weights(weights, values.shape, setting), values.shape).astype(dtype)
    return jnp.sum(weights * values.astype(dtype)) / jnp.sum(weights)


def static_float(value: Any, setting: str) -> float | None:
    """`value` as a Python float when it is known before tracing; None for a traced value.

    Options may be traced (e.g. vmapped over a hyperparameter); those are not checked.
    """
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{setting}` must be a number; got {value!r}.") from None


def require_no_weights(objective: str, **weights: Any) -> None:
    """Raise for objectives whose estimator has no weighted form."""
    given = [name for name, value in weights.items() if value is not None]
    if given:
        raise ValueError(f"{objective}: `{given[0]}` is not supported (its estimator is unweighted); pass None.")


@dataclasses.dataclass(frozen=True)
class Objective:
    """An objective with its parameters bound; what the train step is written against.

    `discriminator(d_real, d_fake, *, real_weights=None, fake_weights=None) -> loss` and
    `generator(d_fake, *, d_real=None, real_weights=None, fake_weights=None) -> loss` are the
    user-facing functions (`functools.partial` of the module-level ones). Stateless objectives
    keep `()` as state; the step only uses `init_state` and `discriminator_loss_and_state`.
    """

    name: str
    discriminator: Callable[..., jax.Array]
    generator: Callable[..., jax.Array]

    def init_state(self) -> PyTree:
        return ()

    def discriminator_loss_and_state(
        self, d_real, d_fake, state: PyTree, *, real_weights=None, fake_weights=None
    ) -> tuple[jax.Array, PyTree]:
        loss = self.discriminator(d_real, d_fake, real_weights=real_weights, fake_weights=fake_weights)
        return loss, state


@dataclasses.dataclass(frozen=True)
class StatefulObjective(Objective):
    """An objective whose D loss reads and updates explicit state (Fisher GAN's multiplier).

    Here `discriminator(d_real, d_fake, *, state, real_weights=None, fake_weights=None)`
    returns `(loss, new_state)`; `initial_state()` builds the state.
    """

    initial_state: Callable[[], PyTree] = tuple

    def init_state(self) -> PyTree:
        return self.initial_state()

    def discriminator_loss_and_state(
        self, d_real, d_fake, state: PyTree, *, real_weights=None, fake_weights=None
    ) -> tuple[jax.Array, PyTree]:
        return self.discriminator(d_real, d_fake, state=state, real_weights=real_weights, fake_weights=fake_weights)
