"""Batch norm in G and D on 1, 2 and 8 devices, in float32 and in float64 (issue 30).

    PYTHONPATH=. python experiments/bn_invariance.py
    PYTHONPATH=. python experiments/bn_invariance.py --cases=relativistic --steps=40 --devices=1,8
    # a variant: any config field, e.g. D without batch norm, or D's LeakyReLU instead of maxout
    PYTHONPATH=. python experiments/bn_invariance.py --set=model.discriminator.use_batch_norm=False

The ring's small MLPs (G 2x32 with batch norm, D 2x16 maxout-5 with batch norm, statistics over
the global batch), SGD(1e-2), trained through `jaxgan.train.loop.setup` on 1, 2 and 8 CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=8`, set for the worker processes this script
starts: one per dtype, since float64 needs JAX's 64-bit mode from the start). The cases are
`tests/train/parallel_check.BATCH_NORM_CASES`: least squares with 1 step per call, and the
relativistic average loss (its G loss reads D(x) too) with 10 steps per call, seed 1.

Prints, per case and dtype, max |Δ param| / max |param| against the 1-device run after every
call (every step with 1 step per call), for each device count; how far the parameters moved
from their initial values (max |Δ| / max |param|); float32 against float64 on one device; and the
variances of D's first layer before its batch norm, on real and on generated batches, next to
its `epsilon`. float64 computes and keeps the parameters in
float64 (`parallel_check.use_float64`), so a difference there that is far above 1e-15 would be in
the step's math, not in float32 rounding.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def relative_difference(a, b, scale: float) -> float:
    import jax

    pairs = zip(jax.tree.leaves(a), jax.tree.leaves(b))
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in pairs) / scale


def trajectory(config, devices) -> tuple[list, list]:
    """The parameters and the network variables (batch statistics) before the first call and
    after every call of `config` on `devices` (through `loop.setup`)."""
    import jax

    from jaxgan.train import loop, run_axis
    from tests.train import parallel_check

    r = loop.setup(config, devices=devices)
    state = run_axis.place(parallel_check.as_float64(config, r.state), r.mesh)
    params, variables = [], []
    for first in range(0, config.num_steps + 1, config.steps_per_call):
        if first:
            state, _ = r.call(state, *r.feeder.inputs(first - config.steps_per_call))
        single = jax.device_get(run_axis.unstack(state, 0))
        params.append(single.params)
        variables.append(single.variables)
    return params, variables


def first_layer_variances(config, params, variables) -> dict[str, list[float]]:
    """D's first layer before its batch norm (x @ kernel; no bias with batch norm): the variance
    of each unit over a batch, on real and on generated examples; the smallest and the median
    over the units, at each snapshot. Real batches are the dataset's first examples, generated
    ones G(z) in training mode for fixed z."""
    import jax

    from jaxgan.train import build as build_lib

    experiment = build_lib.build(config)
    generator = experiment.program.networks["generator"]
    real = np.asarray(experiment.dataset.arrays()["x"][: config.batch_size], np.float64)
    z = jax.random.normal(jax.random.PRNGKey(0), (config.batch_size, config.latent_dim))
    rows = {"real": [], "generated": []}
    for p, v in zip(params, variables):
        kernel = np.asarray(p["discriminator"]["hidden_0"]["kernel"], np.float64)
        g_vars = {"params": p["generator"], **v.get("generator", {})}
        fake, _ = generator.apply(g_vars, z.astype(kernel.dtype), train=True, mutable=["batch_stats"])
        for name, x in (("real", real), ("generated", np.asarray(fake, np.float64))):
            var = (x.reshape(len(x), -1) @ kernel).var(axis=0)
            rows[name].append((float(var.min()), float(np.median(var))))
    return rows


def _override(config, override: str) -> None:
    """`path=value` (e.g. `model.discriminator.batch_norm_epsilon=1e-3`) set in `config`."""
    path, _, value = override.partition("=")
    *parents, last = path.split(".")
    target = config
    for part in parents:
        target = target.get(part) if hasattr(target, "get") else None
    if not _ or target is None or not hasattr(target, "get") or last not in target:
        raise SystemExit(
            f"--set={override!r} must be path=value with a path of the config, e.g. model.discriminator.batch_norm_epsilon=1e-3."
        )
    target[last] = _value(value)


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def worker(cases: list[str], dtype: str, steps: int, device_counts: list[int], overrides: list[str], dump: str) -> None:
    import jax

    from tests.train import parallel_check

    for case in cases:
        name = f"bn_mlp_{case}" + ("_float64" if dtype == "float64" else "")
        config = parallel_check.config_for(name)
        config.num_steps = steps
        for override in overrides:
            _override(config, override)
        runs, variables = {}, None
        for n in device_counts:
            runs[n], snapshot_variables = trajectory(config, jax.devices()[:n])
            variables = variables or snapshot_variables
        reference = runs[device_counts[0]]
        scale = max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference[-1]))
        moved = relative_difference(reference[-1], reference[0], scale)
        if dump:  # the reference's final parameters, to compare the dtypes
            leaves = [np.asarray(x, np.float64) for x in jax.tree.leaves(reference[-1])]
            np.savez(os.path.join(dump, f"{case}_{dtype}.npz"), *leaves)
        row = {"case": case, "dtype": dtype, "scale": scale, "moved": moved, "steps_per_call": config.steps_per_call}
        if config.model.discriminator.use_batch_norm:
            row["variances"] = first_layer_variances(config, reference, variables)
            row["epsilon"] = config.model.discriminator.batch_norm_epsilon
        for n in device_counts[1:]:
            row[str(n)] = [relative_difference(a, b, scale) for a, b in zip(reference[1:], runs[n][1:])]
        print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="least_squares,relativistic")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--devices", default="1,2,8", help="device counts; the first is the reference")
    parser.add_argument("--set", action="append", default=[], help="a config override, path=value (repeatable)")
    parser.add_argument("--worker", default="", help="(internal) the dtype this process runs")
    parser.add_argument("--dump", default="", help="(internal) where the worker saves its reference parameters")
    args = parser.parse_args()
    from tests.train.parallel_check import BATCH_NORM_CASES

    cases, counts, dtypes = args.cases.split(","), [int(n) for n in args.devices.split(",")], args.dtypes.split(",")
    if not set(cases) <= set(BATCH_NORM_CASES):
        parser.error(f"--cases must be a comma-separated list of {sorted(BATCH_NORM_CASES)}; got {args.cases!r}.")
    if not set(dtypes) <= {"float32", "float64"}:
        parser.error(f"--dtypes must be float32, float64 or both; got {args.dtypes!r}.")
    if len(counts) < 2 or min(counts) < 1 or max(counts) > 8:
        parser.error(
            f"--devices must be two or more device counts from 1 to 8, the first the reference; got {args.devices!r}."
        )
    if args.worker:
        worker(cases, args.worker, args.steps, counts, args.set, args.dump)
        return
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={max(counts)}", "PYTHONPATH": ROOT}
    rows = []
    with tempfile.TemporaryDirectory() as dump:
        for dtype in dtypes:
            command = [sys.executable, os.path.abspath(__file__), f"--worker={dtype}", f"--dump={dump}", *sys.argv[1:]]
            out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            rows += [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        precision = {}  # case -> the float32 reference against the float64 one
        if {"float32", "float64"} <= set(dtypes):
            for case in cases:
                a, b = (np.load(os.path.join(dump, f"{case}_{d}.npz")) for d in ("float32", "float64"))
                scale = max(float(np.max(np.abs(b[k]))) for k in b.files)
                precision[case] = max(float(np.max(np.abs(a[k] - b[k]))) for k in b.files) / scale
    others = [str(n) for n in counts[1:]]
    print(f"max |Δ param| / max |param| after {args.steps} steps, against {counts[0]} device(s)\n")
    print("| case | dtype | " + " | ".join(f"{n} devices" for n in others) + " | growth a step | params moved |")
    print("|---|---|" + "---|" * len(others) + "---|---|")
    for row in rows:
        cells = " | ".join(f"{row[n][-1]:.2e}" for n in others)
        # the geometric mean growth of the difference from the first call's end to the last's
        first, last, k = row[others[-1]][0], row[others[-1]][-1], row["steps_per_call"]
        growth = (last / first) ** (1 / (args.steps - k)) if first > 0 and args.steps > k else float("nan")
        print(f"| {row['case']} (K={k}) | {row['dtype']} | {cells} | {growth:.2f}x | {row['moved']:.1%} |")
    if precision:
        print(f"\nfloat32 against float64, both on {counts[0]} device(s), after {args.steps} steps:")
        for case, difference in precision.items():
            print(f"  {case}: {difference:.2e}")
    print(f"\nD's first layer before its batch norm in the run on {counts[0]} device(s): each unit's variance over")
    print("a batch, smallest / median over the units, at the start and after each call:")
    for row in rows:
        for name, values in row.get("variances", {}).items():
            cells = " ".join(f"{low:.0e}/{median:.0e}" for low, median in values)
            print(f"{row['case']:>14} {row['dtype']} {name:>9} (epsilon {row['epsilon']:g}): {cells}")
    print(f"\nafter each call of K steps, {others[-1]} devices against {counts[0]}:")
    for row in rows:
        print(f"{row['case']:>14} {row['dtype']}: " + " ".join(f"{d:.1e}" for d in row[others[-1]]))


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
