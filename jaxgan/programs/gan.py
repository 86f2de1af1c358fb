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

from jaxgan.program import Latent, Program, normal
from jaxgan.programs import augmentation, regularise, terms
from jaxgan.programs.family import Family
from jaxgan.programs.parts import Parts, optimizer_arguments


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
    pack, feature_matching = config.pack, float(config.feature_matching)
    d_term, g_term = terms.objective_terms(parts.objective())
    d_terms = (d_term, *(terms.penalty_term(name, fn, pack=pack) for name, fn in penalties))
    g_terms = (g_term, *((terms.feature_matching_term(feature_matching),) if feature_matching > 0 else ()))
    groups = terms.adversarial_pair(
        d_optimizer=parts.optimizer("discriminator"),
        g_optimizer=parts.optimizer("generator"),
        d_terms=d_terms,
        g_terms=g_terms,
        repeats=config.num_critic_steps,
        project=parts.projection(),
        lookahead=int(config.unroll_steps),
        pack=pack,
        features=feature_matching > 0,
        report=("d_real", "d_fake"),
    )
    groups = augmentation.regularise(parts, groups)
    program = Program(
        networks={"generator": parts.generator(), "discriminator": parts.discriminator()},
        latents=(Latent("z", normal((config.latent_dim,))),),
        features=("x",),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema=parts.ema(),
        hyper=penalty_weights,
    )
    return regularise.apply(parts, program)


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
        *regularise.SHARED,
        "augment",
        "consistency",
    ),
    doc="G(z) and D(x) with any objective, penalty and trick (packing, unrolling, feature matching, clipping, EMA, "
    "DiffAugment, ADA, consistency regularisation).",
)
