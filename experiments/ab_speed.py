"""The jaxgan step of two checkouts, side by side: A B A B ..., each launch in its own process.

    python experiments/ab_speed.py --a=/path/to/old/checkout --b=. [--workloads=dcgan_mnist,pacgan_mlp]

For a refactor that must keep speed: each launch imports jaxgan from its own checkout, builds
the workload of `experiments/benchmark.py` (the call `loop.setup` makes, K steps per call,
data on the device), compiles it cold (no persistent cache) and times it; launches of A and B
alternate so that a change of the machine's load falls on both. Prints a markdown table:
compile seconds (trace+lower / XLA) and steps/s, median (min-max) over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

PROBE = r"""
import json, sys, time
import jax
from experiments import benchmark as b
try:
    from experiments import bench_jaxgan as j
except ImportError:  # a checkout from before the benchmark's jaxgan side had a file of its own
    j = b
name = sys.argv[1]
plan = b.FULL[name]
run, state, _ = j.build_run(name, plan.steps_per_call)
compiled, lower_s, xla_s = j.compile_call(run, state)
timer = j.JaxTimer(run, state, compiled)
timer.seconds_per_step(1)  # warm-up
seconds = [timer.seconds_per_step(plan.calls_per_repeat) for _ in range(plan.repeats)]
print(json.dumps({"lower_s": lower_s, "xla_s": xla_s, "steps_per_s": 1.0 / min(seconds),
                  "median_steps_per_s": 1.0 / sorted(seconds)[len(seconds) // 2]}))
"""


def launch(checkout: str, workload: str) -> dict:
    checkout = os.path.abspath(checkout)
    env = {**os.environ, "PYTHONPATH": checkout, "JAX_ENABLE_COMPILATION_CACHE": "false"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, workload], cwd=checkout, env=env, capture_output=True, text=True, timeout=1200
    )
    if out.returncode:
        raise SystemExit(f"{checkout} {workload}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3g} ({min(values):.3g}-{max(values):.3g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="the checkout before the change")
    parser.add_argument("--b", default=".", help="the checkout after the change")
    parser.add_argument("--workloads", default="dcgan_mnist,pacgan_mlp")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [
        "| workload | checkout | compile s (trace+lower / XLA) | steps/s, best of a launch: median (min-max) |",
        "|---|---|---|---|",
    ]
    for workload in args.workloads.split(","):
        results = {"a": [], "b": []}
        for _ in range(args.rounds):
            for side in ("a", "b"):
                results[side].append(launch(getattr(args, side), workload))
                print(workload, side, results[side][-1], file=sys.stderr, flush=True)
        for side in ("a", "b"):
            got = results[side]
            compile_s = _summary([r["lower_s"] + r["xla_s"] for r in got])
            parts = (
                f"{statistics.median(r['lower_s'] for r in got):.2f} / {statistics.median(r['xla_s'] for r in got):.2f}"
            )
            rows.append(
                f"| {workload} | {side}: {getattr(args, side)} | {compile_s} ({parts}) | "
                f"{_summary([r['steps_per_s'] for r in got])} |"
            )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
