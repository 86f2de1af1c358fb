"""Run in a subprocess with 8 CPU devices: the augmentations and the programs that use them on
1, 2 and 8 devices.

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.programs.augmentation_invariance

Prints JSON rows. `augmented`: the largest difference between a global batch augmented on one
device (no axis) and the same batch split over 2 and 8 devices (`jax.shard_map`, each device
drawing its examples from their global indices), for DiffAugment, ADA (p = 0.7) and zCR's latent
noise. `diffaugment_bcr_zcr` and `ada_acgan`: the largest parameter and term-state difference
(ADA's p included) after 20 steps on 2 and 8 devices against the plain-jit reference on one
(`tests.train.parallel_check`).
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import PartitionSpec as P

from jaxgan import augment as augment_lib
from jaxgan.train import parallel
from tests.programs.augmentation_helpers import image_config
from tests.train import parallel_check

NUM_STEPS = 20
COUNTS = (2, 8)


def augmentations(axis_name):
    return {
        "diffaugment": augment_lib.diffaugment_stage(("color", "translation", "cutout"), axis_name=axis_name),
        "ada": augment_lib.ada_stage(axis_name=axis_name),
        "consistency_then_diffaugment": augment_lib.diffaugment_stage(("flip", "shift"), axis_name=axis_name).then(
            augment_lib.diffaugment_stage(("color",), axis_name=axis_name)
        ),
        "latent_noise": augment_lib.latent_noise(0.03, axis_name=axis_name),
    }


def augmented_row() -> dict:
    images = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 3)), jnp.float32)
    latents = jnp.asarray(np.random.default_rng(1).normal(size=(16, 4)), jnp.float32)
    term_state = {"ada": {"p": jnp.float32(0.7)}}
    key = jax.random.PRNGKey(5)
    row = {"config": "augmented"}
    for name, single in augmentations(None).items():
        x = latents if name == "latent_noise" else images
        reference = np.asarray(jax.jit(lambda x, s, single=single: single(x, key, s))(x, term_state))
        assert np.abs(reference - np.asarray(x)).max() > 0.01, name  # it changed the batch
        for count in COUNTS:
            mesh = parallel.make_mesh(jax.devices()[:count])
            sharded = augmentations(parallel.AXIS)[name]
            fn = jax.jit(
                jax.shard_map(
                    lambda x, s, sharded=sharded: sharded(x, key, s),
                    mesh=mesh,
                    in_specs=(P(parallel.AXIS), P()),
                    out_specs=P(parallel.AXIS),
                )
            )
            row[f"{name}_{count}"] = float(np.abs(np.asarray(fn(x, term_state)) - reference).max())
    return row


def config_for(name: str):
    sgd = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
    if name == "diffaugment_bcr_zcr":
        config = image_config(
            **{
                "augment.policy": "color,translation,cutout",
                "consistency.bcr_real": 1.0,
                "consistency.bcr_fake": 1.0,
                "consistency.zcr_discriminator": 1.0,
                "consistency.zcr_generator": 0.5,
            }
        )
    elif name == "ada_acgan":
        config = image_config(
            "acgan",
            **{"augment.policy": "ada", "augment.ada_interval": 1, "augment.ada_kimg": 0.16, "augment.ada_p": 0.5},
        )
    else:
        raise SystemExit(f"unknown config {name}")
    config.optimizer.generator, config.optimizer.discriminator = sgd, ml_collections.ConfigDict(sgd.to_dict())
    config.num_steps, config.steps_per_call = NUM_STEPS, 10
    config.log_every = config.checkpoint_every = config.sample_every = 0
    return config


def program_row(name: str) -> dict:
    config = config_for(name)
    reference = parallel_check.run_jit(config)
    row = {"config": name, "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference))}
    if name == "ada_acgan":
        row["p"] = float(np.asarray(reference["term_state"]["ada"]["p"]))
    for count in COUNTS:
        other = parallel_check.run(config, jax.devices()[:count])
        row[str(count)] = parallel_check.max_difference(reference, other)
        if name == "ada_acgan":
            row[f"p_{count}"] = float(np.asarray(other["term_state"]["ada"]["p"]).reshape(-1)[0])
    return row


def main() -> None:
    print(json.dumps(augmented_row()), flush=True)
    for name in ("diffaugment_bcr_zcr", "ada_acgan"):
        print(json.dumps(program_row(name)), flush=True)


if __name__ == "__main__":
    main()
