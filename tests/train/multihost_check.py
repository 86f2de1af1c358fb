"""One worker of the two-process test, or the one-process reference.

    python -m tests.train.multihost_check worker PORT PROCESS_ID OUT   (2 processes x 2 CPU devices, gloo)
    python -m tests.train.multihost_check single OUT                   (1 process x 4 CPU devices)

Each trains the ring config for 20 steps through the loop's own pieces (each process feeds
only its shard of every batch) and process 0 writes the final parameters to OUT (.npz).
"""

from __future__ import annotations

import os
import sys

from tests import xla_flags  # imports no JAX: XLA_FLAGS is set below, before JAX's import

# Every process compiles fast (`tests/xla_flags.py`); their cost is compiling, not running.
FAST_COMPILE = xla_flags.fast_compile()


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "worker":
        port, process_id, out = argv[1], int(argv[2]), argv[3]
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count=2 {FAST_COMPILE}"
        import jax

        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    else:
        out = argv[1]
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count=4 {FAST_COMPILE}"
    import jax
    import numpy as np

    from jaxgan.train import loop, run_axis
    from tests.train.parallel_check import config_for

    config = config_for("wgan_gp")
    # Two processes read their own shards on the host; one process gathers on the device.
    config.data.on_device = mode != "worker"
    run = loop.setup(config)
    assert run.mesh.size == 4, run.mesh
    state = run_axis.place(run.state, run.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = run.call(state, *run.feeder.inputs(first))
    leaves = [np.asarray(jax.device_get(x.addressable_data(0))) for x in jax.tree.leaves(state.params)]
    if jax.process_index() == 0:
        np.savez(out, *leaves)
    if mode == "worker":
        jax.distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
