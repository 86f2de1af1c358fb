"""Image-to-image translation as programs: pix2pix (paired) and CycleGAN (unpaired).

pix2pix (Isola et al. 2017; shared MATH.md section 8), on batches of `source` and `target`:

    D group: fake = G(source) (dropout on); d_real, d_fake = D(source, target), D(source, fake);
        loss ½ [E softplus(-d_real) + E softplus(d_fake)] (the non-saturating D loss, halved).
    G group: reuses `fake`; d_fake = D(source, fake);
        loss E softplus(-d_fake) + λ E|fake - target|, λ = 100.

CycleGAN (Zhu et al. 2017), on batches of unpaired `x` and `y`, G: X -> Y, F: Y -> X:

    D group (D_X and D_Y together): fake_y = G(x), fake_x = F(y); each D's least-squares loss
        ½ [E (D(real) - 1)² + E D(pool(fake))²] on a query of its image pool (below).
    G group (G and F together): reuses fake_y, fake_x;
        E (D_Y(fake_y) - 1)² + E (D_X(fake_x) - 1)²                                (adversarial)
        + λ (E|F(fake_y) - x| + E|G(fake_x) - y|)                        (cycle, λ = 10)
        + μ λ (E|G(y) - y| + E|F(x) - x|)                                (identity, μ = 0.5)

The image pool (Shrivastava et al. 2017, as in CycleGAN) keeps the last `pool_size` generated
images of a domain as term state (checkpointed). A query goes through the global batch in
order: while the pool is not full, an image is stored and returned; then, with probability
½, a uniformly chosen stored image is returned and replaced by the new one, else the new one
is returned. Example i's coin and slot come from `fold_in(term key, i)`, its global index, so
the pool is the same on any number of devices; every device keeps the whole pool and trains
on its own examples of the answer.

Both programs sample with `held_out_source`, a latent that picks one of the first
`config.num_samples` held-out sources (so the loop's sample grids translate held-out
images); `given={"held_out_source": images}` translates any images (`translate`). The loop
also draws `translations`: the first 32 held-out sources, each beside its output.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax import lax

from jaxgan.losses import (
    cyclegan_cycle_loss,
    cyclegan_identity_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    mean_absolute_error,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
)
from jaxgan.models import translation as models
from jaxgan.program import Call, Group, Latent, Program, Term
from jaxgan.train import tricks

PyTree = Any
SAMPLE_INPUT = "held_out_source"
NAMES = ("pix2pix", "cyclegan")


# ---------------------------------------------------------------------------- the image pool


def pool_init(pool_size: int, image_shape: tuple[int, ...]) -> dict[str, jax.Array]:
    """An empty pool: `images [pool_size, *image_shape]` (zeros) and `count` (stored so far)."""
    return {"images": jnp.zeros((pool_size, *image_shape), jnp.float32), "count": jnp.zeros((), jnp.int32)}


def pool_query(pool: dict[str, jax.Array], images: jax.Array, key: jax.Array):
    """`(answer, new pool)` for a batch `images [N, ...]`, in order (see the module doc).

    Example i draws from `fold_in(key, i)`: `(coin_key, slot_key) = split(...)`, it takes a
    stored image when `uniform(coin_key) > 0.5`, the one in slot `randint(slot_key, 0, size)`.
    """
    size = pool["images"].shape[0]
    if size == 0:
        return images, pool

    def one(carry, item):
        stored, count = carry
        index, image = item
        coin_key, slot_key = jax.random.split(jax.random.fold_in(key, index))
        filling = count < size
        swap = jnp.logical_and(~filling, jax.random.uniform(coin_key) > 0.5)
        slot = jnp.where(filling, jnp.minimum(count, size - 1), jax.random.randint(slot_key, (), 0, size))
        answer = jnp.where(swap, stored[slot], image)
        stored = jnp.where(jnp.logical_or(filling, swap), stored.at[slot].set(image), stored)
        return (stored, jnp.minimum(count + 1, size)), answer

    (stored, count), answers = lax.scan(
        one, (pool["images"], pool["count"]), (jnp.arange(images.shape[0]), images.astype(jnp.float32))
    )
    return answers, {"images": stored, "count": count}


def pooled_discriminator_term(name: str, network: str, pool_size: int, image_shape: tuple[int, ...]) -> Term:
    """One D's least-squares loss on its real outputs and on a query of its pool of fakes."""

    def fn(ctx, d_real, fake):
        local = fake.shape[0]
        everyone = lax.stop_gradient(ctx.gather(fake))  # the whole global batch, in order
        answer, pool = pool_query(ctx.state, everyone, ctx.key)
        mine = lax.dynamic_slice_in_dim(answer, tricks.example_offset(local, ctx.axis_name), local)
        d_fake = ctx.apply(network, mine, train=True)
        return least_squares_discriminator_loss(d_real, d_fake), pool

    return Term(name, fn, ("d_" + name + "_real", "fake_" + name), init_state=lambda: pool_init(pool_size, image_shape))


