"""Speed of jaxgan's training step against PyTorch at its best: `python experiments/benchmark.py`.

Every measurement is a launch of its own: a fresh process that builds one workload on one side
(jaxgan, or PyTorch with one setting), compiles it, warms up and times it, then exits. The
launches alternate (round 1: jaxgan, then every PyTorch setting; round 2: again ...), so that no
side's threads are alive, spinning or not, while another side is timed, and a change of the
machine's load falls on every side.

- jaxgan (`experiments/bench_jaxgan.py`): the K-step call `jaxgan.train.loop.setup` builds
  (the dataset on the device, indices fed per call), compiled cold in round 1 (an empty
  persistent compilation cache) and from the cache in round 2 (the relaunch); XLA's FLOPs of
  a step and its fraction of the float32 matmul roof; XLA's buffer bytes; peak device memory
  where the backend reports it.
- PyTorch (`experiments/torch_reference.py`): the same networks, loss, Adam and batch, at its
  defaults and in the other reasonable settings of a CPU user: 2 threads and 1 thread, with
  OpenMP's default (spinning) wait policy and with `OMP_WAIT_POLICY=PASSIVE`, eager and
  `torch.compile` (on a GPU: CUDA eager and `torch.compile`). Round 1 times every setting;
  later rounds re-time the best eager and the best compiled setting of round 1. The ratio is
  jaxgan against the best PyTorch setting, which the table names.
- `many_seeds`: the PacGAN MLP with `num_seeds=10` in one program, laid out as `jaxgan train`
  lays them out (on a CPU: a device a core, each device's seeds in turn), against
  separate single-seed runs, one at a time and two at a time (two processes side by side,
  timed over the same interval), in seed-steps per second.

Afterwards one more launch per side profiles the workload (jaxgan: `jax.profiler` thread time
of every XLA operation per class; PyTorch, in its best setting: `torch.profiler` self time of
every ATen operator per class) into `results/benchmark_profile.md`.

Writes `results/benchmark.md` and `results/benchmark.json`; `--quick` times fewer settings and
repeats (a smoke run, not a result).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inception_speed  # noqa: E402 (experiments/inception_speed.py, beside this file)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
JAX_WORKER = os.path.join(HERE, "bench_jaxgan.py")
TORCH_WORKER = os.path.join(HERE, "torch_reference.py")

WORKLOADS = ("dcgan_mnist", "pacgan_mlp", "sngan_cifar10", "many_seeds", "inception_features")
# An ablation beside the workloads: the seed DCGAN with G's upsampling and convolutions
# computed as written (`fused_upsampling=False`), against the same PyTorch step.
ABLATIONS = {"dcgan_mnist_unfused": "dcgan_mnist"}
ALL_WORKLOADS = WORKLOADS + tuple(ABLATIONS)
MATMUL_SIZE = 2048
MANY_SEEDS = 10
# The targets: jaxgan / PyTorch at its best (many_seeds: against separate runs).
TARGETS = {
    "dcgan_mnist": 2.0,
    "dcgan_mnist_unfused": 1.0,
    "pacgan_mlp": 2.0,
    "sngan_cifar10": 1.0,
    "many_seeds": 1.0,
    "inception_features": 1.0,
}
GPU_TARGET = 1.5


@dataclasses.dataclass(frozen=True)
class Plan:
    """How long to measure a workload: K steps per jaxgan call, calls and PyTorch steps per
    repeat (the same number of steps on both sides), repeats per launch, rounds."""

    steps_per_call: int
    calls_per_repeat: int
    repeats: int
    rounds: int
    torch_compile: bool = True


FULL = {
    "dcgan_mnist": Plan(steps_per_call=10, calls_per_repeat=2, repeats=3, rounds=3),
    "dcgan_mnist_unfused": Plan(steps_per_call=10, calls_per_repeat=2, repeats=3, rounds=2, torch_compile=False),
    "pacgan_mlp": Plan(steps_per_call=100, calls_per_repeat=3, repeats=3, rounds=3),
    "sngan_cifar10": Plan(steps_per_call=1, calls_per_repeat=1, repeats=2, rounds=2),
    "many_seeds": Plan(steps_per_call=100, calls_per_repeat=2, repeats=3, rounds=3, torch_compile=False),
    # inception_features (experiments/inception_speed.py): K is the batch, calls the batches a repeat
    "inception_features": Plan(steps_per_call=50, calls_per_repeat=4, repeats=2, rounds=2, torch_compile=False),
}
QUICK = {
    "dcgan_mnist": Plan(steps_per_call=10, calls_per_repeat=1, repeats=2, rounds=1, torch_compile=False),
    "pacgan_mlp": Plan(steps_per_call=100, calls_per_repeat=1, repeats=2, rounds=1, torch_compile=False),
    "sngan_cifar10": Plan(steps_per_call=1, calls_per_repeat=1, repeats=1, rounds=1, torch_compile=False),
    "many_seeds": Plan(steps_per_call=100, calls_per_repeat=1, repeats=2, rounds=1, torch_compile=False),
    "inception_features": Plan(steps_per_call=10, calls_per_repeat=1, repeats=1, rounds=1, torch_compile=False),
}
# On a GPU a step takes milliseconds: more steps per call (the launch overhead of a call and of an
# eager PyTorch step is what a GPU user feels), one round (the device is not shared, so rounds
# guard against little), torch.compile kept. Sized so that the four workloads fit one device lease.
GPU = {
    "dcgan_mnist": Plan(steps_per_call=100, calls_per_repeat=2, repeats=3, rounds=1),
    "dcgan_mnist_unfused": Plan(steps_per_call=100, calls_per_repeat=2, repeats=3, rounds=1, torch_compile=False),
    "pacgan_mlp": Plan(steps_per_call=1000, calls_per_repeat=2, repeats=3, rounds=1),
    "sngan_cifar10": Plan(steps_per_call=20, calls_per_repeat=2, repeats=3, rounds=1),
    "many_seeds": Plan(steps_per_call=500, calls_per_repeat=2, repeats=2, rounds=1, torch_compile=False),
}


@dataclasses.dataclass(frozen=True)
class TorchSetting:
    """One way to run the PyTorch side: eager or compiled, threads, OpenMP's wait policy; on a GPU
    also Adam's fused kernel and torch.compile's CUDA graphs (mode="reduce-overhead")."""

    compiled: bool
    threads: int
    omp_wait_policy: str | None = None  # None: OpenMP's default (threads spin before sleeping)
    device: str = "cpu"
    fused_adam: bool = False
    cuda_graphs: bool = False

    @property
    def name(self) -> str:
        mode = "torch.compile" if self.compiled else "eager"
        if self.device != "cpu":
            graphs = " reduce-overhead (CUDA graphs)" if self.cuda_graphs else ""
            return f"{self.device} {mode}{graphs}" + (", fused Adam" if self.fused_adam else "")
        threads = f"{self.threads} thread{'s' if self.threads > 1 else ''}"
        policy = f", OMP_WAIT_POLICY={self.omp_wait_policy}" if self.omp_wait_policy else ""
        return f"{mode}, {threads}{policy}"


def torch_settings(*, cores: int, compiled: bool, device: str = "cpu") -> list[TorchSetting]:
    """The settings a PyTorch user would try: default threads (= cores) and 1, both wait
    policies, eager and compiled. On a GPU (default threads): eager with Adam's default (foreach)
    and fused kernels, torch.compile, and torch.compile with CUDA graphs and fused Adam."""
    if device != "cpu":
        eager = [TorchSetting(False, cores, None, device), TorchSetting(False, cores, None, device, fused_adam=True)]
        graphs = TorchSetting(True, cores, None, device, fused_adam=True, cuda_graphs=True)
        return eager + ([TorchSetting(True, cores, None, device), graphs] if compiled else [])
    threads = sorted({cores, 1}, reverse=True)
    eager = [TorchSetting(False, t, policy) for t in threads for policy in (None, "PASSIVE")]
    return eager + ([TorchSetting(True, t) for t in threads] if compiled else [])


# ---------------------------------------------------------------------------------------------
# Pure parts: FLOP accounting, summaries, the choice of the best setting, tables (tested in
# tests/test_benchmark.py).


def matmul_flops(n: int) -> float:
    """FLOPs of an n x n by n x n matmul: n^2 outputs, n multiplies and n adds each."""
    return 2.0 * n**3


def summarize(seconds_per_step: list[float], per_step: int = 1) -> dict[str, float]:
    """Steps per second from per-step times: median, min and max over the repeats, and spread.

    `per_step` scales the rates (seeds per step: seed-steps per second). `spread` is
    (max - min) / median, a plain measure of how noisy the run was.
    """
    rates = sorted(per_step / s for s in seconds_per_step)
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


def best_setting(summaries: dict[str, dict | None]) -> str | None:
    """The name of the setting with the highest median rate (None if none ran)."""
    ran = {name: s for name, s in summaries.items() if s}
    return max(ran, key=lambda name: ran[name]["median"]) if ran else None


def to_retime(summaries: dict[str, dict | None], compiled: dict[str, bool]) -> list[str]:
    """After round 1: the best eager and the best compiled setting, the ones later rounds re-time."""
    chosen = []
    for kind in (False, True):
        best = best_setting({n: s for n, s in summaries.items() if compiled[n] == kind})
        if best:
            chosen.append(best)
    return chosen


def _fmt(value, spec: str = ".3g", unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:{spec}}{unit}"


def _bytes(value) -> str:
    return "n/a" if value is None else f"{value / 2**20:.1f} MiB"


def _rate(summary: dict | None) -> str:
    if not summary:
        return "n/a"
    return f"{summary['median']:.3g} ({summary['min']:.3g}-{summary['max']:.3g})"


def ratio(ours: dict | None, theirs: dict | None) -> float | None:
    if not ours or not theirs or not theirs.get("median"):
        return None
    return ours["median"] / theirs["median"]


def _compile(entry: dict | None) -> str:
    if not entry:
        return "n/a"
    return f"{entry['lower'] + entry['compile']:.2f} ({entry['lower']:.2f} / {entry['compile']:.2f})"


def _verdict(value: float | None, target: float | None) -> str:
    if value is None:
        return "n/a"
    if target is None:
        return f"{value:.2f}x"
    return f"**{value:.2f}x** ({'reached' if value >= target else 'not reached'}: target {target:g}x)"


def markdown(report: dict) -> str:
    """The report as a markdown page: the machine, the speed table, every setting, notes."""
    machine = report["machine"]
    lines = [
        "# jaxgan benchmark",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores; {machine['platform']}; "
        f"python {machine['python']}; jax {machine['jax']} (jaxlib {machine['jaxlib']}); "
        f"flax {machine['flax']}; optax {machine['optax']}; torch {machine.get('torch', 'not installed')}; "
        f"jax backend {machine.get('backend', 'cpu')}.",
        f"Load average (1 min) before / after: {machine['load_before']} / {machine['load_after']}. "
        f"Mode: {report['mode']}. Matmul roof ({MATMUL_SIZE}x{MATMUL_SIZE} float32, jax.jit, best of 5) at the "
        f"start / end: {_fmt(report['matmul_roof_flops_per_second'] / 1e9, '.1f')} / "
        f"{_fmt((report['matmul_roof_end_flops_per_second'] or float('nan')) / 1e9, '.1f')} GFLOP/s."
        + (
            f" Not yet measured (the run stopped or is running): {', '.join(report['unfinished'])}."
            if report.get("unfinished")
            else ""
        ),
        "",
        "| workload | data | batch | K | compile s, cold (trace+lower / XLA) | relaunch s, cache "
        "| jaxgan steps/s, median (min-max) | GFLOP/step | GFLOP/s | % roof | XLA buffers "
        "| PyTorch at its best, steps/s | its setting | jaxgan / PyTorch at its best |",
        "|" + "---|" * 14,
    ]
    for row in report["workloads"]:
        if row["name"] in ("many_seeds", "inception_features"):
            continue
        best = row.get("best_setting")
        lines.append(
            "| "
            + " | ".join(
                [
                    row["name"],
                    row["data"],
                    str(row["batch_size"]),
                    str(row["steps_per_call"]),
                    _compile(row.get("compile_cold")),
                    _compile(row.get("compile_warm")),
                    _rate(row["jaxgan"]),
                    _fmt(row["flops_per_step"] / 1e9 if row["flops_per_step"] else None),
                    _fmt((row["achieved"]["flops_per_second"] or 0) / 1e9 or None),
                    _fmt(
                        100 * row["achieved"]["fraction_of_roof"] if row["achieved"]["fraction_of_roof"] else None,
                        ".1f",
                    ),
                    _bytes(row["xla_buffer_bytes"]),
                    _rate(row["torch"].get(best)) if best else "n/a",
                    best or "n/a (PyTorch not run)",
                    _verdict(row.get("ratio"), row.get("target")),
                ]
            )
            + " |"
        )
    seeds = next((row for row in report["workloads"] if row["name"] == "many_seeds"), None)
    if seeds:
        lines += [
            "",
            f"## many_seeds: {seeds['num_seeds']} seeds of the PacGAN MLP, seed-steps per second "
            f"(the one program on {seeds.get('devices', 1)} device{'s' if seeds.get('devices', 1) > 1 else ''})",
            "",
            "| side | seed-steps/s, median (min-max) |",
            "|---|---|",
        ]
        for side, summary in seeds["sides"].items():
            lines.append(f"| {side} | {_rate(summary)} |")
        lines.append(
            f"| **one program / separate runs at their best ({seeds.get('best_setting') or 'n/a'})** "
            f"| {_verdict(seeds.get('ratio'), seeds.get('target'))} |"
        )
    inception = next((row for row in report["workloads"] if row["name"] == "inception_features"), None)
    if inception:
        lines += ["", inception_speed.markdown(inception).rstrip("\n")]
    steps = [row for row in report["workloads"] if row["name"] != "inception_features"]
    lines += ["", "## Every PyTorch setting, steps/s, median (min-max) over its launches", ""]
    settings = sorted({name for row in steps for name in row.get("torch", {})})
    if settings:
        lines += ["| workload | " + " | ".join(settings) + " |", "|" + "---|" * (len(settings) + 1)]
        for row in steps:
            if row.get("torch"):
                cells = []
                for name in settings:
                    if name in row["torch"] and row["torch"][name]:
                        cells.append(_rate(row["torch"][name]))
                    else:
                        cells.append(f"n/a ({row.get('torch_errors', {}).get(name, 'not run')})")
                lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    lines += ["", "Notes:", ""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def profile_markdown(report: dict) -> str:
    """Where the time goes, per workload and per operation class, on both sides."""
    lines = [
        "# Where the time goes: the benchmark's profile, per workload and operation class",
        "",
        "jaxgan: one K-step call traced with `jax.profiler`; the thread time of every XLA operation "
        "(thunk) inside it, classed by its HLO opcode (a fusion by the most telling opcode it holds). "
        "PyTorch, in its best setting of the benchmark: `torch.profiler`'s self CPU time of every ATen "
        "operator over the same number of steps. Thread time: with several threads it can exceed the "
        "wall time; the gap between wall and thread time is time no operation ran (dispatch, waits). "
        f"Machine and load: as in [benchmark.md](benchmark.md) (load before / after "
        f"{report['machine']['load_before']} / {report['machine']['load_after']}).",
    ]
    for row in report["workloads"]:
        profiles = row.get("profiles") or {}
        if not profiles:
            continue
        lines += ["", f"## {row['name']}", ""]
        lines += [
            "| side | wall ms/step | thread ms/step | " + "per class: ms/step (share of thread time) |",
            "|---|---|---|---|",
        ]
        for side, prof in profiles.items():
            if "error" in prof:
                lines.append(f"| {side} | n/a | n/a | {prof['error']} |")
                continue
            total = prof["thread_seconds_per_step"] or 1.0
            classes = "; ".join(
                f"{label} {1e3 * seconds:.2f} ({100 * seconds / total:.0f}%)"
                for label, seconds in prof["op_classes"].items()
            )
            lines.append(
                f"| {side} | {1e3 * prof['wall_seconds_per_step']:.2f} | {1e3 * prof['thread_seconds_per_step']:.2f} | "
                f"{classes} |"
            )
        for side, prof in profiles.items():
            if prof.get("top_ops"):
                ops = ", ".join(
                    f"`{op['name']}` ({op['class']}) {1e3 * op['seconds_per_step']:.2f}" for op in prof["top_ops"][:8]
                )
                lines += ["", f"Largest operations, {side} (ms/step): {ops}."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Launches.


def _last_json(stdout: str):
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def _error(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    tail = next((line for line in reversed(lines) if "Error" in line), lines[-1] if lines else "no output")
    return tail.strip()[:160]


def _env(omp_wait_policy: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if omp_wait_policy:
        env["OMP_WAIT_POLICY"] = omp_wait_policy
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # On a GPU, JAX takes 75% of its memory at start: two launches side by side (many_seeds) need it off.
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return env


def launch_jaxgan(spec: dict, timeout: float = 1800) -> dict:
    done = subprocess.run(
        [sys.executable, JAX_WORKER, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=timeout,
        check=False,
    )
    result = _last_json(done.stdout)
    if done.returncode or result is None:
        raise RuntimeError(f"jaxgan launch {spec['workload']} failed: {_error(done)}")
    return result


def launch_jaxgan_side_by_side(spec: dict, copies: int) -> list[dict]:
    """`copies` launches at once, timed over the same interval (each waits at a barrier)."""
    with tempfile.TemporaryDirectory(prefix="jaxgan_bench_barrier_") as directory:
        barrier = os.path.join(directory, "barrier")
        processes = [
            subprocess.Popen(
                [sys.executable, JAX_WORKER, json.dumps({**spec, "barrier": barrier})],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=_env(),
            )
            for _ in range(copies)
        ]
        while len(glob.glob(f"{barrier}.ready.*")) < copies:
            if any(p.poll() is not None for p in processes):
                break
            time.sleep(0.05)
        with open(f"{barrier}.go", "w") as f:
            f.write("go")
        results = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=1800)
            result = _last_json(stdout)
            if process.returncode or result is None:
                raise RuntimeError(f"jaxgan side-by-side launch failed: {stderr.strip().splitlines()[-1:]}")
            results.append(result)
    return results


def launch_torch(workload: str, setting: TorchSetting, steps: int, repeats: int, profile: bool = False) -> dict:
    spec = {
        "workload": ABLATIONS.get(workload, workload),
        "threads": setting.threads,
        "compiled": setting.compiled,
        "device": setting.device,
        "fused_adam": setting.fused_adam,
        "cuda_graphs": setting.cuda_graphs,
        "steps": steps,
        "repeats": repeats,
        "profile": profile,
    }
    done = subprocess.run(
        [sys.executable, TORCH_WORKER, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(setting.omp_wait_policy),
        timeout=3600,
        check=False,
    )
    result = _last_json(done.stdout)
    if done.returncode or result is None:
        raise RuntimeError(_error(done))
    return result


ROOF_PROBE = r"""
import json, time, jax, jax.numpy as jnp
n = int(__import__("sys").argv[1])
a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
f = jax.jit(lambda a: a @ a).lower(a).compile()
jax.block_until_ready(f(a))
best = float("inf")
for _ in range(5):
    start = time.perf_counter(); jax.block_until_ready(f(a)); best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "backend": jax.default_backend()}))
