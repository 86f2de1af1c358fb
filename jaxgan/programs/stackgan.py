"""StackGAN (Zhang et al. 2017) conditioned on the class label, as a run in two stages.

Stage 0 (Stage I, steps `[0, stage_one_steps)`), in `parts.stage == 0`'s program:

    D group: fake = G(z, label, ε_1) (Stage-I G with its conditioning augmentation ĉ_1 = μ_1 + σ_1 ε_1,
        its r x r image nearest-upsampled to the data's size); fake_image = pool(fake), real_image =
        pool(x) (area pooling to r); wrong = a label other than the example's own;
        D(real_image, label), D(fake_image, label), D(real_image, wrong) -> d_real, d_fake, d_wrong;
        L_D = E softplus(-d_real) + ½ [E softplus(d_wrong) + E softplus(d_fake)]
        (`losses.stackgan_discriminator_loss`; `mismatch=False`: the plain non-saturating D loss).
    G group (trains `generator`): reuses fake and its CA's per-example KL;
        E softplus(-D(fake_image, label)) + λ E KL(N(μ_1, σ_1²) ‖ N(0, I)) (`kl_weight` = λ).

Stage 1 (Stage II, from `stage_one_steps` to `config.num_steps`): the same, with G(z, label, ε_1, ε_2)
= Stage-II G(Stage-I G's image, ĉ_2) at the data's size and Stage-II D on the full images (no pooling);
the G group trains `generator/stage_two` only (Stage-II G and its CA): Stage-I G's parameters are
carried from stage 0 by name (`family.carry_by_path`) and not updated, its image under
`stop_gradient`; Stage-I D and its Adam moments are dropped (Stage-II D starts fresh, as in the
paper). The KL term is Stage-II CA's. Every randomness (z, the label, ε_1, ε_2, the mismatched label)
is a latent of the program, drawn per example from its global index: one stage on 1, 2 or 8 devices
is the same run. `jaxgan sample --stage=0` draws Stage I's images (nearest-upsampled), `jaxgan eval
--stage=0` scores them; samples of both stages with one seed share z, the label and ε_1, so Stage
II's image refines the Stage-I image drawn beside it.

Against the paper (Zhang et al. 2017) and its released code (hanzhanggit/StackGAN, TensorFlow),
with `configs/stackgan_mnist.py` (issue 27):
- The same: conditioning augmentation (a fully connected layer with leaky ReLU 0.2 giving μ and
  log σ, ĉ = μ + σ ⊙ ε) with the KL term to N(0, I) in G's loss, one CA per stage with its own
  parameters; Stage-I G from (z, ĉ) to a low-resolution image; Stage-II G encoding the Stage-I
  image with a stride-2 convolution, the CA code tiled and concatenated, a joint 3x3 convolution,
  residual blocks, nearest-neighbour upsampling + 3x3... (here 5x5) convolutions to 4x the Stage-I
  size (the paper's 64 -> 256; here 14 -> 28 or 7 -> 28); the Ds' condition: the embedding
  compressed by a dense layer with leaky ReLU, tiled at the Ds' 4x4 (or smaller) map, concatenated,
  a 1x1 convolution; the matching-aware D with mismatched pairs weighted ½ with the fakes (the
  released code's `B_WRONG` loss); G's non-saturating loss (the code's); Stage I trained first,
  then Stage II with Stage-I G fixed (the released trainer trains `hr_g` only unless
  `FINETUNE_LR`); Adam(2e-4, β1 = 0.5), batch 64.
- Different: (1) the condition is the digit's class, embedded as its one-hot vector (fixed, as the
  paper's pre-trained char-CNN-RNN text embedding is), not a sentence's 1,024-d embedding, and
  mismatched pairs take a uniformly drawn other class rather than another image's caption; one
  embedding per image rather than the code's 4 captions averaged; (2) 28x28 digits, Stage I at
  14x14 (7x7 allowed), not 64x64 -> 256x256 birds, flowers and COCO; (3) the networks are scaled
  down for 2 CPU cores: CA dimension 16 (the paper's N_g = 128), D's condition 16 (N_d = 128),
  z ~ N(0, I_64) (100-d), widths 32 (the code's gf_dim 128, df_dim 64), 2 residual blocks (the
  code's 4); (4) batch norm in the generators (over the global batch: each stage stays
  device-count invariant; Stage-I G's with `stage_one_batch_norm`, on in the config, run on its
  running averages in Stage II, where Stage I is fixed), none in the Ds (the paper's have it after
  most layers), flax's default initialisers; (5) Stage-I G is a dense layer and upsampling convolutions without the released
  code's residual blocks at 4x4 and 8x8, and neither D has the code's residual block on its 4x4
  features; D's last layer is a dense layer on the joint map (the code's 4x4 valid convolution,
  the same map); (6) λ = `kl_weight` = 0.01 in the config, not the paper's 1 (the released configs
  use 2.0): a class label carries at most log 10 nats, and the KL term decides how much of it the CA
  lets through; the Bayes accuracy of the label from Stage I's ĉ_1 was 0.89 at λ = 0.1 (class
  consistency 0.806 ± 0.004 over 3 seeds) and 0.98 at 0.01 (0.9+, results/stackgan.md); at λ = 1 the
  samples hardly followed their labels (0.23, one seed). Stage II's CA carries no label at any of
  these λ (Bayes accuracy 0.15-0.17): Stage II reads the class off the Stage-I image. The family's
  default stays 1; (7) a stage
  is `stage_one_steps` steps and the rest of `num_steps`, at a constant learning rate, not 600
  epochs each with the rate halved every 100 (Stage I) or 50 epochs; (8) samples and the Stage-I
  baseline are compared on the bundled classifier's features (FID, class consistency), not by
  inception score and human rank on the paper's datasets.
"""

