"""What the checkpoints' checksums cost: orbax's save of the seed DCGAN's state with and without them.

    python experiments/checksum_cost.py [--config=configs/dcgan_mnist.py] [--rounds=7]

Saves the initial `TrainState` of the config (every leaf, as the loop saves it) through an
orbax `CheckpointManager` into a temporary folder, `rounds` times each way, alternating
"plain" and "checksum" blocks so that a change of the machine's load falls on both; prints the
median save+wait time of each block and the time of `checkpoint.checksums` alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import orbax.checkpoint as ocp  # noqa: E402
from flax import serialization  # noqa: E402

from jaxgan.train import checkpoint, run_axis, sweeps  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/dcgan_mnist.py")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("config", args.config)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    runs = sweeps.runs_of(config)
    experiment = sweeps.build_experiment(config, runs=runs)
    state = jax.block_until_ready(jax.jit(lambda: run_axis.initial_state(experiment, runs))())
    state_dict = serialization.to_state_dict(state)
    leaves = jax.tree.leaves(state_dict)
    print(f"{args.config}: {sum(x.nbytes for x in leaves) / 1e6:.1f} MB of state in {len(leaves)} arrays")
    root = tempfile.mkdtemp()
    try:
        for block, with_sums in enumerate((False, True, False, True)):
            manager = ocp.CheckpointManager(
                os.path.join(root, str(block)),
                options=ocp.CheckpointManagerOptions(max_to_keep=2, create=True),
                item_handlers=ocp.StandardCheckpointHandler(),
            )
            times = []
            for step in range(args.rounds):
                start = time.perf_counter()
                metadata = {"checksums": checkpoint.checksums(state_dict)} if with_sums else None
                manager.save(step, args=ocp.args.StandardSave(state_dict), custom_metadata=metadata)
                manager.wait_until_finished()
                times.append(time.perf_counter() - start)
            manager.close()
            label = "checksum" if with_sums else "plain"
            print(
                f"{label:8s} save+wait: median {np.median(times) * 1e3:.0f} ms ({min(times) * 1e3:.0f}-{max(times) * 1e3:.0f})"
            )
        times = []
        for _ in range(11):
            start = time.perf_counter()
            checkpoint.checksums(state_dict)
            times.append(time.perf_counter() - start)
        print(f"checksums alone: median {np.median(times) * 1e3:.1f} ms")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
