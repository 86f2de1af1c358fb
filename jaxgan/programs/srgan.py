"""SRGAN (Ledig et al. 2017) as a program: x`scale` super-resolution of paired (`source`, `target`) images.

On batches of low-resolution `source` and high-resolution `target` (on "lowres2digits": the
digit area-downsampled to 7x7, and the 28x28 digit):

    D group: fake = G(source); d_real, d_fake = D(target), D(fake);
        loss E softplus(-d_real) + E softplus(d_fake)  (the non-saturating D loss).
    G group: reuses `fake`; d_fake = D(fake);
        loss l_X + w E softplus(-d_fake)               (Eq. 3, w = `adversarial_weight`, 10⁻³),

with the content loss l_X (`config.srgan.content`) either
- "features" (SRGAN, their VGG loss, Eq. 5): `E (φ(target) - φ(fake))²` over the feature maps φ of
  the frozen digit classifier of the data's target domain (`metrics.classifier.feature_maps`: its
  last convolution after ReLU, before max-pooling, in the role of VGG19's φ_{5,4}); its
  parameters are constants of the step, never trained and not part of the state;
- "mse" (SRResNet-MSE, Eq. 4): `E (target - fake)²` over the pixels.

`adversarial_weight=0` with content "mse" is the SRResNet baseline trained on its content loss
alone (D still trains, and no longer reaches G: a baseline trained exactly as long).

G is `config.model.generator` (SRResNet, `models/srgan.py`, with `scale` set from
`config.srgan.scale`), D `config.model.discriminator` (the paper's D, scaled down). Sampling,
`jaxgan sample --input=low.npy` and `jaxgan eval` go through the record's `Translation`, as for
pix2pix: `eval` reports L1, PSNR, the digit classifier's accuracy and the distance of its features
(`metrics/translation.py`) on the held-out split, and the same for bicubic upsampling
(`bicubic_upsample`) as a reference.

Against the paper (Ledig et al. 2017, sections 2.2-3.2), with `configs/srgan_mnist.py`:
- the same: SRResNet's layout (9x9 conv + PReLU, residual blocks with BN and PReLU, the long
  skip, x2 sub-pixel upsamplers, 9x9 conv), its width 64; D's layout (3x3 conv stages of strides
  1 and 2, BN but on the first, LeakyReLU 0.2, Dense, LeakyReLU, Dense 1); Eq. 3 with the
  adversarial weight 10⁻³ and the non-saturating G loss; Adam(b1 = 0.9); batch 16.
- different: (1) 8 residual blocks, theirs 16 (16 measured no better here, one seed); (2) D at
  two of its four stages (16-16-32-32, Dense 64; theirs 64 ... 512, Dense 1024); (3) φ is the
  bundled digit classifier's last convolution (theirs VGG19's φ_{5,4}, rescaled by 1/12.75); (4)
  SRGAN trains from scratch, theirs starts from the trained SRResNet-MSE; (5) Adam 4e-4 held for
  half the run and decayed linearly to 0, 4,000 steps; theirs 1e-4 for 10⁵ updates and 1e-5 for
  10⁵ more; (6) x4 from 7x7 digits, theirs x4 from 24x24 ImageNet crops (96x96 targets).
The config docstring has the one-seed measurements behind (1) and (5).
"""

from __future__ import annotations

import jax
import ml_collections
import numpy as np

from jaxgan.losses import (
    feature_content_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    pixel_content_loss,
)
from jaxgan.program import Program, Term
from jaxgan.programs import terms
from jaxgan.programs.family import Exports, Family, Needs, Translation
from jaxgan.programs.parts import Parts
from jaxgan.programs.translation import SAMPLE_INPUT, _held_out_sources, paired_program

CONTENTS = ("features", "mse")
GENERATORS = ("srresnet",)
DISCRIMINATORS = ("srgan",)


