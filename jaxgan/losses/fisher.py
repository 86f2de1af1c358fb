"""Fisher GAN (Mroueh & Sercu 2017): an IPM with a data-dependent second-moment constraint.

With the constraint `Ω = ½E_p[v²] + ½E_q[v²]` and the critic's IPM estimate
`Ê = E_p[v] - E_q[v]`, the critic maximises the augmented Lagrangian

    L(v, λ) = Ê + λ(1 - Ω) - (ρ/2)(1 - Ω)²

and, after each critic step, the multiplier takes a step `λ ← λ - ρ(1 - Ω)` (the paper's
Algorithm 1, ρ = 1e-6 for its CIFAR-10 runs). λ is explicit training state: the D loss takes
it in and hands back the updated value, so it is checkpointed with everything else. G
minimises `-E_q[v]`. On a finite space `sup_v Ê/√Ω = sqrt(2 Σ (p-q)²/(p+q))`, attained at
`v ∝ (p-q)/(p+q)` (MATH.md §3).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, static_float, weighted_mean
from jaxgan.losses.separable import wasserstein_generator_loss

ArrayLike = jax.typing.ArrayLike
PyTree = Any

LAGRANGE_MULTIPLIER = "lagrange_multiplier"


def check_rho(rho) -> None:
    value = static_float(rho, "rho")
    if value is not None and not value > 0.0:
        raise ValueError(f"fisher: `rho` (the penalty weight and multiplier step size) must be > 0; got {value}.")


def fisher_init_state() -> dict[str, jax.Array]:
    """The multiplier λ, starting at 0."""
    return {LAGRANGE_MULTIPLIER: jnp.zeros((), jnp.float32)}


def fisher_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    state: PyTree,
    rho: float = 1e-6,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """`(-L(v, λ), {"lagrange_multiplier": λ - ρ(1 - Ω)})` at the current λ in `state`.

    The new λ is computed from this batch's Ω and carries no gradient.
    """
    check_rho(rho)
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    multiplier = jax.lax.stop_gradient(as_float(state[LAGRANGE_MULTIPLIER]))
    mean_real = weighted_mean(d_real, real_weights, setting="real_weights")
    mean_fake = weighted_mean(d_fake, fake_weights, setting="fake_weights")
    second_moment = 0.5 * weighted_mean(jnp.square(d_real), real_weights, setting="real_weights") + 0.5 * weighted_mean(
        jnp.square(d_fake), fake_weights, setting="fake_weights"
    )
    constraint = 1.0 - second_moment
    lagrangian = mean_real - mean_fake + multiplier * constraint - 0.5 * rho * jnp.square(constraint)
    new_multiplier = jax.lax.stop_gradient(multiplier - rho * constraint)
    dtype = jnp.asarray(state[LAGRANGE_MULTIPLIER]).dtype
    return -lagrangian, {**state, LAGRANGE_MULTIPLIER: new_multiplier.astype(dtype)}


def fisher_generator_loss(
    d_fake: ArrayLike,
    *,
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """Fisher GAN G loss `-E_q[v]` (Mroueh & Sercu 2017): the WGAN G loss."""
    del d_real, real_weights
    return wasserstein_generator_loss(d_fake, fake_weights=fake_weights)