"""


def matmul_roof() -> tuple[float, str]:
    """Best FLOP/s of a jitted float32 matmul in a fresh process, and the jax backend."""
    done = subprocess.run(
        [sys.executable, "-c", ROOF_PROBE, str(MATMUL_SIZE)], capture_output=True, text=True, env=_env(), check=True
    )
    result = _last_json(done.stdout)
    return matmul_flops(MATMUL_SIZE) / result["seconds"], result["backend"]


# ---------------------------------------------------------------------------------------------
# One workload.


def _jax_spec(name: str, plan: Plan, cache_dir: str, num_seeds: int = 1, profile: bool = False) -> dict:
    return {
        "workload": name,
        "steps_per_call": plan.steps_per_call,
        "calls": plan.calls_per_repeat,
        "repeats": 1 if profile else plan.repeats,
        "num_seeds": num_seeds,
        "cache_dir": cache_dir,
        "profile": profile,
    }


def benchmark_workload(
    name: str, plan: Plan, *, cache_dir: str, settings: list[TorchSetting], roof: float, log, profile: bool = True
) -> dict:
    steps = plan.steps_per_call * plan.calls_per_repeat
    jax_launches: list[dict] = []
    torch_times: dict[str, list[float]] = {s.name: [] for s in settings}
    errors: dict[str, str] = {}
    active = list(settings)
    for round_index in range(plan.rounds):
        log(f"[{name}] round {round_index + 1}/{plan.rounds}: jaxgan")
        jax_launches.append(launch_jaxgan(_jax_spec(name, plan, cache_dir)))
        log(f"[{name}]   jaxgan {1 / statistics.median(jax_launches[-1]['seconds_per_step']):.3g} steps/s")
        for setting in active:
            if setting.name in errors:
                continue
            log(f"[{name}]   PyTorch {setting.name}")
            try:
                got = launch_torch(name, setting, steps, plan.repeats)
            except (RuntimeError, subprocess.TimeoutExpired) as error:  # a failing setting is a result
                errors[setting.name] = str(error)[:160]
                log(f"[{name}]   PyTorch {setting.name} failed: {errors[setting.name]}")
                continue
            torch_times[setting.name] += got["seconds_per_step"]
            log(f"[{name}]   PyTorch {setting.name} {1 / statistics.median(got['seconds_per_step']):.3g} steps/s")
        if round_index == 0:
            summaries = {n: summarize(t) if t else None for n, t in torch_times.items()}
            keep = set(to_retime(summaries, {s.name: s.compiled for s in settings}))
            active = [s for s in settings if s.name in keep]

    first = jax_launches[0]
    jax_summary = summarize([s for launch in jax_launches for s in launch["seconds_per_step"]])
    torch_summaries = {n: summarize(t) if t else None for n, t in torch_times.items()}
    best = best_setting(torch_summaries)
    row = {
        "name": name,
        "data": first["data"],
        "batch_size": first["batch_size"],
        "steps_per_call": plan.steps_per_call,
        "compile_cold": {"lower": first["lower"], "compile": first["compile"]},
        "compile_warm": (
            {
                "lower": statistics.median(x["lower"] for x in jax_launches[1:]),
                "compile": statistics.median(x["compile"] for x in jax_launches[1:]),
            }
            if len(jax_launches) > 1
            else None
        ),
        "jaxgan": jax_summary,
        "flops_per_step": first["flops"],
        "achieved": achieved(first["flops"], jax_summary["median"], roof),
        "peak_memory_bytes": first["peak_memory_bytes"],
        "xla_buffer_bytes": first["xla_buffer_bytes"],
        "torch": torch_summaries,
        "torch_errors": errors,
        "best_setting": best,
        "ratio": ratio(jax_summary, torch_summaries.get(best)) if best else None,
        "target": TARGETS.get(name),
    }
    row["profiles"] = {}
    if not profile:
        return row
    log(f"[{name}] profiling")
    try:
        row["profiles"]["jaxgan"] = launch_jaxgan(_jax_spec(name, plan, cache_dir, profile=True))["profile"]
    except RuntimeError as error:
        row["profiles"]["jaxgan"] = {"error": str(error)[:160]}
    if best:
        setting = next(s for s in settings if s.name == best)
        try:
            row["profiles"][f"PyTorch, {best}"] = launch_torch(name, setting, steps, 1, profile=True)["profile"]
        except RuntimeError as error:
            row["profiles"][f"PyTorch, {best}"] = {"error": str(error)[:160]}
    return row


TOGETHER = f"one program, {MANY_SEEDS} seeds"


def benchmark_many_seeds(plan: Plan, *, cache_dir: str, log, profile: bool = True) -> dict:
    """Seeds together in one program against separate runs, one at a time and two at a time."""
    sides: dict[str, list[float]] = {
        TOGETHER: [],
        "separate runs, one at a time": [],
        "separate runs, two at a time": [],
    }
    launches = []
    for round_index in range(plan.rounds):
        log(f"[many_seeds] round {round_index + 1}/{plan.rounds}")
        together = launch_jaxgan(_jax_spec("many_seeds", plan, cache_dir, num_seeds=MANY_SEEDS))
        launches.append(together)
        sides[TOGETHER] += [s / MANY_SEEDS for s in together["seconds_per_step"]]
        alone = launch_jaxgan(_jax_spec("many_seeds", plan, cache_dir))
        sides["separate runs, one at a time"] += alone["seconds_per_step"]
        pair = launch_jaxgan_side_by_side(_jax_spec("many_seeds", plan, cache_dir), copies=2)
        # Both timed over the same interval: the pair's seed-steps/s is the sum of the two rates.
        sides["separate runs, two at a time"] += [
            1.0 / sum(1.0 / s for s in repeat) for repeat in zip(*(p["seconds_per_step"] for p in pair), strict=True)
        ]
        log(
            "[many_seeds]   "
            + ", ".join(f"{side} {1 / statistics.median(t[-plan.repeats :]):.3g}" for side, t in sides.items())
        )
    summaries = {side: summarize(times) for side, times in sides.items()}
    together_name = TOGETHER
    separate = {k: v for k, v in summaries.items() if k != together_name}
    best = best_setting(separate)
    row = {
        "name": "many_seeds",
        "num_seeds": MANY_SEEDS,
        "devices": launches[0].get("devices", 1),
        "data": launches[0]["data"],
        "batch_size": launches[0]["batch_size"],
        "steps_per_call": plan.steps_per_call,
        "compile_cold": {"lower": launches[0]["lower"], "compile": launches[0]["compile"]},
        "jaxgan": summaries[together_name],
        "flops_per_step": launches[0]["flops"],
        "xla_buffer_bytes": launches[0]["xla_buffer_bytes"],
        "sides": summaries,
        "best_setting": best,
        "ratio": ratio(summaries[together_name], separate[best]),
        "target": TARGETS["many_seeds"],
        "profiles": {},
    }
    if not profile:
        return row
    log("[many_seeds] profiling")
    for label, seeds in ((f"jaxgan, {MANY_SEEDS} seeds together", MANY_SEEDS), ("jaxgan, one seed", 1)):
        try:
            prof = launch_jaxgan(_jax_spec("many_seeds", plan, cache_dir, num_seeds=seeds, profile=True))["profile"]
            if seeds > 1:  # per seed-step, so that the two rows compare
                prof = _per_seed(prof, seeds)
            row["profiles"][label + (" (per seed-step)" if seeds > 1 else "")] = prof
        except RuntimeError as error:
            row["profiles"][label] = {"error": str(error)[:160]}
    return row


def _per_seed(prof: dict, seeds: int) -> dict:
    scale = 1.0 / seeds
    return {
        "wall_seconds_per_step": prof["wall_seconds_per_step"] * scale,
        "thread_seconds_per_step": prof["thread_seconds_per_step"] * scale,
        "op_classes": {k: v * scale for k, v in prof["op_classes"].items()},
        "top_ops": [dict(op, seconds_per_step=op["seconds_per_step"] * scale) for op in prof["top_ops"]],
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
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }
    version = torch_version()
    if version:
        info["torch"] = version
    return info


def torch_version() -> str | None:
    """torch's version without importing it here (this process times nothing of its own)."""
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


