"""Run in a subprocess with 8 CPU devices: EBGAN, BEGAN, MAD-GAN, VAE-GAN, ALI, CoGAN (also with InfoGAN's
bodies, `cogan_infogan`), Triple-GAN, ss-InfoGAN (and MRGAN,
MDGAN, SRGAN, progressive growing and StackGAN: each stage) on 8 devices (CoGAN, Triple-GAN, MRGAN, MDGAN, SRGAN,
progressive growing and StackGAN on 2 as well).

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.programs.invariance_check ebgan began madgan vaegan

Prints one JSON row per program: the largest difference of the parameters and term states
(BEGAN's k_t) after 20 steps on 8 devices (shard_map over a mesh) against the reference, the
per-device step with no axis name under plain `jax.jit` on one device
(`tests.train.parallel_check`); the names in `DEVICE_COUNTS` on the counts listed there. Each
device count is one more compile of the step; 2 and 4 devices run the same shard_map code path
over a smaller axis, shown invariant on the ring (`tests/train/test_parallel_ring.py`).
"""

from __future__ import annotations

import json
import sys

import jax
import ml_collections
import numpy as np

from jaxgan.config import model_config
from jaxgan.programs import cogan, registry, triplegan
from tests.programs.helpers import tiny_config
from tests.train import parallel_check

NUM_STEPS = 20
# Names compared on more device counts than 8 (2 examples a device): 2 and 8 devices, as issue 26 asks
# (tests/programs/test_mrgan.py; CoGAN's D calls a shared layer on each domain's batch, dropout per domain).
DEVICE_COUNTS = {
    "mrgan": (2, 8),
    "mdgan": (2, 8),
    "cogan": (2, 8),
    "cogan_infogan": (2, 8),
    "ali_stochastic": (2, 8),
    "triplegan": (2, 8),
    "triplegan_cnn": (2, 8),
    "ss_infogan": (2, 8),
    "srgan": (2, 8),
    "progressive": (2, 8),
    "stackgan": (2, 8),
}
# Trained with SGD rather than the ring's Adam: E's output bias has a gradient of exactly zero in
# theory (G's first batch norm removes any shift of the codes), and Adam's first step turns its
# rounding-level value into a step of ±lr, of either sign on either device count (1.1e-4 after one
# step on 2 devices with Adam); SGD keeps the comparison about the step's math.
# SRGAN likewise: its convolutions before batch norm keep a bias (as the paper's), whose gradient is zero in theory
# (BN subtracts the batch mean); with Adam 2 and 8 devices differed by 7.7e-4 and 9.7e-4 after 20 steps, without
# those biases by 3e-8 and 6e-8 (measured); SGD keeps the biases and the comparison about the step's math.
# Progressive growing likewise (each stage's program compared from its first step, fade-in included).
SGD = ("mrgan", "mdgan", "srgan", "progressive")


def config_for(name: str):
    if name == "ali_stochastic":  # E(x, ε) with its noise a latent of the step, and batch norm in E
        config = config_for("ali")
        config.model.encoder.update({"noise_dim": 2, "use_batch_norm": True, "activation": "relu"})
        return config
    if name == "cogan_infogan":  # CoGAN with InfoGAN's bodies: batch norm in shared layers of G and D
        config = config_for("cogan")
        config.model.generator = model_config(
            "generator", cogan.NETWORK, image_size=8, features=2, body="infogan", hidden=8
        )
        config.model.discriminator = model_config("discriminator", cogan.NETWORK, features=2, body="infogan", hidden=8)
        config.cogan.shared_generator_layers = 3
        return config
    if name == "triplegan_cnn":  # Triple-GAN with the authors' CNN C: batch norm, max pools, dropout in C
        config = config_for("triplegan")
        config.data.name = "digits"
        config.data.image_size = 16
        config.model.generator = model_config("generator", "mlp", output_shape=[16, 16, 1], hidden_widths=[16])
        config.model.discriminator = model_config("discriminator", "pair_mlp", hidden_widths=[16, 8], num_classes=10)
        config.model.classifier = model_config("discriminator", "triplegan_cnn", widths=[2, 3, 3, 4, 4])
        config.triplegan = triplegan.FAMILY.default_settings(
            num_classes=10, classifier_ema=0.9, pseudo_label_weight=0.1
        )
        return config
    config = tiny_config(name, num_steps=NUM_STEPS, steps_per_call=10)
    config.log_every = config.checkpoint_every = config.sample_every = 0
    if name == "ss_infogan":
        # Without Q's batch norm (measured, 20 steps, 2 / 8 devices: 1.5e-8 / 2.2e-8). With it, on this
        # tiny ring, 5.6e-7 / 8.1e-7 after one step (statistics over the devices: per-device ones would
        # differ at once), amplified to 5e-6 by step 20 at XLA's default optimisation level, 1e-2 at the
        # suite's level 0 (`parallel_check.FAST_COMPILE`), and with Adam 1.5e-4 / 4.6e-4.
        config.ss_infogan.q_batch_norm = False
    if name == "progressive":  # stages of 20 steps (steps_per_call 10 divides them), each fading in over 10
        config.progressive.steps_per_stage = 20
    if name == "stackgan":  # Stage I for 20 steps; stage 1's program compared from its first step
        config.stackgan.stage_one_steps = 20
    if name in SGD:
        for group in config.optimizer:
            config.optimizer[group] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
    return config


def main(names) -> None:
    devices = jax.devices()
    for name in names:
        config = config_for(name)
        starts = registry.stage_starts(config)
        # A run in stages: one row per stage (`<name>_stage<k>`), its program from its first step.
        for stage in range(len(starts)) if starts is not None else (None,):
            reference = parallel_check.run_jit(config, stage=stage or 0)
            label = name if stage is None else f"{name}_stage{stage}"
            row = {"config": label, "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference))}
            if name == "began":
                row["k_t"] = float(np.asarray(reference["term_state"]["began"]["k_t"]))
            for count in DEVICE_COUNTS.get(name, (8,)):
                other = parallel_check.run(config, devices[:count], stage=stage or 0)
                row[str(count)] = parallel_check.max_difference(reference, other)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
