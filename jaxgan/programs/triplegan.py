"""Triple-GAN (Li et al. 2017, "Triple Generative Adversarial Nets"): a classifier C beside G and
D; D judges (x, y) pairs from the data, from C and from G (MATH.md §9, `jaxgan/losses/triplegan.py`).

    latents: z ~ N(0, I), label ~ Cat(K) (G's y ~ p(y), uniform); the data: the unlabelled batch x
    and the labelled batch (`labelled_x`, `labelled_label`: `config.data.labelled_per_class`
    examples of each class, `jaxgan/data/labelled.py`).
    D group: fake = G(z, label); C(x) -> ŷ = argmax p_c(·|x); D on the data's pairs
        (labelled_x, labelled_label), C's (x, ŷ) and G's (fake, label) in one call;
        -U = -[E_p log D + α E_{p_c} log(1 - D) + (1 - α) E_{p_g} log(1 - D)], E_p replaced by
        (1 - s) E_p + s E_{p_c} with `classifier_data_share = s` (the authors' code, see below).
    G group: reuses `fake`; `(1 - α) E[-log D(G(z, y), y)]` (or its part of U, `minimax`).
    C group: C on the labelled batch, on x and on G's samples of its own draw of (z, label);
        D (fixed) on C's pairs (x, ŷ):
        α E_x[p_c(ŷ|x) · -log D(x, ŷ)]               (C fools D; the code's argmax approximation)
        + labelled_weight · R_L                        (cross-entropy on the labelled pairs)
        + pseudo_label_weight · R_P, from step `pseudo_label_start` (cross-entropy on (G(z, y), y))
        + entropy_weight · E_x H(p_c(·|x)) + balance_weight · CE(E_x p_c(·|x), uniform)   (the code's)
        the first (adversarial) term from step `adversarial_start`: before it C trains on its own losses.

C is the record's classifier (`jaxgan classify`, the `classifier_accuracy` evaluator), read at
its EMA (`classifier_ema`: the authors evaluate a running average of C's parameters, rate 0.01,
i.e. decay 0.99). `jaxgan sample` draws G(z, y) for drawn or given labels (`--labels`), and keeps
them (`class_consistency` scores them with the bundled classifier).

Against the paper and the authors' code (zhenxuan00/triple-gan, `x2y_yz2x_xy2p_ssl_mnist.py`,
`components/objectives.py`), with `configs/triplegan_mnist.py`:
- the same: α = ½ (their `dis_cost = p + .5 p_g + .5 p_c`); D's MLP on pairs (1000-500-250-250-250,
  the one-hot label concatenated to every layer, unit-norm weight vectors, ReLU, Gaussian noise
  0.3 on the input in their [0, 1] scale, 0.6 in our [-1, 1], 0.5 on later layers: `pair_mlp`);
  C's CNN (`triplegan_cnn`: conv 5x5 32 'valid', 3x3 64, 3x3 64 'valid', 3x3 128, 3x3 128, each
  with batch norm and ReLU, 2x2 max pools with dropout ½ after the first and third, global mean
  pooling, Dense 10; N(0, 0.05²) and N(0, 0.01²) weights); G's non-saturating loss weighted
  (1 - α); C's argmax approximation of its adversarial term weighted by p_c(ŷ|x) (their default
  `objective_flag='argmax'`), R_L at weight 1, the entropy (0.3) and balance (1e-3) terms on
  unlabelled inputs; Adam with b1 = ½, rate 1e-3 for G and C; 100 labels, 10 per class; C
  evaluated at a running average of its parameters (decay 0.99).
- different: R_P (α_P = 0.1 on G's pairs, which they switch on at epoch 300 of 1,000, once G draws
  the asked class: `pseudo_label_weight`, `pseudo_label_start`) is off in the config: within its
  3,000 steps G draws the asked class only near the end, and C trained on G's mislabelled samples
  lost accuracy (configs/triplegan_mnist.py); D's rate 3e-3 (theirs 1e-3: the K+1 config's at
  the same batch size); G is an MLP on [z, one-hot y] with ReLU (`mlp`), theirs y at every layer
  with softplus (`label_mlp`, which collapsed to one image within 750 steps here:
  results/triplegan.md); G's output is tanh (our data in [-1, 1]; theirs a weight-normalised
  sigmoid) and z ~ N(0, I) (theirs U(0, 1)); their code puts C's argmax pairs of 400 unlabelled
  inputs on D's data side beside one labelled pair a step (a departure from the paper's U), ours
  the pairs of the same unlabelled batch C's side reads, with the share `classifier_data_share`
  (the config's value 0.99, their ratio: with 0.5, half the 100 labelled pairs, C ended at 0.943 ±
  0.027 against 0.959 ± 0.013; 0 is the paper's U); their C first trains alone for 30 epochs of 100
  updates (R_L, entropy 0.3, balance 0.3, Adam(3e-4, b1 = 0.9)) before the game, ours is `adversarial_start`
  (C's adversarial term off for its first N updates, with its own optimiser and weights, while G
  and D train from step 0; the config's 0: with 3,000 (and s = 0.5), C was at 0.960 when the term came on and
  fell to 0.942 ± 0.021 by step 4,500, results/triplegan.md); no weight decay on C's last layer
  (1e-4), no learning-rate annealing; their batches are 100 labelled / 100
  unlabelled for C, 400 + 1 for D, 200 for G, ours one batch size for all; one update of each
  network a step on 4,500 bundled digits, for a few thousand steps (theirs 1,000 epochs of 60,000
  digits); G's samples are read at a running average of its parameters (`config.ema_decay`, the
  config's 0.99: class consistency 0.906 ± 0.018 against 0.897 ± 0.021 at its last parameters,
  results/triplegan.md), theirs at the last. Until 2026-12-06 C was `noisy_mlp` (the K+1
  family's network, Adam 3e-3): 0.781 ± 0.015 on the held-out digits (results/triplegan.md).
"""

