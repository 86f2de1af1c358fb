"""Running one call of a program on named values, and drawing a program's latents.

`run_call(program, call, params, variables, env, key)` is one `program.Call`: its network on
the values its input sets name in `env`. The step runs every call through it, and so do the
programs, the metrics and the samplers that run a trained network outside the step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxgan import program as program_lib
from jaxgan import tricks
from jaxgan.program import Call, Program

PyTree = Any


def apply_network(module, params, variables, inputs, *, train, key, features):
    """One network call; returns (output, new variables, sown features or None)."""
    mutable = (["batch_stats"] if train else []) + (["intermediates"] if features else [])
    variables = variables or {}
    out = module.apply(
        {"params": params, **variables}, *inputs, train=train, rngs={"dropout": key}, mutable=mutable or False
    )
    if not mutable:
        return out, variables, None
    output, new_vars = out
    new_vars = dict(new_vars)
    sown = new_vars.pop("intermediates", None)
    if sown is not None:
        sown = jax.tree.leaves(sown)[0]
    return output, {**variables, **new_vars}, sown


def _interleave(parts: list[jax.Array]) -> jax.Array:
    """`[a0, b0, a1, b1, ...]` of equal-sized batches `a, b, ...`.

    Example i of set k sits at position n·i + k on every device, so its global index in the
    joined batch is n·(global index of i) + k whatever the device count: per-example
    randomness drawn from it (dropout) is the same on 1 or 8 devices.
    """
    return jnp.stack(parts, axis=1).reshape(-1, *parts[0].shape[1:])


def _deinterleave(tree: PyTree, num: int) -> list[PyTree]:
    return [jax.tree.map(lambda a, k=k: a.reshape(-1, num, *a.shape[1:])[:, k], tree) for k in range(num)]


# The stream of a call's key that its augmentations draw from (its dropout draws from the key itself).
AUGMENT_STREAM = 0x617567


def _read_inputs(call: Call, env, key, term_state) -> list[list[jax.Array]]:
    """Each input set's values: augmented (input set k from `fold_in(fold_in(key, AUGMENT_STREAM), k)`), packed."""
    augment_key = jax.random.fold_in(key, AUGMENT_STREAM)
    input_sets = []
    for k, (inputs, augmentation) in enumerate(zip(call.input_sets, call.augmentations)):
        values = [program_lib.read(env, name) for name in inputs]
        if augmentation is not None:
            values[0] = augmentation(values[0], jax.random.fold_in(augment_key, k), term_state)
        input_sets.append([tricks.pack(value, call.pack) for value in values])
    return input_sets


def run_call(program: Program, call: Call, params, variables, env, key, term_state=None, *, network_key=None):
    """`call` on the environment: `({output: value}, new variables of its network)`.

    `term_state`: the terms' states, which an augmentation of the call may read (ADA's p).
    `network_key`: the key of the network's own randomness (dropout), `key` by default; the
    augmentations draw from `key` (`Call.dropout_of`: the step passes the earlier call's key)."""
    module = program.networks[call.network]
    net_vars = variables.get(call.network, {})
    input_sets = _read_inputs(call, env, key, term_state)
    key = key if network_key is None else network_key
    want_features = bool(call.features)
    sizes = {inputs[0].shape[0] for inputs in input_sets}
    if len(input_sets) > 1 and (not net_vars or call.joint_statistics) and len(sizes) == 1:
        # No batch statistics (or statistics of the union wanted): one call on the joined input
        # sets (without statistics, the same math), interleaved so that every example keeps its
        # global index.
        joined = [_interleave(list(parts)) for parts in zip(*input_sets)]
        output, net_vars, sown = apply_network(
            module, params[call.network], net_vars, joined, train=call.train, key=key, features=want_features
        )
        outputs = _deinterleave(output, len(input_sets))
        sown_parts = _deinterleave(sown, len(input_sets)) if want_features else [None] * len(input_sets)
    else:
        keys = jax.random.split(key, len(input_sets)) if len(input_sets) > 1 else [key]
        outputs, sown_parts = [], []
        for inputs, k in zip(input_sets, keys):
            output, net_vars, sown = apply_network(
                module, params[call.network], net_vars, inputs, train=call.train, key=k, features=want_features
            )
            outputs.append(output)
            sown_parts.append(sown)
    values = dict(zip(call.output_names, outputs))
    if want_features:
        values.update(zip(call.features, sown_parts))
    return values, net_vars


def infer(program: Program, calls: Sequence[Call], params, variables, env) -> dict[str, Any]:
    """`calls` in turn, every network in inference mode (batch statistics read, not updated): the
    environment `env` with the calls' outputs added. What `jaxgan sample --reconstruct` and the
    encoders' evaluators run (E(x), G(E(x))) on a trained state; no randomness is drawn."""
    env = dict(env)
    key = jax.random.PRNGKey(0)
    for call in calls:
        outputs, _ = run_call(program, dataclasses.replace(call, train=False), params, variables, env, key)
        env.update(outputs)
    return env


def draw_latents(
    program: Program, names, key: jax.Array, num: int, *, axis_name: str | None = None
) -> dict[str, jax.Array]:
    """`num` draws of the latents `names`: latent j of example i from `fold_in(fold_in(key, j), i)`.

    With `axis_name`, `num` is this device's share and i is the example's global index.
    """
    values = {}
    for index, name in enumerate(names):
        keys = tricks.per_example_keys(jax.random.fold_in(key, index), num, axis_name)
        values[name] = jax.vmap(program.latent(name).draw)(keys)
    return values
