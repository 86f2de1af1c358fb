"""A GAN as data: networks by name, latents, calls, loss terms and update groups.

A family (the unconditional GAN, a conditional GAN, ...) is a function that returns a
`Program`; `jaxgan.train.step.make_train_step(program)` interprets every program the same way
and never names a family, a loss or a trick. The pieces:

    Latent("z", normal((latent_dim,)))                       # drawn per example by the step
    Call("generator", ("z",), "fake")                        # a network on named inputs
    Call("discriminator", (("x",), ("fake",)), ("d_real", "d_fake"))   # on several input sets
    Term("objective", objective_term, reads=("d_real", "d_fake"))      # a loss over named values
    Group("discriminator", trains=("discriminator",), calls=..., terms=..., repeats=5)
    Group("generator", trains=("generator",), reuse=("fake",), calls=..., terms=...)

Names a call or term reads are looked up in one environment per group repeat: the batch's
features (`x`, `label`, ...), the latents the group draws, the outputs of earlier calls, the
outputs a group `reuse`s from the group before it, and `step` (`STEP`): the train step's counter,
one int32 per example (a schedule computed in the step, e.g. progressive growing's fade-in; the
samplers give the state's step). `"d_real.class_logits"` reads one head
of a network that returns a dict.

Every group repeat runs its calls in order (a call whose outputs are already in the
environment is skipped), sums its weighted terms, differentiates the sum with respect to the
parameters it `trains`, averages the gradients over the device axis, and applies its optax
optimiser and projection. A group that `reuse`s outputs of the previous group shares their
forward pass: the previous group's last repeat computes them under `jax.vjp`, and this
group pulls its gradient with respect to them back through the saved VJP.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

PyTree = Any
STEP = "step"  # the value every call and term may read: the step's counter, one int32 per example
Draw = Callable[[jax.Array], jax.Array]  # one example's key -> that example's value


# ---------------------------------------------------------------------------- latents


@dataclasses.dataclass(frozen=True)
class Latent:
    """A value the step draws for every example from the example's own key (`draw(key)`)."""

    name: str
    draw: Draw


@dataclasses.dataclass(frozen=True)
class Normal:
    """The draw of `z ~ N(0, I)` of `shape` per example; `truncation=ψ`: each coordinate drawn from
    N(0, 1) conditioned on `|z_i| <= ψ` (the truncation trick, `truncated`)."""

    shape: tuple[int, ...]
    dtype: Any = jnp.float32
    truncation: float | None = None

    def __call__(self, key: jax.Array) -> jax.Array:
        if self.truncation is None:
            return jax.random.normal(key, self.shape, self.dtype)
        psi = self.truncation
        return jax.random.truncated_normal(key, -psi, psi, self.shape, self.dtype)

    def truncated(self, psi: float) -> Normal:
        """BigGAN's truncation trick (Brock et al. 2019, sec. 3.1: "truncating a z vector by
        resampling the values with magnitude above a chosen threshold"): the same latent drawn
        from the normal truncated to [-ψ, ψ] per coordinate (`jax.random.truncated_normal`,
        exact by the inverse CDF, which is what resampling until |z_i| <= ψ gives)."""
        return dataclasses.replace(self, truncation=float(psi))


def normal(shape: tuple[int, ...], dtype=jnp.float32) -> Draw:
    """`z ~ N(0, I)` of `shape` per example (a `Normal`, which can be truncated for sampling)."""
    return Normal(tuple(shape), dtype)


def uniform(shape: tuple[int, ...], minval: float = -1.0, maxval: float = 1.0) -> Draw:
    """Continuous codes `c ~ U[minval, maxval)` of `shape` per example (InfoGAN's continuous codes)."""
    return lambda key: jax.random.uniform(key, shape, jnp.float32, minval, maxval)


def categorical(num_classes: int) -> Draw:
    """A uniform class index in `[0, num_classes)` per example (an int32 scalar)."""
    return lambda key: jax.random.randint(key, (), 0, num_classes, jnp.int32)


# ---------------------------------------------------------------------------- calls, terms, groups