from __future__ import annotations

import ml_collections

from jaxgan import losses as losses_lib
from jaxgan import models as models_lib
from jaxgan.models.conditional import ConditionalGenerator
from jaxgan.models.triplegan import Classifier as ClassifierNetwork
from jaxgan.program import Call, Group, Latent, Program, Term, categorical, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Classifier, Exports, Family, Needs
from jaxgan.programs.parts import Parts, check_number

GENERATOR_LOSSES = ("non_saturating", "minimax")
LABEL_GENERATORS = ("label_mlp",)  # registered generators that take (z, y) themselves
PAIRS = (("labelled_x", "labelled_label"), ("x", "classified.label"), ("fake", "label"))
D_OUTPUTS = ("d_data", "d_classifier", "d_generator")


def settings() -> ml_collections.ConfigDict:
    """`config.triplegan`: the classes, α, C's weights and G's loss (the authors' MNIST values)."""
    return ml_collections.ConfigDict(
        {
            "num_classes": 10,  # K, must be the dataset's
            "alpha": 0.5,  # α in [0, 1]: C's pairs' weight against G's (1 - α) in D's objective
            # s in [0, 1]: D's data side is (1 - s) · the labelled pairs + s · C's pairs (x, ŷ) of the
            # unlabelled batch (0: the paper; the authors' code has 400 of the latter beside 1 labelled pair)
            "classifier_data_share": 0.0,
            "labelled_weight": 1.0,  # R_L: C's cross-entropy on the labelled pairs
            "pseudo_label_weight": 0.1,  # α_P of R_P, C's cross-entropy on G's pairs (G(z, y), y)
            "pseudo_label_start": 0,  # the step from which R_P is on (the code: epoch 300 of 1000)
            # the step from which C's adversarial term is on: before it C trains on its own losses (R_L,
            # entropy, balance) while G and D train beside it (the code: 30 epochs of C alone, 3,000 updates)
            "adversarial_start": 0,
            "entropy_weight": 0.3,  # C's mean entropy on unlabelled inputs (the code's)
            "balance_weight": 1e-3,  # C's mean prediction against the uniform distribution (the code's)
            "generator_loss": "non_saturating",  # G: (1 - α) E -log D ("non_saturating") or its part of U
            "classifier_ema": 0.99,  # decay of the average of C's parameters it classifies with; 0: none
        }
    )


def _discriminator_term(alpha: float, classifier_data_share: float) -> Term:
    def fn(ctx, d_data, d_classifier, d_generator):
        return losses_lib.triplegan_discriminator_loss(
            ctx.gather(d_data),
            ctx.gather(d_classifier),
            ctx.gather(d_generator),
            alpha=alpha,
            classifier_data_share=classifier_data_share,
        )

    return Term("objective", fn, D_OUTPUTS)


def _generator_term(alpha: float, minimax: bool) -> Term:
    def fn(ctx, d_generator):
        return losses_lib.triplegan_generator_loss(ctx.gather(d_generator), alpha=alpha, minimax=minimax)

    return Term("objective", fn, ("d_generator",))


