"""Speed of jaxgan's training step against PyTorch on this machine: `python experiments/benchmark.py`.

For each workload (`dcgan_mnist`, `pacgan_mlp`, `sngan_cifar10`) it measures

- compile time of the jitted K-step call the loop runs (trace + lower, and XLA compile), in a
  fresh process with an empty persistent compilation cache, then again in a second fresh
  process with the same `jax_compilation_cache_dir` (the relaunch);
- full GAN steps per second (one D and one G update) of the real call built by
  `jaxgan.train.loop.setup`: K steps per host call, the dataset on the device, indices fed
  per call as the loop does; median and spread over repeated timings;
- FLOPs per step from XLA's cost analysis of the compiled call, the achieved FLOP/s and its
  fraction of a float32 matmul roof timed in the same run;
- peak device memory where the backend reports it (`device.memory_stats()`), and XLA's own
  estimate of the program's buffers (`compiled.memory_analysis()`);
- with PyTorch installed (`pip install -e .[benchmark]`): the same networks, loss, Adam and
  batch in PyTorch eager and `torch.compile` (`experiments/torch_reference.py`), timed in
  the same run, interleaved with jaxgan's timings so that a change of load hits both.

Writes `results/benchmark.md` and `results/benchmark.json`. `--quick` takes under 3 minutes.
`--profile` adds the time of each convolution of dcgan_mnist (forward, input gradient,
kernel gradient) in XLA and in PyTorch.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

# PyTorch's OpenMP threads spin-wait by default; on a shared machine whose cores other
# processes also load, that made PyTorch's 2-thread steps up to 10x slower than with passive
# waiting (pacgan_mlp: 1.6 vs 18 steps/s at a load of 4). Passive waiting is the kinder
# setting for PyTorch here, so it is the default (set before torch is imported; an explicit
# OMP_WAIT_POLICY wins). jaxgan does not use OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = ("dcgan_mnist", "pacgan_mlp", "sngan_cifar10")
# An ablation beside the issue's workloads: the seed DCGAN with G's upsampling and convolutions
# computed as written (`fused_upsampling=False`), timed against the same PyTorch step.
ABLATIONS = {"dcgan_mnist_unfused": "dcgan_mnist"}
ALL_WORKLOADS = WORKLOADS + tuple(ABLATIONS)
MATMUL_SIZE = 2048
RANDOM_EXAMPLES = 2048  # random stand-in data for sngan_cifar10 when cifar10 is not on disk


@dataclasses.dataclass(frozen=True)
class Plan:
    """How long to measure a workload: K steps per call, timed calls per repeat, repeats."""

    steps_per_call: int
    calls_per_repeat: int
    repeats: int
    torch_compile: bool = True
    warm_up: bool = True  # one untimed call / step first on each side


# K as the configs train: dcgan_mnist 10 steps per call, pacgan_mlp 100; sngan_cifar10's image
# configs take 1 (batches read from disk per call).
FULL = {
    "dcgan_mnist": Plan(steps_per_call=10, calls_per_repeat=1, repeats=5),
    "dcgan_mnist_unfused": Plan(steps_per_call=10, calls_per_repeat=1, repeats=3, torch_compile=False),
    "pacgan_mlp": Plan(steps_per_call=100, calls_per_repeat=3, repeats=5),
    "sngan_cifar10": Plan(steps_per_call=1, calls_per_repeat=1, repeats=3),
}
QUICK = {
    "dcgan_mnist": Plan(steps_per_call=10, calls_per_repeat=1, repeats=2, torch_compile=False),
    "pacgan_mlp": Plan(steps_per_call=100, calls_per_repeat=1, repeats=3, torch_compile=False),
    "sngan_cifar10": Plan(steps_per_call=1, calls_per_repeat=1, repeats=1, torch_compile=False, warm_up=False),
}


# ---------------------------------------------------------------------------------------------
# Pure parts: FLOP accounting, summaries, table (tested in tests/test_benchmark.py).


def matmul_flops(n: int) -> float:
    """FLOPs of an n x n by n x n matmul: n^2 outputs, n multiplies and n adds each."""
    return 2.0 * n**3


def summarize(seconds_per_step: list[float]) -> dict[str, float]:
    """Steps per second from per-step times: median, min and max over the repeats, and spread.

    `spread` is (max - min) / median of the steps/s, a plain measure of how noisy the run was.
    """
    rates = sorted(1.0 / s for s in seconds_per_step)
    median = statistics.median(rates)
    return {
        "median": median,
        "min": rates[0],
        "max": rates[-1],
        "spread": (rates[-1] - rates[0]) / median if median else float("nan"),
        "repeats": len(rates),
    }


def achieved(flops_per_step: float | None, steps_per_second: float, roof_flops_per_second: float) -> dict:
    """Achieved FLOP/s of a step and its fraction of the matmul roof."""
    if not flops_per_step or not steps_per_second:
        return {"flops_per_second": None, "fraction_of_roof": None}
    rate = flops_per_step * steps_per_second
    return {
        "flops_per_second": rate,
        "fraction_of_roof": rate / roof_flops_per_second if roof_flops_per_second else None,
    }


def _fmt(value, spec: str = ".3g", unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:{spec}}{unit}"


def _bytes(value) -> str:
    if value is None:
        return "n/a"
    return f"{value / 2**20:.1f} MiB"


def _rate(summary: dict | None) -> str:
    if not summary:
        return "n/a"
    return f"{summary['median']:.3g} ({summary['min']:.3g}-{summary['max']:.3g})"


def _ratio(jax_summary: dict | None, other: dict | None) -> str:
    if not jax_summary or not other or not other.get("median"):
        return "n/a"
    return f"{jax_summary['median'] / other['median']:.2f}x"


def markdown(report: dict) -> str:
    """The report as a markdown page: the machine, one table of speed, notes."""
    machine = report["machine"]
    lines = [
        "# jaxgan benchmark",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores; {machine['platform']}; "
        f"python {machine['python']}; jax {machine['jax']} (jaxlib {machine['jaxlib']}); "
        f"flax {machine['flax']}; optax {machine['optax']}; torch {machine.get('torch', 'not installed')}.",
        f"Load average (1 min) before / after the run: {machine['load_before']} / {machine['load_after']}. "
        f"Mode: {report['mode']}. XLA_FLAGS: `{machine['xla_flags'] or '(none)'}`; "
        f"OMP_WAIT_POLICY for PyTorch: {machine.get('omp_wait_policy') or '(default)'}.",
        f"Matmul roof ({MATMUL_SIZE}x{MATMUL_SIZE} float32, jax.jit, best of several): "
        f"{_fmt(report['matmul_roof_flops_per_second'] / 1e9, '.1f')} GFLOP/s.",
        "",
        "| workload | data | batch | K | compile s (trace+lower / XLA) | relaunch s, cache (trace+lower / XLA) "
        "| jaxgan steps/s median (min-max) | GFLOP/step | GFLOP/s | % roof | peak mem | XLA buffers "
        "| torch eager steps/s | torch.compile steps/s | jaxgan / eager | jaxgan / compile |",
        "|" + "---|" * 16,
    ]
    for row in report["workloads"]:
        cold, warm = row["compile_cold"], row["compile_warm"]
        torch_eager, torch_compiled = row.get("torch_eager"), row.get("torch_compile")
        lines.append(
            "| "
            + " | ".join(
                [
                    row["name"],
                    row["data"],
                    str(row["batch_size"]),
                    str(row["steps_per_call"]),
                    f"{_fmt(cold['total'], '.2f')} ({_fmt(cold['lower'], '.2f')} / {_fmt(cold['compile'], '.2f')})",
                    f"{_fmt(warm['total'], '.2f')} ({_fmt(warm['lower'], '.2f')} / {_fmt(warm['compile'], '.2f')})",
                    _rate(row["jaxgan"]),
                    _fmt(row["flops_per_step"] / 1e9 if row["flops_per_step"] else None, ".3g"),
                    _fmt(
                        row["achieved"]["flops_per_second"] / 1e9 if row["achieved"]["flops_per_second"] else None,
                        ".3g",
                    ),
                    _fmt(
                        100 * row["achieved"]["fraction_of_roof"] if row["achieved"]["fraction_of_roof"] else None,
                        ".1f",
                    ),
                    _bytes(row["peak_memory_bytes"]),
                    _bytes(row["xla_buffer_bytes"]),
                    _rate(torch_eager) if torch_eager else f"n/a ({row.get('torch_eager_error', 'not run')})",
                    _rate(torch_compiled) if torch_compiled else f"n/a ({row.get('torch_compile_error', 'not run')})",
                    _ratio(row["jaxgan"], torch_eager),
                    _ratio(row["jaxgan"], torch_compiled),
                ]
            )
            + " |"
        )
    lines += ["", "Notes:", ""]
    lines += [f"- {note}" for note in report["notes"]]
    if report.get("profile"):
        lines += [
            "",
            "## Where dcgan_mnist's time goes (per convolution, batch 64, seconds, best of 3)",
            "",
            "| convolution | XLA forward | XLA input-grad | XLA kernel-grad | torch forward | torch input-grad "
            "| torch kernel-grad |",
            "|" + "---|" * 7,
        ]
        for entry in report["profile"]:
            lines.append(
                "| "
                + " | ".join(
                    [entry["name"]]
                    + [
                        _fmt(entry.get(k), ".4f")
                        for k in (
                            "xla_forward",
                            "xla_input_grad",
                            "xla_kernel_grad",
                            "torch_forward",
                            "torch_input_grad",
                            "torch_kernel_grad",
                        )
                    ]
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The jaxgan side.


def workload_config(name: str, steps_per_call: int):
    """The config a workload trains, with K steps per call; `data` says what data it uses."""
    import ml_collections

    from jaxgan import config as config_lib

    if name in ("dcgan_mnist", "dcgan_mnist_unfused"):
        config = config_lib.dcgan_mnist_config()
        config.model.generator.fused_upsampling = name == "dcgan_mnist"
    elif name == "pacgan_mlp":
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
        raise ValueError(f"unknown workload {name!r}; use one of {ALL_WORKLOADS}.")
    config.steps_per_call = steps_per_call
    config.num_steps = steps_per_call * 1000
    for every in ("log_every", "checkpoint_every", "sample_every", "eval_every"):
        config[every] = 0
    return config


@contextlib.contextmanager
def _data_for(name: str):
    """Yields a description of the data; for sngan_cifar10 without cifar10 on disk, random images."""
    from unittest import mock

    from jaxgan import data as data_lib
    from jaxgan.train import build as build_lib

    if name != "sngan_cifar10":
        yield {
            "dcgan_mnist": "bundled MNIST 5k",
            "dcgan_mnist_unfused": "bundled MNIST 5k",
            "pacgan_mlp": "ring mixture",
        }[name]
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


def _enable_cache(cache_dir: str) -> None:
    import jax

    jax.config.update("jax_compilation_cache_dir", cache_dir)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def build_run(name: str, steps_per_call: int):
    """`loop.setup` on one device, the state on it, the inputs of the first call."""
    import jax

    from jaxgan.train import loop, parallel

    config = workload_config(name, steps_per_call)
    with _data_for(name) as data:
        run = loop.setup(config, devices=jax.devices()[:1])
    state = parallel.replicate(run.state, run.mesh)
    return run, state, data


def compile_call(run, state) -> tuple[Any, float, float]:
    """The compiled call, seconds to trace + lower, seconds for XLA to compile (or load)."""
    start = time.perf_counter()
    lowered = run.call.lower(state, *run.feeder.inputs(0))
    lowered_at = time.perf_counter()
    compiled = lowered.compile()
    return compiled, lowered_at - start, time.perf_counter() - lowered_at


def compile_probe(name: str, steps_per_call: int, cache_dir: str) -> dict:
    """Run in a fresh process: compile the workload's call with the persistent cache at `cache_dir`."""
    _enable_cache(cache_dir)
    run, state, _ = build_run(name, steps_per_call)
    compiled, lower_s, compile_s = compile_call(run, state)
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    memory = compiled.memory_analysis()
    buffers = None
    if memory is not None:
        buffers = int(
            memory.argument_size_in_bytes
            + memory.output_size_in_bytes
            + memory.temp_size_in_bytes
            - memory.alias_size_in_bytes
        )
    return {
        "lower": lower_s,
        "compile": compile_s,
        "total": lower_s + compile_s,
        "flops": float(cost.get("flops", 0.0)) if cost else None,
        "xla_buffer_bytes": buffers,
    }