def bicubic_upsample(sources: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`sources [n, h, w, C]` resized to `[n, *shape]` by bicubic interpolation (`jax.image.resize`,
    "cubic": Keys' kernel, a = -0.5), clipped to the data range [-1, 1]: the reference upsampler."""
    sources = np.asarray(sources, np.float32)
    resized = jax.image.resize(sources, (len(sources), *shape), method="cubic")
    return np.clip(np.asarray(resized, np.float32), -1.0, 1.0)


def srgan_program(
    *,
    generator,
    discriminator,
    g_tx,
    d_tx,
    adversarial_weight: float,
    feature_maps=None,
    held_out_sources,
) -> Program:
    """`feature_maps(images) -> maps`: φ of the "features" content loss (a frozen network), or None
    for the pixel MSE."""
    if feature_maps is None:
        content = Term("content", lambda ctx, fake, target: pixel_content_loss(fake, target), ("fake", "target"))
    else:

        def features(ctx, fake, target):
            return feature_content_loss(feature_maps(fake), jax.lax.stop_gradient(feature_maps(target)))

        content = Term("content", features, ("fake", "target"))
    g_terms = (
        Term(
            "objective",
            lambda ctx, d_fake: non_saturating_generator_loss(d_fake),
            ("d_fake",),
            weight=adversarial_weight,
        ),
        content,
    )
    d_term = Term("objective", lambda ctx, d_real, d_fake: non_saturating_discriminator_loss(d_real, d_fake),
                  ("d_real", "d_fake"))  # fmt: skip
    groups = terms.adversarial_pair(
        d_optimizer=d_tx,
        g_optimizer=g_tx,
        d_terms=(d_term,),
        g_terms=g_terms,
        generator_inputs=("source",),
        real=("target",),
        fake=("fake",),
        latents=(),
        generator_reads_real=False,
        report=("d_real", "d_fake"),
    )
    return paired_program(generator, discriminator, groups, held_out_sources)


def settings() -> ml_collections.ConfigDict:
    """`config.srgan`: the adversarial weight (10⁻³, Ledig et al.; 0: SRResNet on its content loss
    alone), the content loss ("features": the classifier's feature maps, SRGAN's; "mse": pixels,
    SRResNet-MSE's), the upscaling factor (4: 7x7 -> 28x28 digits) and the held-out split."""
    return ml_collections.ConfigDict(
        {"adversarial_weight": 1e-3, "content": "features", "scale": 4, "held_out_split": "test"}
    )


def _side(shape) -> str:
    return "x".join(str(d) for d in shape[:2])


def _check_scale(parts: Parts) -> tuple[int, tuple[int, ...]]:
    """`config.srgan.scale`, which must be the data's ratio of target to source sides (a power of
    two, for the x2 upsamplers); and the target shape."""
    from jaxgan import data as data_lib

    scale = parts.integer("scale", 2)
    specs = data_lib.feature_specs(parts.dataset)
    source, target = tuple(specs["source"][0]), tuple(specs["target"][0])
    name = parts.config.data.name
    ratios = {t / s for s, t in zip(source[:2], target[:2])} if len(source) == len(target) == 3 else set()
    ratio = int(min(ratios)) if len(ratios) == 1 and min(ratios) == int(min(ratios)) else 0
    if ratio < 2 or ratio & (ratio - 1):
        raise ValueError(
            f"config.program='srgan' needs targets 2, 4, 8, ... times the side of the sources, but dataset {name!r} "
            f"has source {source} and target {target}; use a dataset such as 'lowres2digits'."
        )
    if scale != ratio:
        raise ValueError(
            f"config.srgan.scale={scale!r} does not fit dataset {name!r}, whose targets ({_side(target)}) are {ratio} "
            f"times its sources ({_side(source)}); set config.srgan.scale to {ratio}."
        )
    return scale, target


def _feature_maps(parts: Parts):
    """φ of the "features" content loss: the frozen classifier of the dataset's target domain."""
    from jaxgan.metrics import classifier as classifier_lib

    domain = parts.dataset.metadata.get("target_domain")
    if domain is None:
        raise ValueError(
            f"config.srgan.content='features' needs the digit classifier of the targets' domain, and dataset "
            f"{parts.config.data.name!r} names none (metadata target_domain); use content 'mse' or 'lowres2digits'."
        )
    classifier = classifier_lib.get_classifier(domain)
    params = jax.tree.map(np.asarray, classifier.params)  # constants of the step: never trained
    return lambda images: classifier_lib.feature_maps(classifier.module, params, images)


def build(parts: Parts) -> Program:
    """SRGAN from `config.model` (SRResNet G, SRGAN D), `config.optimizer` and `config.srgan`."""
    content = parts.choice("content", CONTENTS)
    adversarial_weight = parts.number("adversarial_weight", closed_low=True)
    scale, target_shape = _check_scale(parts)
    return srgan_program(
        generator=parts.network("generator", accept=GENERATORS, out_channels=target_shape[-1], scale=scale),
        discriminator=parts.network("discriminator", accept=DISCRIMINATORS),
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        adversarial_weight=adversarial_weight,
        feature_maps=_feature_maps(parts) if content == "features" else None,
        held_out_sources=_held_out_sources(parts),
    )


FAMILY = Family(
    name="srgan",
    build=build,
    settings=settings,
    needs=Needs(
        features=("source", "target"),
        suggestion="a paired dataset of low- and high-resolution images such as 'lowres2digits'",
    ),
    exports=Exports(
        translation=Translation(
            source="source",
            target="target",
            network="generator",
            given=SAMPLE_INPUT,
            references=(("bicubic", bicubic_upsample),),
        )
    ),
    doc="Ledig et al. 2017: an SRResNet G of the low-resolution image, its D, a content loss on a frozen "
    "classifier's features (or pixels) + 10⁻³ x the adversarial loss.",
)


def base_config(dataset: str = "lowres2digits") -> ml_collections.ConfigDict:
    """SRGAN's shared settings: Adam(1e-4, b1=0.9) for G and D (Ledig et al.), the digits' train
    split with `test` held out, no image evaluators (`jaxgan eval` scores the held-out outputs)."""
    from jaxgan.config import default_config

    config = default_config()
    config.program = "srgan"
    config.data.name = dataset
    config.data.split = "train[:90%]"
    config.latent_dim = 1  # unused: G draws no noise vector
    adam = {"name": "adam", "learning_rate": 1e-4, "b1": 0.9}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.evaluators = ""
    config.num_samples = 64
    config.srgan = settings()
    return config