# ---------------------------------------------------------------------------- programs


def _held_out_latent(sources: np.ndarray) -> Latent:
    table = jnp.asarray(sources, jnp.float32)
    return Latent(SAMPLE_INPUT, lambda key: table[jax.random.randint(key, (), 0, table.shape[0])])


def _translations_picture(sources: np.ndarray, shown: int = 32, pairs_per_row: int = 4):
    """The loop's picture of a translation: the first `shown` held-out sources, each beside its
    output (source | output, `pairs_per_row` pairs to a row; `runs.picture`)."""
    sources = np.asarray(sources[:shown], np.float32)
    return lambda: ({SAMPLE_INPUT: sources}, 2 * pairs_per_row, (SAMPLE_INPUT,))


def pix2pix_program(
    *, generator, discriminator, g_tx, d_tx, l1_weight: float, held_out_sources, adversarial_weight: float = 1.0
) -> Program:
    """`adversarial_weight`: the weight of G's adversarial term (1; 0 gives the L1-only U-Net,
    whose D still trains but no longer reaches G: a baseline trained exactly as long)."""

    def d_term(ctx, d_real, d_fake):
        return 0.5 * non_saturating_discriminator_loss(d_real, d_fake)

    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=d_tx,
            calls=(
                Call("generator", ("source",), "fake"),
                Call("discriminator", (("source", "target"), ("source", "fake")), ("d_real", "d_fake")),
            ),
            terms=(Term("objective", d_term, ("d_real", "d_fake")),),
            report=("d_real", "d_fake"),
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=g_tx,
            calls=(Call("discriminator", ("source", "fake"), "d_fake", keep_variables=False),),
            terms=(
                Term(
                    "objective",
                    lambda ctx, d_fake: non_saturating_generator_loss(d_fake),
                    ("d_fake",),
                    weight=adversarial_weight,
                ),
                Term("l1", lambda ctx, *v: mean_absolute_error(*v), ("fake", "target"), weight=l1_weight),
            ),
            reuse=("fake",),
            metric="g",
        ),
    )
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=(_held_out_latent(held_out_sources),),
        pictures={"translations": _translations_picture(held_out_sources)},
        features=("source", "target"),
        groups=groups,
        sample=Call("generator", (SAMPLE_INPUT,), "output", train=False),
        sample_latents=(SAMPLE_INPUT,),
        sample_record=(SAMPLE_INPUT,),
    )


