"""One training step for every program: `make_train_step(program)` interprets its groups.

The step never names a family, a loss or a trick; everything it does is read off the
program (`jaxgan.program`). It is written per device: with `axis_name=None` it runs under
`jax.jit` on one device; with `axis_name="data"` it averages gradients and batch statistics
with `lax.pmean`, terms gather D's outputs over the global batch (`TermContext.gather`), and
it runs unchanged under `jax.shard_map` or `jax.pmap` (see `jaxgan.train.parallel`).

Its parts are module-level functions with named arguments, each callable on its own:
`group_loss` (a group's weighted terms), `update_group` (one optimiser update of a group),
`lookahead_params` (an unrolled group's differentiable updates), `shared_pass` (the outputs a
next group reuses, under `jax.vjp`) and `update_ema`; `make_train_step` strings them together.

Keys: the key of step s is `fold_in(rng, s)`, split into one key for the latents and one per
group. Repeat c of group g draws its latents from `fold_in(fold_in(latent_key, g), c)`
(latent j of example i from `fold_in(fold_in(that, j), i)`); its own key
`fold_in(group_key, c)` splits into a lookahead key and a loss key, the loss key into a calls
key and a terms key, and call j and term j take `fold_in(calls_key, j)` and
`fold_in(terms_key, j)`; a call's augmentations (`jaxgan.calls.AUGMENT_STREAM`) draw input set
k from `fold_in(fold_in(call key, AUGMENT_STREAM), k)`; a call with `dropout_of` gives its network
(dropout) the key of the earlier call that makes that output.
Every per-example draw (latents, penalty interpolation) comes from the example's global
index, so the same program gives the same parameters on any number of devices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from jaxgan import program as program_lib
from jaxgan import tricks
from jaxgan.calls import apply_network, draw_latents, run_call
from jaxgan.program import Group, Program, Term
from jaxgan.train.state import TrainState

PyTree = Any
Batch = dict[str, jax.Array]


def _pmean(tree: PyTree, axis_name: str | None) -> PyTree:
    return tree if axis_name is None else lax.pmean(tree, axis_name)


@dataclasses.dataclass(frozen=True)
class TermContext:
    """What a loss term may use besides the values it reads (see `program.Term`)."""

    axis_name: str | None
    state: PyTree
    key: jax.Array
    _apply: Callable[..., Any]
    step: jax.Array | None = None
    _params: PyTree = None

    def gather(self, x: jax.Array) -> jax.Array:
        """`x` over the whole global batch, on every device (gradients flow to the local shard)."""
        return tricks.gather_global(x, self.axis_name)

    def pmean(self, x: PyTree) -> PyTree:
        return _pmean(x, self.axis_name)

    def example_keys(self, local_batch: int) -> jax.Array:
        """One key per local example, from its global index (device-count invariant)."""
        return tricks.per_example_keys(self.key, local_batch, self.axis_name)

    def apply(self, network: str, *inputs: jax.Array, train: bool = False) -> Any:
        """`network(*inputs)` at the parameters being differentiated (inference mode by default:
        running statistics, no dropout), e.g. the D a penalty takes input gradients of."""
        return self._apply(network, inputs, train)

    def params(self, network: str) -> PyTree:
        """`network`'s parameters at the point being differentiated (the group's trained ones are
        the arguments of its gradient), for a term on the weights themselves (orthogonality)."""
        return self._params[network]


def _network_key(calls, call, calls_key):
    """The key of `call`'s network randomness: that of the earlier call that makes `call.dropout_of`, or None."""
    if call.dropout_of is None:
        return None
    index = next(j for j, earlier in enumerate(calls) if call.dropout_of in earlier.output_names)
    return jax.random.fold_in(calls_key, index)


def _run_calls(program, calls, params, variables, env, calls_key, term_state=None):
    env, variables = dict(env), dict(variables)
    for index, call in enumerate(calls):
        if all(name in env for name in call.output_names):
            continue  # reused from the previous group, or computed under jax.vjp already
        call_key = jax.random.fold_in(calls_key, index)
        network_key = _network_key(calls, call, calls_key)
        values, new_vars = run_call(
            program, call, params, variables, env, call_key, term_state, network_key=network_key
        )
        env.update(values)
        if call.keep_variables:
            variables[call.network] = new_vars
    return env, variables


def _weight(term, hyper) -> jax.Array | float:
    return hyper[term.weight] if isinstance(term.weight, str) else term.weight


def _flat_scalars(tree: PyTree) -> dict[str, jax.Array]:
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {jax.tree_util.keystr(path, simple=True, separator="/"): leaf for path, leaf in flat if jnp.ndim(leaf) == 0}


