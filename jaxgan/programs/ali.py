"""ALI / BiGAN (Dumoulin et al. 2017, "Adversarially Learned Inference"; Donahue et al. 2017,
"Adversarial Feature Learning"): an encoder E beside G, and D on joint pairs.

    q(x, z) = p_data(x) E(z|x): pairs (x, E(x));   p(x, z) = p(z) G(x|z): pairs (G(z), z), z ~ N(0, I)
    V(D, G, E) = E_q log D(x, E(x)) + E_p log(1 - D(G(z), z))           (MATH.md §9)
    D maximises V (minimises `ali_discriminator_loss` = -V); at D* = q / (q + p),
    V = -log 4 + 2 JSD(q, p), minimal when q = p, where E = G⁻¹ (Donahue et al. 2017, Thm. 2).

G and E train together, one group and one optimiser (config.optimizer.generator), against D:
- `generator_loss="swapped"` (default): `-E_q log(1 - D(x, E(x))) - E_p log D(G(z), z)`, D's
  cross-entropy with the labels swapped. This is ALI's Algorithm 1 (its `L_g`, which the
  authors' Theano/Blocks code trains G and E on) and BiGAN's §3.4 "inverse" objective, which its
  released code uses for G and E; the same fixed point as the minimax game, with non-vanishing
  gradients early in training (Goodfellow et al. 2014's non-saturating argument for both players).
- `generator_loss="minimax"`: G and E minimise V itself (the game as written).
(ALI's released code, IshmaelBelghazi/ALI `ali/bricks.py`, `compute_losses`: D's loss
softplus(-D(x, E(x))) + softplus(D(G(z), z)), G and E's softplus(D(x, E(x))) + softplus(-D(G(z), z)),
the swapped loss here; `ali/algorithms.py`, `ali_algorithm`: both gradients at the same
parameters, one update of all three networks: `updates="simultaneous"`, below.)

Networks (jaxgan/models/ali.py): a deterministic E (BiGAN's; ALI's E is stochastic, N(μ(x),
σ²(x)) reparameterised, which a deterministic E is the σ → 0 case of) and the `joint` D, an x path
(convolutions or Dense), a z path (Dense) and joint Dense layers with dropout, after ALI's D(x),
D(z), D(x, z) split. One step: D's group draws z, encodes the batch and generates (E(x), G(z)),
D sees both pair sets in one call; G and E's group reuses those two forward passes (their
gradients pulled back through the saved VJPs). `config.ali.updates`: "alternating" (default, G and
E against D after its update) or "simultaneous" (against D at the step's start, ALI's code). A
stochastic E (`MLPEncoder(noise_dim=k)`, PacGAN's ALI code's `COVConditional`: E(x, ε) on [x, ε])
draws ε ~ N(0, I_k) as a latent of the step; codes and reconstructions read ε = 0. On PacGAN's
grid with both (their code point by point), ALI's samples stay off the modes for ~34,000 steps
(1-2% near one: VEEGAN's ALI row) and at 60,000 cover 24.0 of 25 modes, 70% near one, against
the GAN's 16.0 and 79% (results/ali.md). `reconstruct`: G(E(x)), which
`jaxgan sample --reconstruct=test` writes; `encode`: E(x), which the `encoding_one_nn` evaluator
classifies by its nearest neighbour among the training digits' codes. `config.ema_decay` > 0 keeps
an EMA of E beside G's (one decay for both), so that samples, codes and reconstructions all read
averaged networks: G's average applied to the codes of the raw E would pair networks of
different times.

Against the papers, with `configs/ali_mnist.py`: ALI's experiments are SVHN, CIFAR-10, CelebA and
ImageNet 64x64; BiGAN's include MNIST (a 50-d code; 1-NN on E(x): 97.4%). Different from both:
(1) z ~ N(0, I) here, BiGAN's code is uniform on [-1, 1]^50; (2) the networks: the seed DCGAN's G,
a two-convolution E and the `joint` D, not either paper's (not compared layer by layer here);
(3) ALI's E is stochastic (above); (4) D's learning rate 1e-4 against G and E's 2e-4
(results/ali.md: D led the game at 2e-4), 1,800 steps, batch 64; (5) samples, codes and
reconstructions read EMAs of E and G (decay 0.99; neither paper averages): on seed 1 the
reconstructions' digit accuracy was 0.374 with the raw networks and 0.816 with the averages
(results/ali.md).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import ml_collections
import optax

from jaxgan.calls import infer
from jaxgan.losses import ali_discriminator_loss, ali_generator_loss, ali_value
from jaxgan.program import Call, Group, Latent, Program, Term, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Exports, Family, Reconstruction
from jaxgan.programs.parts import Parts

GENERATOR_LOSSES = ("swapped", "minimax")
UPDATES = ("alternating", "simultaneous")

ENCODE = Call("encoder", ("x",), "encoded")  # a stochastic E reads its noise at its mean, 0
ENCODE_NOISY = Call("encoder", ("x", "encoder_noise"), "encoded")  # E(x, ε), ε a latent of the step
GENERATE = Call("generator", ("z",), "fake")
DECODE = Call("generator", ("encoded",), "fake")  # G(E(x)), for `reconstruct`
READS = ("d_encoder", "d_generator")


def _gathered(loss):
    return lambda ctx, d_encoder, d_generator: loss(ctx.gather(d_encoder), ctx.gather(d_generator))


def program(
    *,
    encoder: nn.Module,
    generator: nn.Module,
    discriminator: nn.Module,
    d_tx: optax.GradientTransformation,
    g_tx: optax.GradientTransformation,
    latent_dim: int,
    generator_loss: str = "swapped",
    encoder_noise_dim: int = 0,
    updates: str = "alternating",
    ema: dict | None = None,
) -> Program:
    """The ALI program: D's update on (x, E(x)) against (G(z), z), then G and E's update (see the module doc).

    `encoder_noise_dim` > 0: E is stochastic, `encoder(x, ε)` with ε ~ N(0, I) of that size drawn
    per example as z is (from the example's global index: the same on any number of devices).
    `updates="simultaneous"`: G and E's gradient is taken at D's parameters of the step's start, as
    D's is (the authors' `ali_algorithm`: one gradient of both losses, one update of all three
    networks); "alternating" (default): at D's parameters after its update, as every jaxgan family."""
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss={generator_loss!r} is not one of {list(GENERATOR_LOSSES)}.")
    if updates not in UPDATES:
        raise ValueError(f"updates={updates!r} is not one of {list(UPDATES)}.")
    g_loss = ali_generator_loss if generator_loss == "swapped" else ali_value
    pairs = (("x", "encoded"), ("fake", "z"))
    discriminator_group = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_tx,
        calls=(ENCODE_NOISY if encoder_noise_dim else ENCODE, GENERATE, Call("discriminator", pairs, READS)),
        terms=(Term("objective", _gathered(ali_discriminator_loss), READS),),
        latents=("z", "encoder_noise") if encoder_noise_dim else ("z",),
        report=READS,
        metric="d",
    )
    generator_group = Group(
        "generator",
        trains=("generator", "encoder"),
        optimizer=g_tx,
        calls=(Call("discriminator", pairs, READS, keep_variables=False),),
        terms=(Term("objective", _gathered(g_loss), READS),),
        reuse=("encoded", "fake"),
        metric="g",
        reads_step_start=("discriminator",) if updates == "simultaneous" else (),
    )
    return Program(
        networks={"encoder": encoder, "generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((latent_dim,))),)
        + ((Latent("encoder_noise", normal((encoder_noise_dim,))),) if encoder_noise_dim else ()),
        features=("x",),
        groups=(discriminator_group, generator_group),
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema=ema or {},
    )


def encode(program: Program, params, variables, x: jax.Array) -> jax.Array:
    """`E(x)` in inference mode: `[n, ...] -> [n, latent_dim]`."""
    return infer(program, (ENCODE,), params, variables, {"x": x})["encoded"]


def reconstruct(program: Program, params, variables, x: jax.Array) -> jax.Array:
    """`G(E(x))`, both networks in inference mode: `[n, ...] -> [n, ...]`."""
    return infer(program, (ENCODE, DECODE), params, variables, {"x": x})["fake"]


def settings() -> ml_collections.ConfigDict:
    """`config.ali`: G and E's loss, "swapped" (ALI's Algorithm 1, BiGAN's code) or "minimax" (V
    itself); `updates`, "alternating" (G and E against D after its update) or "simultaneous" (both
    gradients at the step's start, the authors' code)."""
    return ml_collections.ConfigDict({"generator_loss": "swapped", "updates": "alternating"})


def build(parts: Parts) -> Program:
    """ALI from `config.ali`, `config.model` (encoder: `deterministic_conv` for images, `mlp` for
    points; discriminator: `joint`; generator: any registered one) and `config.optimizer`
    (discriminator; generator, which trains G and E together)."""
    config = parts.config
    generator_loss = parts.choice("generator_loss", GENERATOR_LOSSES)
    updates = parts.choice("updates", UPDATES)
    images = len(parts.dataset.element_shape) == 3
    if len(parts.dataset.element_shape) not in (1, 3):
        raise ValueError(
            f"program 'ali' needs images [H, W, C] or points [d]; dataset {config.data.name!r} has "
            f"{tuple(parts.dataset.element_shape)}."
        )
    encoder_kind = "deterministic_conv" if images else "mlp"
    if parts.network_name("encoder") in ("deterministic_conv", "mlp") and parts.network_name("encoder") != encoder_kind:
        raise ValueError(
            f"config.model.encoder.name={parts.network_name('encoder')!r} does not fit dataset {config.data.name!r} "
            f"of shape {tuple(parts.dataset.element_shape)}; use {encoder_kind!r}."
        )
    encoder = parts.network("encoder", accept=(encoder_kind,), latent_dim=config.latent_dim)
    return program(
        encoder=encoder,
        generator=parts.generator(),
        discriminator=parts.discriminator(accept=("joint", "joint_mlp")),
        d_tx=parts.optimizer("discriminator"),
        g_tx=parts.optimizer("generator"),
        latent_dim=config.latent_dim,
        generator_loss=generator_loss,
        encoder_noise_dim=getattr(encoder, "noise_dim", 0),
        updates=updates,
        ema=_with_encoder(parts.ema()),
    )


def _with_encoder(ema: dict) -> dict:
    """G's EMA (`parts.ema()`: `{"generator": decay}` or `{}`) extended to E with the same decay."""
    return {network: ema["generator"] for network in ("generator", "encoder")} if ema else {}


FAMILY = Family(
    name="ali",
    build=build,
    settings=settings,
    reads=("ema_decay",),
    exports=Exports(reconstruction=Reconstruction(reconstruct, networks=("encoder", "generator"), encode=encode)),
    doc="Dumoulin et al. 2017 / Donahue et al. 2017: an encoder beside G, D on (x, E(x)) against (G(z), z).",
)
