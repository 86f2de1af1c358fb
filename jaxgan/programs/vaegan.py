"""VAE-GAN (Larsen et al. 2016): an encoder, a decoder that is G, and a D whose l-th layer is the
reconstruction metric.

    q(z|x) = N(μ, σ²) = E(x);  z̃ = μ + σ ε;  x̃ = G(z̃);  x_p = G(z_p), z_p ~ N(0, I)
    L_prior = ½ Σ (μ² + σ² - log σ² - 1)                 (KL(q(z|x) ‖ N(0, I)) per example)
    L_llike = ½ ‖D_l(x̃) - D_l(x)‖²                       (feature-wise, at D's l-th layer)
    L_GAN   = -[log D(x) + log(1 - D(x_p)) + log(1 - D(x̃))]   (D's cross-entropy loss)
    encoder minimises L_prior + L_llike;  G minimises γ L_llike - L_GAN;  D minimises L_GAN

shared/MATH.md §8 and the paper's Algorithm 1, where L_GAN is D's loss (so G maximises it:
the minimax game); L_llike is not back-propagated to D. Means over the global batch.
Three update groups in the paper's order (encoder, decoder, discriminator), each on its own
latents (ε, z_p) and its own forward pass at the parameters the groups before it left.
`reconstruct` (E then G, inference mode, ε = 0: the posterior mean) is what
`jaxgan sample --reconstruct=test` writes.

Against the paper (Larsen et al. 2016, CelebA 64x64), with `configs/vaegan_mnist.py`: the same:
the three losses and which network each trains, L_llike not back-propagated to D, the encoder,
decoder, discriminator order. Different: (1) the networks: theirs are three 5x5 strided
convolutions (64, 128, 256, batch norm) and FC 2,048 to a 128-d code in E, G mirroring it, D with
four convolutions (32, 128, 256, 256) and FC 512; ours two strided 5x5 convolutions in E and D,
the seed DCGAN's G and a 32-d code, for 28x28 digits; (2) Adam(2e-4, 0.5) rather than RMSProp
(3e-4); (3) γ = 1 (the weight of L_llike in G's loss) is this config's choice, not a value taken
from the paper; (4) 1,500 steps.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan.calls import infer
from jaxgan.losses import (
    gaussian_kl_to_standard_normal,
    vaegan_discriminator_loss,
    vaegan_feature_reconstruction_loss,
)
from jaxgan.program import Call, Group, Latent, Program, Term, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Exports, Family, Reconstruction
from jaxgan.programs.parts import Parts

# ---------------------------------------------------------------------------- program


@dataclasses.dataclass(frozen=True)
class VaeganOptions:
    latent_dim: int
    gamma: float = 1.0  # weight of L_llike in G's loss
    ema_decay: float = 0.0


ENCODE = Call("encoder", ("x", "eps"), "posterior")
DECODE = Call("generator", ("posterior.z",), "reconstruction")
PRIOR = Call("generator", ("z",), "fake")


def program(
    *,
    encoder: nn.Module,
    generator: nn.Module,
    discriminator: nn.Module,
    e_tx: optax.GradientTransformation,
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    options: VaeganOptions,
) -> Program:
    def prior_term(ctx, mean, log_variance):
        return terms.gathered_mean(ctx, gaussian_kl_to_standard_normal(mean, log_variance))

    def llike_term(ctx, features_reconstruction, features_real):
        return terms.gathered_mean(ctx, vaegan_feature_reconstruction_loss(features_reconstruction, features_real))

    def gan_term(ctx, d_real, d_fake, d_reconstruction):
        return vaegan_discriminator_loss(ctx.gather(d_real), ctx.gather(d_fake), ctx.gather(d_reconstruction))

    llike_reads = ("d_reconstruction.features", "d_real.features")
    gan_reads = ("d_real.logit", "d_fake.logit", "d_reconstruction.logit")
    three_d = Call("discriminator", (("x",), ("reconstruction",), ("fake",)), ("d_real", "d_reconstruction", "d_fake"))
    groups = (
        Group(
            "encoder",
            trains=("encoder",),
            optimizer=e_tx,
            calls=(
                ENCODE,
                DECODE,
                Call(
                    "discriminator", (("x",), ("reconstruction",)), ("d_real", "d_reconstruction"), keep_variables=False
                ),
            ),
            terms=(
                Term("prior", prior_term, ("posterior.mean", "posterior.log_variance")),
                Term("llike", llike_term, llike_reads),
            ),
            latents=("eps",),
            metric="e",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=(ENCODE, DECODE, PRIOR, dataclasses.replace(three_d, keep_variables=False)),
            terms=(
                Term("llike", llike_term, llike_reads, weight=options.gamma),
                Term("minus_gan", lambda ctx, *v: -gan_term(ctx, *v), gan_reads),
            ),
            latents=("eps", "z"),
            metric="g",
        ),
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(ENCODE, DECODE, PRIOR, three_d),
            terms=(Term("gan", gan_term, gan_reads),),
            latents=("eps", "z"),
            metric="d",
        ),
    )
    return Program(
        networks={"encoder": encoder, "generator": generator, "discriminator": discriminator},
        latents=(Latent("eps", normal((options.latent_dim,))), Latent("z", normal((options.latent_dim,)))),
        features=("x",),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema={"generator": options.ema_decay} if options.ema_decay > 0 else {},
    )


def reconstruct(program: Program, params, variables, x: jax.Array) -> jax.Array:
    """`G(E(x))` at the posterior mean (ε = 0), both networks in inference mode: `[n, ...] -> [n, ...]`."""
    eps = jnp.zeros((x.shape[0], program.latent("eps").draw(jax.random.PRNGKey(0)).shape[0]), jnp.float32)
    return infer(program, (ENCODE, DECODE), params, variables, {"x": x, "eps": eps})["reconstruction"]


def settings() -> ml_collections.ConfigDict:
    """`config.vaegan`: γ, the weight of the feature-wise reconstruction in G's loss (in (0, 1])."""
    return ml_collections.ConfigDict({"gamma": 1.0})


def build(parts: Parts) -> Program:
    """VAE-GAN from `config.vaegan`, `config.model` (generator: a registered generator; encoder:
    `conv_encoder`; discriminator: `feature_discriminator`) and `config.optimizer` (its three groups)."""
    config = parts.config
    if len(parts.dataset.element_shape) != 3:
        raise ValueError(
            f"program 'vaegan' needs an image dataset; {config.data.name!r} has {tuple(parts.dataset.element_shape)}."
        )
    gamma = parts.number("gamma", 0.0, 1.0)
    return program(
        encoder=parts.network("encoder", accept=("conv_encoder",), latent_dim=config.latent_dim),
        generator=parts.generator(),
        discriminator=parts.discriminator(accept=("feature_discriminator",)),
        e_tx=parts.optimizer("encoder"),
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        options=VaeganOptions(latent_dim=config.latent_dim, gamma=gamma, ema_decay=float(config.ema_decay)),
    )


FAMILY = Family(
    name="vaegan",
    build=build,
    settings=settings,
    reads=("ema_decay",),
    exports=Exports(reconstruction=Reconstruction(reconstruct, networks=("encoder", "generator"))),
    doc="Larsen et al. 2016: an encoder, G as its decoder, and D's features as the reconstruction metric.",
)
