"""`TrainState`: everything a run carries from one step to the next, by name, as one pytree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from jaxgan import program as program_lib
from jaxgan import tricks

PyTree = Any


class TrainState(struct.PyTreeNode):
    """One pytree: checkpoint all of it and a resumed run continues exactly as if never stopped.

    `rng` is the run's base key; the key of step `s` is `fold_in(rng, s)`, so no key needs
    advancing and a resumed run draws the same numbers. By network name: `params`,
    `variables` (every non-parameter collection: batch statistics, spectral-norm vectors) and
    `ema_params` (only the networks the program keeps an EMA of). By update group:
    `opt_state` (the optimisers are `optax.inject_hyperparams`, so their hyperparameters live
    here and can be vmapped over runs). By term: `term_state` (Fisher GAN's multiplier).
    `hyper`: the sweepable term weights (penalty weights).
    """

    step: jax.Array
    rng: jax.Array
    params: dict[str, PyTree]
    variables: dict[str, PyTree]
    ema_params: dict[str, PyTree]
    opt_state: dict[str, PyTree]
    term_state: dict[str, PyTree]
    hyper: dict[str, jax.Array]

    def sampling_params(self, network: str) -> PyTree:
        """A network's params for samples and evaluation: its EMA when one is kept."""
        return self.ema_params.get(network, self.params[network])


def _split_variables(variables: PyTree) -> tuple[PyTree, PyTree]:
    variables = dict(variables)
    params = variables.pop("params", {})
    variables.pop("intermediates", None)
    return params, variables


def _dummy_env(program: program_lib.Program, feature_specs: Mapping[str, jax.ShapeDtypeStruct], size: int) -> dict:
    env = {name: jnp.zeros((size, *spec.shape), spec.dtype) for name, spec in feature_specs.items()}
    env[program_lib.STEP] = jnp.zeros((size,), jnp.int32)
    key = jax.random.PRNGKey(0)
    for latent in program.latents:
        value = jax.eval_shape(latent.draw, key)
        env[latent.name] = jnp.zeros((size, *value.shape), value.dtype)
    return env


def init_params(
    program: program_lib.Program, rng: jax.Array, feature_specs: Mapping[str, jax.ShapeDtypeStruct]
) -> tuple[dict, dict]:
    """Every network initialised on the inputs its first call gives it (zeros, batch of 2 per pack).

    The calls of every group run in order on dummy inputs, so each network is initialised on
    exactly the shapes the step gives it (packed inputs, concatenated conditions).
    """
    calls = [call for group in program.groups for call in group.calls] + [program.sample]
    size = 2 * max(call.pack for call in calls)
    env = _dummy_env(program, feature_specs, size)
    params, variables = {}, {}
    names = sorted(program.networks)
    for call in calls:
        module = program.networks[call.network]
        for inputs, output in zip(call.input_sets, call.output_names):
            if output in env:
                continue
            args = [tricks.pack(program_lib.read(env, name), call.pack) for name in inputs]
            if call.network not in params:
                key = jax.random.fold_in(rng, names.index(call.network))
                params_key, dropout_key = jax.random.split(key)
                params[call.network], variables[call.network] = _split_variables(
                    module.init({"params": params_key, "dropout": dropout_key}, *args, train=False)
                )
            env[output] = module.apply({"params": params[call.network], **variables[call.network]}, *args, train=False)
    missing = sorted(set(program.networks) - set(params))
    if missing:
        raise ValueError(f"the program's networks {missing} are called by none of its groups or its sample call.")
    return params, variables


def create_state(
    program: program_lib.Program, *, rng: jax.Array, feature_specs: Mapping[str, jax.ShapeDtypeStruct]
) -> TrainState:
    """A fresh state: networks, optimiser states per group, term states, EMA copies, hyper weights.

    `feature_specs`: the shape and dtype of one example of each batch feature (`x`, `label`).
    Everything is built in one compiled program (eagerly, each small op would compile alone),
    compiled with `init_compiler_options()`; called inside a transformation (`jax.eval_shape`,
    `jax.vmap`, `jax.jit`), it is traced into that instead.
    """
    init = state_init(program, feature_specs)
    if isinstance(rng, jax.core.Tracer):
        return init(rng)
    return jax.jit(init, compiler_options=init_compiler_options())(rng)


def state_init(
    program: program_lib.Program, feature_specs: Mapping[str, jax.ShapeDtypeStruct]
) -> Callable[[jax.Array], TrainState]:
    """The function `rng -> TrainState` that `create_state` compiles and calls."""

    def init(rng):
        network_key, run_key = jax.random.split(rng)
        params, variables = init_params(program, network_key, feature_specs)
        opt_state = {
            group.name: group.optimizer.init({path: program_lib.subtree(params, path) for path in group.trains})
            for group in program.groups
        }
        term_state = {term.name: term.init_state() for term in program.terms() if term.init_state is not None}
        return TrainState(
            step=jnp.zeros((), jnp.int32),
            rng=run_key,
            params=params,
            variables=variables,
            ema_params={name: jax.tree.map(jnp.copy, params[name]) for name in program.ema},
            opt_state=opt_state,
            term_state=term_state,
            hyper={name: jnp.asarray(value, jnp.float32) for name, value in program.hyper.items()},
        )

    return init


def init_compiler_options() -> dict[str, Any] | None:
    """XLA's options for the program that builds a state: LLVM at -O1 on CPU, the defaults elsewhere.

    The init runs once, and on CPU its cost is compiling: a rolled threefry loop per parameter
    and each initialiser's kernels. At XLA's default -O2, pix2pix's U-Net init took 14.6 s to compile,
    at -O1 3.4 s, with the same values to the bit (`tests/train/test_state.py` holds them equal).
    """
    return {"xla_backend_optimization_level": 1} if jax.default_backend() == "cpu" else None
