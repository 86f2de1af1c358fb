"""pix2pix and CycleGAN on 1, 2 and 8 CPU devices: one subprocess for both programs.

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.programs.translation_invariance

Prints one JSON row per program: the largest difference of the parameters and the term state
(CycleGAN's image pools) after 20 steps on 2 and 8 devices from the same run on one device.
pix2pix's dropout masks follow the examples' global indices and the pools are queried on the
global batch, so both should agree to rounding.
"""

from __future__ import annotations

import json

import jax
import numpy as np

from tests.programs.translation_helpers import tiny_config

NUM_STEPS = 20


def _train(config, devices):
    from jaxgan.train import loop, parallel
    from jaxgan.train import runs as runs_lib

    run = loop.setup(config, devices=devices)
    state = parallel.replicate(run.state, run.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = run.call(state, *run.feeder.inputs(first))
    single = runs_lib.unstack(state, 0)
    return jax.device_get({"params": single.params, "term_state": single.term_state})


def main() -> None:
    devices = jax.devices()
    for program in ("pix2pix", "cyclegan"):
        config = tiny_config(program, num_steps=NUM_STEPS, steps_per_call=10)
        config.log_every = config.checkpoint_every = config.sample_every = 0
        reference = _train(config, devices[:1])
        row = {"config": program, "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference["params"]))}
        for count in (2, 8):
            other = _train(config, devices[:count])
            row[str(count)] = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(jax.tree.leaves(reference), jax.tree.leaves(other), strict=True)
            )
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
