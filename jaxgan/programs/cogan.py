"""CoGAN (Liu & Tuzel 2016, "Coupled Generative Adversarial Networks", NIPS): two GANs, one per
domain, trained on unpaired data of the two; one z draws a corresponding pair (G_1(z), G_2(z)).

    max_{D_1, D_2} min_{G_1, G_2} V = Σ_i w_i V_i,
    V_i = E_{x~p_i} log D_i(x) + E_{z~N(0, I)} log(1 - D_i(G_i(z)))        (paper eq. 3-4; MATH.md §9)
    subject to: G_1 and G_2 share their first layers, D_1 and D_2 their last layers.

The games are coupled only by the shared weights: a shared weight's gradient is the sum of the two
games' gradients (`tests/programs/test_cogan.py` checks it against per-game gradients by hand).
Sharing the layers nearest z makes both generators decode z into the same high-level content (a
digit's class and shape), which each domain's own last layer renders in its own way, so one z
draws a pair that corresponds though no pair was ever seen.

One step: D's group draws z, generates the pairs once and updates D_1 and D_2 together on their
summed losses (real: a batch of x and an independent batch of y of the unpaired dataset); G's
group reuses those pairs (their VJP) and updates G_1 and G_2 together against the new D.

Against the paper and the authors' released code (mingyuliutw/CoGAN, `cogan_pytorch/src/`:
`net_cogan_mnistedge.py`, `trainer_cogan_mnistedge.py`, `dataset_mnistedge.py`, `init.py`, and
`exps/mnistedge_cogan.yaml`), point by point, with `configs/cogan_digits2inverted.py`:
- D: theirs is LeNet's (`CoDis28x28`): 5x5 convolutions of 20 and 50 channels, each followed by 2x2
  max pooling and no activation, a 4x4 convolution to 500 (a dense layer) with PReLU, and a 1x1
  convolution to two logits (softmax: the same as one logit); the first convolution is each
  domain's, the rest shared; Xavier-uniform weights (gain sqrt 2), biases 0.1. Ours is that D
  (`body="lenet"`, one logit, no dropout) twice as wide, `features=40` (40, 100, 1,000): on seed 0
  (with the G below) pair agreement 0.849 / 0.880 / 0.875 / 0.850 / 0.890 at steps 1,000 ... 3,000
  against 0.789 / 0.823 / 0.822 / 0.848 / 0.855 at their width 20 (results/cogan.md). (The
  earlier config's D, the seed DCGAN's doubled with dropout 0.3, is `body="dcgan"`; Chen et al.'s
  InfoGAN D is `body="infogan"`: with it G collapsed, pair agreement 0.57 at step 500 and 0.02 at
  1,000, not analysed; its batch norm normalising real and generated batches apart is a suspect.)
- G: theirs (`CoGen28x28`) is four transposed convolutions of 1024, 512, 256 and 128 channels
  (4x4, 7x7, 14x14, 28x28), each with batch norm (no scale or offset) and PReLU, all shared, and
  one 6x6 transposed convolution per domain with a sigmoid: far beyond 15 minutes a seed on 2 CPU
  cores. Ours is Chen et al.'s InfoGAN MNIST G (`body="infogan"`: Dense 1024, Dense 7x7x128, a 4x4
  up-convolution to 64, each with batch norm and ReLU, all three shared, then each domain's 4x4
  up-convolution to one channel with tanh; N(0, 0.02²) weights), the sharing pattern theirs (all
  but the output layer). It replaced the seed DCGAN's G (`body="dcgan"`: Dense to 7x7x128, an
  upsampling 5x5 convolution of 64, each domain's upsampling 5x5 convolution) because the measure
  is bounded by the digits' quality, not only by the coupling: the seed DCGAN's own samples after
  3,000 steps, paired with their exact transform, agree only 0.80-0.81 (`transform_agreement`
  below), and the coupled seed DCGAN reached 0.784; InfoGAN's G, trained on its own, draws digits
  that score 0.98, as real ones do. Coupled, at seed 0, 3,000 steps: 0.844 with both rates 2e-4,
  0.855 with G's at 1e-3.
- Loss: theirs is the cross-entropy of D's two logits, real against fake, averaged over the two
  domains' concatenated batches (half our sum over the two games: the same direction, and Adam's
  steps do not see the factor), and G's the cross-entropy against "real" (non-saturating), as ours.
  `w_i` (`config.cogan.x_weight`, `y_weight`) are 1 in the paper.
- Optimiser: Adam(b1 = 0.5) at constant rates, D's 2e-4 as theirs, G's 1e-3 (InfoGAN's rate for
  this G; theirs 2e-4); theirs adds an L2 weight decay of 5e-4 to the gradient (PyTorch's
  `weight_decay`), ours none: with it (`config.optimizer.<group>.l2_penalty = 5e-4`, both groups)
  seeds 0 and 1 ended at 0.893 and 0.874 against 0.881-0.890 and 0.883 (results/cogan.md). Both
  rates decayed to 0 over the second half gave 0.869 at the end (seed 0; 0.890 constant: within
  the noise, not kept). Batch 64 per domain, z ~ N(0, I_100),
  theirs (batch 128: 0.841 at step 1,500, where batch 64 had 0.823 at 1,500 and 0.848 at 2,500
  with as many images: not kept).
  Theirs draws a new z for G's update; ours reuses D's (one z a step, as every jaxgan family).
- Length: theirs 5,000 iterations (`max_iter`) on 30,000 digits per domain; ours 3,000 steps on
  2,250 (half the bundled `train[:90%]` each: their split, halves of the data with the second
  half transformed, at a 13th of the size). With the seed DCGAN's G (the 12-05 config, seed 0)
  pair agreement was 0.784 at 3,000, 0.790 at 4,000, 0.783 at 5,000 (results/cogan.md): there the
  length was not what was missing.
- Data: digits (X) and other digits' negatives (Y, `digits2negatives`, their digits/negatives
  and issue 26's task), or negatives of dilated digits (`digits2inverted`, CycleGAN's task),
  never paired (their MNIST launcher: digits and their edges, dilation minus image); their data
  in [0, 1] with a sigmoid output, ours in [-1, 1] with tanh.
- Measure: `pair_agreement`, the digit of G_1(z) (read by the bundled digit classifier) against
  the digit of G_2(z), read by its domain's reader (`metadata["target_domain"]`,
  `jaxgan.data.translation.DOMAINS`): on the negatives the bundled classifier after negating
  G_2(z) back, the issue's reading; on the dilated task the inverted digits' own classifier (the
  bundled classifier on -G_2(z), a dilated digit it was not trained on, agrees less often:
  results/cogan.md); `pixel_agreement`, the paper's measure adapted to our transform: the share of
  pixels on which G_2(z) and the dataset's transform of G_1(z) (dilated, inverted) agree, both
  binarised at 0 (mid-grey). Mostly background, so not comparable with the paper's 0.967;
  `transform_agreement`, the pair agreement of (G_1(z), T(G_1(z))): what a G_2 perfectly coupled
  to G_1 would score with G_1's digits, so that pair agreement's shortfall splits into the digits'
  quality (1 - transform_agreement) and the coupling (transform_agreement - pair_agreement). The
  held-out digits score 0.978 (the two classifiers' own errors); the seed DCGAN's samples after
  3,000 steps 0.80-0.81 (4 seeds): with its digits no coupling reaches 0.90.

Samples are pairs side by side, `[N, s, 2s, C]` (G_1(z) left, G_2(z) right): the loop's sample
grids, `jaxgan sample --out=F.png` and `--out=F.npz` (with each pair's z) draw both domains.
"""

