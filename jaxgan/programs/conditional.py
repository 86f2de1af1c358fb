"""Conditional GANs as one program: CGAN, the projection discriminator, conditional BN, ACGAN.

    D group (repeats = num_critic_steps): fake = G(z, label); D(x, label), D(fake, label):
        the objective on the adversarial head + Σ weight·penalty (D seeing each example's label)
        + ACGAN's class loss on real and generated examples (`class_weight` > 0).
    G group: reuses `fake`; the objective at D(fake, label) + ACGAN's class loss of its samples.

A generated example is conditioned on the label of the real example at its position in the
batch, so the two halves of D's batch have one label distribution and a penalty sees one label
per (real, generated) pair. Samples are drawn for uniformly drawn labels (the `label` latent),
or for the labels the caller gives (`jaxgan sample --labels=...`), and keep them (`.npz`).

Which network conditions how is a setting (`config.conditional`): the generator concatenates the
label (`concat`, one-hot or embedded) or takes it through conditional batch norm (`batch_norm`,
the dcgan and sngan_resnet generators); D concatenates it (`concat`), projects it (`projection`)
or does not see it (`none`, ACGAN's D, which predicts it instead).

Against the papers, with `configs/cgan_mnist.py` and `configs/acgan_mnist.py` (issue 25):
- CGAN (Mirza & Osindero 2014, §4.1, MNIST): the same: the label given to both G and D, the
  minimax game on the joint. Different: (1) the networks: theirs are MLPs (G: z, 100-d uniform, to
  200 ReLU units and y to 1,000, joined in 1,200 ReLU units, 784 sigmoid outputs; D: maxout
  layers, 240 units x 5 pieces for x, 50 x 5 for y, 240 x 4 joined, dropout 0.5), ours the seed
  DCGAN's convolutions with the one-hot label concatenated to z and as 10 input channels of D;
  (2) z ~ N(0, I_100) rather than uniform; (3) Adam(2e-4, 0.5) and batch 64 rather than SGD with
  momentum 0.5 -> 0.7 and a learning rate decayed from 0.1, batch 100; (4) G's non-saturating loss
  rather than the minimax one; (5) 1,500 steps. Their figure is a Parzen-window log-likelihood
  (132 ± 1.8), which is not measured here; class consistency by the bundled classifier is.
- ACGAN (Odena et al. 2017): the same: D predicts the class (no label input), L_C added for D and
  G, Adam(2e-4, 0.5). Different: (1) their experiments are ImageNet at 128x128 and CIFAR-10 with
  their deconvolution/convolution networks (dropout 0.5 and leaky ReLU in D); ours the seed DCGAN's
  on the bundled MNIST digits, 2,500 steps; (2) G maximises L_C - L_S in the paper (the minimax
  source term), ours minimises L_C plus the non-saturating source loss.
"""

from __future__ import annotations

import ml_collections

from jaxgan import models as models_lib
from jaxgan.models.conditional import ConditionalDiscriminator, ConditionalGenerator
from jaxgan.program import Latent, Program, categorical, normal
from jaxgan.programs import augmentation, regularise, terms
from jaxgan.programs.family import Classifier, Exports, Family, Needs
from jaxgan.programs.parts import Parts


def settings() -> ml_collections.ConfigDict:
    """`config.conditional`: how G and D see the label, and ACGAN's class-loss weight."""
    return ml_collections.ConfigDict(
        {
            "num_classes": 10,  # must be the dataset's
            "generator_conditioning": "concat",  # "concat" or "batch_norm" (dcgan, sngan_resnet)
            "generator_embed_dim": 0,  # 0: one-hot label concatenated to z; else an embedding
            "discriminator_conditioning": "concat",  # "concat", "projection" or "none"
            "label_input": "one_hot",  # D's concatenated label: "one_hot" channels or an "embedding"
            "embed_dim": 16,  # the width of D's label embedding (label_input="embedding")
            "class_weight": 0.0,  # > 0: ACGAN's class head and loss, with this weight
        }
    )


def bodies(parts: Parts, **generator_settings):
    """The registered G body and D body (`features_only`) of `config.model`, which the
    conditional networks wrap."""
    return parts.generator(**generator_settings), parts.discriminator(features_only=True)


