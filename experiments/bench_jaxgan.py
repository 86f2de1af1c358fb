"""The benchmark's jaxgan side: one launch = one fresh process that builds, compiles and times a workload.

    python experiments/bench_jaxgan.py '{"workload": "pacgan_mlp", "steps_per_call": 100, ...}'

`experiments/benchmark.py` launches this file once per round and side (A B A B ...), so that
no other side's threads are alive while jaxgan is timed. The spec (a JSON object):

- `workload`: a name of `WORKLOADS`; `steps_per_call` (K), `calls` per timing, `repeats`;
- `num_seeds`: runs vmapped in one program (`config.num_seeds`; the `many_seeds` workload);
- `overrides`: `{"model.generator.fused_upsampling": true, ...}`, config fields set on the
  workload's config (for A/B comparisons of a setting; the benchmark itself sets none);
- `cache_dir`: the persistent compilation cache (empty on the first launch: a cold compile);
- `profile`: also trace one more call with `jax.profiler` and add the thread time of every
  XLA operation, summed per operation class (`op_classes`);
- `barrier`: a path; after compiling and warming up, the worker writes `<barrier>.ready.<pid>`
  and waits until `<barrier>.go` exists, so that concurrent launches (separate runs side by
  side) time the same interval.

It prints one JSON line: compile seconds (trace + lower, XLA), XLA's FLOPs of the call and its
buffer bytes, the seconds per step of every repeat, and the profile.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import json
import os
import re
import sys
import tempfile
import time
from typing import Any

import numpy as np

WORKLOADS = ("dcgan_mnist", "dcgan_mnist_unfused", "pacgan_mlp", "sngan_cifar10", "many_seeds")
RANDOM_EXAMPLES = 2048  # random stand-in data for sngan_cifar10 when cifar10 is not on disk


def workload_config(name: str, steps_per_call: int, num_seeds: int = 1):
    """The config a workload trains, with K steps per call and `num_seeds` runs in one program."""
    import ml_collections

    from jaxgan import config as config_lib

    if name in ("dcgan_mnist", "dcgan_mnist_unfused"):
        config = config_lib.dcgan_mnist_config()
        config.model.generator.fused_upsampling = name == "dcgan_mnist"
    elif name in ("pacgan_mlp", "many_seeds"):
        config = config_lib.pacgan_mixture_config("ring")
    elif name == "sngan_cifar10":
        # Miyato et al. 2018's CIFAR-10 ResNet: hinge loss, Adam(2e-4, 0, 0.9), batch 64, z in
        # R^128; one D update per G update here, as in the other workloads.
        config = config_lib.default_config()
        config.data.name = "cifar10"
        config.latent_dim = 128
        config.model.generator = ml_collections.ConfigDict({"name": "sngan_resnet"})
        config.model.discriminator = ml_collections.ConfigDict({"name": "sngan_resnet"})
        config.loss.name = "hinge"
        adam = {"name": "adam", "learning_rate": 2e-4, "b1": 0.0, "b2": 0.9}
        config.optimizer.generator = ml_collections.ConfigDict(adam)
        config.optimizer.discriminator = ml_collections.ConfigDict(adam)
        config.batch_size = 64
        config.evaluators = ""
    else:
        raise ValueError(f"unknown workload {name!r}; use one of {WORKLOADS}.")
    config.num_seeds = num_seeds
    config.steps_per_call = steps_per_call
    config.num_steps = steps_per_call * 1000
    for every in ("log_every", "checkpoint_every", "sample_every", "eval_every"):
        config[every] = 0
    return config


def data_description(name: str) -> str:
    return {
        "dcgan_mnist": "bundled MNIST 5k",
        "dcgan_mnist_unfused": "bundled MNIST 5k",
        "pacgan_mlp": "ring mixture",
        "many_seeds": "ring mixture",
    }.get(name, "cifar10")


@contextlib.contextmanager
def _data_for(name: str):
    """Yields a description of the data; for sngan_cifar10 without cifar10 on disk, random images."""
    from unittest import mock

    from jaxgan import data as data_lib
    from jaxgan.train import build as build_lib

    if name != "sngan_cifar10":
        yield data_description(name)
        return
    try:
        data_lib.load("cifar10")
        yield "cifar10"
        return
    except (ValueError, ImportError, OSError):
        pass
    images = np.random.default_rng(0).uniform(-1, 1, (RANDOM_EXAMPLES, 32, 32, 3)).astype(np.float32)
    stand_in = data_lib.ArrayDataset("random_cifar10_shape", images)
    with mock.patch.object(build_lib.data_lib, "load", lambda *args, **kwargs: stand_in):
        yield f"random 32x32x3 ({RANDOM_EXAMPLES}; no cifar10 offline)"


def enable_cache(cache_dir: str) -> None:
    import jax

    jax.config.update("jax_compilation_cache_dir", cache_dir)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def build_run(name: str, steps_per_call: int, num_seeds: int = 1, overrides: dict | None = None):
    """`loop.setup` as `jaxgan train` makes it, on one accelerator (on a CPU, the CPU devices
    the CLI makes for many runs: `parallel.cpu_devices_for_runs`), the state on it, the data's
    description."""
    import jax

    from jaxgan.train import loop, run_axis

    config = workload_config(name, steps_per_call, num_seeds)
    for key, value in (overrides or {}).items():
        *path, leaf = key.split(".")
        node = config
        for part in path:
            node = node[part]
        node[leaf] = value
    with _data_for(name) as data:
        run = loop.setup(config, devices=jax.devices() if jax.default_backend() == "cpu" else jax.devices()[:1])
    state = run_axis.place(run.state, run.mesh)
    return run, state, data


def compile_call(run, state) -> tuple[Any, float, float]:
    """The compiled call, seconds to trace + lower, seconds for XLA to compile (or load)."""
    start = time.perf_counter()
    lowered = run.call.lower(state, *run.feeder.inputs(0))
    lowered_at = time.perf_counter()
    compiled = lowered.compile()
    return compiled, lowered_at - start, time.perf_counter() - lowered_at


class JaxTimer:
    """Times calls of the compiled K-step program the way the loop makes them."""

    def __init__(self, run, state, compiled):
        self.run, self.state, self.compiled = run, state, compiled
        self.next_step = 0

    def seconds_per_step(self, num_calls: int) -> float:
        import jax

        per_call = self.run.config.steps_per_call
        start = time.perf_counter()
        for _ in range(num_calls):
            self.state, metrics = self.compiled(self.state, *self.run.feeder.inputs(self.next_step))
            self.next_step += per_call
        jax.block_until_ready((self.state, metrics))
        return (time.perf_counter() - start) / (num_calls * per_call)


def buffer_bytes(compiled) -> int | None:
    memory = compiled.memory_analysis()
    if memory is None:
        return None
    return int(
        memory.argument_size_in_bytes
        + memory.output_size_in_bytes
        + memory.temp_size_in_bytes
        - memory.alias_size_in_bytes
    )


def flops_of(compiled) -> float | None:
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost.get("flops", 0.0)) if cost else None


def peak_memory() -> int | None:
    import jax

    stats = jax.devices()[0].memory_stats()
    return stats.get("peak_bytes_in_use") if stats else None


# ---------------------------------------------------------------------------------------------
# Profile: XLA's operations of one call, their thread time summed per class.

_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=\s*[^=]*?\s([a-z][\w\-]*)\(")
_COMPUTATION = re.compile(r"^\s*(?:ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$")
_CALLS = re.compile(r"calls=%?([\w.\-]+)")
_KIND = re.compile(r"kind=k(\w+)")

# What an operation is, by its opcode (a fusion by the most telling opcode it contains).
_CLASSES = (
    ("convolution", ("convolution",)),
    ("matmul (dot)", ("dot",)),
    ("random bits", ("rng-bit-generator", "rng")),
    ("reduction", ("reduce", "reduce-window", "select-and-scatter")),
    ("gather / scatter / dynamic slice", ("gather", "scatter", "dynamic-slice", "dynamic-update-slice")),
    ("copy / transpose", ("copy", "transpose")),
    ("collectives", ("all-reduce", "all-gather", "reduce-scatter", "collective-permute", "all-to-all")),
    ("control flow", ("while", "conditional", "call")),
)


def classify_hlo(hlo_text: str) -> dict[str, str]:
    """Map every instruction name of an HLO module to its operation class.

    A fusion takes the class of the first telling opcode among the ones its fused computation
    contains (convolution before dot before reductions ...); one of elementwise ops only is
    'elementwise (fused)'; an unfused elementwise op is 'elementwise'. Pure: tested.
    """
    opcodes: dict[str, set[str]] = collections.defaultdict(set)  # computation -> opcodes
    instructions: dict[str, tuple[str, str, str | None]] = {}  # name -> (computation, opcode, called)
    computation = None
    for line in hlo_text.splitlines():
        header = _COMPUTATION.match(line)
        if header and "=" not in line.split("{")[0]:
            computation = header.group(1)
            continue
        match = _INSTRUCTION.match(line)
        if not match or computation is None:
            continue
        name, opcode = match.groups()
        called = _CALLS.search(line)
        opcodes[computation].add(opcode)
        instructions[name] = (computation, opcode, called.group(1) if called else None)

    def class_of(opcode_set: set[str]) -> str | None:
        for label, members in _CLASSES:
            if opcode_set & set(members):
                return label
        return None

    classes = {}
    for name, (_, opcode, called) in instructions.items():
        if opcode == "fusion" and called:
            classes[name] = class_of(opcodes.get(called, set()) - {"parameter"}) or "elementwise (fused)"
        elif opcode in ("parameter", "constant", "tuple", "get-tuple-element", "bitcast"):
            classes[name] = "bookkeeping"
        else:
            classes[name] = class_of({opcode}) or ("custom call" if opcode == "custom-call" else "elementwise")
    return classes


def op_class_seconds(events: dict[str, float], classes: dict[str, str]) -> dict[str, float]:
    """Seconds per class from seconds per event name; names not in the module are 'runtime'."""
    totals: dict[str, float] = collections.defaultdict(float)
    for name, seconds in events.items():
        totals[classes.get(name, classes.get(name.split(":")[0], "runtime"))] += seconds
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def trace_events(fn) -> dict[str, float]:
    """Run `fn` under `jax.profiler.trace`; thread seconds per event name on XLA's threads."""
    import jax
    from jax.profiler import ProfileData

    with tempfile.TemporaryDirectory(prefix="jaxgan_trace_") as directory:
        with jax.profiler.trace(directory):
            fn()
        (path,) = glob.glob(os.path.join(directory, "**", "*.xplane.pb"), recursive=True)
        data = ProfileData.from_file(path)
    events: dict[str, float] = collections.defaultdict(float)
    for plane in data.planes:
        for line in plane.lines:
            if line.name == "python" or "XLA" not in line.name and "Xla" not in line.name:
                continue  # the Python thread's own events (dispatch), not XLA's operations
            for event in line.events:
                if not event.name.startswith("end: ") and "ThunkExecutor" not in event.name:
                    events[event.name] += event.duration_ns * 1e-9
    return dict(events)