def _keys(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A group repeat's key -> (lookahead key, calls key, terms key)."""
    lookahead_key, loss_key = jax.random.split(key)
    calls_key, terms_key = jax.random.split(loss_key)
    return lookahead_key, calls_key, terms_key


def with_trained(params: PyTree, trained: dict[str, PyTree]) -> PyTree:
    """`params` with the subtrees `trained` (keyed by path, e.g. `"generator/encoder"`) put back."""
    for path, value in trained.items():
        params = program_lib.with_subtree(params, path, value)
    return params


def group_loss(
    program: Program,
    group: Group,
    *,
    params: PyTree,
    variables: PyTree,
    env: dict[str, jax.Array],
    term_state: PyTree,
    hyper: dict[str, jax.Array],
    key: jax.Array,
    axis_name: str | None = None,
    terms: tuple[Term, ...] | None = None,
    step: jax.Array | None = None,
) -> tuple[jax.Array, dict[str, Any]]:
    """The group's weighted loss `Σ_j weight_j · term_j` at `params`, and what it computed.

    `key` is the group repeat's key; `terms` (default: the group's) lets a lookahead sum a
    subset; `step` is the train step's counter (`ctx.step`, for terms on a schedule).
    Returns `(loss, dict(env=, variables=, term_state=, values=))`.
    """
    _, calls_key, terms_key = _keys(key)
    env, new_variables = _run_calls(program, group.calls, params, variables, env, calls_key, term_state)

    def apply(network, inputs, train):
        output, _, _ = apply_network(
            program.networks[network],
            params[network],
            new_variables.get(network, {}),
            list(inputs),
            train=train,
            key=terms_key,
            features=False,
        )
        return output

    total = jnp.zeros((), jnp.float32)
    values, new_term_state = {}, {}
    for index, term in enumerate(group.terms if terms is None else terms):
        context = TermContext(
            axis_name, term_state.get(term.name), jax.random.fold_in(terms_key, index), apply, step, params
        )
        out = term.fn(context, *[program_lib.read(env, name) for name in term.reads])
        if term.init_state is not None:
            out, new_term_state[term.name] = out
        values[term.metric or f"{group.prefix}_{term.name}"] = out
        total = total + _weight(term, hyper) * out
    return total, dict(env=env, variables=new_variables, term_state=new_term_state, values=values)


def lookahead_params(
    program: Program,
    group: Group,
    *,
    params: PyTree,
    variables: PyTree,
    opt_states: dict[str, PyTree],
    env: dict[str, jax.Array],
    term_state: PyTree,
    hyper: dict[str, jax.Array],
    key: jax.Array,
    axis_name: str | None = None,
    step: jax.Array | None = None,
) -> PyTree:
    """`params` after `k` differentiable updates of the group named by `group.lookahead`.

    Unrolled GANs (Metz et al. 2017): update k of the looked-ahead group uses its terms marked
    `lookahead`, the key `fold_in(key, k)` and its optimiser from `opt_states`.
    """
    name, steps = group.lookahead
    ahead = program.group(name)
    terms = tuple(term for term in ahead.terms if term.lookahead)
    opt_state = opt_states[name]
    for k in range(steps):
        trained = {path: program_lib.subtree(params, path) for path in ahead.trains}

        def loss_fn(trained, k=k, params=params):
            loss, _ = group_loss(
                program,
                ahead,
                params=with_trained(params, trained),
                variables=variables,
                env=env,
                term_state=term_state,
                hyper=hyper,
                key=jax.random.fold_in(key, k),
                axis_name=axis_name,
                terms=terms,
                step=step,
            )
            return loss

        grads = _pmean(jax.grad(loss_fn)(trained), axis_name)
        updates, opt_state = ahead.optimizer.update(grads, opt_state, trained)
        params = with_trained(params, optax.apply_updates(trained, updates))
    return params


class GroupUpdate(NamedTuple):
    """What one update of a group returns: the new parameters, network variables, the group's
    optimiser state, its terms' states and its measurements."""

    params: PyTree
    variables: PyTree
    opt_state: PyTree
    term_state: dict[str, PyTree]
    metrics: dict[str, jax.Array]


def update_group(
    program: Program,
    group: Group,
    *,
    params: PyTree,
    variables: PyTree,
    opt_states: dict[str, PyTree],
    term_state: PyTree,
    hyper: dict[str, jax.Array],
    env: dict[str, jax.Array],
    key: jax.Array,
    reused: dict[str, jax.Array] | None = None,
    pullbacks: dict[str, tuple[str, Callable]] | None = None,
    axis_name: str | None = None,
    step: jax.Array | None = None,
) -> GroupUpdate:
    """One update of `group`: its loss, gradients (pulled back through shared passes), optimiser.

    `reused` are the outputs of the previous group's shared pass that this group differentiates
    with respect to; `pullbacks[name] = (network, vjp)` carries that gradient on to `network`'s
    parameters. Gradients are averaged over `axis_name` before the optimiser sees them.
    """
    reused = reused or {}
    pullbacks = pullbacks or {}
    trained = {path: program_lib.subtree(params, path) for path in group.trains}
    lookahead_key = _keys(key)[0]

    def loss_fn(trained, reused):
        at = with_trained(params, trained)
        common = dict(
            variables=variables,
            env={**env, **reused},
            term_state=term_state,
            hyper=hyper,
            axis_name=axis_name,
            step=step,
        )
        if group.lookahead is not None:
            at = lookahead_params(program, group, params=at, opt_states=opt_states, key=lookahead_key, **common)
        return group_loss(program, group, params=at, key=key, **common)

    (loss, aux), (grads, reused_grads) = jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True)(trained, reused)
    for name, (network, pullback) in pullbacks.items():
        (network_grads,) = pullback(reused_grads[name])
        for path in group.trains:
            if path.split("/")[0] == network:
                pulled = program_lib.subtree({network: network_grads}, path)
                grads[path] = jax.tree.map(jnp.add, grads[path], pulled)
    grads = _pmean(grads, axis_name)
    updates, opt_state = group.optimizer.update(grads, opt_states[group.name], trained)
    trained = optax.apply_updates(trained, updates)
    if group.project is not None:
        trained = group.project(trained)
    metrics = {
        f"{group.prefix}_loss": loss,
        f"{group.prefix}_grad_norm": optax.tree.norm(grads),
        **aux["values"],
        **{name: jnp.mean(aux["env"][name]) for name in group.report},
        **{f"{name}/{k}": v for name, s in aux["term_state"].items() for k, v in _flat_scalars(s).items()},
    }
    return GroupUpdate(with_trained(params, trained), aux["variables"], opt_state, aux["term_state"], metrics)