Inputs = tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Call:
    """`network(*inputs)` written to `output`; with several input sets, one output each.

    `inputs` is a tuple of names, or a tuple of such tuples (one per output in `outputs`).
    Several input sets (of one batch size) go through the network in one call on their
    interleaved examples when the network keeps no variables (batch statistics): the math is
    the same, every example keeps its global index (its dropout mask), and the call is one
    larger matmul or convolution. With batch statistics they go in separate calls, since one
    call would mix their examples in the statistics. (A layer that compares the examples of
    its batch, minibatch discrimination, sees the input sets together in the joined call.)

    `train`: the network's mode (dropout, batch statistics). `pack`: PacGAN's packing of `pack`
    consecutive examples into one (`jaxgan.tricks.pack`) on every input.
    `keep_variables`: whether the call's new batch statistics are kept (a D call inside G's
    update is not: G's update does not change D). `features`: also write the first
    intermediate the network `sow`s (its features) to `features[i]` for input set i.
    `augment`: a random per-example transformation of the first input of every input set
    (`jaxgan.augment.Augmentation`: DiffAugment, ADA, zCR's latent noise), or a tuple of one
    (or None) per input set; applied before packing, each example drawn from its global index.
    `dropout_of`: an output of an earlier call of the same network in the group; this call's
    network then draws its randomness (dropout masks) from that call's key instead of its own,
    so with as many input sets of the same sizes, example i of input set k meets the same masks
    in both calls (consistency regularisation compares D on x and on T(x), not two dropout
    draws). Its augmentations still draw from its own key. `joint_statistics`: the input sets
    go through a network with batch statistics in one joined call all the same, normalised by
    the statistics of their union (what consistency regularisation needs of a batch-norm D,
    `jaxgan.programs.augmentation`).
    """

    network: str
    inputs: Inputs | tuple[Inputs, ...]
    outputs: str | tuple[str, ...]
    train: bool = True
    pack: int = 1
    keep_variables: bool = True
    features: tuple[str, ...] = ()
    augment: Any = None
    dropout_of: str | None = None
    joint_statistics: bool = False

    @property
    def augmentations(self) -> tuple[Any, ...]:
        """One augmentation (or None) per input set."""
        if isinstance(self.augment, tuple):
            return self.augment
        return (self.augment,) * len(self.input_sets)

    @property
    def input_sets(self) -> tuple[Inputs, ...]:
        if self.inputs and isinstance(self.inputs[0], tuple):
            return self.inputs  # type: ignore[return-value]
        return (self.inputs,)  # type: ignore[return-value]

    @property
    def output_names(self) -> tuple[str, ...]:
        return (self.outputs,) if isinstance(self.outputs, str) else tuple(self.outputs)

    def __post_init__(self):
        if len(self.input_sets) != len(self.output_names):
            raise ValueError(
                f"Call of {self.network!r}: {len(self.input_sets)} input sets for outputs {self.output_names}."
            )
        if self.features and len(self.features) != len(self.output_names):
            raise ValueError(f"Call of {self.network!r}: `features` names one output per input set.")
        if isinstance(self.augment, tuple) and len(self.augment) != len(self.output_names):
            raise ValueError(f"Call of {self.network!r}: a tuple `augment` names one augmentation per input set.")


@dataclasses.dataclass(frozen=True)
class Term:
    """A loss term: `fn(ctx, *values)` over the named values `reads`, times `weight`.

    `fn` returns a scalar, or `(scalar, new_state)` when the term keeps state (`init_state`
    returns its initial value; e.g. Fisher GAN's multiplier). `ctx` (`TermContext`) gives the
    device axis (`ctx.gather`, `ctx.pmean`), the term's state, its key (`ctx.example_keys`)
    and the networks at the parameters being differentiated (`ctx.apply`, for penalties).
    `weight` is a number, or the name of an entry of the state's `hyper` dict (a weight that
    can be swept over runs). `lookahead`: whether the term is part of the loss that an
    unrolling group differentiates through (penalties are not: they would need third
    derivatives, and the surrogate only has to follow D's dynamics). `metric`: the name it is
    logged under (default `<group metric>_<name>`, e.g. `d_objective`).
    """

    name: str
    fn: Callable[..., Any]
    reads: tuple[str, ...]
    weight: float | str = 1.0
    init_state: Callable[[], PyTree] | None = None
    lookahead: bool = True
    metric: str | None = None