def cyclegan_program(
    *,
    generator_xy,
    generator_yx,
    discriminator_x,
    discriminator_y,
    g_tx,
    d_tx,
    cycle_weight: float,
    identity_weight: float,
    pool_size: int,
    x_shape: tuple[int, ...],
    y_shape: tuple[int, ...],
    held_out_sources,
) -> Program:
    """`identity_weight`: μ, the identity term's weight as a fraction of `cycle_weight` (0 leaves it out)."""
    g_calls = [
        Call("discriminator_y", ("fake_y",), "d_y_fake", keep_variables=False),
        Call("discriminator_x", ("fake_x",), "d_x_fake", keep_variables=False),
    ]
    g_terms = [
        Term(
            "objective",
            # Zhu et al.'s E(D(G(x)) - 1)² per domain: twice LSGAN's ½E(v - c)², c = 1.
            lambda ctx, d_y_fake, d_x_fake: (
                2.0 * (least_squares_generator_loss(d_y_fake) + least_squares_generator_loss(d_x_fake))
            ),
            ("d_y_fake", "d_x_fake"),
        ),
        Term("cycle", lambda ctx, *v: cyclegan_cycle_loss(*v), ("x", "cycle_x", "y", "cycle_y"), weight=cycle_weight),
    ]
    if identity_weight > 0:
        # One call per generator on both of its inputs (joined when it keeps no batch statistics).
        g_calls += [
            Call("generator_yx", (("fake_y",), ("x",)), ("cycle_x", "same_x")),
            Call("generator_xy", (("fake_x",), ("y",)), ("cycle_y", "same_y")),
        ]
        g_terms.append(
            Term(
                "identity",
                lambda ctx, *v: cyclegan_identity_loss(*v),
                ("x", "same_x", "y", "same_y"),
                weight=identity_weight * cycle_weight,
            )
        )
    else:
        g_calls += [Call("generator_yx", ("fake_y",), "cycle_x"), Call("generator_xy", ("fake_x",), "cycle_y")]
    groups = (
        Group(
            "discriminator",
            trains=("discriminator_x", "discriminator_y"),
            optimizer=d_tx,
            calls=(
                Call("generator_xy", ("x",), "fake_y"),
                Call("generator_yx", ("y",), "fake_x"),
                Call("discriminator_x", ("x",), "d_x_real"),
                Call("discriminator_y", ("y",), "d_y_real"),
            ),
            terms=(
                pooled_discriminator_term("x", "discriminator_x", pool_size, x_shape),
                pooled_discriminator_term("y", "discriminator_y", pool_size, y_shape),
            ),
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator_xy", "generator_yx"),
            optimizer=g_tx,
            calls=tuple(g_calls),
            terms=tuple(g_terms),
            reuse=("fake_y", "fake_x"),
            metric="g",
        ),
    )
    return Program(
        networks={
            "generator_xy": generator_xy,
            "generator_yx": generator_yx,
            "discriminator_x": discriminator_x,
            "discriminator_y": discriminator_y,
        },
        latents=(_held_out_latent(held_out_sources),),
        pictures={"translations": _translations_picture(held_out_sources)},
        features=("x", "y"),
        groups=groups,
        sample=Call("generator_xy", (SAMPLE_INPUT,), "output", train=False),
        sample_latents=(SAMPLE_INPUT,),
        sample_record=(SAMPLE_INPUT,),
    )


# ---------------------------------------------------------------------------- from a config


def _number(section: str, config, name: str, *, positive: bool = False) -> float:
    value = config[section][name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"config.{section}.{name} must be a {kind} number; got {value!r}.")
    return float(value)


def _network(kind: str, spec: ml_collections.ConfigDict, registry: dict, **fixed) -> Any:
    settings = spec.to_dict()
    name = settings.pop("name", None)
    if name not in registry:
        raise ValueError(
            f"config.model.{kind}.name={name!r} is not a translation {kind}; use one of {sorted(registry)}."
        )
    from jaxgan import models as models_lib

    accepted = models_lib.module_fields(registry[name])
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ValueError(
            f"config.model.{kind} has unknown setting(s) {unknown} for {name!r}; accepted: {list(accepted)}."
        )
    settings.update({k: v for k, v in fixed.items() if k in accepted})
    return registry[name](**settings)


def _side(shape) -> str:
    return "x".join(str(d) for d in shape)


def _check_features(program: str, dataset, wanted: tuple[str, str], other: str, config) -> dict:
    specs = dataset.feature_specs()
    if not all(name in specs for name in wanted):
        raise ValueError(
            f"config.program={program!r} needs a dataset with features {list(wanted)}, but config.data.name="
            f"{config.data.name!r} has {sorted(specs)}; use {other}."
        )
    (a_shape, _), (b_shape, _) = specs[wanted[0]], specs[wanted[1]]
    if len(a_shape) != 3 or len(b_shape) != 3 or a_shape[:2] != b_shape[:2]:
        raise ValueError(
            f"config.program={program!r} translates images of one size, but dataset {config.data.name!r} has "
            f"{wanted[0]} {_side(a_shape)} and {wanted[1]} {_side(b_shape)}; set config.data.image_size to resize both."
        )
    return specs


def _held_out_sources(config) -> np.ndarray:
    """The first `config.num_samples` sources of the held-out split (`data.translation.held_out_sources`)."""
    from jaxgan import data as data_lib
    from jaxgan.data import translation as data_translation

    held_out = data_lib.load(
        config.data.name, split=config[config.program].held_out_split, image_size=config.data.image_size,
        data_dir=config.data.data_dir,
    )  # fmt: skip
    return data_translation.held_out_sources(held_out, config.num_samples)["source"]


