"""Run in a subprocess with 8 CPU devices: the regularisers on 1, 2 and 8 devices.

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.programs.regularise_check gan conditional

Prints one JSON row per config: the largest difference of the parameters and term states (LeCam's
anchors) after 20 steps on 2 and 8 devices (shard_map over a mesh) against the per-device step
with no axis name under plain `jax.jit` on one device (`tests.train.parallel_check`). Every
regulariser is on: LeCam, top-k (k annealed from 16 to 8 within the 20 steps), orthogonality on G
and D, lazy R1 (every 3 steps) and the EMA ramp-up.
"""

from __future__ import annotations

import json
import sys

import jax
import numpy as np

from tests.train import parallel_check
from tests.train.helpers import conditional_ring_config, tiny_ring_config

NUM_STEPS = 20
REGULARISED = {
    "lecam.weight": 0.3,
    "top_k.fraction": 0.5,
    "top_k.decay": 0.8,
    "top_k.decay_every": 3,
    "orthogonal.weight": 1e-3,
    "orthogonal.networks": "generator,discriminator",
    "penalties.r1": 1.0,
    "penalty_interval": 3,
    "ema_decay": 0.99,
    "ema_rampup": 0.05,
}


def config_for(name: str):
    make = {"gan": tiny_ring_config, "conditional": conditional_ring_config}[name]
    config = make(num_steps=NUM_STEPS, steps_per_call=10, **REGULARISED)
    config.log_every = config.checkpoint_every = config.sample_every = 0
    return config


def main(names) -> None:
    devices = jax.devices()
    for name in names:
        config = config_for(name)
        reference = parallel_check.run_jit(config)
        lecam = reference["term_state"]["lecam"]
        row = {
            "config": name,
            "scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference["params"])),
            "lecam_updates": float(np.asarray(lecam["updates"])),
        }
        for count in (2, 8):
            row[str(count)] = parallel_check.max_difference(reference, parallel_check.run(config, devices[:count]))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
