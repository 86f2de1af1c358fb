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
from jaxgan.program import Latent, Program, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Family
from jaxgan.programs.parts import Parts, optimizer_arguments


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
    d_term, g_term = terms.objective_terms(objective)
    d_terms = (d_term, *(terms.penalty_term(name, fn, pack=opts.pack) for name, fn in penalties))
    fm = opts.feature_matching > 0
    g_terms = (g_term, *((terms.feature_matching_term(opts.feature_matching),) if fm else ()))
    project = None
    if opts.clip_weights > 0:
        clip = opts.clip_weights
        project = lambda trained: penalties_lib.clip_weights(trained, clip)  # noqa: E731
    groups = terms.adversarial_pair(
        d_optimizer=d_tx,
        g_optimizer=g_tx,
        d_terms=d_terms,
        g_terms=g_terms,
        repeats=opts.num_critic_steps,
        project=project,
        lookahead=opts.unroll_steps,
        pack=opts.pack,
        features=fm,
        report=("d_real", "d_fake"),
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((opts.latent_dim,))),),
        features=("x",),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema={"generator": opts.ema_decay} if opts.ema_decay > 0 else {},
        hyper=dict(penalty_weights),
    )


def build(parts: Parts) -> Program:
    """The unconditional GAN from `config.model`, `loss`, `penalties`, `optimizer` and the tricks."""
    config = parts.config
    d_optimizer = config.optimizer.discriminator
    if (
        config.unroll_steps
        and "eps_root" in optimizer_arguments(d_optimizer.get("name"))
        and not d_optimizer.get("eps_root")
    ):
        raise ValueError(
            f"config.unroll_steps={config.unroll_steps} differentiates through optax.{d_optimizer.name}, which needs "
            "config.optimizer.discriminator.eps_root > 0 (e.g. 1e-8); set it, or use unroll_steps=0."
        )
    penalties, penalty_weights = parts.penalties()
    return program(
        generator=parts.generator(),
        discriminator=parts.discriminator(),
        objective=parts.objective(),
        penalties=penalties,
        penalty_weights=penalty_weights,
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        options=GanOptions(
            latent_dim=config.latent_dim,
            num_critic_steps=config.num_critic_steps,
            clip_weights=float(config.clip_weights),
            ema_decay=float(config.ema_decay),
            pack=config.pack,
            unroll_steps=int(config.unroll_steps),
            feature_matching=float(config.feature_matching),
        ),
    )


FAMILY = Family(
    name="gan",
    build=build,
    reads=(
        "loss",
        "penalties",
        "clip_weights",
        "num_critic_steps",
        "ema_decay",
        "pack",
        "unroll_steps",
        "feature_matching",
    ),
    doc="G(z) and D(x) with any objective, penalty and trick (packing, unrolling, feature matching, clipping, EMA).",
)
