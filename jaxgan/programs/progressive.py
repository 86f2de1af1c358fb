"""Progressive growing of GANs (Karras et al. 2018) as a run in stages: one program per resolution.

`config.progressive.stages` lists the resolutions (e.g. [7, 14, 28] for the 28x28 digits, each
twice the one before); stage k trains for `steps_per_stage` steps, or for `stage_steps[k]` when
`stage_steps` lists one length per stage (the low resolutions cost a fraction of a step at the last
one, so a run may give them more steps), and the last stage runs on to `config.num_steps`. Stage
k's program (`parts.stage == k`):

    D group (repeats = num_critic_steps): fake = G(z, step) (at the data's size);
        fake_stage = pool(fake) (area pooling to r_k); real_stage = reals(x, step): x at r_k,
        blended during the fade-in with the r_{k-1} image upsampled (`models.progan.stage_reals`);
        d_real, d_fake = D(real_stage, step), D(fake_stage, step) (two calls: each batch its own
        minibatch-stddev groups); the objective's D loss + Σ weight·penalty (WGAN-GP: loss
        "wasserstein", penalties.gradient_penalty = 10, at the stage's resolution)
        + ε E[D(x)²] (the drift term, `drift` = ε = 0.001; Karras et al. 2018, appendix A.1).
    G group: reuses `fake`; d_fake = D(pool(fake), step); the objective's G loss.
    EMA of G's params (`config.ema_decay`, the paper's 0.999), used for samples.

α = clip((step - start_k) / (fade · length_k), 0, 1), length_k the stage's steps: the new level's
weight in G's output and D's input rises over the first `fade` of the stage (the paper's half),
computed in the step from the step's counter; the stage is a value of the loop (`family.Stages`),
the fade one of the step, neither a recompile within a stage. At a stage boundary the state
carries by name (`family.carry_by_path`): every continuing layer's parameters, Adam moments and EMA
kept, the new level's block and RGB layers initialised. G's images are nearest-upsampled to the
data's size, so the loop's grids, `jaxgan sample` and the evaluators see data-sized images at every stage.

The build ends in `regularise.apply`, as every family with a D does: lazy penalties
(`config.penalty_interval`: the gradient penalty on one step in N, its weight times N), LeCam,
top-k, orthogonal regularisation and the EMA's ramp-up are options here too. The lazy penalty runs
the 28x28 stage of `configs/progan_mnist.py` 1.3x as fast; spent on more steps in the same wall
time it gave the same FID (results/progan.md), so the config keeps the paper's penalty every step.
"""

from __future__ import annotations

import ml_collections

from jaxgan import penalties as penalties_lib
from jaxgan.models import progan
from jaxgan.program import STEP, Call, Group, Latent, Program, Term, normal
from jaxgan.programs import regularise, terms
from jaxgan.programs.family import Family, Stages, settings_of
from jaxgan.programs.parts import Parts, check_number

NETWORKS = ("progan",)


def settings() -> ml_collections.ConfigDict:
    """`config.progressive`: the stages' resolutions, the steps of every stage (`steps_per_stage`) or
    of each (`stage_steps`, one per stage; empty: `steps_per_stage` each; the last stage runs on to
    config.num_steps, its length sets its fade), the fraction of a stage over which its new level
    fades in, ε of the drift term."""
    return ml_collections.ConfigDict(
        {"stages": (7, 14, 28), "steps_per_stage": 500, "stage_steps": (), "fade": 0.5, "drift": 0.001}
    )


def check_stages(stages) -> tuple[int, ...]:
    """`config.progressive.stages` as a tuple of resolutions, each twice the one before, or one sentence."""
    values = list(stages) if isinstance(stages, (list, tuple)) else None
    if not values or any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in values):
        raise ValueError(
            f"config.progressive.stages must be a non-empty list of positive resolutions, e.g. [7, 14, 28]; got {stages!r}."
        )
    for low, high in zip(values, values[1:]):
        if high <= low:
            raise ValueError(f"config.progressive.stages={values} must increase from each stage to the next.")
        if high != 2 * low:
            raise ValueError(
                f"config.progressive.stages={values}: each resolution must be twice the one before (as {low} -> "
                f"{2 * low}), so that each stage's images pool to the last one's; got {low} -> {high}."
            )
    return tuple(values)


def _positive_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


def stage_lengths(config: ml_collections.ConfigDict) -> tuple[int, ...]:
    """The steps of each stage (`stage_steps`, or `steps_per_stage` for every stage), after checking
    the schedule; the last one sets the last stage's fade (that stage runs on to config.num_steps)."""
    section = settings_of(config, FAMILY)
    stages = check_stages(section.stages)
    check_number("progressive.fade", section.fade, 0.0, 1.0, closed_low=True)
    lengths = section.stage_steps
    if lengths is None or (isinstance(lengths, (list, tuple)) and len(lengths) == 0):
        steps = section.steps_per_stage
        if not _positive_int(steps):
            raise ValueError(f"config.progressive.steps_per_stage must be a positive integer; got {steps!r}.")
        return (steps,) * len(stages)
    if not isinstance(lengths, (list, tuple)) or not all(_positive_int(n) for n in lengths):
        raise ValueError(
            f"config.progressive.stage_steps must list a positive number of steps for each stage, e.g. [1000, 1000, "
            f"800]; got {lengths!r}."
        )
    if len(lengths) != len(stages):
        raise ValueError(
            f"config.progressive.stage_steps={list(lengths)} gives {len(lengths)} lengths for the {len(stages)} "
            f"stages of config.progressive.stages={list(stages)}; give one per stage."
        )
    return tuple(lengths)