def _classifier_terms(
    *,
    alpha: float,
    labelled: float,
    pseudo: float,
    pseudo_start: int,
    adversarial_start: int,
    entropy: float,
    balance: float,
) -> tuple[Term, ...]:
    def adversarial(ctx, d_classifier, logits):
        return terms.from_step(ctx, adversarial_start) * losses_lib.triplegan_classifier_adversarial_loss(
            ctx.gather(d_classifier), ctx.gather(logits), alpha=alpha
        )

    def cross_entropy(ctx, logits, labels):
        return losses_lib.triplegan_pseudo_label_loss(ctx.gather(logits), ctx.gather(labels))

    def pseudo_label(ctx, logits, labels):
        return terms.from_step(ctx, pseudo_start) * losses_lib.triplegan_pseudo_label_loss(
            ctx.gather(logits), ctx.gather(labels)
        )

    def entropy_fn(ctx, logits):
        return losses_lib.triplegan_entropy_loss(ctx.gather(logits))

    def balance_fn(ctx, logits):
        return losses_lib.triplegan_balance_loss(ctx.gather(logits))

    found = [
        Term("adversarial", adversarial, ("d_classifier", "classified.logits")),
        Term("labelled", cross_entropy, ("c_labelled.logits", "labelled_label"), weight=labelled),
        Term("pseudo_label", pseudo_label, ("c_fake.logits", "label"), weight=pseudo),
        Term("entropy", entropy_fn, ("classified.logits",), weight=entropy),
        Term("balance", balance_fn, ("classified.logits",), weight=balance),
    ]
    return tuple(term for term in found if term.weight != 0 or term.name in ("adversarial", "labelled"))


def program(
    *,
    generator,
    discriminator,
    classifier,
    d_tx,
    g_tx,
    c_tx,
    latent_dim: int,
    num_classes: int,
    alpha: float = 0.5,
    classifier_data_share: float = 0.0,
    labelled_weight: float = 1.0,
    pseudo_label_weight: float = 0.1,
    pseudo_label_start: int = 0,
    adversarial_start: int = 0,
    entropy_weight: float = 0.3,
    balance_weight: float = 1e-3,
    generator_loss: str = "non_saturating",
    ema: dict | None = None,
) -> Program:
    """The Triple-GAN program: D's update, G's (reusing D's update's samples), then C's (see the module doc).

    `generator(z, label)`, `discriminator(x, label) -> [B]` logits, `classifier(x) ->
    {"logits", "label"}`; every value is checked before anything is built."""
    check_number("triplegan.alpha", alpha, 0.0, 1.0, closed_low=True)
    check_number("triplegan.classifier_data_share", classifier_data_share, 0.0, 1.0, closed_low=True)
    for name, value in (
        ("labelled_weight", labelled_weight),
        ("pseudo_label_weight", pseudo_label_weight),
        ("entropy_weight", entropy_weight),
        ("balance_weight", balance_weight),
    ):
        check_number(f"triplegan.{name}", value, 0.0, closed_low=True)
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"config.triplegan.generator_loss={generator_loss!r} is not one of {list(GENERATOR_LOSSES)}.")
    uses_fake = pseudo_label_weight > 0
    discriminator_group = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=d_tx,
        calls=(
            Call("generator", ("z", "label"), "fake"),
            Call("classifier", ("x",), "classified"),
            Call("discriminator", PAIRS, D_OUTPUTS),
        ),
        terms=(_discriminator_term(alpha, classifier_data_share),),
        latents=("z", "label"),
        report=D_OUTPUTS,
        metric="d",
    )
    generator_group = Group(
        "generator",
        trains=("generator",),
        optimizer=g_tx,
        calls=(Call("discriminator", ("fake", "label"), "d_generator", keep_variables=False),),
        terms=(_generator_term(alpha, generator_loss == "minimax"),),
        reuse=("fake",),
        metric="g",
    )
    c_inputs = (("labelled_x",), ("x",), *((("fake",),) if uses_fake else ()))
    c_outputs = ("c_labelled", "classified", *(("c_fake",) if uses_fake else ()))
    classifier_group = Group(
        "classifier",
        trains=("classifier",),
        optimizer=c_tx,
        calls=(
            *((Call("generator", ("z", "label"), "fake", keep_variables=False),) if uses_fake else ()),
            Call("classifier", c_inputs, c_outputs),
            Call("discriminator", ("x", "classified.label"), "d_classifier", keep_variables=False),
        ),
        terms=_classifier_terms(
            alpha=alpha,
            labelled=labelled_weight,
            pseudo=pseudo_label_weight,
            pseudo_start=pseudo_label_start,
            adversarial_start=adversarial_start,
            entropy=entropy_weight,
            balance=balance_weight,
        ),
        latents=("z", "label") if uses_fake else (),
        metric="c",
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator, "classifier": classifier},
        latents=(Latent("z", normal((latent_dim,))), Latent("label", categorical(num_classes))),
        features=("x", "labelled_x", "labelled_label"),
        groups=(discriminator_group, generator_group, classifier_group),
        sample=terms.sample_call(("z", "label")),
        sample_latents=("z", "label"),
        sample_record=("label",),
        ema=ema or {},
    )