@dataclasses.dataclass(frozen=True)
class Group:
    """An update: the parameters it `trains` (network names, or `network/module` paths for one
    part of a network, e.g. InfoGAN's Q head trained with G), its optax optimiser, its calls
    and terms, `repeats` updates per step (n critic steps; each repeat sees its own batch and
    latents), a `project`ion applied to the trained parameters after each update (weight
    clipping), `reuse`d outputs of the previous group's last repeat, and `lookahead = (group
    name, k)`: this group's loss is taken at that group's parameters after k differentiable
    updates (unrolled GAN). `report` names outputs whose means are logged as `<metric>_<name>`
    ... (e.g. `d_real`); `metric` prefixes this group's measurements (default its name).
    `reads_step_start` names networks (not trained by this group) whose parameters its calls read
    as they were at the start of the step, before the earlier groups' updates: the two players'
    gradients taken at the same point, simultaneous gradient steps (ALI's released code,
    `ali_algorithm`), where the default is alternating (each group sees the updates before it).
    """

    name: str
    trains: tuple[str, ...]
    optimizer: optax.GradientTransformation
    calls: tuple[Call, ...]
    terms: tuple[Term, ...]
    latents: tuple[str, ...] = ()
    repeats: int = 1
    project: Callable[[PyTree], PyTree] | None = None
    reuse: tuple[str, ...] = ()
    lookahead: tuple[str, int] | None = None
    report: tuple[str, ...] = ()
    metric: str | None = None
    reads_step_start: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return self.metric or self.name


