"""Penalties on D's input gradients, and weight clipping: pure, jit-able functions.

Each penalty takes `d_fn: x -> D(x)` (a batch `[B, ...]` in, outputs `[B, ...]` out) and
returns an unweighted scalar in float32; the train step multiplies by the configured weight
(MATH.md §4):

    gradient_penalty   E[(‖∇ₓD(x̂)‖ - t)²]  (one_sided: E[max(0, ‖∇ₓD(x̂)‖ - t)²])   Gulrajani et al. 2017
                       x̂ = x + α(x̃ - x), α ~ U[0, 1) per example, t = target_norm
    dragan             E[(‖∇ₓD(x̂)‖ - t)²] at x̂ = x + α(x_p - x),
                       x_p = x + scale·std(x)·u, u ~ U[0, 1) per element      Kodali et al. 2017
    r1 / r2            ½ E‖∇ₓD(x)‖² on real (R1) or generated (R2) examples     Mescheder et al. 2018

and, on D's outputs rather than its gradients, `drift` E[D(x)²] (Karras et al. 2018, ε = 0.001).

so weight λ = 10 gives WGAN-GP's `λ E(‖∇‖-1)²`, and weight γ gives R1's `(γ/2) E‖∇‖²`.
Norms are over all non-batch axes. Gradients are per example: D is called on one example at
a time under `jax.vmap`, so no example's input reaches another's penalty even when `d_fn`
mixes examples (batch statistics); call D in inference mode inside `d_fn`.

`get(name, **params)` gives every penalty the one signature
`(d_fn, real, fake, key, *, condition=None, axis_name=None) -> scalar`; its names are the keys of
`config.penalties`. `condition` holds the per-example conditioning inputs of a conditional D
(its labels): D is then `d_fn(x, *condition)` and each example is taken with its own.
`axis_name`: the device axis of the step, for penalties that use whole-batch statistics
(DRAGAN's scale), so that they see the global batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, static_float

PyTree = Any
DiscriminatorFn = Callable[[jax.Array], jax.Array]
Penalty = Callable[[DiscriminatorFn, jax.Array, jax.Array, jax.Array], jax.Array]


def _check_target_norm(target_norm) -> None:
    value = static_float(target_norm, "penalty_target_norm")
    if value is not None and value < 0:
        raise ValueError(
            f"`penalty_target_norm` must be >= 0 (the gradient norm the penalty pulls towards); got {value}."
        )


def _check_key(key, penalty: str) -> None:
    if key is None:
        raise ValueError(f"{penalty} draws random points and needs a PRNG `key` (jax.random.key); got None.")


def per_example_input_gradients(
    d_fn: DiscriminatorFn, x: jax.typing.ArrayLike, *, condition: tuple[jax.Array, ...] | None = None
) -> jax.Array:
    """`∇ₓ Σ D(x_i)` for each example `x_i` alone: `vmap(grad(x_i -> sum(d_fn(x_i[None]))))`.

    `x` is cast to at least float32; the gradients have its shape. With `condition` (a tuple
    of per-example arrays `[B, ...]`, e.g. the labels of a conditional D), D is called as
    `d_fn(x_i[None], *(c_i[None] for c in condition))`: each example with its own condition.
    """
    x = as_float(x)

    def output_sum(example, *example_condition):
        return jnp.sum(as_float(d_fn(example[None], *(c[None] for c in example_condition))))

    return jax.vmap(jax.grad(output_sum))(x, *(condition or ()))


def _gradient_norms(gradients: jax.Array) -> jax.Array:
    """Per-example L2 norms over the non-batch axes, with a zero (not NaN) gradient at 0."""
    squared = jnp.sum(jnp.square(gradients.reshape(gradients.shape[0], -1)), axis=-1)
    positive = squared > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, squared, 1.0)), 0.0)


def _uniform(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """U[0, 1) of `shape` = [B, ...] from one raw key, or from one raw key per example ([B, 2]).

    Per-example keys make the draw of example i depend on that example alone, so splitting
    a batch over devices does not change it (the train step passes them).
    """
    if jnp.ndim(key) == 2:
        if key.shape[0] != shape[0]:
            raise ValueError(
                f"penalties: {key.shape[0]} per-example keys for a batch of {shape[0]}; pass one key or one per example."
            )
        return jax.vmap(lambda k: jax.random.uniform(k, shape[1:], dtype=dtype))(key)
    return jax.random.uniform(key, shape, dtype=dtype)


def random_interpolates(real: jax.typing.ArrayLike, fake: jax.typing.ArrayLike, *, key: jax.Array) -> jax.Array:
    """`x + α(x̃ - x)` with one α ~ U[0, 1) per example (WGAN-GP's sampling).

    `key` is one raw key, or one per example (`[B, 2]`).
    """
    real, fake = as_float(real), as_float(fake)
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty: real and generated batches must have the same shape; got {real.shape} and {fake.shape}."
        )
    alpha = _uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
    return real + alpha * (fake - real)


def dragan_interpolates(
    real: jax.typing.ArrayLike, *, key: jax.Array, scale: float = 0.5, axis_name: str | None = None
) -> jax.Array:
    """`x + α(x_p - x)`, `x_p = x + scale·std(x)·u`, u ~ U[0, 1) per element, α per example.

    `std(x)` is the standard deviation of the whole batch, as in the DRAGAN reference code;
    with `axis_name` the batch is the global one (its moments averaged over the device axis,
    the per-device batches being of one size), so the scale does not depend on the devices.
    """
    real = as_float(real)
    split = jax.vmap(jax.random.split) if jnp.ndim(key) == 2 else jax.random.split
    keys = split(key)
    noise_key, alpha_key = (keys[:, 0], keys[:, 1]) if jnp.ndim(key) == 2 else (keys[0], keys[1])
    mean, mean_square = jnp.mean(real), jnp.mean(jnp.square(real))
    if axis_name is not None:
        mean, mean_square = jax.lax.pmean((mean, mean_square), axis_name)
    spread = scale * jax.lax.stop_gradient(jnp.sqrt(jnp.maximum(mean_square - jnp.square(mean), 0.0)))
    perturbed = real + spread * _uniform(noise_key, real.shape, real.dtype)
    return random_interpolates(real, perturbed, key=alpha_key)


def _norm_penalty(d_fn, points, target_norm, one_sided, condition=None) -> jax.Array:
    excess = _gradient_norms(per_example_input_gradients(d_fn, points, condition=condition)) - target_norm
    if one_sided:
        excess = jax.nn.relu(excess)
    return jnp.mean(jnp.square(excess))


def gradient_penalty(
    d_fn: DiscriminatorFn,
    real: jax.typing.ArrayLike,
    fake: jax.typing.ArrayLike,
    *,
    key: jax.Array,
    target_norm: float = 1.0,
    one_sided: bool = False,
    condition: tuple[jax.Array, ...] | None = None,
) -> jax.Array:
    """WGAN-GP `E[(‖∇D(x̂)‖ - t)²]` at random interpolates (one_sided: `E[max(0, ‖∇D‖ - t)²]`).

    Unweighted (multiply by λ = 10 for Gulrajani et al. 2017). For `D(x) = w·x` it is
    exactly `(‖w‖ - t)²`.
    """
    _check_key(key, "gradient_penalty")
    _check_target_norm(target_norm)
    return _norm_penalty(d_fn, random_interpolates(real, fake, key=key), target_norm, one_sided, condition)


def dragan(
    d_fn: DiscriminatorFn,
    real: jax.typing.ArrayLike,
    *,
    key: jax.Array,
    scale: float = 0.5,
    target_norm: float = 1.0,
    condition: tuple[jax.Array, ...] | None = None,
    axis_name: str | None = None,
) -> jax.Array:
    """DRAGAN `E[(‖∇D(x̂)‖ - t)²]` at points perturbed around the real data (Kodali et al. 2017)."""
    _check_key(key, "dragan")
    _check_target_norm(target_norm)
    value = static_float(scale, "scale")
    if value is not None and value <= 0:
        raise ValueError(f"dragan: `scale` (of the perturbation, in units of the batch std) must be > 0; got {value}.")
    points = dragan_interpolates(real, key=key, scale=scale, axis_name=axis_name)
    return _norm_penalty(d_fn, points, target_norm, False, condition)


def r1(d_fn: DiscriminatorFn, real: jax.typing.ArrayLike, *, condition=None) -> jax.Array:
    """R1 `½ E_p‖∇ₓD(x)‖²` on real examples (Mescheder et al. 2018); weight γ gives `(γ/2) E‖∇‖²`."""
    gradients = per_example_input_gradients(d_fn, real, condition=condition)
    return 0.5 * jnp.mean(jnp.sum(jnp.square(gradients.reshape(gradients.shape[0], -1)), axis=-1))


def r2(d_fn: DiscriminatorFn, fake: jax.typing.ArrayLike, *, condition=None) -> jax.Array:
    """R2 `½ E_q‖∇ₓD(x)‖²` on generated examples (Mescheder et al. 2018)."""
    return r1(d_fn, fake, condition=condition)


def drift(d_real: jax.typing.ArrayLike) -> jax.Array:
    """`E[D(x)²]` over real examples: progressive growing's drift term, weighted ε = 0.001 in the
    D loss (Karras et al. 2018, appendix A.1), which keeps WGAN-GP's critic outputs from drifting
    far from zero. A term on D's outputs (not its input gradients): the family weights it."""
    return jnp.mean(jnp.square(as_float(d_real)))


def clip_weights(params: PyTree, clip_value: float) -> PyTree:
    """Every leaf clipped to `[-c, c]` (WGAN's projection of the critic, Arjovsky et al. 2017)."""
    value = static_float(clip_value, "clip_weights")
    if value is not None and value <= 0:
        raise ValueError(
            f"`clip_weights` must be > 0 (the bound c of [-c, c]; 0 disables clipping upstream); got {value}."
        )
    return jax.tree.map(lambda w: jnp.clip(w, -clip_value, clip_value), params)


# The uniform signature `(d_fn, real, fake, key) -> scalar`, by name.


def _gradient_penalty_entry(d_fn, real, fake, key, *, condition=None, axis_name=None, target_norm=1.0):
    return gradient_penalty(d_fn, real, fake, key=key, target_norm=target_norm, condition=condition)


def _one_sided_gradient_penalty_entry(d_fn, real, fake, key, *, condition=None, axis_name=None, target_norm=1.0):
    return gradient_penalty(d_fn, real, fake, key=key, target_norm=target_norm, one_sided=True, condition=condition)


def _dragan_entry(d_fn, real, fake, key, *, condition=None, axis_name=None, target_norm=1.0, scale=0.5):
    del fake
    return dragan(d_fn, real, key=key, scale=scale, target_norm=target_norm, condition=condition, axis_name=axis_name)


def _r1_entry(d_fn, real, fake, key, *, condition=None, axis_name=None):
    del fake, key
    return r1(d_fn, real, condition=condition)


def _r2_entry(d_fn, real, fake, key, *, condition=None, axis_name=None):
    del real, key
    return r2(d_fn, fake, condition=condition)


_REGISTRY: Mapping[str, tuple[Callable[..., jax.Array], tuple[str, ...]]] = {
    "gradient_penalty": (_gradient_penalty_entry, ("target_norm",)),
    "one_sided_gradient_penalty": (_one_sided_gradient_penalty_entry, ("target_norm",)),
    "dragan": (_dragan_entry, ("target_norm", "scale")),
    "r1": (_r1_entry, ()),
    "r2": (_r2_entry, ()),
}


def names() -> tuple[str, ...]:
    """The registered penalty names (the keys of `config.penalties`), sorted."""
    return tuple(sorted(_REGISTRY))


def get(name: str, **params: Any) -> Penalty:
    """The penalty `name` as `(d_fn, real, fake, key) -> unweighted scalar`, `params` bound."""
    if name not in _REGISTRY:
        raise ValueError(f"Unknown penalty (a key of config.penalties) {name!r}; accepted names are {list(names())}.")
    function, accepted = _REGISTRY[name]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"Penalty {name!r} got unknown parameter(s) {unknown}; it accepts {list(accepted) or 'none'}.")
    if "target_norm" in params:
        _check_target_norm(params["target_norm"])
    return functools.partial(function, **params)


def from_weights(weights: Mapping[str, float], *, target_norm: float = 1.0) -> tuple[tuple[str, Penalty], ...]:
    """`(name, penalty)` for every penalty whose weight is not 0, e.g. from `config.penalties`.

    `target_norm` (`config.penalty_target_norm`) goes to the penalties that take one; the
    weights themselves are not applied.
    """
    _check_target_norm(target_norm)
    selected = []
    for name in sorted(weights):
        if name not in _REGISTRY:
            get(name)  # raises the unknown-name error
        weight = static_float(weights[name], f"penalties.{name}")
        if weight is not None and weight < 0:
            raise ValueError(f"`penalties.{name}` must be >= 0 (0 leaves the penalty out); got {weight}.")
        if weight == 0:
            continue
        params = {"target_norm": target_norm} if "target_norm" in _REGISTRY[name][1] else {}
        selected.append((name, get(name, **params)))
    return tuple(selected)
