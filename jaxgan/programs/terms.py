"""The terms and groups that families share: objectives and penalties as terms, and the
adversarial D/G pair of updates.

    d_term, g_term = objective_terms(objective)                # any objective of jaxgan.losses
    penalty_term("r1", penalties_lib.r1)                       # weighted by hyper["r1"]
    d_group, g_group = adversarial_pair(d_optimizer=..., g_optimizer=..., d_terms=..., g_terms=...)

Terms read D's outputs per device and gather them over the device axis (`ctx.gather`), so a
loss is the loss of the global batch on any number of devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import optax

from jaxgan import losses as losses_lib
from jaxgan import tricks
from jaxgan.program import Call, Group, Inputs, Term


def from_step(ctx, start: int):
    """A term's gate: 1 from step `start` of the run on, else 0 (1 where the step is not known,
    e.g. outside training, and always when `start` is 0); `ctx.step` is the state's counter
    before the update."""
    return (ctx.step >= start).astype("float32") if ctx.step is not None and start > 0 else 1.0


def gathered_mean(ctx, per_example):
    """The mean of a per-example value over the global batch (the same on every device)."""
    return jnp.mean(ctx.gather(per_example))


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
) -> Term:
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


def class_loss_term(name: str, pairs, weight: float) -> Term:
    """ACGAN's class cross-entropy summed over (logits, labels) pairs, over the global batch."""

    def fn(ctx, *values):
        total = 0.0
        for logits, labels in zip(values[::2], values[1::2]):
            total = total + losses_lib.acgan_class_loss(ctx.gather(logits), ctx.gather(labels))
        return total

    return Term(name, fn, tuple(n for pair in pairs for n in pair), weight=weight)


def sample_call(inputs: Inputs, *, network: str = "generator") -> Call:
    """The call that draws samples: `network(*inputs)` in inference mode, written to `sample`."""
    return Call(network, tuple(inputs), "sample", train=False)


def adversarial_pair(
    *,
    d_optimizer: optax.GradientTransformation,
    g_optimizer: optax.GradientTransformation,
    d_terms: Sequence[Term],
    g_terms: Sequence[Term],
    generator_inputs: Inputs = ("z",),
    real: Inputs = ("x",),
    fake: Inputs = ("fake",),
    outputs: tuple[str, str] = ("d_real", "d_fake"),
    also: Sequence[tuple[Inputs, str]] = (),
    latents: Inputs = ("z",),
    repeats: int = 1,
    project=None,
    lookahead: int = 0,
    generator_trains: Inputs = ("generator",),
    generator_reads_real: bool = True,
    generator_draws: str = "reuse",
    pack: int = 1,
    features: bool = False,
    report: Inputs = (),
) -> tuple[Group, Group]:
    """D's update and G's, as every family with one D and one G writes them.

        D group (`repeats` updates a step): fake = G(*generator_inputs); D(*real), D(*fake) -> outputs
            (and D on each `also` input set -> its output, in the same call); d_terms; `project`.
        G group: reuses `fake` (one G forward pass a step; with `generator_draws="fresh"` it
            draws its own latents and computes fake = G(*generator_inputs) anew); D(*fake) -> outputs[1] and, when
            `generator_reads_real`, D(*real) -> outputs[0] (neither keeps D's new batch
            statistics: G's update does not change D); g_terms; `lookahead`: the unrolled GAN's
            k differentiable D updates.

    `pack`: PacGAN's packing on every D call; `features`: D's sown features of its G-update
    calls, as `<output>_features` (feature matching). Group metrics are prefixed `d` and `g`.
    """
    real_output, fake_output = outputs
    d_inputs = (tuple(real), tuple(fake), *(tuple(inputs) for inputs, _ in also))
    d_outputs = (real_output, fake_output, *(name for _, name in also))
    in_g_update = [(fake, fake_output)] + ([(real, real_output)] if generator_reads_real else [])
    g_calls = tuple(
        Call(
            "discriminator",
            tuple(inputs),
            output,
            pack=pack,
            keep_variables=False,
            features=(f"{output}_features",) if features else (),
        )
        for inputs, output in in_g_update
    )
    discriminator = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_optimizer,
        calls=(
            Call("generator", tuple(generator_inputs), "fake"),
            Call("discriminator", d_inputs, d_outputs, pack=pack),
        ),
        terms=tuple(d_terms),
        latents=tuple(latents),
        repeats=repeats,
        project=project,
        report=tuple(report),
        metric="d",
    )
    if generator_draws not in ("reuse", "fresh"):
        raise ValueError(f"adversarial_pair: generator_draws must be 'reuse' or 'fresh'; got {generator_draws!r}.")
    fresh = generator_draws == "fresh"
    generator = Group(
        "generator",
        trains=tuple(generator_trains),
        optimizer=g_optimizer,
        calls=((Call("generator", tuple(generator_inputs), "fake"),) if fresh else ()) + g_calls,
        terms=tuple(g_terms),
        latents=tuple(latents) if fresh else (),
        reuse=() if fresh else ("fake",),
        lookahead=("discriminator", lookahead) if lookahead else None,
        metric="g",
    )
    return discriminator, generator
