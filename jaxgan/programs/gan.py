"""The unconditional GAN as a program: G(z) and D(x), any objective, penalty and trick.

    D group (repeats = num_critic_steps): fake = G(z); d_real, d_fake = D(x), D(fake);
        objective's D loss (its state, e.g. Fisher's λ, is term state) + Σ weight·penalty;
        projection: weight clipping.
    G group: reuses `fake` from D's last repeat (one G forward pass per step);
        objective's G loss at D(fake) (and D(x) for the relativistic objectives)
        + feature matching; lookahead: unrolled GAN (k differentiable D updates).
    EMA of G's params, used for samples.

PacGAN's packing is a setting of the D calls; the penalties see D in inference mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import flax.linen as nn
import optax

from jaxgan import losses as losses_lib
from jaxgan import penalties as penalties_lib
from jaxgan import tricks
from jaxgan.program import Call, Group, Latent, Program, Term, normal


@dataclasses.dataclass(frozen=True)
class GanOptions:
    """The static choices of the unconditional GAN (everything else is in the state)."""

    latent_dim: int
    num_critic_steps: int = 1
    clip_weights: float = 0.0  # > 0: project D's params onto [-c, c] after each D step
    ema_decay: float = 0.0
    pack: int = 1
    unroll_steps: int = 0
    feature_matching: float = 0.0


def objective_terms(objective: losses_lib.Objective, *, d_reads=("d_real", "d_fake"), g_reads=("d_fake", "d_real")):
    """The objective as a D term (stateful for Fisher GAN) and a G term, over D's gathered outputs."""
    stateful = isinstance(objective, losses_lib.StatefulObjective)

    def discriminator_term(ctx, d_real, d_fake):
        loss, state = objective.discriminator_loss_and_state(ctx.gather(d_real), ctx.gather(d_fake), ctx.state)
        return (loss, state) if stateful else loss

    def generator_term(ctx, d_fake, d_real=None):
        # d_real is read only by the relativistic objectives; XLA drops its D call otherwise.
        return objective.generator(ctx.gather(d_fake), d_real=None if d_real is None else ctx.gather(d_real))

    d_term = Term("objective", discriminator_term, d_reads, init_state=objective.init_state if stateful else None)
    g_term = Term("objective", generator_term, g_reads)
    return d_term, g_term


def penalty_term(
    name: str, penalty, *, network: str = "discriminator", reads=("x", "fake"), condition=(), head=None, pack: int = 1
):
    """`penalty(d_fn, real, fake, keys, condition=...)` of D in inference mode, weighted by `hyper[name]`.

    The per-example keys come from the examples' global indices; `condition` names the
    per-example inputs D takes beside x (labels), which the penalty gives each example;
    `head` picks the output of a D that returns a dict of heads (its adversarial logit).
    """

    def fn(ctx, real, fake, *conditions):
        real, fake = tricks.pack(real, pack), tricks.pack(fake, pack)
        keys = ctx.example_keys(real.shape[0])

        def d_fn(x, *c):
            output = ctx.apply(network, x, *c)
            return output if head is None else output[head]

        return penalty(d_fn, real, fake, keys, condition=tuple(conditions) or None, axis_name=ctx.axis_name)

    return Term(name, fn, (*reads, *condition), weight=name, lookahead=False, metric=f"penalty/{name}")


def feature_matching_term(weight: float, *, reads=("d_real_features", "d_fake_features")) -> Term:
    """`‖E f(x) - E f(G(z))‖²` of D's sown features, means over the global batch (Salimans et al. 2016)."""

    def fn(ctx, real_features, fake_features):
        mean_real = ctx.pmean(real_features.astype("float32").mean(axis=0))
        mean_fake = ctx.pmean(fake_features.astype("float32").mean(axis=0))
        return losses_lib.feature_matching_loss(mean_real, mean_fake)

    return Term("feature_matching", fn, reads, weight=weight)


def program(
    *,
    generator: nn.Module,
    discriminator: nn.Module,
    objective: losses_lib.Objective,
    penalties: Sequence[tuple[str, penalties_lib.Penalty]],
    penalty_weights: dict[str, float],
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    options: GanOptions,
) -> Program:
    opts = options
    d_term, g_term = objective_terms(objective)
    d_terms = (d_term, *(penalty_term(name, fn, pack=opts.pack) for name, fn in penalties))
    fm = opts.feature_matching > 0
    g_calls = (
        Call(
            "discriminator",
            ("fake",),
            "d_fake",
            pack=opts.pack,
            keep_variables=False,
            features=("d_fake_features",) if fm else (),
        ),
        Call(
            "discriminator",
            ("x",),
            "d_real",
            pack=opts.pack,
            keep_variables=False,
            features=("d_real_features",) if fm else (),
        ),
    )
    g_terms = (g_term, *((feature_matching_term(opts.feature_matching),) if fm else ()))
    project = None
    if opts.clip_weights > 0:
        clip = opts.clip_weights
        project = lambda trained: penalties_lib.clip_weights(trained, clip)  # noqa: E731
    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(
                Call("generator", ("z",), "fake"),
                Call("discriminator", (("x",), ("fake",)), ("d_real", "d_fake"), pack=opts.pack),
            ),
            terms=d_terms,
            latents=("z",),
            repeats=opts.num_critic_steps,
            project=project,
            report=("d_real", "d_fake"),
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=g_calls,
            terms=g_terms,
            reuse=("fake",),
            lookahead=("discriminator", opts.unroll_steps) if opts.unroll_steps else None,
            metric="g",
        ),
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((opts.latent_dim,))),),
        features=("x",),
        groups=groups,
        sample=Call("generator", ("z",), "sample", train=False),
        sample_latents=("z",),
        ema={"generator": opts.ema_decay} if opts.ema_decay > 0 else {},
        hyper=dict(penalty_weights),
    )