def shared_pass(
    program: Program,
    group: Group,
    *,
    names: tuple[str, ...],
    params: PyTree,
    variables: PyTree,
    env: dict[str, jax.Array],
    key: jax.Array,
    term_state: PyTree = None,
) -> tuple[dict[str, jax.Array], PyTree, dict[str, tuple[str, Callable]]]:
    """The outputs `names` of `group`'s calls (or their sown `features`) under `jax.vjp`: `(env, variables, pullbacks)`.

    `key` is the group repeat's key, so the calls draw what they would inside the group's loss
    (`term_state`, the states at the start of the repeat, is what its augmentations read).
    """
    _, calls_key, _ = _keys(key)
    env, variables = dict(env), dict(variables)
    pullbacks = {}
    for index, call in enumerate(group.calls):
        produced = (*call.output_names, *call.features)  # a call's sown features can be reused too
        wanted = [name for name in produced if name in names]
        if not wanted or all(name in env for name in call.output_names):
            continue
        call_key = jax.random.fold_in(calls_key, index)
        network_key = _network_key(group.calls, call, calls_key)

        def forward(network_params, call=call, call_key=call_key, network_key=network_key):
            values, new_vars = run_call(
                program,
                call,
                {**params, call.network: network_params},
                variables,
                env,
                call_key,
                term_state,
                network_key=network_key,
            )
            return values, new_vars

        values, pullback, new_vars = jax.vjp(forward, params[call.network], has_aux=True)
        for name in produced:
            env[name] = lax.stop_gradient(values[name])
        if call.keep_variables:
            variables[call.network] = new_vars
        for name in wanted:
            # Each reused output pulls back through the same VJP, with zeros for the others.
            pullbacks[name] = (call.network, _select(pullback, values, name))
    return env, variables, pullbacks


def update_ema(ema_params: PyTree, params: PyTree, decays: dict[str, Any], step: jax.Array | None = None) -> PyTree:
    """`ema ← d·ema + (1 − d)·params` for each network named in `decays`.

    A decay is a number, or a schedule `step -> d` (a ramp-up, `jaxgan.regularisers.ema_decay`)
    evaluated at `step`, the number of steps taken before this update."""

    def average(ema, current, decay):
        decay = decay(step) if callable(decay) else decay
        return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema, current)

    return {name: average(ema_params[name], params[name], decay) for name, decay in decays.items()}


