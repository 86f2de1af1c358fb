"""The regularisers any family with a discriminator can switch on from the config, as terms.

    program = regularise.apply(parts, program, real="d_real", fake="d_fake")   # last line of a build

reads five shared settings (`jaxgan.programs.family.SHARED_SETTINGS`) and changes the program's
records, never the step:

    config.lecam.weight, .decay        D's group gains the stateful term "lecam" (anchors α_R, α_F
                                       as term state) reading D's outputs `real`, `fake`
    config.top_k.fraction, .decay,     G's objective term weighs the generated examples D rates
             .decay_every              most real: 1 on the top k of the global batch, else 0
    config.orthogonal.weight,          the group that trains each named network gains the term
             .networks                 "orthogonal_<network>" on that network's parameters
    config.penalty_interval            every penalty term (a term weighted by a config.penalties
                                       weight) computed on one step in N (`lax.cond`), times N

(`config.ema_rampup` is the EMA's schedule, `Parts.ema`.) Each setting is checked here, before
anything is traced, and refused in one sentence; the formulas are in `jaxgan.regularisers`.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan import regularisers
from jaxgan.program import Group, Program, Term
from jaxgan.programs.parts import check_number

# The shared settings (`family.SHARED_SETTINGS`) a family reads when its build ends in `apply`.
SHARED = ("lecam", "top_k", "orthogonal", "penalty_interval", "ema_rampup")


@dataclasses.dataclass(frozen=True)
class Settings:
    """The checked settings (see the module doc); `top_k_decay_every` in steps."""

    lecam_weight: float = 0.0
    lecam_decay: float = 0.99
    top_k_fraction: float = 1.0
    top_k_decay: float = 0.99
    top_k_decay_every: int = 1
    orthogonal_weight: float = 0.0
    orthogonal_networks: tuple[str, ...] = ("generator",)
    penalty_interval: int = 1


def _number(config, path: str, low: float, high: float, *, closed_low: bool, closed_high: bool) -> float:
    value = config
    for part in path.split("."):
        value = value[part]
    return check_number(path, value, low, high, closed_low=closed_low, closed_high=closed_high)


def _integer(config, path: str, low: int) -> int:
    value = config
    for part in path.split("."):
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"config.{path} must be an integer >= {low}; got {value!r}.")
    return value


def settings(config, dataset=None) -> Settings:
    """The regularisers' settings of `config`, each checked (one sentence for the first bad one).

    `top_k.decay_every = 0` means one epoch of `dataset`: `len(dataset) // batch_size` steps."""
    inf = math.inf
    fraction = _number(config, "top_k.fraction", 0.0, 1.0, closed_low=False, closed_high=True)
    if fraction < 1.0 and math.floor(fraction * config.batch_size + 1e-9) < 1:
        raise ValueError(
            f"config.top_k.fraction={fraction!r} keeps no example of a batch of {config.batch_size} at the end of "
            f"its anneal; use a fraction of at least 1/{config.batch_size}."
        )
    decay_every = _integer(config, "top_k.decay_every", 0)
    if decay_every == 0:
        decay_every = max(1, len(dataset) // config.batch_size) if dataset is not None else 1
    networks = tuple(name.strip() for name in str(config.orthogonal.networks).split(",") if name.strip())
    if not networks:
        raise ValueError("config.orthogonal.networks must name at least one network (a comma-separated list).")
    return Settings(
        lecam_weight=_number(config, "lecam.weight", 0.0, inf, closed_low=True, closed_high=False),
        lecam_decay=_number(config, "lecam.decay", 0.0, 1.0, closed_low=True, closed_high=False),
        top_k_fraction=fraction,
        top_k_decay=_number(config, "top_k.decay", 0.0, 1.0, closed_low=False, closed_high=True),
        top_k_decay_every=decay_every,
        orthogonal_weight=_number(config, "orthogonal.weight", 0.0, inf, closed_low=True, closed_high=False),
        orthogonal_networks=networks,
        penalty_interval=_integer(config, "penalty_interval", 1),
    )


# ---------------------------------------------------------------------------- terms


def lecam_term(weight: float, decay: float, *, reads: tuple[str, str] = ("d_real", "d_fake")) -> Term:
    """LeCam's regulariser on D's outputs `reads = (real, fake)`, its anchors as term state.

    The anchors take this batch's global means first, then the regulariser reads them (as the
    authors' code: BigGAN's `loss_hinge_dis` updates the EMA before `lecam_reg`, StyleGAN2's
    `assign_moving_average` returns the updated value); one update per D update."""

    def fn(ctx, d_real, d_fake):
        d_real, d_fake = ctx.gather(d_real), ctx.gather(d_fake)
        state = regularisers.lecam_update(ctx.state, jnp.mean(d_real), jnp.mean(d_fake), decay=decay)
        loss = regularisers.lecam_regulariser(d_real, d_fake, state["anchor_real"], state["anchor_fake"])
        return loss, state

    return Term("lecam", fn, tuple(reads), weight=weight, init_state=regularisers.lecam_init_state)


def orthogonal_term(network: str, weight: float) -> Term:
    """`weight · Σ_W ‖WᵀW ⊙ (1 - I)‖²_F` over `network`'s weight matrices, at the parameters the
    group differentiates (`ctx.params`); the same on every device."""
    return Term(
        f"orthogonal_{network}",
        lambda ctx: regularisers.orthogonal_regulariser(ctx.params(network)),
        (),
        weight=weight,
        metric=f"orthogonal/{network}",
    )


def top_k_generator_term(term: Term, objective, *, fraction: float, decay: float, decay_every: int) -> Term:
    """G's objective `term` (`terms.objective_terms`' G term: reads `(d_fake[, d_real])`) over the
    k generated examples of the global batch with the largest D outputs, k = `top_k_count(step)`;
    the others get weight 0 (`fake_weights`), so every device computes the same loss."""

    def fn(ctx, d_fake, d_real=None):
        d_fake = ctx.gather(d_fake)
        k = regularisers.top_k_count(ctx.step, d_fake.shape[0], fraction=fraction, decay=decay, decay_every=decay_every)
        weights = regularisers.top_k_weights(d_fake, k)
        return objective.generator(d_fake, d_real=None if d_real is None else ctx.gather(d_real), fake_weights=weights)

    return dataclasses.replace(term, fn=fn)


def every(term: Term, interval: int) -> Term:
    """Lazy regularisation (Karras et al. 2020, StyleGAN2, sec. 3.1: R1 once every 16 minibatches
    with its weight times 16): `interval · term` on the steps that are multiples of `interval`,
    0 on the others, where `lax.cond` skips computing it. (Under a run axis, vmap turns the cond
    into a select and both branches run: the values stay the same.)"""
    if interval == 1:
        return term

    def fn(ctx, *values):
        # Under shard_map both branches must vary over the device axis alike: a penalty of the
        # local examples varies, so both return a sum with a zero that varies.
        zero = jnp.zeros((), jnp.float32)
        if ctx.axis_name is not None:
            zero = lax.pcast(zero, ctx.axis_name, to="varying")

        def compute():
            return jnp.float32(interval) * jnp.asarray(term.fn(ctx, *values), jnp.float32) + zero

        return lax.cond(ctx.step % interval == 0, compute, lambda: zero)

    return dataclasses.replace(term, fn=fn)


# ---------------------------------------------------------------------------- the program


def _trains_whole(group: Group, network: str) -> bool:
    return network in group.trains


def apply(parts, program: Program, *, real: str = "d_real", fake: str = "d_fake") -> Program:
    """`program` with the configured regularisers (see the module doc).

    `real`, `fake`: the names of D's outputs on real and generated examples in the group that
    trains the discriminator (a head, e.g. `"d_real.adversarial"`, for a D of several heads).
    G's objective term is the term named "objective" of the group that trains the generator.
    """
    config = parts.config
    chosen = settings(config, parts.dataset)
    groups = list(program.groups)
    penalty_names = {name for name, weight in config.penalties.items() if weight}

    def replace_terms(index, terms):
        groups[index] = dataclasses.replace(groups[index], terms=tuple(terms))

    if chosen.penalty_interval > 1:
        for index, group in enumerate(groups):
            replace_terms(
                index,
                [
                    every(term, chosen.penalty_interval)
                    if isinstance(term.weight, str) and term.weight in penalty_names
                    else term
                    for term in group.terms
                ],
            )
    if chosen.lecam_weight > 0:
        d_groups = [i for i, group in enumerate(groups) if _trains_whole(group, "discriminator")]
        if not d_groups:
            raise ValueError("config.lecam.weight > 0 needs a program with a discriminator; set it to 0.")
        for index in d_groups:
            term = lecam_term(chosen.lecam_weight, chosen.lecam_decay, reads=(real, fake))
            replace_terms(index, [*groups[index].terms, term])
    if chosen.top_k_fraction < 1.0:
        objective = parts.objective()
        try:
            jax.eval_shape(lambda: objective.generator(jnp.zeros(4), d_real=jnp.zeros(4), fake_weights=jnp.ones(4)))
        except ValueError:
            raise ValueError(
                f"config.top_k needs an objective whose G loss weighs generated examples, and config.loss.name="
                f"{config.loss.name!r} does not; leave config.top_k.fraction at 1.0."
            ) from None
        g_groups = [
            i
            for i, group in enumerate(groups)
            if _trains_whole(group, "generator") and any(term.name == "objective" for term in group.terms)
        ]
        if not g_groups:
            raise ValueError(
                "config.top_k needs a program whose generator is trained by an objective; leave it at 1.0."
            )
        for index in g_groups:
            replace_terms(
                index,
                [
                    top_k_generator_term(
                        term,
                        objective,
                        fraction=chosen.top_k_fraction,
                        decay=chosen.top_k_decay,
                        decay_every=chosen.top_k_decay_every,
                    )
                    if term.name == "objective"
                    else term
                    for term in groups[index].terms
                ],
            )
    if chosen.orthogonal_weight > 0:
        for network in chosen.orthogonal_networks:
            trained = [i for i, group in enumerate(groups) if _trains_whole(group, network)]
            if network not in program.networks or not trained:
                trainable = sorted(n for n in program.networks if any(_trains_whole(g, n) for g in groups))
                raise ValueError(
                    f"config.orthogonal.networks names {network!r}, which is not a network this program trains; "
                    f"use some of {trainable}."
                )
            for index in trained:
                replace_terms(index, [*groups[index].terms, orthogonal_term(network, chosen.orthogonal_weight)])
    return dataclasses.replace(program, groups=tuple(groups))