def build(parts: Parts, *, needs_class_loss: bool = False) -> Program:
    """CGAN, the projection discriminator, conditional BN; ACGAN with `needs_class_loss`."""
    config, settings = parts.config, parts.settings
    num_classes = parts.num_classes()
    class_weight = parts.number("class_weight", 0.0, closed_low=True)
    if needs_class_loss and class_weight == 0:
        raise ValueError(
            f"config.program={config.program!r} needs config.conditional.class_weight > 0 (its class loss)."
        )
    g_conditioning = parts.choice("generator_conditioning", ("concat", "batch_norm"))
    d_conditioning = parts.choice("discriminator_conditioning", ("concat", "projection", "none"))
    parts.choice("label_input", ("one_hot", "embedding"))
    g_extra = {"num_classes": num_classes} if g_conditioning == "batch_norm" else {}
    g_name = parts.network_name("generator")
    if g_conditioning == "batch_norm" and "num_classes" not in models_lib.module_fields(
        models_lib.network_class("generator", g_name)
    ):
        raise ValueError(
            f"config.conditional.generator_conditioning='batch_norm' needs a generator with conditional batch norm "
            f"(dcgan, sngan_resnet); {g_name!r} has none, use 'concat'."
        )
    g_body, d_body = bodies(parts, **g_extra)
    generator = ConditionalGenerator(
        g_body, num_classes=(num_classes,), conditioning=g_conditioning, embed_dim=settings.generator_embed_dim
    )
    discriminator = ConditionalDiscriminator(
        d_body,
        num_classes=num_classes,
        conditioning=d_conditioning,
        label_input=settings.label_input,
        embed_dim=settings.embed_dim,
        class_head=num_classes if class_weight > 0 else 0,
        spectral_norm=bool(getattr(d_body, "spectral_norm", False)),
    )
    penalties, penalty_weights = parts.penalties()
    sees_label = d_conditioning != "none"
    real_in, fake_in = (("x", "label"), ("fake", "label")) if sees_label else (("x",), ("fake",))
    d_term, g_term = terms.objective_terms(
        parts.objective(),
        d_reads=("d_real.adversarial", "d_fake.adversarial"),
        g_reads=("d_fake.adversarial", "d_real.adversarial"),
    )
    d_terms = [d_term]
    d_terms += [
        terms.penalty_term(name, fn, condition=("label",) if sees_label else (), head="adversarial")
        for name, fn in penalties
    ]
    g_terms = [g_term]
    if class_weight > 0:
        d_terms.append(
            terms.class_loss_term(
                "class", (("d_real.class_logits", "label"), ("d_fake.class_logits", "label")), class_weight
            )
        )
        g_terms.append(terms.class_loss_term("class", (("d_fake.class_logits", "label"),), class_weight))
    groups = terms.adversarial_pair(
        d_optimizer=parts.optimizer("discriminator"),
        g_optimizer=parts.optimizer("generator"),
        d_terms=d_terms,
        g_terms=g_terms,
        generator_inputs=("z", "label"),
        real=real_in,
        fake=fake_in,
        repeats=config.num_critic_steps,
        project=parts.projection(),
    )
    groups = augmentation.regularise(parts, groups, head="adversarial")
    program = Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((config.latent_dim,))), Latent("label", categorical(num_classes))),
        features=("x", "label"),
        groups=groups,
        sample=terms.sample_call(("z", "label")),
        sample_latents=("z", "label"),
        sample_record=("label",),
        ema=parts.ema(),
        hyper=penalty_weights,
    )
    return regularise.apply(parts, program, real="d_real.adversarial", fake="d_fake.adversarial")


_READS = (
    "loss",
    "penalties",
    "clip_weights",
    "num_critic_steps",
    "ema_decay",
    *regularise.SHARED,
    "augment",
    "consistency",
)
_NEEDS = Needs(features=("x", "label"), suggestion="a labelled dataset (e.g. mnist, digits, ring, grid)")

FAMILY = Family(
    name="conditional",
    build=build,
    settings=settings,
    reads=_READS,
    needs=_NEEDS,
    doc="G(z, c) and D(x, c) by concatenation, projection or conditional batch norm; any objective and penalty.",
)


def _class_head_unavailable(settings: ml_collections.ConfigDict) -> str | None:
    if settings.discriminator_conditioning != "none":
        return (
            f"ACGAN's class head classifies only when D is not given the label, and this run's "
            f"config.conditional.discriminator_conditioning is {settings.discriminator_conditioning!r} (use 'none')"
        )
    return None


ACGAN = Family(
    name="acgan",
    build=lambda parts: build(parts, needs_class_loss=True),
    settings=settings,
    section_name="conditional",
    reads=_READS,
    needs=_NEEDS,
    # D's class head on real examples: the label ACGAN's D predicts.
    exports=Exports(
        classifier=Classifier(
            "discriminator", lambda outputs, settings: outputs["class_logits"], unavailable=_class_head_unavailable
        )
    ),
    doc="Odena et al. 2017: the conditional program with D's class head and loss (class_weight > 0).",
)
