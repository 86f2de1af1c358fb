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

Against the papers, with `configs/pix2pix_edges2digits.py` and `configs/cyclegan_digits2inverted.py`:
- pix2pix (Isola et al. 2017): the same: the conditional D on (source, image) pairs, λ = 100, D's
  loss halved, dropout in G's decoder in training, Adam(2e-4, 0.5). Different: (1) the U-Net is
  of width 16 on 28x28 images (theirs: 64 wide, eight downsamplings at 256x256) and the PatchGAN
  has one downsampling (16x16 patches of a 28x28 image, theirs 70x70 patches); (2) batch 32 (theirs
  1 to 10, with batch norm acting as instance norm at batch 1) and 2,000 steps (theirs ~200
  epochs); (3) the data: edge maps of the bundled digits, not one of their datasets.
- CycleGAN (Zhu et al. 2017): the same: least-squares losses, λ = 10, the pool of 50, Adam(2e-4,
  0.5). Different: (1) the ResNet G is of width 8 with 2 residual blocks (theirs 64 wide with 6 or
  9), the PatchGAN has one downsampling; (2) no identity term (theirs 0.5 λ for painting <-> photo:
  `configs/cyclegan_digits2inverted.py` says why); (3) batch 16 and 2,000 steps, no learning-rate
  decay (theirs: batch 1, 100 epochs constant, then linear decay to 0 over 100).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax import lax

from jaxgan import tricks
from jaxgan.losses import (
    cyclegan_cycle_loss,
    cyclegan_identity_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    mean_absolute_error,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
)
from jaxgan.program import Call, Group, Latent, Program, Term
from jaxgan.programs import terms
from jaxgan.programs.family import Exports, Family, Needs, Translation
from jaxgan.programs.parts import Parts

PyTree = Any
SAMPLE_INPUT = "held_out_source"


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


def paired_program(generator, discriminator, groups, held_out_sources: np.ndarray) -> Program:
    """The program of a paired translation (pix2pix, SRGAN): G maps `source` to its `target`'s
    domain, D judges; samples translate the held-out sources (`held_out_source`) or given images."""
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


def pix2pix_program(
    *, generator, discriminator, g_tx, d_tx, l1_weight: float, held_out_sources, adversarial_weight: float = 1.0
) -> Program:
    """`adversarial_weight`: the weight of G's adversarial term (1; 0 gives the L1-only U-Net,
    whose D still trains but no longer reaches G: a baseline trained exactly as long)."""

    def d_term(ctx, d_real, d_fake):
        return 0.5 * non_saturating_discriminator_loss(d_real, d_fake)

    g_terms = (
        Term(
            "objective",
            lambda ctx, d_fake: non_saturating_generator_loss(d_fake),
            ("d_fake",),
            weight=adversarial_weight,
        ),
        Term("l1", lambda ctx, *v: mean_absolute_error(*v), ("fake", "target"), weight=l1_weight),
    )
    groups = terms.adversarial_pair(
        d_optimizer=d_tx,
        g_optimizer=g_tx,
        d_terms=(Term("objective", d_term, ("d_real", "d_fake")),),
        g_terms=g_terms,
        generator_inputs=("source",),
        real=("source", "target"),
        fake=("source", "fake"),
        latents=(),
        generator_reads_real=False,
        report=("d_real", "d_fake"),
    )
    return paired_program(generator, discriminator, groups, held_out_sources)


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


def _held_out_sources(parts: Parts) -> np.ndarray:
    """The first `config.num_samples` sources of the held-out split (`data.translation.held_out_sources`)."""
    from jaxgan import data as data_lib
    from jaxgan.data import translation as data_translation

    config = parts.config
    held_out = data_lib.load(
        config.data.name, split=parts.settings.held_out_split, image_size=config.data.image_size,
        data_dir=config.data.data_dir,
    )  # fmt: skip
    return data_translation.held_out_sources(held_out, config.num_samples)["source"]