from __future__ import annotations

import ml_collections

from jaxgan import losses
from jaxgan.models import progan
from jaxgan.models import stackgan as stackgan_models
from jaxgan.program import Call, Group, Latent, Program, Term, categorical, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Family, Needs, Stages, settings_of
from jaxgan.programs.parts import Parts

NETWORK = "stackgan"


def settings() -> ml_collections.ConfigDict:
    """`config.stackgan`: the classes, the steps of Stage I (Stage II runs on to config.num_steps),
    λ of the KL term, and whether D also sees real images with mismatched labels."""
    return ml_collections.ConfigDict({"num_classes": 10, "stage_one_steps": 500, "kl_weight": 1.0, "mismatch": True})


def stage_starts(config: ml_collections.ConfigDict) -> tuple[int, ...]:
    """`(0, stage_one_steps)`, after checking the count."""
    steps = settings_of(config, FAMILY).stage_one_steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(
            f"config.stackgan.stage_one_steps must be a positive integer (the steps of Stage I); got {steps!r}."
        )
    return (0, steps)


def build(parts: Parts) -> Program:
    config = parts.config
    stage_starts(config)
    stage = parts.stage
    num_classes = parts.num_classes()
    if num_classes < 2:
        raise ValueError(f"program 'stackgan' needs at least 2 classes (mismatched labels); got {num_classes}.")
    kl_weight = parts.number("kl_weight", 0.0, closed_low=True)
    mismatch = parts.flag("mismatch")
    shape = tuple(parts.dataset.element_shape)
    if len(shape) != 3:
        raise ValueError(
            f"program 'stackgan' generates images; dataset {config.data.name!r} has examples of shape {shape}."
        )
    for entry in ("generator", "discriminator"):
        name = parts.network_name(entry)
        if name != NETWORK:
            raise ValueError(
                f"config.model.{entry}.name={name!r} has no Stage I and Stage II; program 'stackgan' uses {NETWORK!r}."
            )
    generator = parts.generator(stage=stage, num_classes=num_classes)
    discriminator = parts.discriminator(stage=stage, num_classes=num_classes)
    low = generator.low_resolution
    condition_dim = generator.condition_dim

    eps = ("eps_one",) if stage == 0 else ("eps_one", "eps_two")
    g_inputs = ("z", "label", *eps)
    latents = [
        Latent("z", normal((config.latent_dim,))),
        Latent("label", categorical(num_classes)),
        *(Latent(name, normal((condition_dim,))) for name in eps),
    ]
    networks = {"generator": generator, "discriminator": discriminator}
    calls = [Call("generator", g_inputs, "fake", features=("kl",))]
    real, fake = "x", "fake"
    if stage == 0:  # Stage-I D on r x r images: G's upsampled image pooled back (exactly), the reals pooled
        networks["pool"] = progan.AveragePool(shape[0] // low)
        calls += [Call("pool", ("fake",), "fake_image"), Call("pool", ("x",), "real_image")]
        real, fake = "real_image", "fake_image"
    d_inputs = [(real, "label"), (fake, "label")]
    d_outputs = ["d_real", "d_fake"]
    if mismatch:
        latents.append(Latent("shift", categorical(num_classes - 1)))
        networks["mismatch"] = stackgan_models.MismatchedLabels(num_classes)
        calls.append(Call("mismatch", ("label", "shift"), "wrong_label"))
        d_inputs.append((real, "wrong_label"))
        d_outputs.append("d_wrong")
    calls.append(Call("discriminator", tuple(d_inputs), tuple(d_outputs)))

    def d_loss(ctx, d_real, d_fake, d_wrong=None):
        if d_wrong is None:
            return losses.non_saturating_discriminator_loss(ctx.gather(d_real), ctx.gather(d_fake))
        return losses.stackgan_discriminator_loss(ctx.gather(d_real), ctx.gather(d_fake), ctx.gather(d_wrong))

    discriminator_group = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=parts.optimizer("discriminator"),
        calls=tuple(calls),
        terms=(Term("objective", d_loss, tuple(d_outputs)),),
        # not `label`: a generated example takes the label of the real example at its position (the
        # batch's), so both halves of D's batch have one label distribution; `label` is drawn for samples
        latents=tuple(latent.name for latent in latents if latent.name != "label"),
        report=tuple(d_outputs),
        metric="d",
    )
    g_calls = [Call("pool", ("fake",), "fake_image")] if stage == 0 else []
    g_calls.append(Call("discriminator", (fake, "label"), "d_fake", keep_variables=False))
    generator_group = Group(
        "generator",
        trains=("generator",) if stage == 0 else ("generator/stage_two",),
        optimizer=parts.optimizer("generator"),
        calls=tuple(g_calls),
        terms=(
            Term(
                "objective", lambda ctx, d_fake: losses.non_saturating_generator_loss(ctx.gather(d_fake)), ("d_fake",)
            ),
            Term("kl", lambda ctx, kl: terms.gathered_mean(ctx, kl), ("kl",), weight=kl_weight),
        ),
        reuse=("fake", "kl"),
        metric="g",
    )
    return Program(
        networks=networks,
        latents=tuple(latents),
        features=("x", "label"),
        groups=(discriminator_group, generator_group),
        sample=terms.sample_call(g_inputs),
        sample_latents=g_inputs,
        sample_record=("label",),
    )


FAMILY = Family(
    name="stackgan",
    build=build,
    settings=settings,
    needs=Needs(features=("x", "label"), suggestion="a labelled image dataset (e.g. mnist, digits)"),
    stages=Stages(starts=stage_starts),
    doc="Zhang et al. 2017, conditioned on the label: Stage-I G/D at low resolution, then Stage-II G refining "
    "Stage I's image (fixed) with residual blocks and its D on full images; conditioning augmentation with its KL.",
)