def build(parts: Parts) -> Program:
    """Triple-GAN from `config.triplegan`, `config.model` (generator: any registered one;
    discriminator: `pair_mlp`; classifier: a registered discriminator that takes `num_outputs`,
    e.g. `triplegan_cnn` or `noisy_mlp`) and `config.optimizer` (discriminator, generator, classifier)."""
    config = parts.config
    num_classes = parts.num_classes()
    if not config.data.labelled_per_class:
        raise ValueError(
            f"config.program={config.program!r} needs config.data.labelled_per_class > 0 (labelled examples per "
            "class: 10 for 100 labelled digits)."
        )
    alpha = parts.number("alpha", 0.0, 1.0, closed_low=True)
    classifier_data_share = parts.number("classifier_data_share", 0.0, 1.0, closed_low=True)
    weights = {
        name: parts.number(name, 0.0, closed_low=True)
        for name in ("labelled_weight", "pseudo_label_weight", "entropy_weight", "balance_weight")
    }
    pseudo_label_start = parts.integer("pseudo_label_start", 0)
    adversarial_start = parts.integer("adversarial_start", 0)
    generator_loss = parts.choice("generator_loss", GENERATOR_LOSSES)
    classifier_ema = check_number("triplegan.classifier_ema", parts.settings.classifier_ema, 0.0, 1.0, closed_low=True)
    if classifier_ema == 1.0:
        raise ValueError("config.triplegan.classifier_ema must be a number in [0, 1) (0: no average); got 1.")
    if parts.network_name("generator") in LABEL_GENERATORS:  # G takes (z, y) itself: y at every layer
        generator = parts.generator(num_classes=num_classes)
    else:  # any registered G on [z, one-hot y]
        generator = ConditionalGenerator(parts.generator(), num_classes=(num_classes,), conditioning="concat")
    discriminator = parts.discriminator(accept=("pair_mlp",), num_classes=num_classes)
    classifier_name = parts.network_name("classifier")
    classifiers = tuple(
        name
        for name in models_lib.names("discriminator")
        if "num_outputs" in models_lib.module_fields(models_lib.network_class("discriminator", name))
    )
    if classifier_name not in classifiers:
        raise ValueError(
            f"config.model.classifier.name={classifier_name!r} is not a network that can give K class logits; use "
            f"one of {sorted(classifiers)} (a registered discriminator with num_outputs)."
        )
    classifier = ClassifierNetwork(parts.network("classifier", kind="discriminator", num_outputs=num_classes))
    ema = parts.ema()
    if classifier_ema > 0:
        ema["classifier"] = classifier_ema
    return program(
        generator=generator,
        discriminator=discriminator,
        classifier=classifier,
        d_tx=parts.optimizer("discriminator"),
        g_tx=parts.optimizer("generator"),
        c_tx=parts.optimizer("classifier"),
        latent_dim=config.latent_dim,
        num_classes=num_classes,
        alpha=alpha,
        classifier_data_share=classifier_data_share,
        pseudo_label_start=pseudo_label_start,
        adversarial_start=adversarial_start,
        generator_loss=generator_loss,
        ema=ema,
        **weights,
    )


FAMILY = Family(
    name="triplegan",
    build=build,
    settings=settings,
    reads=("ema_decay",),
    needs=Needs(features=("x", "label"), suggestion="a labelled dataset (e.g. mnist, digits)", labelled_subset=True),
    # C's K logits on real examples: the class it predicts.
    exports=Exports(classifier=Classifier("classifier", lambda outputs, settings: outputs["logits"])),
    doc="Li et al. 2017: a classifier C beside G and D; D judges (x, y) pairs from the data, C and G.",
)