def _check_sizes(parts: Parts, a: str, b: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    from jaxgan import data as data_lib

    specs = data_lib.feature_specs(parts.dataset)
    a_shape, b_shape = tuple(specs[a][0]), tuple(specs[b][0])
    if len(a_shape) != 3 or len(b_shape) != 3 or a_shape[:2] != b_shape[:2]:
        raise ValueError(
            f"config.program={parts.config.program!r} translates images of one size, but dataset "
            f"{parts.config.data.name!r} has {a} {_side(a_shape)} and {b} {_side(b_shape)}; set config.data.image_size "
            "to resize both."
        )
    return a_shape, b_shape


def _side(shape) -> str:
    return "x".join(str(d) for d in shape)


GENERATORS = ("unet", "resnet")
DISCRIMINATORS = ("patchgan",)


def pix2pix_settings() -> ml_collections.ConfigDict:
    """`config.pix2pix`: the L1 weight λ (100, Isola et al.), the adversarial term's weight (0: the
    L1-only U-Net) and the held-out split the samples and evaluation translate."""
    return ml_collections.ConfigDict({"l1_weight": 100.0, "adversarial_weight": 1.0, "held_out_split": "test"})


def cyclegan_settings() -> ml_collections.ConfigDict:
    """`config.cyclegan`: the cycle weight λ (10), the identity weight μ as a fraction of λ (0.5 in
    Zhu et al.; 0 leaves it out), the image pool's size (50; 0: no pool) and the held-out split."""
    return ml_collections.ConfigDict(
        {"cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50, "held_out_split": "test"}
    )


def build_pix2pix(parts: Parts) -> Program:
    """pix2pix from `config.model` (a U-Net or ResNet generator, a PatchGAN), `config.optimizer`, `config.pix2pix`."""
    _, target_shape = _check_sizes(parts, "source", "target")
    return pix2pix_program(
        generator=parts.network("generator", accept=GENERATORS, out_channels=target_shape[-1]),
        discriminator=parts.network("discriminator", accept=DISCRIMINATORS),
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        l1_weight=parts.number("l1_weight", closed_low=True),
        adversarial_weight=parts.number("adversarial_weight", closed_low=True),
        held_out_sources=_held_out_sources(parts),
    )


def build_cyclegan(parts: Parts) -> Program:
    """CycleGAN from `config.model` (both generators alike, both Ds alike), `config.optimizer`, `config.cyclegan`."""
    x_shape, y_shape = _check_sizes(parts, "x", "y")
    pool_size = parts.integer("pool_size", 0)
    return cyclegan_program(
        generator_xy=parts.network("generator", accept=GENERATORS, out_channels=y_shape[-1]),
        generator_yx=parts.network("generator", accept=GENERATORS, out_channels=x_shape[-1]),
        discriminator_x=parts.network("discriminator", accept=DISCRIMINATORS),
        discriminator_y=parts.network("discriminator", accept=DISCRIMINATORS),
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        cycle_weight=parts.number("cycle_weight", closed_low=True),
        identity_weight=parts.number("identity_weight", closed_low=True),
        pool_size=pool_size,
        x_shape=x_shape,
        y_shape=y_shape,
        held_out_sources=_held_out_sources(parts),
    )


PIX2PIX = Family(
    name="pix2pix",
    build=build_pix2pix,
    settings=pix2pix_settings,
    needs=Needs(features=("source", "target"), suggestion="a paired dataset such as 'edges2digits'"),
    exports=Exports(translation=Translation(source="source", target="target", network="generator", given=SAMPLE_INPUT)),
    doc="Isola et al. 2017: a U-Net G of the source, a PatchGAN D of (source, image) pairs, L1 + adversarial.",
)

CYCLEGAN = Family(
    name="cyclegan",
    build=build_cyclegan,
    settings=cyclegan_settings,
    needs=Needs(features=("x", "y"), suggestion="an unpaired dataset such as 'digits2inverted'"),
    exports=Exports(
        translation=Translation(source="x", network="generator_xy", inverse="generator_yx", given=SAMPLE_INPUT)
    ),
    doc="Zhu et al. 2017: two generators and two PatchGANs on unpaired domains, cycle and identity terms, image pools.",
)


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