from __future__ import annotations

import flax.linen as nn
import ml_collections
import numpy as np
import optax

from jaxgan.losses import cogan_discriminator_loss, cogan_generator_loss
from jaxgan.models import cogan as cogan_models
from jaxgan.program import Call, Group, Latent, Program, Term, normal
from jaxgan.programs.family import Exports, Family, Needs
from jaxgan.programs.parts import Parts

NETWORK = "coupled_dcgan28"
X_DOMAIN_CLASSIFIER = "mnist"  # the digits of the unpaired digit tasks' X domain


def program(
    *,
    generator: nn.Module,
    discriminator: nn.Module,
    d_tx: optax.GradientTransformation,
    g_tx: optax.GradientTransformation,
    latent_dim: int,
    domain_weights: tuple[float, float] = (1.0, 1.0),
    ema: dict | None = None,
) -> Program:
    """The CoGAN program: D_1 and D_2's update, then G_1 and G_2's (see the module doc).

    `generator(z) -> pairs [B, s, 2s, C]`, `discriminator(x, y)` or `discriminator(pairs) -> [B, 2]`
    (`jaxgan/models/cogan.py`'s coupled networks, or any with these signatures)."""
    weights = tuple(float(w) for w in domain_weights)

    def d_term(ctx, d_real, d_fake):
        return cogan_discriminator_loss(ctx.gather(d_real), ctx.gather(d_fake), domain_weights=weights)

    def g_term(ctx, d_fake):
        return cogan_generator_loss(ctx.gather(d_fake), domain_weights=weights)

    discriminator_group = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_tx,
        calls=(
            Call("generator", ("z",), "fake"),
            Call("discriminator", ("x", "y"), "d_real"),
            Call("discriminator", ("fake",), "d_fake"),
        ),
        terms=(Term("objective", d_term, ("d_real", "d_fake")),),
        latents=("z",),
        metric="d",
    )
    generator_group = Group(
        "generator",
        trains=("generator",),
        optimizer=g_tx,
        calls=(Call("discriminator", ("fake",), "d_fake", keep_variables=False),),
        terms=(Term("objective", g_term, ("d_fake",)),),
        reuse=("fake",),
        metric="g",
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((latent_dim,))),),
        features=("x", "y"),
        groups=(discriminator_group, generator_group),
        sample=Call("generator", ("z",), "sample", train=False),
        sample_latents=("z",),
        sample_record=("z",),
        ema=ema or {},
    )