def stage_starts(config: ml_collections.ConfigDict) -> tuple[int, ...]:
    """The first step of each stage: the sums of the lengths before it (`stage_lengths`)."""
    lengths = stage_lengths(config)
    return tuple(sum(lengths[:k]) for k in range(len(lengths)))


def check_image_size(size: int, stages: tuple[int, ...], data_name: str) -> None:
    """Refuse a data size that is not the first stage's resolution times a power of two at least
    as large as the last stage's."""
    ratio, remainder = divmod(size, stages[0])
    if remainder or ratio & (ratio - 1) or size < stages[-1]:
        raise ValueError(
            f"the images of {data_name!r} are {size}x{size} (config.data.image_size), which is not the first stage's "
            f"resolution {stages[0]} times a power of two at least {stages[-1]} (config.progressive.stages={list(stages)}); "
            f"set config.data.image_size to one (e.g. {stages[-1]})."
        )


def drift_term(epsilon: float, *, reads=("d_real",)) -> Term:
    """ε E[D(x)²] over the global batch of real examples (`penalties.drift`)."""
    return Term("drift", lambda ctx, d_real: penalties_lib.drift(ctx.gather(d_real)), reads, weight=epsilon)


def build(parts: Parts) -> Program:
    config, section = parts.config, parts.settings
    starts = stage_starts(config)
    stages = check_stages(section.stages)
    stage = parts.stage
    shape = tuple(parts.dataset.element_shape)
    if len(shape) != 3:
        raise ValueError(
            f"program 'progressive' grows images; dataset {config.data.name!r} has examples of shape {shape}."
        )
    check_image_size(shape[0], stages, config.data.name)
    for entry in ("generator", "discriminator"):
        name = parts.network_name(entry)
        if name not in NETWORKS:
            raise ValueError(f"config.model.{entry}.name={name!r} cannot grow in stages; use one of {list(NETWORKS)}.")
        features = config.model[entry].get("features", ())
        if not isinstance(features, (list, tuple)) or any(
            isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in features
        ):
            raise ValueError(
                f"config.model.{entry}.features must list the positive channels of each level, e.g. [32, 16, 8]; "
                f"got {features!r}."
            )
        if len(features) < len(stages):
            raise ValueError(
                f"config.model.{entry}.features={list(features)} names the channels of fewer levels than the "
                f"{len(stages)} stages of config.progressive.stages; give one per stage."
            )
    fade_steps = 0 if stage == 0 else int(section.fade * stage_lengths(config)[stage])
    staged = dict(resolutions=stages, stage=stage, fade_start=starts[stage], fade_steps=fade_steps)
    generator = parts.generator(**staged)
    discriminator = parts.discriminator(**staged)
    epsilon = check_number("progressive.drift", section.drift, 0.0, closed_low=True)
    penalties, penalty_weights = parts.penalties()
    d_objective, g_objective = terms.objective_terms(parts.objective(), g_reads=("d_fake",))
    d_terms = (
        d_objective,
        *(
            terms.penalty_term(name, fn, reads=("real_stage", "fake_stage"), condition=(STEP,))
            for name, fn in penalties
        ),
        *((drift_term(epsilon),) if epsilon > 0 else ()),
    )
    discriminator_group = Group(
        "discriminator",
        trains=("discriminator",),
        optimizer=parts.optimizer("discriminator"),
        calls=(
            Call("generator", ("z", STEP), "fake"),
            Call("pool", ("fake",), "fake_stage"),
            Call("reals", ("x", STEP), "real_stage"),
            Call("discriminator", ("real_stage", STEP), "d_real"),
            Call("discriminator", ("fake_stage", STEP), "d_fake"),
        ),
        terms=d_terms,
        latents=("z",),
        repeats=config.num_critic_steps,
        report=("d_real", "d_fake"),
        metric="d",
    )
    generator_group = Group(
        "generator",
        trains=("generator",),
        optimizer=parts.optimizer("generator"),
        calls=(
            Call("pool", ("fake",), "fake_stage"),
            Call("discriminator", ("fake_stage", STEP), "d_fake", keep_variables=False),
        ),
        terms=(g_objective,),
        reuse=("fake",),
        metric="g",
    )
    program = Program(
        networks={
            "generator": generator,
            "discriminator": discriminator,
            "reals": progan.StageReals(stages, stage, starts[stage], fade_steps),
            "pool": progan.AveragePool(shape[0] // stages[stage]),
        },
        latents=(Latent("z", normal((config.latent_dim,))),),
        features=("x",),
        groups=(discriminator_group, generator_group),
        sample=Call("generator", ("z", STEP), "sample", train=False),
        sample_latents=("z",),
        ema=parts.ema(),
        hyper=penalty_weights,
    )
    return regularise.apply(parts, program)


FAMILY = Family(
    name="progressive",
    build=build,
    settings=settings,
    reads=("loss", "penalties", "num_critic_steps", "ema_decay", *regularise.SHARED),
    stages=Stages(starts=stage_starts),
    doc="Progressive growing (Karras et al. 2018): G and D grow a level per stage (config.progressive.stages), "
    "the new level fading in; equalised learning rate, pixel norm, minibatch stddev, WGAN-GP with the drift term.",
)
