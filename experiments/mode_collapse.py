"""Mode collapse on the 2-D mixtures (PacGAN protocol, MATH.md §7), for every objective and remedy.

    python experiments/mode_collapse.py --quick            # the committed table: a short protocol on CPU
    python experiments/mode_collapse.py                     # the paper's 400 epochs, 10 seeds (an accelerator's job)
    python experiments/mode_collapse.py --methods=GAN,PacGAN2 --datasets=ring --steps=2000 --seeds=3

Every (method, dataset) is one compiled program training all its seeds together
(`jaxgan.train.runs`: the state vmapped over seeds, each seed with its own init, data
draw and data order). After training, each seed's generator draws 2,500 samples, scored by
`jaxgan.metrics.mode_coverage` (modes with a high-quality sample, HQ fraction, reverse KL).
The script writes `results/mode_collapse.md` (mean ± standard error over seeds beside the
published rows) and `results/mode_collapse.png` (one scatter plot per method and dataset,
first seed). The methods and their settings are `METHODS` in configs/mode_collapse.py.
Finished (method, dataset) results are kept in `--workdir` as JSON, so an interrupted run
continues where it stopped.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan import metrics  # noqa: E402
from jaxgan.config import pacgan_mixture_config  # noqa: E402
from jaxgan.train import loop, parallel  # noqa: E402
from jaxgan.train import runs as runs_lib  # noqa: E402

PAPER_STEPS = 400 * 100_000 // 100  # 400 epochs of 100,000 points in batches of 100
NUM_EVAL_SAMPLES = 2500

# The quick protocol, sized for 2 shared CPU cores (< 45 min for all methods on both datasets):
# 800 steps instead of 400,000, so the networks keep their shape at about a third of the width
# (G 4x128 BN+ReLU, D 3x64 maxout-5: ~6x cheaper per step) and every learning rate is 10x the
# paper's. Its numbers compare the methods with each other, not with the published rows.
QUICK_STEPS = 800
QUICK_SEEDS = 3
QUICK_GENERATOR_WIDTH = 128
QUICK_DISCRIMINATOR_WIDTH = 64
QUICK_LEARNING_RATE_SCALE = 10.0


def _load_study():
    """configs/mode_collapse.py: the methods' overrides, shared with `experiments/sweep.py`."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "mode_collapse.py")
    spec = importlib.util.spec_from_file_location("mode_collapse_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STUDY = _load_study()
METHODS: dict[str, dict] = _STUDY.METHODS
DATASETS = _STUDY.DATASETS

# Published means over seeds (MATH.md §7): (modes, HQ %, reverse KL) per dataset; None = not reported.
PUBLISHED = {
    "GAN": ("GAN (PacGAN Table 1)", (6.3, 98.2, 0.45), (17.3, 94.8, 0.70)),
    "PacGAN2": ("PacGAN2", (7.9, 95.6, 0.07), (23.8, 91.3, 0.13)),
    "PacGAN3": ("PacGAN3", (7.8, 97.7, 0.10), (24.6, 94.2, 0.06)),
    "PacGAN4": ("PacGAN4", (7.8, 95.9, 0.07), (24.8, 93.6, 0.04)),
    "unrolled": ("Unrolled GAN (VEEGAN Table 1)", (7.6, 35.6, None), (23.6, 16.0, None)),
}
OTHER_PUBLISHED = [
    ("ALI", (6.6, 97.6, 0.36), (24.1, 95.7, 0.14)),
    ("VEEGAN (VEEGAN Table 1)", (8, 52.9, None), (24.6, 40.0, None)),
]


def method_config(method: str, dataset: str, *, steps: int, seeds: int, steps_per_call: int, quick: bool = False):
    config = pacgan_mixture_config(dataset)
    config = runs_lib.with_overrides(config, METHODS[method])
    config.num_seeds = seeds
    config.num_steps = steps
    config.steps_per_call = steps_per_call
    if quick:
        config.model.generator.width = QUICK_GENERATOR_WIDTH
        config.model.discriminator.width = QUICK_DISCRIMINATOR_WIDTH
        for which in ("generator", "discriminator"):
            config.optimizer[which].learning_rate *= QUICK_LEARNING_RATE_SCALE
    return config


def train_and_score(config) -> tuple[list[dict], list[np.ndarray], float]:
    """Train every seed of `config` together; score 2,500 samples per seed. (scores, samples, seconds)."""
    start = time.perf_counter()
    run = loop.setup(config)
    state = parallel.replicate(run.state, run.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = run.call(state, *run.feeder.inputs(first))
    samples = run.sampler.sample(state, jax.random.PRNGKey(config.seed + 2), NUM_EVAL_SAMPLES)
    seconds = time.perf_counter() - start
    centers, std = run.experiment.dataset.metadata["centers"], run.experiment.dataset.metadata["std"]
    scores = []
    for points in samples:
        if not np.all(np.isfinite(points)):  # a diverged run captures nothing
            scores.append({"modes": 0, "high_quality_fraction": 0.0, "reverse_kl": float("inf"), "diverged": True})
            continue
        coverage = metrics.mode_coverage(points, centers, std)
        scores.append({**coverage._asdict(), "diverged": False})
    return scores, samples, seconds


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    if values.size == 0:
        return float("nan"), float("nan")
    if not np.all(np.isfinite(values)):
        return float("inf"), float("nan")
    se = float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0
    return float(np.mean(values)), se


def _cell(values, scale=1.0, digits=2) -> str:
    mean, se = _mean_se([v * scale for v in values])
    if math.isinf(mean):
        return "∞"
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def _published_cells(row) -> list[str]:
    cells = []
    for triple in row:
        cells += ["" if v is None else f"{v:g}" for v in triple]
    return cells


def write_table(results: dict, path: str, *, protocol: str) -> None:
    header = "| method | ring modes /8 | ring HQ % | ring rKL | grid modes /25 | grid HQ % | grid rKL |"
    lines = [
        "# Mode collapse on the 2-D mixtures (PacGAN protocol)",
        "",
        "Produced by `experiments/mode_collapse.py` " + protocol,
        "",
        "The full protocol's networks and optimiser are PacGAN §5 / MATH.md §7 (G 4×400 BN+ReLU, D 3×200 "
        "maxout-5, Adam(1e-4, β1 = 0.8), batch 100, z ~ N(0, I₂)), except where a method needs its own "
        "(see `METHODS` in configs/mode_collapse.py). Each seed draws its own 100,000 training points, "
        "init and data order; "
        "2,500 samples per seed are scored by `jaxgan.metrics.mode_coverage` (HQ: within 3 std of a mode). "
        "Cells are mean ± standard error over seeds.",
        "",
        "## This run",
        "",
        header,
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for method in METHODS:
        cells = []
        for dataset in DATASETS:
            entry = results.get((method, dataset))
            if entry is None:
                cells += ["—"] * 3
                continue
            scores = entry["scores"]
            cells += [
                _cell([s["modes"] for s in scores], digits=1),
                _cell([s["high_quality_fraction"] for s in scores], scale=100.0, digits=1),
                _cell([s["reverse_kl"] for s in scores], digits=2),
            ]
            diverged = sum(s["diverged"] for s in scores)
            if diverged:
                notes.append(f"{method} on {dataset}: {diverged} of {len(scores)} seeds diverged (counted as 0 modes).")
            infinite = sum(math.isinf(s["reverse_kl"]) and not s["diverged"] for s in scores)
            if infinite:
                notes.append(f"{method} on {dataset}: {infinite} seed(s) had no HQ sample (reverse KL ∞).")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    lines += ["", "## Published (means over seeds, 400 epochs)", "", header, "|---|---|---|---|---|---|---|"]
    for name, ring, grid in PUBLISHED.values():
        lines.append(f"| {name} | " + " | ".join(_published_cells((ring, grid))) + " |")
    for name, ring, grid in OTHER_PUBLISHED:
        lines.append(f"| {name} | " + " | ".join(_published_cells((ring, grid))) + " |")
    timing = [f"{m} / {d}: {e['seconds']:.0f} s" for (m, d), e in results.items()]
    lines += ["", "Wall time per (method, dataset), compile included: " + "; ".join(timing) + "."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_plot(samples: dict, centers: dict, path: str) -> None:
    """One scatter plot per method (rows) and dataset (columns): first seed's samples over the mode centres."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [m for m in METHODS if any((m, d) in samples for d in DATASETS)]
    fig, axes = plt.subplots(len(methods), 2, figsize=(6, 3 * len(methods)), squeeze=False)
    limits = {"ring": 1.6, "grid": 6.0}
    for row, method in enumerate(methods):
        for col, dataset in enumerate(DATASETS):
            ax = axes[row, col]
            ax.set_xlim(-limits[dataset], limits[dataset])
            ax.set_ylim(-limits[dataset], limits[dataset])
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{method} — {dataset}", fontsize=9)
            points = samples.get((method, dataset))
            if points is None:
                continue
            finite = points[np.all(np.isfinite(points), axis=1)]
            ax.scatter(finite[:, 0], finite[:, 1], s=1, alpha=0.4, color="tab:blue", linewidths=0)
            c = centers[dataset]
            ax.scatter(c[:, 0], c[:, 1], s=12, facecolors="none", edgecolors="tab:red", linewidths=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"short CPU protocol: {QUICK_STEPS} steps, {QUICK_SEEDS} seeds, networks at width "
        f"{QUICK_GENERATOR_WIDTH}/{QUICK_DISCRIMINATOR_WIDTH}, learning rates x{QUICK_LEARNING_RATE_SCALE:g}",
    )
    parser.add_argument("--steps", type=int, default=None, help=f"G steps per run (default {PAPER_STEPS}: 400 epochs)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per method (default 10; --quick 3)")
    parser.add_argument("--steps_per_call", type=int, default=100)
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument(
        "--workdir", default="/tmp/jaxgan_mode_collapse", help="per-(method, dataset) results, for resuming"
    )
    parser.add_argument("--out", default="results", help="where mode_collapse.md and mode_collapse.png go")
    parser.add_argument(
        "--cache_dir",
        default=os.path.join(os.path.expanduser("~"), ".cache", "jaxgan-xla"),
        help="persistent XLA cache: ring and grid share one compiled program per method",
    )
    args = parser.parse_args(argv)

    steps = args.steps or (QUICK_STEPS if args.quick else PAPER_STEPS)
    seeds = args.seeds or (QUICK_SEEDS if args.quick else 10)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = sorted(set(methods) - set(METHODS)) + sorted(set(datasets) - set(DATASETS))
    if unknown:
        parser.error(
            f"unknown method(s)/dataset(s) {unknown}; use methods from {list(METHODS)} and datasets from {list(DATASETS)}."
        )
    if steps % args.steps_per_call:
        parser.error(f"--steps ({steps}) must be a multiple of --steps_per_call ({args.steps_per_call}).")
    if args.cache_dir:
        jax.config.update("jax_compilation_cache_dir", args.cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)

    tag = f"steps{steps}_seeds{seeds}" + ("_quick" if args.quick else "")
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    results, samples, centers = {}, {}, {}
    started = time.perf_counter()
    for method in methods:
        for dataset in datasets:
            stem = os.path.join(args.workdir, f"{method}_{dataset}_{tag}")
            config = method_config(
                method, dataset, steps=steps, seeds=seeds, steps_per_call=args.steps_per_call, quick=args.quick
            )
            if not os.path.exists(stem + ".json"):
                scores, run_samples, seconds = train_and_score(config)
                np.save(stem + ".npy", np.stack(run_samples))
                with open(stem + ".json", "w") as f:
                    json.dump({"scores": scores, "seconds": seconds}, f)
                print(
                    f"{method:>26} {dataset}: modes {[s['modes'] for s in scores]} "
                    f"HQ {[round(s['high_quality_fraction'], 3) for s in scores]} ({seconds:.0f} s)",
                    flush=True,
                )
            with open(stem + ".json") as f:
                results[(method, dataset)] = json.load(f)
            samples[(method, dataset)] = np.load(stem + ".npy")[0]
            centers[dataset] = metrics_centers(dataset)
    total = time.perf_counter() - started
    given = argv if argv is not None else sys.argv[1:]
    flags_used = " ".join(a for a in given if not a.startswith(("--workdir", "--out", "--cache")))
    protocol = (
        f"with `{flags_used or '(defaults)'}`: **{steps} G steps** ({steps * 100 / 100_000:g} epochs at batch 100; "
        f"the paper trains {PAPER_STEPS}) and **{seeds} seeds** per method, on {jax.device_count()} "
        f"{jax.devices()[0].platform.upper()} device(s), {total / 60:.0f} min wall time in all."
    )
    if args.quick:
        protocol += (
            f" This is the **quick protocol**: besides the steps, the networks keep their shape at about a third "
            f"of the width (G 4×{QUICK_GENERATOR_WIDTH} BN+ReLU, D 3×{QUICK_DISCRIMINATOR_WIDTH} maxout-5) and every "
            f"learning rate is ×{QUICK_LEARNING_RATE_SCALE:g} the paper's, so its numbers rank the methods against "
            "each other after a short run; they are not comparable with the published rows, which the full "
            "protocol (no `--quick`, an accelerator's job) reproduces."
        )
    table = os.path.join(args.out, "mode_collapse.md")
    write_table(results, table, protocol=protocol)
    write_plot(samples, centers, os.path.join(args.out, "mode_collapse.png"))
    print(f"wrote {table} and mode_collapse.png in {total:.0f} s")


def metrics_centers(dataset: str) -> np.ndarray:
    from jaxgan import data

    return data.ring_centers() if dataset == "ring" else data.grid_centers()


if __name__ == "__main__":
    main()