def _common(config, axis_name):
    batch_norm_axis = axis_name if config.model.cross_device_batch_norm else None
    return {"batch_norm_axis_name": batch_norm_axis, "example_axis_name": axis_name}


def pix2pix_from_config(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None) -> Program:
    """pix2pix from `config.model` (a U-Net or ResNet generator, a PatchGAN), `config.optimizer`, `config.pix2pix`."""
    from jaxgan.train import build as build_lib

    specs = _check_features("pix2pix", dataset, ("source", "target"), "a paired dataset such as 'edges2digits'", config)
    l1_weight = _number("pix2pix", config, "l1_weight")
    adversarial_weight = (
        _number("pix2pix", config, "adversarial_weight") if "adversarial_weight" in config.pix2pix else 1.0
    )
    target_shape = specs["target"][0]
    common = _common(config, axis_name)
    generator = _network(
        "generator", config.model.generator, models.TRANSLATION_GENERATORS, out_channels=target_shape[-1], **common
    )
    discriminator = _network("discriminator", config.model.discriminator, models.TRANSLATION_DISCRIMINATORS, **common)
    return pix2pix_program(
        generator=generator,
        discriminator=discriminator,
        g_tx=build_lib.optimizer(config.optimizer.generator, "generator"),
        d_tx=build_lib.optimizer(config.optimizer.discriminator, "discriminator"),
        l1_weight=l1_weight,
        adversarial_weight=adversarial_weight,
        held_out_sources=_held_out_sources(config),
    )


def cyclegan_from_config(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None) -> Program:
    """CycleGAN from `config.model` (both generators alike, both Ds alike), `config.optimizer`, `config.cyclegan`."""
    from jaxgan.train import build as build_lib

    specs = _check_features("cyclegan", dataset, ("x", "y"), "an unpaired dataset such as 'digits2inverted'", config)
    cycle_weight = _number("cyclegan", config, "cycle_weight")
    identity_weight = _number("cyclegan", config, "identity_weight")
    pool_size = config.cyclegan.pool_size
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 0:
        raise ValueError(f"config.cyclegan.pool_size must be a non-negative integer (0: no pool); got {pool_size!r}.")
    x_shape, y_shape = tuple(specs["x"][0]), tuple(specs["y"][0])
    common = _common(config, axis_name)

    def generator(channels):
        return _network(
            "generator", config.model.generator, models.TRANSLATION_GENERATORS, out_channels=channels, **common
        )

    def discriminator():
        return _network("discriminator", config.model.discriminator, models.TRANSLATION_DISCRIMINATORS, **common)

    return cyclegan_program(
        generator_xy=generator(y_shape[-1]),
        generator_yx=generator(x_shape[-1]),
        discriminator_x=discriminator(),
        discriminator_y=discriminator(),
        g_tx=build_lib.optimizer(config.optimizer.generator, "generator"),
        d_tx=build_lib.optimizer(config.optimizer.discriminator, "discriminator"),
        cycle_weight=cycle_weight,
        identity_weight=identity_weight,
        pool_size=pool_size,
        x_shape=x_shape,
        y_shape=y_shape,
        held_out_sources=_held_out_sources(config),
    )


def translation_model_config(kind: str, name: str, **settings) -> ml_collections.ConfigDict:
    """A translation network's config entry: its name and every setting (defaults, then `settings`)."""
    import dataclasses

    registry = models.TRANSLATION_GENERATORS if kind == "generator" else models.TRANSLATION_DISCRIMINATORS
    fixed = ("dtype", "batch_norm_axis_name", "example_axis_name", "out_channels", "parent", "name")
    entry = {"name": name}
    for field in dataclasses.fields(registry[name]):
        if field.init and field.name not in fixed and field.default is not dataclasses.MISSING:
            entry[field.name] = field.default
    return ml_collections.ConfigDict({**entry, **settings})


def base_config(program: str, dataset: str) -> ml_collections.ConfigDict:
    """The settings both translation configs share: Adam(2e-4, b1=0.5) (Isola et al., Zhu et al.),
    the digits' train split with `test` held out, no image evaluators (see `metrics/translation.py`)."""
    from jaxgan.config import default_config

    config = default_config()
    config.program = program
    config.data.name = dataset
    config.data.split = "train[:90%]"
    config.latent_dim = 1  # unused: translation draws no noise vector (dropout is pix2pix's noise)
    adam = {"name": "adam", "learning_rate": 2e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.evaluators = ""
    config.num_samples = 64
    return config