def run_probe(name: str, steps_per_call: int, cache_dir: str) -> dict:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--probe",
        name,
        "--probe-k",
        str(steps_per_call),
        "--cache-dir",
        cache_dir,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"compile probe for {name} failed:\n{done.stderr[-3000:]}")


def matmul_roof(repeats: int = 5) -> float:
    """Best FLOP/s of a jitted float32 matmul on the default device."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.PRNGKey(0), (MATMUL_SIZE, MATMUL_SIZE), jnp.float32)
    f = jax.jit(lambda a: a @ a).lower(a).compile()
    jax.block_until_ready(f(a))
    best = min(_timed(lambda: jax.block_until_ready(f(a))) for _ in range(repeats))
    return matmul_flops(MATMUL_SIZE) / best


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


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


def peak_memory() -> int | None:
    import jax

    stats = jax.devices()[0].memory_stats()
    if not stats:
        return None
    return stats.get("peak_bytes_in_use")


# ---------------------------------------------------------------------------------------------
# The PyTorch side.


def torch_available() -> str | None:
    """None when torch imports, else the reason it does not."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return f"torch not installed ({error}); pip install -e .[benchmark]"
    return None


def torch_trainer(name: str, compiled: bool, warm_up: bool = True):
    import torch
    import torch_reference

    torch.set_num_threads(2)
    trainer = torch_reference.Trainer(ABLATIONS.get(name, name), compiled=compiled)
    if warm_up or compiled:
        trainer.run(2 if compiled else 1)  # warm-up (and torch.compile's compilation)
    return trainer


