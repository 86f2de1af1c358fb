"""MAD-GAN (Ghosh et al. 2018): k generators, one D with k+1 softmax outputs.

Output j < k of D is "made by generator j", output k is "real". D minimises the cross-entropy
with target k on data and target i on G_i's samples; each G_i minimises `-E log D_k(G_i(z))`.
Each generated example's generator index `generator` is a latent of the step (uniform over
the k generators, drawn from the example's global index like z), so which generator made
which example is data, right under any device count, and is written beside the samples
(`Program.sample_record`).

D's loss is the mean over the k+1 groups (real, G_1 .. G_k) of their cross-entropies; with
the generators drawn uniformly, `E_i E_{q_i}` is the mean over the generated batch, so

    L_D = (E_p CE(D(x), k) + k · E_fake CE(D(x̃), i)) / (k + 1),

which at `D*_j = P_j / Σ_l P_l` equals `log(k+1) - JSD_π(p, q_1..q_k)` with equal weights π
(shared/MATH.md §8; k = 1 gives half of the minimax loss).

The k generators are one module vmapped over a generator axis (`models.multi_generator`),
sharing all but their output layers or fully separate (`config.madgan.share_body`).
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import ml_collections
import optax

from jaxgan import models as models_lib
from jaxgan.losses import madgan_discriminator_loss, madgan_generator_loss
from jaxgan.models.multi_generator import MultiMLPGenerator
from jaxgan.program import Call, Group, Latent, Program, Term, categorical, normal
from jaxgan.programs import _parts

# ---------------------------------------------------------------------------- program


@dataclasses.dataclass(frozen=True)
class MadganOptions:
    latent_dim: int
    num_generators: int
    num_critic_steps: int = 1
    ema_decay: float = 0.0


def program(
    *,
    generator: nn.Module,
    discriminator: nn.Module,
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    options: MadganOptions,
) -> Program:
    def d_term(ctx, d_real, d_fake, generator_index):
        return madgan_discriminator_loss(ctx.gather(d_real), ctx.gather(d_fake), ctx.gather(generator_index))

    def g_term(ctx, d_fake):
        return madgan_generator_loss(ctx.gather(d_fake))

    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(
                Call("generator", ("z", "generator"), "fake"),
                Call("discriminator", (("x",), ("fake",)), ("d_real", "d_fake")),
            ),
            terms=(Term("objective", d_term, ("d_real", "d_fake", "generator")),),
            latents=("z", "generator"),
            repeats=options.num_critic_steps,
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=(Call("discriminator", ("fake",), "d_fake", keep_variables=False),),
            terms=(Term("objective", g_term, ("d_fake",)),),
            reuse=("fake",),
            metric="g",
        ),
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((options.latent_dim,))), Latent("generator", categorical(options.num_generators))),
        features=("x",),
        groups=groups,
        sample=Call("generator", ("z", "generator"), "sample", train=False),
        sample_latents=("z", "generator"),
        sample_record=("generator",),
        ema={"generator": options.ema_decay} if options.ema_decay > 0 else {},
    )


def default_section() -> ml_collections.ConfigDict:
    """`config.madgan`: k generators, sharing all but their output layers or not."""
    return ml_collections.ConfigDict({"num_generators": 8, "share_body": True})


def from_config(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None) -> Program:
    """MAD-GAN from `config.madgan` and `config.model` (G: "multi_mlp" settings; D: a registered
    discriminator, given k+1 outputs here)."""
    from jaxgan.train.build import optimizer

    _parts.refuse_gan_tricks(config, "madgan")
    if "madgan" not in config:
        raise ValueError(
            "program 'madgan' reads config.madgan (num_generators, share_body); see configs/madgan_ring.py."
        )
    k = _parts.integer_at_least(config, "madgan.num_generators", 2)
    share = config.madgan.share_body
    if not isinstance(share, bool):
        raise ValueError(f"config.madgan.share_body must be True or False; got {share!r}.")
    g_spec = config.model.generator.to_dict()
    if g_spec.pop("name") != "multi_mlp":
        raise ValueError(
            f"config.model.generator.name={config.model.generator.name!r} is not a multi-generator; use 'multi_mlp'."
        )
    generator = _parts.build_module(
        MultiMLPGenerator,
        "config.model.generator",
        g_spec,
        num_generators=k,
        share_body=share,
        dtype=_parts.dtype(config),
    )
    if tuple(generator.output_shape) != tuple(dataset.element_shape):
        raise ValueError(
            f"the generators make samples of shape {tuple(generator.output_shape)} but dataset {config.data.name!r} "
            f"has {tuple(dataset.element_shape)}; set config.model.generator.output_shape to match."
        )
    d_spec = config.model.discriminator.to_dict()
    d_name = d_spec.pop("name")
    if d_spec.get("num_outputs") not in (None, k + 1):
        raise ValueError(
            f"config.model.discriminator.num_outputs={d_spec['num_outputs']!r} must be k+1 = {k + 1} for MAD-GAN (or unset)."
        )
    d_spec["num_outputs"] = k + 1
    batch_norm_axis = axis_name if config.model.cross_device_batch_norm else None
    extra = {}
    if "example_axis_name" in models_lib.module_fields(type(models_lib.discriminator(d_name))):
        extra["example_axis_name"] = axis_name
    discriminator = models_lib.discriminator(
        d_name, dtype=_parts.dtype(config), batch_norm_axis_name=batch_norm_axis, **extra, **d_spec
    )
    options = MadganOptions(
        latent_dim=config.latent_dim,
        num_generators=k,
        num_critic_steps=config.num_critic_steps,
        ema_decay=float(config.ema_decay),
    )
    return program(
        generator=generator,
        discriminator=discriminator,
        g_tx=optimizer(config.optimizer.generator, "generator"),
        d_tx=optimizer(config.optimizer.discriminator, "discriminator"),
        options=options,
    )
