"""A test-only conditional program on the ring mixture: the proof that the step carries families.

G(z, label) and D(x, label) condition by concatenating the one-hot label (Mirza & Osindero
2014); D returns two heads, the adversarial logit and ACGAN's class logits (Odena et al.
2017). D's loss: non-saturating + ACGAN class cross-entropy on real and generated examples +
a gradient penalty whose D sees each example's label. G's loss: non-saturating + the class
cross-entropy of its samples. The label of a generated example is the real batch's label.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxgan import data as data_lib
from jaxgan import losses, penalties
from jaxgan.program import Call, Group, Latent, Program, Term, categorical, normal
from jaxgan.programs import terms
from jaxgan.train import build

NUM_CLASSES = 8
LATENT_DIM = 4
GP_WEIGHT = 2.0
CLASS_WEIGHT = 0.5


class ConditionalGenerator(nn.Module):
    width: int = 16

    @nn.compact
    def __call__(self, z, label, *, train: bool):
        h = jnp.concatenate([z, jax.nn.one_hot(label, NUM_CLASSES)], axis=-1)
        h = nn.relu(nn.Dense(self.width)(h))
        return nn.Dense(2)(h)


class ConditionalDiscriminator(nn.Module):
    width: int = 16

    @nn.compact
    def __call__(self, x, label, *, train: bool):
        h = jnp.concatenate([x, jax.nn.one_hot(label, NUM_CLASSES)], axis=-1)
        h = nn.tanh(nn.Dense(self.width)(h))
        return {"adversarial": nn.Dense(1)(h)[:, 0], "class_logits": nn.Dense(NUM_CLASSES)(h)}


def class_term(*reads_pairs):
    """ACGAN's class cross-entropy summed over (logits, labels) pairs, over the global batch."""

    def fn(ctx, *values):
        total = 0.0
        for logits, labels in zip(values[::2], values[1::2]):
            total = total + losses.acgan_class_loss(ctx.gather(logits), ctx.gather(labels))
        return total

    reads = tuple(name for pair in reads_pairs for name in pair)
    return fn, reads


def make_program(learning_rate: float = 1e-2) -> Program:
    objective = losses.get("non_saturating")
    d_objective, g_objective = terms.objective_terms(
        objective, d_reads=("d_real.adversarial", "d_fake.adversarial"), g_reads=("d_fake.adversarial",)
    )
    d_class, d_class_reads = class_term(("d_real.class_logits", "label"), ("d_fake.class_logits", "label"))
    g_class, g_class_reads = class_term(("d_fake.class_logits", "label"))
    penalty = terms.penalty_term(
        "gradient_penalty", penalties.get("gradient_penalty"), condition=("label",), head="adversarial"
    )
    groups = (
        Group(
            "discriminator",
            trains=("discriminator",),
            optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=learning_rate),
            calls=(
                Call("generator", ("z", "label"), "fake"),
                Call("discriminator", (("x", "label"), ("fake", "label")), ("d_real", "d_fake")),
            ),
            terms=(
                d_objective,
                Term("class", d_class, d_class_reads, weight=CLASS_WEIGHT),
                penalty,
            ),
            latents=("z",),
            metric="d",
        ),
        Group(
            "generator",
            trains=("generator",),
            optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=learning_rate),
            calls=(Call("discriminator", ("fake", "label"), "d_fake", keep_variables=False),),
            terms=(g_objective, Term("class", g_class, g_class_reads, weight=CLASS_WEIGHT)),
            reuse=("fake",),
            metric="g",
        ),
    )
    return Program(
        networks={"generator": ConditionalGenerator(), "discriminator": ConditionalDiscriminator()},
        latents=(Latent("z", normal((LATENT_DIM,))), Latent("label", categorical(NUM_CLASSES))),
        features=("x", "label"),
        groups=groups,
        sample=Call("generator", ("z", "label"), "sample", train=False),
        sample_latents=("z", "label"),
        sample_record=("label",),
        hyper={"gradient_penalty": GP_WEIGHT},
    )


def experiment(num_examples: int = 512) -> build.Experiment:
    dataset = data_lib.load("ring", split="train", seed=0, num_examples=num_examples)
    program = make_program()
    return build.Experiment(dataset=dataset, program=program, feature_specs=build.feature_specs(dataset, program))


# ---------------------------------------------------------------------------- device counts
# XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.train.conditional_program


def _train(config, devices, parts):
    from jaxgan.train import loop, run_axis

    run = loop.setup(config, devices=devices, experiment=parts)
    state = run_axis.place(run.state, run.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = run.call(state, *run.feeder.inputs(first))
    return jax.device_get(run_axis.unstack(state, 0).params)


def main() -> None:
    import json

    import numpy as np

    from tests.train.helpers import tiny_ring_config

    config = tiny_ring_config(num_steps=20, steps_per_call=10)
    parts = experiment()
    devices = jax.devices()
    reference = _train(config, devices[:1], parts)
    row = {"config": "conditional", "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference))}
    # 8 devices (2 examples each): 2 and 4 devices run the same shard_map code path over a smaller
    # axis, shown invariant on the ring (tests/train/test_parallel_ring.py); each count is a compile.
    for count in (8,):
        other = _train(config, devices[:count], parts)
        row[str(count)] = max(
            float(np.max(np.abs(a - b)))
            for a, b in zip(jax.tree.leaves(reference), jax.tree.leaves(other), strict=True)
        )
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