# ---------------------------------------------------------------------------------------------
# Profile: dcgan_mnist's convolutions, one at a time.


DCGAN_CONVS = (
    # name, input [B, H, W, Cin], kernel (k, Cin, Cout), stride; stride 0: jaxgan's fused
    # upsampling x2 + conv (`upsample_conv`) on the input before upsampling (no PyTorch twin).
    ("G conv_0 5x5 128->64 @14x14", (64, 14, 14, 128), (5, 128, 64), 1),
    ("G conv_0 fused: up x2 + 5x5 128->64 from 7x7", (64, 7, 7, 128), (5, 128, 64), 0),
    ("G conv_1 5x5 64->1 @28x28", (64, 28, 28, 64), (5, 64, 1), 1),
    ("G conv_1 fused: up x2 + 5x5 64->1 from 14x14", (64, 14, 14, 64), (5, 64, 1), 0),
    ("D conv_0 5x5/2 1->64 @28x28", (64, 28, 28, 1), (5, 1, 64), 2),
    ("D conv_1 5x5/2 64->128 @14x14", (64, 14, 14, 64), (5, 64, 128), 2),
)


def profile_convolutions(with_torch: bool) -> list[dict]:
    import jax

    from jaxgan.models.conv import conv_general_dilated, upsample_conv

    def best(fn, *args):
        compiled = jax.jit(fn).lower(*args).compile()
        jax.block_until_ready(compiled(*args))
        return min(_timed(lambda: jax.block_until_ready(compiled(*args))) for _ in range(3))

    rows = []
    for name, x_shape, (k, cin, cout), stride in DCGAN_CONVS:
        x = jax.random.normal(jax.random.PRNGKey(0), x_shape)
        w = jax.random.normal(jax.random.PRNGKey(1), (k, k, cin, cout))
        if stride:
            conv = lambda x, w, s=stride: conv_general_dilated(
                x, w, (s, s), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
            )
        else:
            conv = lambda x, w: upsample_conv(x, w, 2)
        dy = conv(x, w)
        row = {
            "name": name,
            "xla_forward": best(conv, x, w),
            "xla_input_grad": best(lambda w, dy, conv=conv, x=x: jax.vjp(lambda x: conv(x, w), x)[1](dy)[0], w, dy),
            "xla_kernel_grad": best(lambda x, dy, conv=conv, w=w: jax.vjp(lambda w: conv(x, w), w)[1](dy)[0], x, dy),
        }
        if with_torch and stride:
            row.update(_torch_conv_times(x_shape, k, cin, cout, stride))
        rows.append(row)
    return rows


