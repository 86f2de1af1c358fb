"""MRGAN and MDGAN (Che et al. 2017, "Mode Regularized Generative Adversarial Networks"): an encoder
E beside G, whose reconstructions G(E(x)) tie every data mode to a region of G's input.

`config.mrgan.variant = "regularised"` (MRGAN, §3.1-3.2), two groups a step:

    D group:       fake = G(z); D(x), D(fake); D's cross-entropy (x real, G(z) fake)
    G and E group: T_G = -E_z log D(G(z)) + E_x[λ1 d(x, G(E(x))) - λ2 log D(G(E(x)))]

G and E train in one group on T_G: E does not reach the first term, so its gradient is that of
T_E = E_x[λ1 d - λ2 log D(G(E(x)))], and one group (one optimiser over both networks) is G's
update on T_G and E's on T_E taken at the same parameters. d is the squared distance summed over pixels.
The sign of the λ2 term (`mode_regulariser`): "toward_data" (default, `- λ2 log D(G(E(x)))`) or
"as_printed" (the paper's `+ λ2 log D`); why, and what the third-party code does, is in the
module doc of jaxgan/losses/mrgan.py.

`variant = "manifold_diffusion"` (MDGAN, §3.3), a second discriminator D_d
(`config.model.diffusion_discriminator`, `config.optimizer.diffusion_discriminator`), four groups:

    manifold D:  D_m (the `discriminator`) on x (real) against G(E(x)) (fake)
    manifold G:  G and E minimise E_x[λ1 d(x, G(E(x))) - log D_m(G(E(x)))]
    diffusion D: D_d on G(E(x)) (real, at the G and E just updated) against G(z) (fake)
    diffusion G: G minimises -E_z log D_d(G(z))   (its own Adam state: config.optimizer.generator)

D's terms use the global batch (`ctx.gather`), so a step is the same on any number of devices.
`reconstruct` (G(E(x)), inference mode) is what `jaxgan sample --reconstruct=test` writes, and
`encode` (E(x)) what the `encoding_one_nn` evaluator classifies. A G with batch norm keeps the
running statistics of its G(z) calls only (`DECODE` keeps none): those are what samples are drawn
with, and in training batch norm leaves the codes' offset and scale free, so E's codes may drift
far from the prior's scale (seen on the grid: code standard deviations of 50-135), and mixing
their statistics in collapsed the samples; `reconstruct` is then only as good as the codes' scale
is near the prior's (exact for a G without batch norm, as the digits' `dcgan28`).
"""

from __future__ import annotations

import dataclasses
import math

import flax.linen as nn
import jax
import ml_collections
import optax

from jaxgan.calls import infer
from jaxgan.losses import (
    mdgan_diffusion_discriminator_loss,
    mdgan_diffusion_generator_loss,
    mdgan_manifold_discriminator_loss,
    mdgan_manifold_generator_loss,
    mrgan_encoder_loss,
    mrgan_squared_distance,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
)
from jaxgan.program import Call, Group, Latent, Program, Term, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Exports, Family, Reconstruction
from jaxgan.programs.parts import Parts

VARIANTS = ("regularised", "manifold_diffusion")
MODE_REGULARISERS = ("toward_data", "as_printed")
# The registered discriminators that give one logit per example (the regulariser reads log D).
DISCRIMINATORS = ("mlp", "noisy_mlp", "dcgan28", "dcgan", "sngan_resnet")

ENCODE = Call("encoder", ("x",), "encoded")
# G's running batch statistics (batch norm) are those of G(z) alone: a decoding in training is
# normalised by the codes' own batch statistics, and keeping them would mix the codes' scale
# (which batch norm's normalisation leaves free: G(E(x)) in training is blind to a shift or scale
# of the codes) into the statistics G(z) is sampled with.
DECODE = Call("generator", ("encoded",), "reconstruction", keep_variables=False)
GENERATE = Call("generator", ("z",), "fake")


@dataclasses.dataclass(frozen=True)
class MrganOptions:
    latent_dim: int
    variant: str = "regularised"
    lambda1: float = 1.0  # weight of d(x, G(E(x))) (both variants)
    lambda2: float = 1.0  # weight of the mode regulariser (regularised only)
    mode_regulariser: str = "toward_data"


def _gathered(fn):
    return lambda ctx, *values: fn(*(ctx.gather(v) for v in values))


def _distance_term(weight: float) -> Term:
    """`λ1 E_x d(x, G(E(x)))` over the global batch."""

    def fn(ctx, x, reconstruction):
        return terms.gathered_mean(ctx, mrgan_squared_distance(x, reconstruction))

    return Term("reconstruction", fn, ("x", "reconstruction"), weight=weight)