def profile(timer: JaxTimer, compiled) -> dict:
    steps = timer.run.config.steps_per_call
    wall = {}

    def one_call():
        wall["seconds"] = timer.seconds_per_step(1) * steps

    events = trace_events(one_call)
    classes = classify_hlo(compiled.as_text())
    per_class = {label: seconds / steps for label, seconds in op_class_seconds(events, classes).items()}
    top = sorted(events.items(), key=lambda item: -item[1])[:12]
    return {
        "wall_seconds_per_step": wall["seconds"] / steps,
        "thread_seconds_per_step": sum(per_class.values()),
        "op_classes": per_class,
        "top_ops": [{"name": n, "class": classes.get(n, "runtime"), "seconds_per_step": s / steps} for n, s in top],
    }


# ---------------------------------------------------------------------------------------------


def _wait_for_go(barrier: str) -> None:
    with open(f"{barrier}.ready.{os.getpid()}", "w") as f:
        f.write("ready")
    while not os.path.exists(f"{barrier}.go"):
        time.sleep(0.01)


def main(spec: dict) -> dict:
    import jax

    from jaxgan.train import parallel

    parallel.cpu_devices_for_runs(spec.get("num_seeds", 1))  # before JAX starts, as `jaxgan train` does
    enable_cache(spec["cache_dir"])
    run, state, data = build_run(
        spec["workload"], spec["steps_per_call"], spec.get("num_seeds", 1), spec.get("overrides")
    )
    compiled, lower_s, compile_s = compile_call(run, state)
    timer = JaxTimer(run, state, compiled)
    timer.seconds_per_step(1)  # warm-up: the first call's buffers and threads
    if spec.get("barrier"):
        _wait_for_go(spec["barrier"])
    seconds = [timer.seconds_per_step(spec["calls"]) for _ in range(spec["repeats"])]
    result = {
        "data": data,
        "batch_size": run.config.batch_size,
        "num_seeds": run.config.num_seeds,
        "lower": lower_s,
        "compile": compile_s,
        "flops": flops_of(compiled),
        "xla_buffer_bytes": buffer_bytes(compiled),
        "peak_memory_bytes": peak_memory(),
        "seconds_per_step": seconds,
        "device": str(jax.devices()[0]),
        "devices": run.mesh.size,
        "backend": jax.default_backend(),
    }
    if spec.get("profile"):
        result["profile"] = profile(timer, compiled)
    return result


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    print(json.dumps(main(json.loads(sys.argv[1]))))