def _torch_conv_times(x_shape, k, cin, cout, stride) -> dict:
    import torch

    torch.set_num_threads(2)
    b, h, w_, _ = x_shape
    conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    x = torch.randn(b, cin, h, w_)

    def best(fn):
        fn()
        return min(_timed(fn) for _ in range(3))

    with torch.no_grad():
        forward = best(lambda: conv(x))
    dy = torch.randn_like(conv(x))
    x_grad = x.clone().requires_grad_(True)
    input_grad = best(lambda: torch.autograd.grad(conv(x_grad), x_grad, dy))  # includes a forward
    kernel_grad = best(lambda: torch.autograd.grad(conv(x), conv.weight, dy))  # includes a forward
    return {
        "torch_forward": forward,
        "torch_input_grad": input_grad - forward,
        "torch_kernel_grad": kernel_grad - forward,
    }


# ---------------------------------------------------------------------------------------------
# Driver.


def machine_info() -> dict:
    import flax
    import jax
    import jaxlib
    import optax

    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "flax": flax.__version__,
        "optax": optax.__version__,
        "device": str(jax.devices()[0]),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }
    if torch_available() is None:
        import torch

        info["torch"] = torch.__version__
    return info


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def benchmark_workload(name: str, plan: Plan, *, cache_root: str, with_torch: bool, roof: float, log) -> dict:
    cache_dir = cache_root  # one cache for all programs: each program has its own key
    log(f"[{name}] compiling in a fresh process (empty cache)")
    cold = run_probe(name, plan.steps_per_call, cache_dir)
    log(f"[{name}] compiling again in a fresh process (warm cache)")
    warm = run_probe(name, plan.steps_per_call, cache_dir)

    run, state, data = build_run(name, plan.steps_per_call)
    compiled, _, _ = compile_call(run, state)  # from the persistent cache filled above
    timer = JaxTimer(run, state, compiled)
    if plan.warm_up:
        timer.seconds_per_step(1)

    sides: dict[str, Callable[[], float]] = {"jaxgan": lambda: timer.seconds_per_step(plan.calls_per_repeat)}
    errors: dict[str, str] = {}
    torch_steps = plan.steps_per_call * plan.calls_per_repeat
    if with_torch:
        for side, compiled_torch in (("torch_eager", False), ("torch_compile", True)):
            if compiled_torch and not plan.torch_compile:
                errors[side] = "not run: see the dcgan_mnist row" if name in ABLATIONS else "skipped in --quick"
                continue
            log(f"[{name}] preparing {side}")
            try:
                trainer = torch_trainer(name, compiled_torch, warm_up=plan.warm_up)
            except Exception as error:  # noqa: BLE001 (any failure of torch.compile is a result)
                errors[side] = f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"
                continue
            sides[side] = lambda trainer=trainer: trainer.run(torch_steps) / torch_steps

    times: dict[str, list[float]] = {side: [] for side in sides}
    for repeat in range(plan.repeats):  # interleaved: a change of load hits every side alike
        for side, measure in sides.items():
            try:
                times[side].append(measure())
            except Exception as error:  # noqa: BLE001
                errors[side] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
        log(
            f"[{name}] repeat {repeat + 1}/{plan.repeats}: "
            + ", ".join(f"{side} {1 / t[-1]:.3g} steps/s" for side, t in times.items() if t)
        )

    jax_summary = summarize(times["jaxgan"])
    row = {
        "name": name,
        "data": data,
        "batch_size": run.config.batch_size,
        "steps_per_call": plan.steps_per_call,
        "compile_cold": cold,
        "compile_warm": warm,
        "jaxgan": jax_summary,
        "flops_per_step": cold["flops"],
        "achieved": achieved(cold["flops"], jax_summary["median"], roof),
        "peak_memory_bytes": peak_memory(),
        "xla_buffer_bytes": cold["xla_buffer_bytes"],
    }
    for side in ("torch_eager", "torch_compile"):
        if times.get(side) and side not in errors:
            row[side] = summarize(times[side])
        elif with_torch:
            row[f"{side}_error"] = errors.get(side, "failed")
    return row