def make_train_step(
    program: Program, *, axis_name: str | None = None
) -> Callable[[TrainState, Batch], tuple[TrainState, dict]]:
    """Build `train_step(state, batch) -> (state, metrics)` for `program`.

    `batch[feature]` is `[program.batches_per_step, B_local, ...]`: a group of r repeats reads
    the last r of the batches, one per repeat. Groups run in order; after them, the EMAs.

    Sharing a forward pass: the outputs that a group `reuse`s are computed in the previous
    group's last repeat under `jax.vjp` with respect to the producing network's parameters;
    that group trains on them (without gradient to the producer), and this group
    differentiates its loss with respect to them and pulls the result back through the saved
    VJP, so the producer's forward pass is not recomputed.
    """
    groups = program.groups  # their fit is checked when the Program is made
    reused_by = {g.name: (groups[i + 1].reuse if i + 1 < len(groups) else ()) for i, g in enumerate(groups)}

    def train_step(state: TrainState, batch: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        step_key = jax.random.fold_in(state.rng, state.step)
        latent_key, *group_keys = jax.random.split(step_key, 1 + len(groups))
        rows = program.batches_per_step
        local_batch = jax.tree.leaves(batch)[0].shape[1]
        params, variables = dict(state.params), dict(state.variables)
        step_start = state.params  # what a group's `reads_step_start` networks are read at
        opt_states, term_state = dict(state.opt_state), dict(state.term_state)
        metrics: dict[str, jax.Array] = {}
        previous_env, pullbacks = None, {}
        for g, group in enumerate(groups):
            for c in range(group.repeats):
                key = jax.random.fold_in(group_keys[g], c)
                if group.reuse:
                    env = previous_env
                else:
                    env = {name: batch[name][rows - group.repeats + c] for name in program.features}
                    env[program_lib.STEP] = jnp.full((local_batch,), state.step, jnp.int32)
                    latents_key = jax.random.fold_in(jax.random.fold_in(latent_key, g), c)
                    env.update(draw_latents(program, group.latents, latents_key, local_batch, axis_name=axis_name))
                # A group that `reads_step_start` networks sees them at the step's start, in its
                # own calls and in the shared pass it makes for the next group.
                start = {name: step_start[name] for name in group.reads_step_start}
                view = {**params, **start}
                reused = {name: env[name] for name in group.reuse}
                base_env = {k: v for k, v in env.items() if k not in group.reuse}
                own_pullbacks = pullbacks if group.reuse else {}
                if c == group.repeats - 1:  # the next group starts from this repeat's inputs
                    if reused_by[group.name]:
                        base_env, variables, pullbacks = shared_pass(
                            program,
                            group,
                            names=reused_by[group.name],
                            params=view,
                            variables=variables,
                            env=base_env,
                            key=key,
                            term_state=term_state,
                        )
                    previous_env = base_env
                updated, variables, opt_states[group.name], new_term_state, group_metrics = update_group(
                    program,
                    group,
                    params=view,
                    variables=variables,
                    opt_states=opt_states,
                    term_state=term_state,
                    hyper=state.hyper,
                    env=base_env,
                    key=key,
                    reused=reused,
                    pullbacks=own_pullbacks,
                    axis_name=axis_name,
                    step=state.step,
                )
                params = {**updated, **{name: params[name] for name in start}}
                term_state.update(new_term_state)
            metrics.update(group_metrics)
        new_state = state.replace(
            step=state.step + 1,
            params=params,
            variables=variables,
            ema_params=update_ema(state.ema_params, params, program.ema, state.step),
            opt_state=opt_states,
            term_state=term_state,
        )
        return new_state, _pmean(metrics, axis_name)

    return train_step


def _select(pullback, values, name):
    """The pullback of one output of a multi-output call (zero cotangents for the others)."""

    def pull(cotangent):
        cotangents = {k: jnp.zeros_like(v) for k, v in values.items()}
        cotangents[name] = cotangent
        return pullback(cotangents)

    return pull


def make_multi_step(train_step: Callable, steps_per_call: int) -> Callable:
    """K steps per host call: `lax.scan` over batches stacked `[K, ...]`; metrics stacked `[K]`.

    No host sync inside a call; the caller reads the K measurements afterwards (the first
    non-finite one names its exact step). With K = 1 there is no loop at all.
    """

    def multi_step(state: TrainState, batches: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        if steps_per_call == 1:
            state, metrics = train_step(state, jax.tree.map(lambda x: x[0], batches))
            return state, jax.tree.map(lambda m: m[None], metrics)
        return lax.scan(train_step, state, batches, length=steps_per_call)

    return multi_step