def _regularised_groups(d_tx, g_tx, options: MrganOptions) -> tuple[Group, Group]:
    as_printed = options.mode_regulariser == "as_printed"

    def mode_term(ctx, x, reconstruction, d_reconstruction):  # ∓ E_x log D(G(E(x))), unweighted
        return mrgan_encoder_loss(
            ctx.gather(x),
            ctx.gather(reconstruction),
            ctx.gather(d_reconstruction),
            lambda1=0.0,
            lambda2=1.0,
            as_printed=as_printed,
        )

    discriminator = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_tx,
        calls=(GENERATE, Call("discriminator", (("x",), ("fake",)), ("d_real", "d_fake"))),
        terms=(Term("objective", _gathered(non_saturating_discriminator_loss), ("d_real", "d_fake")),),
        latents=("z",),
        report=("d_real", "d_fake"),
        metric="d",
    )
    generator = Group(
        "generator",
        trains=("generator", "encoder"),
        optimizer=g_tx,
        calls=(
            ENCODE,
            DECODE,
            Call(
                "discriminator", (("fake",), ("reconstruction",)), ("d_fake", "d_reconstruction"), keep_variables=False
            ),
        ),
        terms=(
            Term("objective", _gathered(non_saturating_generator_loss), ("d_fake",)),
            _distance_term(options.lambda1),
            Term("mode", mode_term, ("x", "reconstruction", "d_reconstruction"), weight=options.lambda2),
        ),
        reuse=("fake",),  # G(z) of D's group; G(E(x)) is computed here, so E's gradient passes through G
        report=("d_reconstruction",),
        metric="g",
    )
    return discriminator, generator


def _manifold_diffusion_groups(d_tx, g_tx, diffusion_d_tx, diffusion_g_tx, options: MrganOptions):
    manifold_discriminator = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_tx,
        calls=(ENCODE, DECODE, Call("discriminator", (("x",), ("reconstruction",)), ("d_real", "d_reconstruction"))),
        terms=(Term("objective", _gathered(mdgan_manifold_discriminator_loss), ("d_real", "d_reconstruction")),),
        report=("d_real", "d_reconstruction"),
        metric="d",
    )

    def manifold_term(ctx, x, reconstruction, d_reconstruction):  # -E_x log D_m(G(E(x))); d is its own term
        return mdgan_manifold_generator_loss(
            ctx.gather(x), ctx.gather(reconstruction), ctx.gather(d_reconstruction), lambda1=0.0
        )

    manifold_generator = Group(
        "generator",
        trains=("generator", "encoder"),
        optimizer=g_tx,
        calls=(
            ENCODE,
            DECODE,
            Call("discriminator", ("reconstruction",), "d_reconstruction", keep_variables=False),
        ),
        terms=(
            _distance_term(options.lambda1),
            Term("objective", manifold_term, ("x", "reconstruction", "d_reconstruction")),
        ),
        metric="g",
    )
    diffusion_discriminator = Group(
        "diffusion_discriminator",
        trains=("diffusion_discriminator",),
        optimizer=diffusion_d_tx,
        calls=(
            ENCODE,
            DECODE,
            GENERATE,
            Call("diffusion_discriminator", (("reconstruction",), ("fake",)), ("dd_reconstruction", "dd_fake")),
        ),
        terms=(Term("objective", _gathered(mdgan_diffusion_discriminator_loss), ("dd_reconstruction", "dd_fake")),),
        latents=("z",),
        report=("dd_reconstruction", "dd_fake"),
        metric="dd",
    )
    diffusion_generator = Group(
        "diffusion_generator",
        trains=("generator",),
        optimizer=diffusion_g_tx,
        calls=(Call("diffusion_discriminator", ("fake",), "dd_fake", keep_variables=False),),
        terms=(Term("objective", _gathered(mdgan_diffusion_generator_loss), ("dd_fake",)),),
        reuse=("fake",),
        metric="dg",
    )
    return manifold_discriminator, manifold_generator, diffusion_discriminator, diffusion_generator


def program(
    *,
    encoder: nn.Module,
    generator: nn.Module,
    discriminator: nn.Module,
    d_tx: optax.GradientTransformation,
    g_tx: optax.GradientTransformation,
    options: MrganOptions,
    diffusion_discriminator: nn.Module | None = None,
    diffusion_d_tx: optax.GradientTransformation | None = None,
    diffusion_g_tx: optax.GradientTransformation | None = None,
    ema: dict | None = None,
) -> Program:
    """The MRGAN program of `options.variant` (see the module doc)."""
    if options.variant not in VARIANTS:
        raise ValueError(f"variant={options.variant!r} is not one of {list(VARIANTS)}.")
    if options.mode_regulariser not in MODE_REGULARISERS:
        raise ValueError(f"mode_regulariser={options.mode_regulariser!r} is not one of {list(MODE_REGULARISERS)}.")
    networks = {"encoder": encoder, "generator": generator, "discriminator": discriminator}
    if options.variant == "regularised":
        groups = _regularised_groups(d_tx, g_tx, options)
    else:
        if diffusion_discriminator is None or diffusion_d_tx is None or diffusion_g_tx is None:
            raise ValueError("variant 'manifold_diffusion' needs the diffusion discriminator and its two optimisers.")
        networks["diffusion_discriminator"] = diffusion_discriminator
        groups = _manifold_diffusion_groups(d_tx, g_tx, diffusion_d_tx, diffusion_g_tx, options)
    return Program(
        networks=networks,
        latents=(Latent("z", normal((options.latent_dim,))),),
        features=("x",),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema=ema or {},
    )