# ---------------------------------------------------------------------------- the evaluator


def pair_agreement(left_probabilities: np.ndarray, right_probabilities: np.ndarray) -> float:
    """The share of pairs whose two images get the same class: mean of argmax p_1 == argmax p_2."""
    left, right = np.argmax(left_probabilities, axis=-1), np.argmax(right_probabilities, axis=-1)
    return float(np.mean(left == right))


def pixel_agreement(transformed_left: np.ndarray, right: np.ndarray) -> float:
    """Liu & Tuzel's pixel agreement ratio: the share of pixels on which the first domain's image,
    transformed into the second domain, and the second domain's image agree (both binarised at 0)."""
    return float(np.mean((np.asarray(transformed_left) > 0) == (np.asarray(right) > 0)))


def _pair_agreement(inputs) -> tuple[float, float, float]:
    from jaxgan.data.translation import DOMAINS
    from jaxgan.metrics import classifier as classifier_lib

    pairs = np.asarray(inputs.fake, np.float32)
    width = pairs.shape[2] // 2
    left, right = pairs[:, :, :width], pairs[:, :, width:]
    judges = (
        classifier_lib.get_classifier(X_DOMAIN_CLASSIFIER),
        classifier_lib.get_domain_classifier(inputs.metadata["target_domain"]),
    )
    if not np.all(np.isfinite(pairs)):
        return float("nan"), float("nan"), float("nan")
    left_probabilities = judges[0].probabilities(left)
    agreement = pair_agreement(left_probabilities, judges[1].probabilities(right))
    transformed = DOMAINS[inputs.metadata["target_domain"]].transform(left)
    ceiling = pair_agreement(left_probabilities, judges[1].probabilities(transformed))
    return agreement, pixel_agreement(transformed, right), ceiling


def _evaluators():
    from jaxgan.metrics.evaluators import Evaluator

    return (
        Evaluator(
            "pair_agreement",
            ("pair_agreement", "pixel_agreement", "transform_agreement"),
            _pair_agreement,
            needs=("samples", "metadata"),
            metadata_keys=("target_domain",),
        ),
    )


# ---------------------------------------------------------------------------- from a config


