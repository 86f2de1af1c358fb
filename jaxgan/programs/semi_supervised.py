"""Semi-supervised learning with a GAN (Salimans et al. 2016): D is a K+1 classifier.

    D group: fake = G(z); D's K class logits on the unlabelled batch x, on fake, and on the
        labelled batch (`labelled_x`, `labelled_label`: `config.data.labelled_per_class`
        examples of each class, `jaxgan/data/semi_supervised.py`):
        the unsupervised loss (the non-saturating D loss at v = LSE(l), the fake class at
        logit 0) + `supervised_weight` · the cross-entropy on the labelled batch.
    G group: feature matching on D's features (`‖E f(x) - E f(G(z))‖²`), reusing `fake`.

The trained D is the classifier (`Program.classifier`: its argmax over the K logits), measured
by the `classifier_accuracy` evaluator on `config.data.test_split`.
"""

from __future__ import annotations

import ml_collections

from jaxgan.losses import semi_supervised as losses_lib
from jaxgan.models.conditional import ConditionalDiscriminator
from jaxgan.program import Call, Group, Latent, Program, Term, normal
from jaxgan.programs import conditional, gan


def default_settings(**overrides) -> ml_collections.ConfigDict:
    """`config.semi_supervised`: the classes and the weights of the losses."""
    settings = ml_collections.ConfigDict(
        {
            "num_classes": 10,  # K, must be the dataset's
            "supervised_weight": 1.0,  # weight of the labelled cross-entropy in D's loss
            "feature_matching": 1.0,  # weight of G's feature-matching loss
        }
    )
    settings.update(overrides)
    return settings


def _unsupervised(ctx, real_logits, fake_logits):
    return losses_lib.unsupervised_loss(ctx.gather(real_logits), ctx.gather(fake_logits))


def _supervised(ctx, logits, labels):
    return losses_lib.supervised_loss(ctx.gather(logits), ctx.gather(labels))


def from_config(config: ml_collections.ConfigDict, dataset, *, axis_name) -> Program:
    """`config.program = "semi_supervised"` from `config.model`, `config.semi_supervised`, `config.data`."""
    settings = config.semi_supervised
    num_classes = conditional.check_labels(config, dataset, "semi_supervised")
    if not config.data.labelled_per_class:
        raise ValueError(
            "config.program='semi_supervised' needs config.data.labelled_per_class > 0 (labelled examples per class)."
        )
    conditional.check_unsupported(config, "pack", "unroll_steps", "feature_matching", "clip_weights")
    for name in ("supervised_weight", "feature_matching"):
        if not isinstance(settings[name], (int, float)) or isinstance(settings[name], bool) or settings[name] < 0:
            raise ValueError(f"config.semi_supervised.{name} must be a non-negative weight; got {settings[name]!r}.")
    if any(config.penalties.values()):
        raise ValueError("config.program='semi_supervised' takes no penalties; set every config.penalties weight to 0.")
    g_body, d_body = conditional.bodies(config, dataset, axis_name=axis_name)
    discriminator = ConditionalDiscriminator(
        d_body, adversarial=False, class_head=num_classes, spectral_norm=bool(getattr(d_body, "spectral_norm", False))
    )
    g_tx, d_tx = conditional.optimizers(config)
    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(
                Call("generator", ("z",), "fake"),
                Call(
                    "discriminator",
                    (("x",), ("fake",), ("labelled_x",)),
                    ("d_real", "d_fake", "d_labelled"),
                ),
            ),
            terms=(
                Term("unsupervised", _unsupervised, ("d_real.class_logits", "d_fake.class_logits")),
                Term(
                    "supervised",
                    _supervised,
                    ("d_labelled.class_logits", "labelled_label"),
                    weight=float(settings.supervised_weight),
                ),
            ),
            latents=("z",),
            repeats=config.num_critic_steps,
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=(
                Call("discriminator", ("fake",), "d_fake", keep_variables=False, features=("d_fake_features",)),
                Call("discriminator", ("x",), "d_real", keep_variables=False, features=("d_real_features",)),
            ),
            terms=(gan.feature_matching_term(float(settings.feature_matching)),),
            reuse=("fake",),
            metric="g",
        ),
    )
    return Program(
        networks={"generator": g_body, "discriminator": discriminator},
        latents=(Latent("z", normal((config.latent_dim,))),),
        features=("x", "labelled_x", "labelled_label"),
        groups=groups,
        sample=Call("generator", ("z",), "sample", train=False),
        sample_latents=("z",),
        classifier=(Call("discriminator", ("x",), "prediction", train=False), "prediction.class_logits"),
        ema={"generator": float(config.ema_decay)} if config.ema_decay > 0 else {},
    )
