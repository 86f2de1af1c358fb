"""One training step for every objective, penalty and trick.

The objective, the penalties and the tricks are data handed to `make_train_step`; nothing in
the step branches on a loss name. The step is written per device: with `axis_name=None` it
runs under `jax.jit` on one device; with `axis_name="data"` it averages gradients with
`lax.pmean`, gathers D's outputs over the global batch for the objective, and runs unchanged
under `jax.shard_map` or `jax.pmap` (see `jaxgan.train.parallel`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax import lax

from jaxgan import losses as losses_lib
from jaxgan import penalties as penalties_lib
from jaxgan.train import tricks
from jaxgan.train.state import GANState

PyTree = Any
Batch = dict[str, jax.Array]
Penalty = Callable[..., jax.Array]  # (d_fn, real, fake, key) -> scalar


@dataclasses.dataclass(frozen=True)
class StepOptions:
    """The static choices of a step (everything else is in the state)."""

    latent_dim: int
    num_critic_steps: int = 1
    clip_weights: float = 0.0  # > 0: project D's params onto [-c, c] after each D step
    ema_decay: float = 0.0
    pack: int = 1
    unroll_steps: int = 0
    feature_matching: float = 0.0


def _pmean(tree: PyTree, axis_name: str | None) -> PyTree:
    return tree if axis_name is None else lax.pmean(tree, axis_name)


def make_train_step(
    *,
    generator: nn.Module,
    discriminator: nn.Module,
    objective: losses_lib.Objective,
    penalties: Sequence[tuple[str, Penalty]],
    options: StepOptions,
    axis_name: str | None = None,
) -> Callable[[GANState, Batch], tuple[GANState, dict[str, jax.Array]]]:
    """Build `train_step(state, batch) -> (state, metrics)`.

    `batch["x"]` is `[num_critic_steps, B_local, ...]`: each critic step sees its own real
    batch. A step is `num_critic_steps` D updates, then one G update, then the EMA.

    Sharing G's forward pass: the last critic step's generated batch is also the batch G is
    updated on. G runs forward once on it, under `jax.vjp`; the D update uses the samples,
    and the G update pulls D's input gradient back through the saved VJP, so G's forward
    pass is not recomputed. The earlier critic steps (num_critic_steps > 1) each need fresh
    samples, so they cost one G forward pass each; they cannot be shared.

    D sees real and generated batches in one call when it keeps no batch statistics (the
    math is then the same); with batch norm it sees them in two calls, since one call would
    mix real and generated examples in its statistics.

    Penalties are per example and call D in inference mode (running statistics, no
    dropout), so that no example's gradient leaks into another's through batch norm.
    """
    opts = options
    penalty_names = tuple(name for name, _ in penalties)
    penalty_fns = tuple(fn for _, fn in penalties)

    def d_apply(d_params, d_variables, x, *, key, train=True, features=False):
        mutable = ["batch_stats", "intermediates"] if features else ["batch_stats"]
        if not train:
            mutable = ["intermediates"] if features else False
        out = discriminator.apply(
            {"params": d_params, **d_variables}, x, train=train, rngs={"dropout": key}, mutable=mutable
        )
        if mutable is False:
            return out, d_variables, None
        output, new_vars = out
        new_vars = dict(new_vars)
        feats = new_vars.pop("intermediates", None)
        if feats is not None:
            feats = jax.tree.leaves(feats)[0]
        return output, {**d_variables, **new_vars}, feats

    def d_outputs(d_params, d_variables, real, fake, key):
        """D on packed real and generated batches; returns (d_real, d_fake, new_variables)."""
        real, fake = tricks.pack(real, opts.pack), tricks.pack(fake, opts.pack)
        if not d_variables:  # no batch statistics: one call on both
            out, d_variables, _ = d_apply(d_params, d_variables, jnp.concatenate([real, fake]), key=key)
            return out[: real.shape[0]], out[real.shape[0] :], d_variables
        real_key, fake_key = jax.random.split(key)
        d_real, d_variables, _ = d_apply(d_params, d_variables, real, key=real_key)
        d_fake, d_variables, _ = d_apply(d_params, d_variables, fake, key=fake_key)
        return d_real, d_fake, d_variables

    def d_loss_fn(d_params, d_variables, objective_state, penalty_weights, real, fake, key):
        out_key, penalty_key = jax.random.split(key)
        d_real, d_fake, new_variables = d_outputs(d_params, d_variables, real, fake, out_key)
        loss, new_objective_state = objective.discriminator_loss_and_state(
            tricks.gather_global(d_real, axis_name), tricks.gather_global(d_fake, axis_name), objective_state
        )
        d_fn = lambda x: d_apply(d_params, new_variables, x, key=out_key, train=False)[0]
        packed_real, packed_fake = tricks.pack(real, opts.pack), tricks.pack(fake, opts.pack)
        penalty_values = {}
        for index, (name, fn) in enumerate(zip(penalty_names, penalty_fns)):
            keys = tricks.per_example_keys(jax.random.fold_in(penalty_key, index), packed_real.shape[0], axis_name)
            value = fn(d_fn, packed_real, packed_fake, keys)
            penalty_values[name] = value
            loss = loss + penalty_weights[name] * value
        aux = dict(
            variables=new_variables,
            objective_state=new_objective_state,
            d_real=jnp.mean(d_real),
            d_fake=jnp.mean(d_fake),
            penalties=penalty_values,
        )
        return loss, aux

    def d_update(d_tx, carry, real, fake, key):
        d_params, d_opt_state, d_variables, objective_state, penalty_weights = carry
        (loss, aux), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            d_params, d_variables, objective_state, penalty_weights, real, fake, key
        )
        grads = _pmean(grads, axis_name)
        updates, d_opt_state = d_tx.update(grads, d_opt_state, d_params)
        d_params = optax.apply_updates(d_params, updates)
        if opts.clip_weights > 0:
            d_params = penalties_lib.clip_weights(d_params, opts.clip_weights)
        metrics = {
            "d_loss": loss,
            "d_real": aux["d_real"],
            "d_fake": aux["d_fake"],
            "d_grad_norm": optax.tree.norm(grads),
            **{f"penalty/{k}": v for k, v in aux["penalties"].items()},
        }
        metrics = _pmean(metrics, axis_name)
        carry = (d_params, d_opt_state, aux["variables"], aux["objective_state"], penalty_weights)
        return carry, metrics

    def generate(g_params, g_variables, z):
        fake, new_vars = generator.apply({"params": g_params, **g_variables}, z, train=True, mutable=["batch_stats"])
        return fake, {**g_variables, **dict(new_vars)}

    def unrolled(d_tx, d_params, d_opt_state, d_variables, objective_state, real, fake, key):
        """D's params after `unroll_steps` differentiable D updates (Metz et al. 2017).

        The unrolled steps use the objective alone (no penalties, no clipping): penalties
        would need third derivatives, and the surrogate only has to follow D's dynamics.
        Differentiating through Adam needs `eps_root > 0` in D's optimiser (the derivative
        of sqrt(v) is infinite where a gradient is exactly zero).
        """
        for k in range(opts.unroll_steps):
            def loss_fn(params):
                d_real, d_fake, _ = d_outputs(params, d_variables, real, fake, jax.random.fold_in(key, k))
                loss, _ = objective.discriminator_loss_and_state(
                    tricks.gather_global(d_real, axis_name), tricks.gather_global(d_fake, axis_name), objective_state
                )
                return loss

            grads = _pmean(jax.grad(loss_fn)(d_params), axis_name)
            updates, d_opt_state = d_tx.update(grads, d_opt_state, d_params)
            d_params = optax.apply_updates(d_params, updates)
        return d_params

    def g_loss_fn(fake, d_tx, d_params, d_opt_state, d_variables, objective_state, real, key):
        d_params = unrolled(d_tx, d_params, d_opt_state, d_variables, objective_state, real, fake, key)
        packed_real, packed_fake = tricks.pack(real, opts.pack), tricks.pack(fake, opts.pack)
        fake_key, real_key = jax.random.split(key)
        d_fake, _, fake_features = d_apply(d_params, d_variables, packed_fake, key=fake_key, features=True)
        # Only the relativistic objectives and feature matching read D on real data here;
        # XLA removes this call from the program when nothing uses it.
        d_real, _, real_features = d_apply(d_params, d_variables, packed_real, key=real_key, features=True)
        loss = objective.generator(
            tricks.gather_global(d_fake, axis_name), d_real=tricks.gather_global(d_real, axis_name)
        )
        if opts.feature_matching:
            mean_real = _pmean(jnp.mean(real_features.astype(jnp.float32), axis=0), axis_name)
            mean_fake = _pmean(jnp.mean(fake_features.astype(jnp.float32), axis=0), axis_name)
            loss = loss + opts.feature_matching * losses_lib.feature_matching_loss(mean_real, mean_fake)
        return loss

    def train_step(state: GANState, batch: Batch) -> tuple[GANState, dict[str, jax.Array]]:
        step_key = jax.random.fold_in(state.rng, state.step)
        critic_key, z_key, g_key = jax.random.split(step_key, 3)
        real = batch["x"]
        local_batch = real.shape[1]

        def sample_z(c):
            return tricks.normal_per_example(jax.random.fold_in(z_key, c), local_batch, (opts.latent_dim,), axis_name)

        carry = (state.d_params, state.d_opt_state, state.d_variables, state.objective_state, state.penalty_weights)
        g_variables = state.g_variables

        # Critic steps before the last: fresh samples each, no gradient to G. A Python loop
        # (num_critic_steps is small): XLA's CPU backend is slow on convolution gradients
        # inside loop bodies.
        last = opts.num_critic_steps - 1
        for c in range(last):
            fake, g_variables = generate(state.g_params, g_variables, sample_z(c))
            carry, _ = d_update(state.d_tx, carry, real[c], lax.stop_gradient(fake), jax.random.fold_in(critic_key, c))

        # The last critic step shares G's forward pass with the G update.
        fake, g_pullback, g_variables = jax.vjp(
            lambda p: generate(p, g_variables, sample_z(last)), state.g_params, has_aux=True
        )
        carry, d_metrics = d_update(state.d_tx, carry, real[last], fake, jax.random.fold_in(critic_key, last))
        d_params, d_opt_state, d_variables, objective_state, _ = carry

        g_loss, fake_grad = jax.value_and_grad(g_loss_fn)(
            fake, state.d_tx, d_params, d_opt_state, d_variables, objective_state, real[last], g_key
        )
        (g_grads,) = g_pullback(fake_grad)
        g_grads = _pmean(g_grads, axis_name)
        updates, g_opt_state = state.g_tx.update(g_grads, state.g_opt_state, state.g_params)
        g_params = optax.apply_updates(state.g_params, updates)
        ema_params = state.ema_params
        if opts.ema_decay > 0:
            ema_params = jax.tree.map(
                lambda e, p: opts.ema_decay * e + (1.0 - opts.ema_decay) * p, ema_params, g_params
            )

        metrics = {
            **d_metrics,
            "g_loss": _pmean(g_loss, axis_name),
            "g_grad_norm": optax.tree.norm(g_grads),
            **{f"objective/{k}": v for k, v in _flat_scalars(objective_state).items()},
        }
        new_state = state.replace(
            step=state.step + 1,
            g_params=g_params,
            d_params=d_params,
            g_opt_state=g_opt_state,
            d_opt_state=d_opt_state,
            g_variables=g_variables,
            d_variables=d_variables,
            ema_params=ema_params,
            objective_state=objective_state,
        )
        return new_state, metrics

    return train_step


def _flat_scalars(tree: PyTree) -> dict[str, jax.Array]:
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {jax.tree_util.keystr(path, simple=True, separator="/"): leaf for path, leaf in flat if jnp.ndim(leaf) == 0}


def make_multi_step(train_step: Callable, steps_per_call: int) -> Callable:
    """K steps per host call: `lax.scan` over batches stacked `[K, ...]`; metrics stacked `[K]`.

    No host sync inside a call; the caller reads the K measurements afterwards (the first
    non-finite one names its exact step). With K = 1 there is no loop at all: XLA's CPU
    backend runs convolution gradients inside a loop body some 50-100x slower than in
    straight-line code, so convolutional configs on CPU use K = 1.
    """

    def multi_step(state: GANState, batches: Batch) -> tuple[GANState, dict[str, jax.Array]]:
        if steps_per_call == 1:
            state, metrics = train_step(state, jax.tree.map(lambda x: x[0], batches))
            return state, jax.tree.map(lambda m: m[None], metrics)
        return lax.scan(train_step, state, batches, length=steps_per_call)

    return multi_step