def settings() -> ml_collections.ConfigDict:
    """`config.cogan`: how many layers the generators share (nearest z) and the discriminators share
    (nearest the output), and the weights w_1 (x), w_2 (y) of the two games."""
    return ml_collections.ConfigDict(
        {"shared_generator_layers": 2, "shared_discriminator_layers": 2, "x_weight": 1.0, "y_weight": 1.0}
    )


def _shared(parts: Parts, field: str, num_layers: int, kind: str) -> int:
    value = parts.settings[field]
    highest = num_layers - 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
        raise ValueError(
            f"config.cogan.{field} must be an integer in [0, {highest}]: the coupled {kind} has {num_layers} "
            f"layers and one of them is each domain's own; got {value!r}."
        )
    return value


def build(parts: Parts) -> Program:
    """CoGAN from `config.model` (generator and discriminator: `coupled_dcgan28`), `config.optimizer`
    (discriminator, generator) and `config.cogan`, on an unpaired dataset of images of one shape."""
    from jaxgan import data as data_lib

    config = parts.config
    # the generator's body decides its depth (an unknown body is refused by the network, in one sentence)
    body = config.model.generator.get("body", "dcgan")
    g_layers = len(cogan_models.GENERATOR_BODIES.get(body, cogan_models.GENERATOR_LAYERS))
    shared_g = _shared(parts, "shared_generator_layers", g_layers, "generator")
    shared_d = _shared(
        parts, "shared_discriminator_layers", cogan_models.CoupledDiscriminator.num_layers, "discriminator"
    )
    weights = tuple(parts.number(name) for name in ("x_weight", "y_weight"))
    specs = data_lib.feature_specs(parts.dataset)
    x_shape, y_shape = tuple(specs["x"][0]), tuple(specs["y"][0])
    if len(x_shape) != 3 or x_shape != y_shape or x_shape[0] != x_shape[1] or x_shape[0] % 4:
        raise ValueError(
            f"config.program='cogan' needs square images of one shape in both domains, a multiple of 4 pixels on "
            f"a side; dataset {config.data.name!r} has x {x_shape} and y {y_shape} (config.data.image_size resizes both)."
        )
    generator = parts.network(
        "generator", accept=(NETWORK,), image_size=x_shape[0], channels=x_shape[2], shared_layers=shared_g
    )
    return program(
        generator=generator,
        discriminator=parts.network("discriminator", accept=(NETWORK,), shared_layers=shared_d),
        d_tx=parts.optimizer("discriminator"),
        g_tx=parts.optimizer("generator"),
        latent_dim=config.latent_dim,
        domain_weights=weights,
        ema=parts.ema(),
    )


FAMILY = Family(
    name="cogan",
    build=build,
    settings=settings,
    reads=("ema_decay",),
    needs=Needs(features=("x", "y"), suggestion="an unpaired dataset of two domains such as 'digits2inverted'"),
    exports=Exports(evaluators=_evaluators()),
    doc="Liu & Tuzel 2016: two GANs on unpaired domains, G's first and D's last layers shared; z draws a pair.",
)


def base_config(dataset: str) -> ml_collections.ConfigDict:
    """The digit configs' settings (`configs/cogan_digits2negatives.py`, `configs/cogan_digits2inverted.py`,
    whose docstrings say why): InfoGAN's G coupled, the authors' D at twice their width, the
    non-saturating loss, Adam(b1=0.5) at 2e-4 for D and 1e-3 for G, batch 64 of each domain,
    3,000 steps on `train[:90%]`, pair agreement on 2,000 pairs."""
    from jaxgan.config import dcgan_mnist_config, model_config

    config = dcgan_mnist_config()
    config.program = "cogan"
    config.data.name = dataset
    config.data.split = "train[:90%]"
    config.model.generator = model_config("generator", NETWORK, body="infogan", use_batch_norm=True)
    config.model.discriminator = model_config("discriminator", NETWORK, body="lenet", features=40, dropout_rate=0.0)
    # G's first three layers shared (all but the output layer)
    config.cogan = FAMILY.default_settings(shared_generator_layers=3)
    config.optimizer.generator.learning_rate = 1e-3
    config.num_steps = 3000
    config.checkpoint_every = config.sample_every = 1000
    config.evaluators = "pair_agreement"
    config.num_eval_samples = 2000
    return config