NOTES = [
    "A step is one D update and one G update (num_critic_steps=1, also for sngan_cifar10, whose paper uses 5 D "
    "updates per G update), batch as listed, float32 on both sides. jaxgan shares G's forward pass between the "
    "two updates; PyTorch uses the standard `fake = G(z); D(fake.detach()); ...; D(fake)` pattern.",
    "Every launch is a fresh process that runs one side alone; the parent process imports neither torch nor runs "
    "JAX computations while a launch is timed. jaxgan's steps/s is the median over every repeat of every round; "
    "so is each PyTorch setting's. Round 1 times every PyTorch setting; later rounds re-time the best eager and the "
    "best compiled one, and the ratio is against the best setting's median.",
    "jaxgan: the call `jaxgan.train.loop.setup` builds (jit of shard_map over a 1-device mesh, lax.scan over K "
    "steps, the dataset on the device, indices fed per call). XLA's CPU client uses the cores it sees.",
    "Compile: round 1's launch traces and lowers the call, then XLA compiles it, with an empty "
    "`jax_compilation_cache_dir`; 'relaunch' is the later rounds' launches with that cache (XLA's part is then "
    "a cache read; tracing and lowering are not cached by JAX).",
    "FLOPs are XLA's cost analysis of the compiled K-step call; XLA counts a while loop's body once, so this is "
    "the FLOPs of one step (plus the per-call gather). % roof is the achieved FLOP/s over the jitted float32 "
    "matmul's. Peak memory: `device.memory_stats()` is None on the CPU backend; 'XLA buffers' is "
    "`compiled.memory_analysis()`: arguments + outputs + temporaries - aliased (donated) bytes.",
    "sngan_cifar10 uses random data of CIFAR-10's shape unless cifar10 is prepared for tensorflow-datasets on "
    "disk; the PyTorch side always uses random data of each workload's shape.",
    "dcgan_mnist's G computes each nearest upsampling x2 + 5x5 convolution as one 3x3 convolution of the smaller "
    "image with the four phase kernels stacked (`jaxgan.models.conv.UpsampleConv`): the same function of the same "
    "parameters (tested), 2.8x fewer FLOPs in those layers. PyTorch runs the network as written "
    "(`F.interpolate` + `Conv2d`); dcgan_mnist_unfused is jaxgan running it as written too.",
    "dcgan_mnist's D has batch norm, so both sides run D on real and generated batches in two calls; sngan's D "
    "keeps spectral-norm vectors, which jaxgan also treats as state (two calls). pacgan_mlp's D has neither: "
    "jaxgan runs D once on real+fake.",
    "many_seeds: `config.num_seeds=10` trains 10 seeds of pacgan_mlp in one program, laid out as `jaxgan train` "
    "lays them out (`config.run_devices`, `config.run_mapping`: on a CPU one device a core, 5 seeds a device "
    "on 2 cores, each device's seeds in turn); "
    "the separate runs are single-seed launches of the same program, one at a time (a run has the machine to "
    "itself) and two at a time (two processes side by side, both timed over the same interval; their rates "
    "add). Seed-steps/s: steps/s times the seeds a launch trains.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, fewer settings and repeats: a smoke run")
    parser.add_argument("--workloads", default=None, help=f"comma-separated, from {list(ALL_WORKLOADS)}; default: all")
    parser.add_argument("--no-torch", action="store_true", help="leave out the PyTorch side")
    parser.add_argument("--out", default=os.path.join(ROOT, "results"))
    parser.add_argument("--name", default="benchmark", help="file stem: writes <out>/<name>.md, .json, _profile.md")
    parser.add_argument("--no-profile", action="store_true", help="leave out the profiling launches")
    args = parser.parse_args(argv)

    plans = QUICK if args.quick else FULL  # on a GPU, a full run takes GPU's plans (same names)
    names = [n.strip() for n in (args.workloads or ",".join(plans)).split(",") if n.strip()]
    unknown = sorted(set(names) - set(plans))
    if unknown:
        parser.error(
            f"--workloads: unknown {unknown} for {'--quick' if args.quick else 'a full run'}; use names from {list(plans)}."
        )
    with_torch = not args.no_torch and torch_version() is not None
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s {message}", file=sys.stderr, flush=True)

    load_before = load_average()
    machine = machine_info()
    roof, backend = matmul_roof()
    machine["backend"] = backend
    log(f"matmul roof {roof / 1e9:.1f} GFLOP/s ({backend})")
    device = "cuda" if backend == "gpu" else "cpu"
    if device == "cuda" and not args.quick:
        plans = GPU
    if device == "cuda":
        # experiments/inception_speed.py runs the TorchScript reference on the CPU: no GPU peer yet.
        names = [name for name in names if name != "inception_features"]
    notes = list(NOTES)
    if not with_torch:
        notes.append(
            "PyTorch side not run: "
            + ("--no-torch." if args.no_torch else "torch not installed (pip install -e .[benchmark]).")
        )
    if device == "cuda":
        notes.append(
            f"On the GPU the target is {GPU_TARGET}x PyTorch at its best (CUDA eager or torch.compile) on every "
            "workload; XLA_PYTHON_CLIENT_PREALLOCATE=false, so that two jaxgan launches side by side share the GPU. "
            "inception_features is not run on the GPU: its PyTorch side (experiments/inception_speed.py) is CPU-only."
        )
    os.makedirs(args.out, exist_ok=True)

    def write(rows: list[dict], roof_after: float | None) -> str:
        """The report so far: written after every workload, so that a run stopped early keeps its rows."""
        machine["load_after"] = load_average()
        report = {
            "mode": "quick" if args.quick else ("full, GPU plans" if plans is GPU else "full"),
            "machine": machine,
            "matmul_roof_flops_per_second": roof,
            "matmul_roof_end_flops_per_second": roof_after,
            "workloads": rows,
            "unfinished": [n for n in names if n not in {row["name"] for row in rows}],
            "notes": notes,
            "seconds": time.perf_counter() - started,
        }
        with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
            json.dump(report, f, indent=2)
        page = markdown(report)
        with open(os.path.join(args.out, f"{args.name}.md"), "w") as f:
            f.write(page)
        with open(os.path.join(args.out, f"{args.name}_profile.md"), "w") as f:
            f.write(profile_markdown(report))
        return page

    machine["load_before"] = load_before
    rows = []
    with tempfile.TemporaryDirectory(prefix="jaxgan_bench_cache_") as cache_dir:
        for name in names:
            plan = plans[name]
            if name == "many_seeds":
                rows.append(benchmark_many_seeds(plan, cache_dir=cache_dir, log=log, profile=not args.no_profile))
            elif name == "inception_features":
                options = argparse.Namespace(
                    batch=plan.steps_per_call,
                    images=plan.steps_per_call * plan.calls_per_repeat,
                    repeats=plan.repeats,
                    rounds=plan.rounds,
                    no_torch=not with_torch,
                )
                rows.append(inception_speed.run(options, log=log))
            else:
                settings = torch_settings(cores=os.cpu_count() or 1, compiled=plan.torch_compile, device=device)
                if args.quick and device == "cpu":
                    settings = [s for s in settings if s.omp_wait_policy is None]
                rows.append(
                    benchmark_workload(
                        name,
                        plan,
                        cache_dir=cache_dir,
                        settings=settings if with_torch else [],
                        roof=roof,
                        log=log,
                        profile=not args.no_profile,
                    )
                )
                if device == "cuda":  # one target for every workload against PyTorch on the GPU
                    rows[-1]["target"] = GPU_TARGET
            write(rows, None)
    page = write(rows, matmul_roof()[0])
    print(page)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