NOTES = [
    "A step is one D update and one G update (num_critic_steps=1, also for sngan_cifar10, whose paper "
    "uses 5 D updates per G update), batch as listed; "
    "jaxgan shares G's forward pass between the two updates, PyTorch uses the standard "
    "`fake = G(z); D(fake.detach()); ...; D(fake)` pattern. Both use float32 and 2 threads "
    "(torch.set_num_threads(2); XLA's CPU client uses the cores it sees).",
    "jaxgan: the call `jaxgan.train.loop.setup` builds (jit of shard_map over a 1-device mesh, "
    "lax.scan over K steps, the dataset on the device and gathered in the program, indices fed per call). "
    "Steps/s: median (min-max) over repeats; the sides are timed in turn within each repeat.",
    "Compile: a fresh Python process traces and lowers the call, then XLA compiles it, with "
    "an empty `jax_compilation_cache_dir`; 'relaunch' is a second fresh process with the same cache "
    "(XLA's part is then a cache read; tracing and lowering are not cached by JAX).",
    "FLOPs are XLA's cost analysis of the compiled K-step call; XLA counts a while loop's body "
    "once, so this is the FLOPs of one step (plus the per-call gather). % roof is the achieved "
    "FLOP/s over the jitted 2048x2048 float32 matmul's.",
    "Peak memory: `device.memory_stats()` is None on the CPU backend (n/a); 'XLA buffers' is "
    "`compiled.memory_analysis()`: arguments + outputs + temporaries - aliased (donated) bytes.",
    "sngan_cifar10 uses random data of CIFAR-10's shape unless cifar10 is prepared for "
    "tensorflow-datasets on disk; the PyTorch side always uses random data of each workload's shape.",
    "dcgan_mnist's G computes each nearest upsampling x2 + 5x5 convolution as one 3x3 convolution of "
    "the smaller image with the four phase kernels stacked (`jaxgan.models.conv.UpsampleConv`): the same "
    "function of the same parameters (tested), 2.8x fewer FLOPs in those layers. PyTorch runs the "
    "network as written (`F.interpolate` + `Conv2d`); the row dcgan_mnist_unfused is jaxgan running it "
    "as written too (`fused_upsampling=False`).",
    "dcgan_mnist's D has batch norm, so both sides run D on real and generated batches in two "
    "calls; sngan's D keeps spectral-norm vectors, which jaxgan also treats as state (two calls). "
    "pacgan_mlp's D has neither: jaxgan runs D once on real+fake.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter timings (under 3 minutes)")
    parser.add_argument(
        "--workloads",
        default=None,
        help=f"comma-separated, from {list(ALL_WORKLOADS)}; default: all (--quick: {list(WORKLOADS)})",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave out the PyTorch side")
    parser.add_argument("--profile", action="store_true", help="time dcgan_mnist's convolutions one by one")
    parser.add_argument("--out", default=os.path.join(ROOT, "results"))
    parser.add_argument("--name", default="benchmark", help="file stem: writes <out>/<name>.md and .json")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-k", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.probe:
        print(json.dumps(compile_probe(args.probe, args.probe_k, args.cache_dir)))
        return 0

    plans = QUICK if args.quick else FULL
    names = [n.strip() for n in (args.workloads or ",".join(plans)).split(",") if n.strip()]
    unknown = sorted(set(names) - set(plans))
    if unknown:
        parser.error(
            f"unknown workload(s) {unknown} for {'--quick' if args.quick else 'a full run'}; "
            f"use names from {list(plans)}."
        )
    torch_reason = torch_available()
    with_torch = not args.no_torch and torch_reason is None
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s {message}", file=sys.stderr, flush=True)

    load_before = load_average()
    machine = machine_info()
    rows = []
    with tempfile.TemporaryDirectory(prefix="jaxgan_bench_cache_") as cache_root:
        _enable_cache(cache_root)  # this process then reads each program the probes compiled
        roof = matmul_roof()
        log(f"matmul roof {roof / 1e9:.1f} GFLOP/s")
        for name in names:
            rows.append(
                benchmark_workload(name, plans[name], cache_root=cache_root, with_torch=with_torch, roof=roof, log=log)
            )
        roof_after = matmul_roof()
    machine["load_before"], machine["load_after"] = load_before, load_average()
    notes = list(NOTES)
    if not with_torch:
        notes.append(f"PyTorch side not run: {torch_reason or '--no-torch'}.")
    notes.append(
        f"Matmul roof at the start / end: {roof / 1e9:.1f} / {roof_after / 1e9:.1f} GFLOP/s "
        "(a drop means other processes loaded the cores)."
    )
    report = {
        "mode": "quick" if args.quick else "full",
        "machine": machine,
        "matmul_roof_flops_per_second": roof,
        "matmul_roof_end_flops_per_second": roof_after,
        "workloads": rows,
        "notes": notes,
        "seconds": time.perf_counter() - started,
    }
    if args.profile:
        log("profiling dcgan_mnist's convolutions")
        report["profile"] = profile_convolutions(with_torch)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
        json.dump(report, f, indent=2)
    page = markdown(report)
    with open(os.path.join(args.out, f"{args.name}.md"), "w") as f:
        f.write(page)
    print(page)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
