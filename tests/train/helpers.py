"""Small configs and a jitted one-device step for the training tests."""

from __future__ import annotations

import jax

from jaxgan.config import pacgan_mixture_config
from jaxgan.train import build as build_lib


def tiny_ring_config(**overrides):
    """The PacGAN ring setup shrunk to a few steps of small networks."""
    config = pacgan_mixture_config("ring")
    config.data.num_examples = 2000
    config.model.generator.width = 32
    config.model.generator.depth = 2
    config.model.discriminator.width = 16
    config.model.discriminator.depth = 2
    config.batch_size = 16
    config.num_steps = 4
    config.steps_per_call = 2
    config.log_every = 2
    config.checkpoint_every = 2
    config.sample_every = 4
    config.eval_every = 0
    config.evaluators = ""
    config.num_samples = 64
    for key, value in overrides.items():
        target = config
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        target[last] = value
    return config


def conditional_ring_config(**overrides):
    """`tiny_ring_config` as a CGAN: the mode index is the label; G and D concatenate it (one-hot)."""
    from jaxgan.programs import conditional

    config = tiny_ring_config(**overrides)
    config.program = "conditional"
    config.conditional = conditional.FAMILY.default_settings(num_classes=8)
    return config


def one_device(config, abstract_state: bool = False):
    """(experiment, initial state, jitted train_step) on one device, no axis name.

    `abstract_state`: the state's shapes and dtypes only (`jax.eval_shape`, nothing compiled)."""
    experiment = build_lib.build(config)
    step = build_lib.train_step(experiment)
    init = lambda: build_lib.new_state(experiment, jax.random.PRNGKey(config.seed))  # noqa: E731
    if abstract_state:
        return experiment, jax.eval_shape(init), jax.jit(step)
    return experiment, init(), jax.jit(step)


def batch_for(experiment, config, step: int = 0):
    """The real batch of `step`: every feature the program reads, `[batches_per_step, B, ...]`."""
    import numpy as np

    from jaxgan import data as data_lib

    rows = [
        data_lib.batch_indices(
            step * experiment.program.batches_per_step + c,
            num_examples=len(experiment.dataset),
            batch_size=config.batch_size,
            seed=config.seed,
        )
        for c in range(experiment.program.batches_per_step)
    ]
    got = experiment.dataset.get(np.concatenate(rows))
    rows_per_step = experiment.program.batches_per_step
    return {
        name: got[name].reshape(rows_per_step, config.batch_size, *got[name].shape[1:])
        for name in experiment.program.features
    }


def first_z(state, config, *, group: int = 0, repeat: int = 0):
    """The z the step draws for (group, repeat) of `state.step`, written out by hand: the step key
    `fold_in(rng, step)` split into the latents' and the groups' keys; example i's key is
    `fold_in(fold_in(fold_in(fold_in(latent_key, group), repeat), latent), i)`."""
    import jax.numpy as jnp

    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)[0]
    base = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(latent_key, group), repeat), 0)
    keys = [jax.random.fold_in(base, i) for i in range(config.batch_size)]
    return jnp.stack([jax.random.normal(k, (config.latent_dim,), jnp.float32) for k in keys])
