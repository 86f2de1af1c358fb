"""`GANState`: everything a GAN run carries from one step to the next, as one pytree."""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

PyTree = Any


class GANState(struct.PyTreeNode):
    """One pytree: checkpoint all of it and a resumed run continues exactly as if never stopped.

    `rng` is the run's base key; the key of step `s` is `fold_in(rng, s)`, so no key needs
    advancing and a resumed run draws the same numbers. The optimisers are static fields
    (`optax.inject_hyperparams`, so learning rates live in the optimiser states and can be
    vmapped over). `variables` hold every non-parameter collection of a network (batch
    statistics, spectral-norm vectors). `ema_params` is `{}` when no EMA is kept.
    """

    step: jax.Array
    rng: jax.Array
    g_params: PyTree
    d_params: PyTree
    g_opt_state: optax.OptState
    d_opt_state: optax.OptState
    g_variables: PyTree
    d_variables: PyTree
    ema_params: PyTree
    objective_state: PyTree
    penalty_weights: dict[str, jax.Array]
    g_tx: optax.GradientTransformation = struct.field(pytree_node=False)
    d_tx: optax.GradientTransformation = struct.field(pytree_node=False)

    @property
    def sampling_params(self) -> PyTree:
        """G's params for samples and evaluation: the EMA when one is kept."""
        return self.ema_params if self.ema_params else self.g_params


def _split_variables(variables: PyTree) -> tuple[PyTree, PyTree]:
    variables = dict(variables)
    params = variables.pop("params")
    return params, variables


def create_state(
    *,
    rng: jax.Array,
    generator: nn.Module,
    discriminator: nn.Module,
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    objective_state: PyTree,
    penalty_weights: dict[str, float],
    latent_dim: int,
    data_shape: tuple[int, ...],
    pack: int = 1,
    use_ema: bool = False,
) -> GANState:
    """Initialise both networks on dummy inputs of batch 2 (batch norm needs more than one).

    Everything is built in one compiled program (eagerly, each small op would compile alone).
    """

    def init(rng):
        g_key, d_key, dropout_key, run_key = jax.random.split(rng, 4)
        z = jnp.zeros((2, latent_dim), jnp.float32)
        g_params, g_variables = _split_variables(generator.init({"params": g_key}, z, train=False))
        x = jnp.zeros((2, *data_shape[:-1], data_shape[-1] * pack), jnp.float32)
        d_params, d_variables = _split_variables(
            discriminator.init({"params": d_key, "dropout": dropout_key}, x, train=False)
        )
        d_variables.pop("intermediates", None)
        return dict(
            step=jnp.zeros((), jnp.int32),
            rng=run_key,
            g_params=g_params,
            d_params=d_params,
            g_opt_state=g_tx.init(g_params),
            d_opt_state=d_tx.init(d_params),
            g_variables=g_variables,
            d_variables=d_variables,
            ema_params=jax.tree.map(jnp.copy, g_params) if use_ema else {},
            objective_state=objective_state,
            penalty_weights={k: jnp.asarray(v, jnp.float32) for k, v in penalty_weights.items()},
        )

    return GANState(**jax.jit(init)(rng), g_tx=g_tx, d_tx=d_tx)