def encode(program: Program, params, variables, x: jax.Array) -> jax.Array:
    """`E(x)` in inference mode: `[n, ...] -> [n, latent_dim]`."""
    return infer(program, (ENCODE,), params, variables, {"x": x})["encoded"]


def reconstruct(program: Program, params, variables, x: jax.Array) -> jax.Array:
    """`G(E(x))`, both networks in inference mode: `[n, ...] -> [n, ...]`."""
    return infer(program, (ENCODE, DECODE), params, variables, {"x": x})["reconstruction"]


def settings() -> ml_collections.ConfigDict:
    """`config.mrgan`: the variant, λ1 (weight of d), λ2 (weight of the mode regulariser, "regularised"
    only) and the λ2 term's sign ("toward_data": `- λ2 log D(G(E(x)))`; "as_printed": `+ λ2 log D`)."""
    return ml_collections.ConfigDict(
        {"variant": "regularised", "lambda1": 1.0, "lambda2": 1.0, "mode_regulariser": "toward_data"}
    )


def build(parts: Parts) -> Program:
    """MRGAN from `config.mrgan`, `config.model` (encoder: `deterministic_conv` for images, `mlp` for
    points; discriminator and, for MDGAN, diffusion_discriminator: a registered D with one logit per
    example; generator: any registered one) and `config.optimizer` (discriminator; generator, which
    trains G and E; for MDGAN diffusion_discriminator)."""
    config = parts.config
    defaults = settings()
    variant = parts.choice("variant", VARIANTS)
    mode_regulariser = parts.choice("mode_regulariser", MODE_REGULARISERS)
    lambda1 = parts.number("lambda1", 0.0, math.inf, closed_low=False)
    lambda2 = parts.number("lambda2", 0.0, math.inf, closed_low=True)
    if variant == "manifold_diffusion":
        for name in ("lambda2", "mode_regulariser"):
            if parts.settings[name] != defaults[name]:
                raise ValueError(
                    f"config.mrgan.{name}={parts.settings[name]!r} is not read with config.mrgan.variant="
                    f"'manifold_diffusion' (its manifold step weighs -log D_m(G(E(x))) by 1); leave it at "
                    f"{defaults[name]!r}."
                )
    shape = tuple(parts.dataset.element_shape)
    if len(shape) not in (1, 3):
        raise ValueError(
            f"program 'mrgan' needs images [H, W, C] or points [d]; dataset {config.data.name!r} has {shape}."
        )
    encoder_kind = "deterministic_conv" if len(shape) == 3 else "mlp"
    if parts.network_name("encoder") in ("deterministic_conv", "mlp") and parts.network_name("encoder") != encoder_kind:
        raise ValueError(
            f"config.model.encoder.name={parts.network_name('encoder')!r} does not fit dataset {config.data.name!r} "
            f"of shape {shape}; use {encoder_kind!r}."
        )
    options = MrganOptions(
        latent_dim=config.latent_dim,
        variant=variant,
        lambda1=lambda1,
        lambda2=lambda2,
        mode_regulariser=mode_regulariser,
    )
    diffusion = {}
    if variant == "manifold_diffusion":
        diffusion = dict(
            diffusion_discriminator=parts.discriminator("diffusion_discriminator", accept=DISCRIMINATORS),
            diffusion_d_tx=parts.optimizer("diffusion_discriminator"),
            diffusion_g_tx=parts.optimizer("generator"),
        )
    return program(
        encoder=parts.network("encoder", accept=(encoder_kind,), latent_dim=config.latent_dim),
        generator=parts.generator(),
        discriminator=parts.discriminator(accept=DISCRIMINATORS),
        d_tx=parts.optimizer("discriminator"),
        g_tx=parts.optimizer("generator"),
        options=options,
        ema=parts.ema(),
        **diffusion,
    )


FAMILY = Family(
    name="mrgan",
    build=build,
    settings=settings,
    reads=("ema_decay",),
    exports=Exports(reconstruction=Reconstruction(reconstruct, networks=("encoder", "generator"), encode=encode)),
    doc="Che et al. 2017: an encoder, G(E(x)) regularised toward x and toward D's data side; MDGAN's manifold and "
    "diffusion steps with a second D.",
)
