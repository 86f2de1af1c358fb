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
"""

from __future__ import annotations

import ml_collections

from jaxgan import losses as losses_lib
from jaxgan import models as models_lib
from jaxgan import penalties as penalties_lib
from jaxgan.models.conditional import ConditionalDiscriminator, ConditionalGenerator
from jaxgan.program import Call, Group, Latent, Program, Term, categorical, normal
from jaxgan.programs import _parts, gan


def default_settings(**overrides) -> ml_collections.ConfigDict:
    """`config.conditional`: how G and D see the label, and ACGAN's class-loss weight."""
    settings = ml_collections.ConfigDict(
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
    settings.update(overrides)
    return settings


def check_labels(config: ml_collections.ConfigDict, dataset, section: str) -> int:
    """The number of classes, checked against the dataset (one sentence each)."""
    num_classes = config[section].num_classes
    if dataset.num_classes is None:
        raise ValueError(
            f"config.program={config.program!r} needs labels, and dataset {config.data.name!r} has none; "
            "use a labelled dataset (e.g. mnist, digits, ring, grid)."
        )
    if num_classes != dataset.num_classes:
        raise ValueError(
            f"config.{section}.num_classes ({num_classes!r}) must be dataset {config.data.name!r}'s number of "
            f"classes, {dataset.num_classes}."
        )
    return num_classes


_TRICK_DEFAULTS = {"pack": 1, "unroll_steps": 0, "feature_matching": 0.0, "clip_weights": 0.0, "num_critic_steps": 1}


def check_unsupported(config: ml_collections.ConfigDict, *names: str) -> None:
    """Refuse the unconditional GAN's tricks that a family does not take (left at their defaults)."""
    for name in names:
        if config[name] != _TRICK_DEFAULTS[name]:
            raise ValueError(
                f"config.{name}={config[name]!r} is not supported by config.program={config.program!r}; "
                f"leave it at {_TRICK_DEFAULTS[name]!r}."
            )


def bodies(config: ml_collections.ConfigDict, dataset, *, axis_name, generator_settings=None):
    """The registered G body and D body (`features_only`) of `config.model`, with the shared settings."""
    generator = _parts.generator(config, dataset, axis_name=axis_name, **(generator_settings or {}))
    discriminator = _parts.discriminator(config, axis_name=axis_name, features_only=True)
    return generator, discriminator


def optimizers(config):
    from jaxgan.train import build

    return (
        build.optimizer(config.optimizer.generator, "generator"),
        build.optimizer(config.optimizer.discriminator, "discriminator"),
    )


def penalties_of(config):
    for name, weight in config.penalties.items():
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"config.penalties.{name} must be a non-negative weight; got {weight!r}.")
    chosen = penalties_lib.from_weights(dict(config.penalties), target_norm=config.penalty_target_norm)
    return chosen, {name: float(config.penalties[name]) for name, _ in chosen}


def class_loss_term(name: str, pairs, weight: float) -> Term:
    """ACGAN's class cross-entropy summed over (logits, labels) pairs, over the global batch."""

    def fn(ctx, *values):
        total = 0.0
        for logits, labels in zip(values[::2], values[1::2]):
            total = total + losses_lib.acgan_class_loss(ctx.gather(logits), ctx.gather(labels))
        return total

    return Term(name, fn, tuple(n for pair in pairs for n in pair), weight=weight)


def clip_projection(config):
    if config.clip_weights > 0:
        clip = float(config.clip_weights)
        return lambda trained: penalties_lib.clip_weights(trained, clip)
    return None


def from_config(config: ml_collections.ConfigDict, dataset, *, axis_name) -> Program:
    """`config.program = "conditional"` (and "acgan": the same program with D's class head)."""
    settings = config.conditional
    num_classes = check_labels(config, dataset, "conditional")
    check_unsupported(config, "pack", "unroll_steps", "feature_matching")
    class_weight = float(settings.class_weight)
    if class_weight < 0:
        raise ValueError(f"config.conditional.class_weight must be >= 0; got {settings.class_weight!r}.")
    if config.program == "acgan" and class_weight == 0:
        raise ValueError("config.program='acgan' needs config.conditional.class_weight > 0 (its class loss).")
    for field, accepted in (
        ("generator_conditioning", ("concat", "batch_norm")),
        ("discriminator_conditioning", ("concat", "projection", "none")),
        ("label_input", ("one_hot", "embedding")),
    ):
        if settings[field] not in accepted:
            raise ValueError(f"config.conditional.{field}={settings[field]!r} is not one of {list(accepted)}.")
    g_conditioning = settings.generator_conditioning
    g_extra = {"num_classes": num_classes} if g_conditioning == "batch_norm" else {}
    if g_conditioning == "batch_norm" and "num_classes" not in models_lib.module_fields(
        type(models_lib.generator(config.model.generator.name))
    ):
        raise ValueError(
            f"config.conditional.generator_conditioning='batch_norm' needs a generator with conditional batch norm "
            f"(dcgan, sngan_resnet); {config.model.generator.name!r} has none, use 'concat'."
        )
    g_body, d_body = bodies(config, dataset, axis_name=axis_name, generator_settings=g_extra)
    generator = ConditionalGenerator(
        g_body, num_classes=(num_classes,), conditioning=g_conditioning, embed_dim=settings.generator_embed_dim
    )
    d_conditioning = settings.discriminator_conditioning
    discriminator = ConditionalDiscriminator(
        d_body,
        num_classes=num_classes,
        conditioning=d_conditioning,
        label_input=settings.label_input,
        embed_dim=settings.embed_dim,
        class_head=num_classes if class_weight > 0 else 0,
        spectral_norm=bool(getattr(d_body, "spectral_norm", False)),
    )
    objective = losses_lib.get(config.loss.name, **config.loss.params.to_dict())
    penalties, penalty_weights = penalties_of(config)
    g_tx, d_tx = optimizers(config)

    sees_label = d_conditioning != "none"
    real_in, fake_in = (("x", "label"), ("fake", "label")) if sees_label else (("x",), ("fake",))
    d_term, g_term = gan.objective_terms(
        objective,
        d_reads=("d_real.adversarial", "d_fake.adversarial"),
        g_reads=("d_fake.adversarial", "d_real.adversarial"),
    )
    d_terms = [d_term]
    d_terms += [
        gan.penalty_term(name, fn, condition=("label",) if sees_label else (), head="adversarial")
        for name, fn in penalties
    ]
    g_terms = [g_term]
    if class_weight > 0:
        d_terms.append(
            class_loss_term("class", (("d_real.class_logits", "label"), ("d_fake.class_logits", "label")), class_weight)
        )
        g_terms.append(class_loss_term("class", (("d_fake.class_logits", "label"),), class_weight))
    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(
                Call("generator", ("z", "label"), "fake"),
                Call("discriminator", (real_in, fake_in), ("d_real", "d_fake")),
            ),
            terms=tuple(d_terms),
            latents=("z",),
            repeats=config.num_critic_steps,
            project=clip_projection(config),
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=(
                Call("discriminator", fake_in, "d_fake", keep_variables=False),
                Call("discriminator", real_in, "d_real", keep_variables=False),
            ),
            terms=tuple(g_terms),
            reuse=("fake",),
            metric="g",
        ),
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(Latent("z", normal((config.latent_dim,))), Latent("label", categorical(num_classes))),
        features=("x", "label"),
        groups=groups,
        sample=Call("generator", ("z", "label"), "sample", train=False),
        sample_latents=("z", "label"),
        sample_record=("label",),
        ema={"generator": float(config.ema_decay)} if config.ema_decay > 0 else {},
        hyper=penalty_weights,
    )
