"""pix2pix and CycleGAN on 1 and 8 CPU devices: one subprocess for both programs.

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.programs.translation_invariance

Prints one JSON row per program: the largest difference of the parameters and the term state
(CycleGAN's image pools) after `NUM_STEPS` steps on 8 devices from the same run on one
device (2 and 4 devices run the same shard_map code path over a smaller axis, shown invariant
on the ring: `tests/train/test_parallel_ring.py`). pix2pix's dropout masks follow the examples' global indices and the pools are queried on
the global batch, so both should agree to rounding.

The networks run without normalisation, on 12x12 digits (one compile per device count is most
of the cost). Instance norm is per example, so it has nothing to gather over devices, but on
these width-2 networks its 1/σ over near-constant feature maps amplifies float32 rounding
chaotically: CycleGAN's ResNets with instance norm differ by 6e-7 from one device after one
step (3e-8 with float64 arithmetic), 8e-5 after two, 0.7 after 20; without it, by 1e-8 after
two. The check is about the step's math (keys, pools, gathers, means over the global batch).
"""

from __future__ import annotations

import json

import jax
import numpy as np

from tests.programs.translation_helpers import tiny_config

NUM_STEPS = 4


def config_for(program: str):
    config = tiny_config(program, num_steps=NUM_STEPS, steps_per_call=2, **{"data.image_size": 12})
    config.model.generator.norm = config.model.discriminator.norm = "none"
    config.log_every = config.checkpoint_every = config.sample_every = 0
    return config


def _train(config, devices):
    from jaxgan.train import loop, run_axis

    run = loop.setup(config, devices=devices)
    state = run_axis.place(run.state, run.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = run.call(state, *run.feeder.inputs(first))
    single = run_axis.unstack(state, 0)
    return jax.device_get({"params": single.params, "term_state": single.term_state})


def main() -> None:
    devices = jax.devices()
    for program in ("pix2pix", "cyclegan"):
        config = config_for(program)
        reference = _train(config, devices[:1])
        row = {"config": program, "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference["params"]))}
        for count in (8,):
            other = _train(config, devices[:count])
            row[str(count)] = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(jax.tree.leaves(reference), jax.tree.leaves(other), strict=True)
                if np.size(a)
            )
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
