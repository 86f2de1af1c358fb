"""A family is one record: `Family(name, build, settings, reads, needs, exports)`.

Everything the shell (`jaxgan train / sample / eval`, restore, the loop, the metrics) needs to
know about a GAN family is in its record, so no module outside `jaxgan/programs/` names a
family. A family of one's own is a record in one's own file, named by `config.program =
"path/to/file.py:NAME"` (or `"module:NAME"` for an importable module):

    FAMILY = Family(
        name="lsgan_fm",
        build=build,                                   # Parts -> Program
        settings=lambda: ml_collections.ConfigDict({"feature_matching": 1.0}),   # config.lsgan_fm
        reads=("num_critic_steps", "ema_decay"),       # the shared settings it reads
        exports=Exports(evaluators=(my_evaluator,)),   # what the shell may ask of a trained run
    )

**Shared settings** (`SHARED_SETTINGS`) are the config fields of `jaxgan.config.default_config`
that shape a program and that a family may or may not read. One that differs from its default
and is not in `reads` is refused in one sentence before anything is built
(`refuse_unread_settings`). A family's own section (`config.<section>`) starts from
`settings()`; a key that is not one of its defaults is refused the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from jaxgan.config import overridable
from jaxgan.program import Program

# The settings of `jaxgan.config.default_config` that a family reads or leaves at their
# defaults: name -> the config paths it covers ("penalties" covers every penalty weight).
SHARED_SETTINGS: Mapping[str, tuple[str, ...]] = {
    "loss": ("loss.name", "loss.params"),
    "penalties": ("penalties", "penalty_target_norm"),
    "clip_weights": ("clip_weights",),
    "num_critic_steps": ("num_critic_steps",),
    "ema_decay": ("ema_decay",),
    "pack": ("pack",),
    "unroll_steps": ("unroll_steps",),
    "feature_matching": ("feature_matching",),
    "labelled_per_class": ("data.labelled_per_class",),
    # jaxgan/programs/regularise.py and Parts.ema: for any family with a D that applies them.
    "lecam": ("lecam",),
    "top_k": ("top_k",),
    "orthogonal": ("orthogonal",),
    "penalty_interval": ("penalty_interval",),
    "ema_rampup": ("ema_rampup",),
    "augment": ("augment",),  # DiffAugment / ADA (jaxgan/programs/augmentation.py)
    "consistency": ("consistency",),  # CR, bCR, zCR
}


@dataclasses.dataclass(frozen=True)
class Needs:
    """What a family needs of the data, checked before its program is built.

    `features`: the batch features the dataset must declare (`x`, `label`, `source`, ...);
    `suggestion`: a dataset to name in the refusal when they are missing; `labelled_subset`:
    it trains on a seeded labelled subset (`config.data.labelled_per_class` examples per class,
    the batch features `labelled_x` and `labelled_label`)."""

    features: tuple[str, ...] = ("x",)
    suggestion: str = ""
    labelled_subset: bool = False


@dataclasses.dataclass(frozen=True)
class Translation:
    """A family that translates images: the batch feature its sources are (`source`, or `x`
    of an unpaired dataset), its target feature when the data are paired, the network that
    translates and its inverse when it has one (CycleGAN). `jaxgan sample` translates held-out
    or given images with it; `jaxgan eval` scores it on the held-out split
    (`config.<section>.held_out_split`): L1 and PSNR against the target, digit accuracy, and
    the cycle's L1 with an inverse. `given`: the input of the program's sample call that
    takes the images to translate. `references`: `(name, fn)` pairs of fixed translations
    `fn(sources, target_shape) -> images` that `jaxgan eval` scores beside the network, each
    figure as `<name>_<figure>` (SRGAN's bicubic upsampling)."""

    source: str
    network: str
    given: str
    target: str | None = None
    inverse: str | None = None
    references: tuple[tuple[str, Callable[..., Any]], ...] = ()


@dataclasses.dataclass(frozen=True)
class Reconstruction:
    """A family with an encoder: `fn(program, params, variables, x) -> G(E(x))`, the
    reconstruction of inputs at the networks `networks` (their sampling params).
    `jaxgan sample --reconstruct=<split>` writes inputs and reconstructions. `encode(program,
    params, variables, x) -> [n, d]`: the codes E(x) (when the family gives them), which the
    `encoding_one_nn` evaluator classifies; `reconstruction_accuracy` reads `fn`."""

    fn: Callable[..., Any]
    networks: tuple[str, ...]
    encode: Callable[..., Any] | None = None


@dataclasses.dataclass(frozen=True)
class Classifier:
    """A family whose trained networks classify real examples (ACGAN's class head, the K+1
    discriminator, InfoGAN's Q): `logits(outputs, settings) -> [n, K]` picks the class logits
    out of `network`'s outputs on a batch `x` (the network in inference mode, at its sampling
    params), given the family's settings (`config.<section>`); the predicted label is their
    argmax. `jaxgan classify` writes it for the user's images, and the `classifier_accuracy` /
    `matched_classifier_accuracy` evaluators score it on `config.data.test_split`.

    `codes`: its classes are unsupervised codes (InfoGAN's categorical code), which name the
    data's classes only after a matching (`matched_classifier_accuracy`), so
    `classifier_accuracy` is refused for it. `unavailable(settings)`: why a run of the family
    with these settings cannot classify (ACGAN whose D is given the label), or None."""

    network: str
    logits: Callable[[Any, ml_collections.ConfigDict], Any]
    codes: bool = False
    unavailable: Callable[[ml_collections.ConfigDict], str | None] | None = None


def carry_by_path(previous: Any, fresh: Any) -> Any:
    """The state a stage starts from: `fresh`'s structure, each leaf taken from `previous` where
    `previous` has a leaf of the same path, shape and dtype (the layers that continue: their
    parameters, their optimiser moments, their EMA; the step, the run's key), else `fresh`'s
    (the new block, initialised)."""
    kept = {jax.tree_util.keystr(path): leaf for path, leaf in jax.tree_util.tree_flatten_with_path(previous)[0]}
    leaves, treedef = jax.tree_util.tree_flatten_with_path(fresh)
    out = []
    for path, leaf in leaves:
        old = kept.get(jax.tree_util.keystr(path))
        same = old is not None and jnp.shape(old) == jnp.shape(leaf) and jnp.result_type(old) == jnp.result_type(leaf)
        out.append(old if same else leaf)
    return jax.tree_util.tree_unflatten(treedef, out)


@dataclasses.dataclass(frozen=True)
class Stages:
    """A run whose shapes change, in stages (progressive growing): a sequence of programs.

    `starts(config) -> (0, s_1, ..., s_{K-1})`: the first step of each stage, from the config
    (bad settings refused in one sentence, before anything is compiled); the last stage runs on to
    `config.num_steps`. Stage k's program is the family's `build(parts)` with `parts.stage == k`.
    `carry(previous, fresh)`: the state stage k starts from, given the state at the end of stage
    k-1 and a fresh state of stage k (default `carry_by_path`). A state after step s (s > 0) has
    the structure of the stage of step s-1 (`state_stage`): the loop, the checkpoints and
    `jaxgan sample` read the stage off the step."""

    starts: Callable[[ml_collections.ConfigDict], tuple[int, ...]]
    carry: Callable[[Any, Any], Any] = carry_by_path

    @staticmethod
    def stage_of(starts: tuple[int, ...], step: int) -> int:
        """The stage that step `step` (0-based: the update from state `step` to `step + 1`) trains in."""
        return max(k for k, start in enumerate(starts) if start <= step)

    @classmethod
    def state_stage(cls, starts: tuple[int, ...], step: int) -> int:
        """The stage whose structure the state after `step` steps has: that of its last step."""
        return cls.stage_of(starts, max(int(step) - 1, 0))


@dataclasses.dataclass(frozen=True)
class Exports:
    """What the shell may ask of a trained run of the family.

    `picture`: which of the program's `pictures` `jaxgan sample --out=F.png` draws instead of
    the sample grid (InfoGAN's traversal). `evaluators`: the family's own
    `jaxgan.metrics.evaluators.Evaluator`s, named in `config.evaluators` like the built-in
    ones. `translation`, `reconstruction`, `classifier`: see their records.
    (Samples and what they were drawn for, `jaxgan sample --out=F.npz`, are the program's
    `sample` and `sample_record`.)"""

    picture: str | None = None
    evaluators: tuple[Any, ...] = ()
    translation: Translation | None = None
    reconstruction: Reconstruction | None = None
    classifier: Classifier | None = None


@dataclasses.dataclass(frozen=True)
class Family:
    """One GAN family (see the module doc). `section`: the name of its own config section
    (default: `name`; ACGAN shares `conditional`'s). `stages`: a run in stages (`Stages`), else None."""

    name: str
    build: Callable[[Any], Program]
    settings: Callable[[], ml_collections.ConfigDict] | None = None
    reads: tuple[str, ...] = ()
    needs: Needs = Needs()
    exports: Exports = Exports()
    section_name: str | None = None
    doc: str = ""
    stages: Stages | None = None

    def __post_init__(self):
        unknown = sorted(set(self.reads) - set(SHARED_SETTINGS))
        if unknown:
            raise ValueError(
                f"family {self.name!r} reads unknown shared setting(s) {unknown}; the shared settings are "
                f"{sorted(SHARED_SETTINGS)}."
            )

    @property
    def section(self) -> str:
        return self.section_name or self.name

    def default_settings(self, **overrides) -> ml_collections.ConfigDict:
        """The family's section with its defaults, then `overrides` (for a config file)."""
        if self.settings is None:
            if overrides:
                raise ValueError(f"family {self.name!r} has no settings of its own; got {sorted(overrides)}.")
            return ml_collections.ConfigDict()
        settings = self.settings()
        unknown = sorted(set(overrides) - set(settings))
        if unknown:
            raise ValueError(f"family {self.name!r} has no setting(s) {unknown}; its settings are {sorted(settings)}.")
        settings.update(overrides)
        # lists as tuples: a tuple field can be overridden on the command line, a list field cannot
        return ml_collections.ConfigDict(overridable(settings))


def settings_of(config: ml_collections.ConfigDict, family: Family) -> ml_collections.ConfigDict:
    """The family's own settings in `config`: its defaults, updated by `config.<family.section>`."""
    settings = family.default_settings()
    if family.section in config:
        settings.update(config[family.section].to_dict())
    return settings


def _value(config: ml_collections.ConfigDict, path: str):
    value = config
    for part in path.split("."):
        value = value[part]
    return value


def _unread(config: ml_collections.ConfigDict, defaults: ml_collections.ConfigDict, path: str):
    """`(path, value, default)` of each field under `path` that differs from its default."""
    value = _value(config, path)
    try:
        default = _value(defaults, path)
    except (KeyError, AttributeError):  # a field the defaults do not have (a penalty of one's own)
        default = None
    if isinstance(default, ml_collections.ConfigDict) and isinstance(value, ml_collections.ConfigDict):
        if not default:  # a free-form section (loss.params): anything in it is set
            return [(f"{path}.{key}", value[key], None) for key in sorted(value)]
        return [item for key in sorted(value) for item in _unread(config, defaults, f"{path}.{key}")]
    return [(path, value, default)] if value != default and not (default is None and not value) else []


def refuse_unread_settings(config: ml_collections.ConfigDict, family: Family) -> None:
    """One sentence for the first shared setting that differs from its default and that the
    family does not read, and for a key of the family's section that it does not have."""
    from jaxgan.config import default_config

    defaults = default_config()
    reads = set(family.reads) | ({"labelled_per_class"} if family.needs.labelled_subset else set())
    for setting, paths in SHARED_SETTINGS.items():
        if setting in reads:
            continue
        for path in paths:
            for name, value, default in _unread(config, defaults, path):
                leave = "remove it" if default is None else f"leave it at {default!r}"
                raise ValueError(
                    f"config.{name}={value!r} is not read by program {family.name!r}, which reads "
                    f"{_listed(family.reads)} of the shared settings; {leave}."
                )
    if family.settings is not None and family.section in config:
        unknown = sorted(set(config[family.section]) - set(family.settings()))
        if unknown:
            raise ValueError(
                f"config.{family.section} has unknown setting(s) {unknown}; program {family.name!r} reads "
                f"{sorted(family.settings())}."
            )


def _listed(names) -> str:
    return f"only {', '.join(sorted(names))}" if names else "none"