@dataclasses.dataclass(frozen=True)
class Program:
    """A GAN as data: its networks, latents, batch features, update groups and sampling.

    `features`: the batch features the step reads (every feature the dataset has that a call
    or term names). `sample`: the call that draws samples (in inference mode); its inputs are
    the latents `sample_latents` (drawn per example) and any other input given by the caller
    (`runs.Sampler.sample(..., given=...)`: a translation's source images); its first output
    is the sample. `sample_record`: the sample call's inputs written beside each sample (the
    label or codes it was drawn for, a source image), so that `jaxgan sample --out=F.npz`
    holds every conditioning input. `ema`: network -> decay of an exponential moving average
    of its parameters, used for sampling when kept (a number, or a schedule `step -> decay`:
    a ramp-up). (A classifier of real examples is the
    family record's export, `family.Classifier`.) `pictures`: name -> a function giving the inputs of a
    picture of samples drawn at chosen inputs, its number of columns and optionally the given
    inputs drawn beside each sample (`runs.picture`: InfoGAN's traversal, a translation's
    sources and outputs), written by the loop beside the sample grids and, for the first, by
    `jaxgan sample --out=F.png`.
    """

    networks: Mapping[str, nn.Module]
    latents: tuple[Latent, ...]
    features: tuple[str, ...]
    groups: tuple[Group, ...]
    sample: Call
    sample_latents: tuple[str, ...] = ()
    sample_record: tuple[str, ...] = ()
    pictures: Mapping[str, Callable[[], tuple]] = dataclasses.field(default_factory=dict)
    ema: Mapping[str, float] = dataclasses.field(default_factory=dict)
    hyper: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        """Refuse a program whose parts do not fit together, with one sentence, before tracing."""
        problems = []
        names = [group.name for group in self.groups]
        if len(set(names)) != len(names):
            problems.append(f"group names repeat ({names})")
        latent_names = {latent.name for latent in self.latents}
        for index, group in enumerate(self.groups):
            for call in group.calls:
                if call.network not in self.networks:
                    problems.append(
                        f"group {group.name!r} calls network {call.network!r}, which is not one of {sorted(self.networks)}"
                    )
            for position, call in enumerate(group.calls):
                if call.dropout_of is not None:
                    earlier = [c for c in group.calls[:position] if call.dropout_of in c.output_names]
                    if not earlier or earlier[0].network != call.network:
                        problems.append(
                            f"a call of group {group.name!r} draws its dropout as the call that makes "
                            f"{call.dropout_of!r}, which is not an earlier call of {call.network!r} in that group"
                        )
            for path in group.trains:
                if path.split("/")[0] not in self.networks:
                    problems.append(
                        f"group {group.name!r} trains {path!r}, which is not a network of {sorted(self.networks)}"
                    )
            for name in group.latents:
                if name not in latent_names:
                    problems.append(
                        f"group {group.name!r} draws latent {name!r}, which is not one of {sorted(latent_names)}"
                    )
            for term in group.terms:
                if isinstance(term.weight, str) and term.weight not in self.hyper:
                    problems.append(
                        f"term {term.name!r} is weighted by hyper[{term.weight!r}], which is not one of {sorted(self.hyper)}"
                    )
            trained_networks = {path.split("/")[0] for path in group.trains}
            for network in group.reads_step_start:
                if network not in self.networks or network in trained_networks:
                    problems.append(
                        f"group {group.name!r} reads {network!r} at the step's start, which is not one of the "
                        f"networks it does not train ({sorted(set(self.networks) - trained_networks)})"
                    )
            if group.reuse and index == 0:
                problems.append(f"the first group {group.name!r} reuses {group.reuse}, but no group runs before it")
            if group.lookahead is not None and group.lookahead[0] not in names:
                problems.append(
                    f"group {group.name!r} looks ahead at group {group.lookahead[0]!r}, which is not one of {names}"
                )
            if not isinstance(group.repeats, int) or group.repeats < 1:
                problems.append(f"group {group.name!r} has repeats={group.repeats!r}; use a positive integer")
        stateful = [term.name for term in self.terms() if term.init_state is not None]
        if len(set(stateful)) != len(stateful):
            problems.append(f"stateful terms share a name ({stateful}); their states are kept by name")
        if self.sample.network not in self.networks:
            problems.append(f"the sample call's network {self.sample.network!r} is not one of {sorted(self.networks)}")
        sample_inputs = {name.split(".")[0] for inputs in self.sample.input_sets for name in inputs}
        for name in self.sample_latents:
            if name not in latent_names:
                problems.append(f"sample latent {name!r} is not one of the latents {sorted(latent_names)}")
        for name in self.sample_record:
            if name not in sample_inputs:
                problems.append(
                    f"sample_record names {name!r}, which is not an input of the sample call {sorted(sample_inputs)}"
                )
        if problems:
            raise ValueError(f"the program does not fit together: {'; '.join(problems)}.")

    @property
    def sample_given(self) -> tuple[str, ...]:
        """The sample call's inputs that the caller supplies (not drawn latents), in order."""
        names = [name.split(".")[0] for inputs in self.sample.input_sets for name in inputs]
        return tuple(dict.fromkeys(n for n in names if n not in self.sample_latents))

    def latent(self, name: str) -> Latent:
        for latent in self.latents:
            if latent.name == name:
                return latent
        raise KeyError(name)

    def group(self, name: str) -> Group:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    @property
    def batches_per_step(self) -> int:
        """Real batches a step reads: a group of r repeats reads the last r of them."""
        return max(group.repeats for group in self.groups)

    def terms(self) -> tuple[Term, ...]:
        return tuple(term for group in self.groups for term in group.terms)


def read(env: Mapping[str, Any], name: str) -> Any:
    """`env["a"]`, or `env["a"]["b"]` for `"a.b"` (one head of a network that returns a dict)."""
    head, *rest = name.split(".")
    if head not in env:
        raise KeyError(f"the step has no value named {head!r} here; it has {sorted(env)}.")
    value = env[head]
    for part in rest:
        value = value[part]
    return value


def subtree(params: Mapping[str, PyTree], path: str) -> PyTree:
    """`params["network"]` or a module's part of it for `"network/module/..."`."""
    network, *parts = path.split("/")
    value = params[network]
    for part in parts:
        value = value[part]
    return value


def with_subtree(params: Mapping[str, PyTree], path: str, value: PyTree) -> dict[str, PyTree]:
    """A copy of `params` with `subtree(params, path)` replaced by `value`."""
    network, *parts = path.split("/")

    def replace(tree, parts):
        if not parts:
            return value
        tree = dict(tree)
        tree[parts[0]] = replace(tree[parts[0]], parts[1:])
        return tree

    return {**params, network: replace(params[network], parts)}
