"""PacGAN's Table 1 (the 2-D ring and grid, MATH.md §7) in resumable pieces.

    # the paper's protocol: 400 epochs = 400,000 steps, 10 seeds, every method and dataset
    python experiments/mode_collapse.py --root=runs/pacgan
    # the GAN row, one seed, both curves advancing together 20,000 steps at a time
    python experiments/mode_collapse.py --methods=GAN --seeds=1 --chunk=20000 --root=runs/pacgan_cpu
    # no training: the table and curves from whatever the pieces under --root hold
    python experiments/mode_collapse.py --root=runs/pacgan --report_only
    # the quick CPU protocol (narrow networks, learning rates x10, 800 steps, 3 seeds), every method
    python experiments/mode_collapse.py --quick --methods=all --root=runs/mode_collapse_quick \
        --table=results/mode_collapse.md --curves=

A piece is one (method, dataset): one workdir `<root>/<method>_<dataset>` trained by the
loop (`jaxgan.train.train_and_evaluate`) with all its seeds vmapped in one program
(`config.num_seeds`), checkpointed and evaluated every `--eval_every` steps (mode coverage of
2,500 samples per seed, `jaxgan.metrics.mode_coverage`). A rerun resumes each piece from its
last checkpoint and skips finished ones without building anything, so the table can be
filled over several sessions and machines (copy the workdirs). With `--chunk`, the pieces
take turns, `--chunk` steps each, so every curve advances; `--time_budget` sizes the run to
the time given: the first turn measures each piece's steps per second, and the pieces then
train as far as fits (a multiple of `--eval_every`, at most `--steps`).

The table (`--table`) has one row per method and source: this run's mean ± standard error
over seeds at the final evaluation (pieces not finished: their latest evaluation, with the
step reached), and the published row (PacGAN Table 1; unrolled GAN from VEEGAN Table 1).
The curves (`--curves`): modes, high-quality % and reverse KL at every evaluation, one line
per piece (mean over seeds); the numbers behind them go to the same name with `.json`.
The methods and their settings are `METHODS` in configs/mode_collapse.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan.config import pacgan_mixture_config  # noqa: E402

PAPER_STEPS = 400 * 100_000 // 100  # 400 epochs of 100,000 points in batches of 100
PAPER_SEEDS = 10
NUM_EVAL_SAMPLES = 2500
EVAL_EVERY = 20_000
STATUS_FILE = "mode_collapse.json"  # in each piece's workdir: the protocol, and a failure if any

# The quick protocol, sized for 2 shared CPU cores: 800 steps instead of 400,000, so the networks
# keep their shape at about a third of the width (G 4x128 BN+ReLU, D 3x64 maxout-5) and every
# learning rate is 10x the paper's. Its numbers compare the methods with each other only.
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

# Published rows: per dataset (modes, HQ %, reverse KL), each (mean, standard error or None).
# The GAN row's standard errors are PacGAN Table 1's (as quoted in issue 18); the other rows'
# means are MATH.md §7's, whose standard errors are not in this repository, so none is shown.
PUBLISHED = {
    "GAN": ("PacGAN Table 1", ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)), ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07))),
    "PacGAN2": (
        "PacGAN Table 1",
        ((7.9, None), (95.6, None), (0.07, None)),
        ((23.8, None), (91.3, None), (0.13, None)),
    ),
    "PacGAN3": (
        "PacGAN Table 1",
        ((7.8, None), (97.7, None), (0.10, None)),
        ((24.6, None), (94.2, None), (0.06, None)),
    ),
    "PacGAN4": (
        "PacGAN Table 1",
        ((7.8, None), (95.9, None), (0.07, None)),
        ((24.8, None), (93.6, None), (0.04, None)),
    ),
    "unrolled": ("VEEGAN Table 1", ((7.6, None), (35.6, None), None), ((23.6, None), (16.0, None), None)),
    "ALI": ("PacGAN Table 1", ((6.6, None), (97.6, None), (0.36, None)), ((24.1, None), (95.7, None), (0.14, None))),
}
OTHER_PUBLISHED = [
    ("VEEGAN", "VEEGAN Table 1", ((8.0, None), (52.9, None), None), ((24.6, None), (40.0, None), None)),
]
KEYS = ("modes", "high_quality_fraction", "reverse_kl")


def method_config(
    method: str,
    dataset: str,
    *,
    steps: int,
    seeds: int,
    steps_per_call: int = 100,
    eval_every: int = EVAL_EVERY,
    quick: bool = False,
    **overrides,
):
    """The config of one piece: PacGAN's mixture config, the method's overrides, the protocol.

    `overrides`: further `{"dotted.path": value}` settings (e.g. narrower networks for a test).
    """
    from jaxgan.train import sweeps

    config = pacgan_mixture_config(dataset)
    config = sweeps.with_overrides(config, METHODS[method])
    config.num_seeds = seeds
    config.num_steps = steps
    config.steps_per_call = steps_per_call
    config.eval_every = config.checkpoint_every = config.sample_every = eval_every
    config.log_every = math.gcd(eval_every, 1000)
    config.num_eval_samples = NUM_EVAL_SAMPLES
    config.evaluators = "mode_coverage"
    if quick:
        config.model.generator.width = QUICK_GENERATOR_WIDTH
        for entry in ("discriminator", "diffusion_discriminator"):  # MDGAN's second D too
            if entry in config.model:
                config.model[entry].width = QUICK_DISCRIMINATOR_WIDTH
        for which in config.optimizer:  # every group's optimiser (MDGAN's diffusion_discriminator too)
            config.optimizer[which].learning_rate *= QUICK_LEARNING_RATE_SCALE
    return sweeps.with_overrides(config, overrides) if overrides else config


# ---------------------------------------------------------------------------------------------
# What a piece's workdir holds (read without building anything).


def read_evaluations(workdir: str) -> list[dict]:
    """Every evaluation in `workdir/metrics.jsonl`, by step: `{"step", "modes": [per seed], ...}`."""
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    by_step: dict[int, dict] = {}
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill
                continue
            values = {}
            for key in KEYS:
                one = row.get(f"eval/{key}")
                if one is not None:
                    values[key] = [one]
                else:
                    seeds = sorted(
                        (int(k.rsplit("=", 1)[1]), v)
                        for k, v in row.items()
                        if k.startswith(f"eval/{key}/seed=") and k.rsplit("=", 1)[1].isdigit()
                    )
                    if seeds:
                        values[key] = [v for _, v in seeds]
            if len(values) == len(KEYS):
                by_step[int(row["step"])] = {"step": int(row["step"]), **values}
    return [by_step[s] for s in sorted(by_step)]


def checkpoint_step(workdir: str) -> int:
    """The latest checkpoint's step (orbax keeps one folder per step), 0 without one."""
    folder = os.path.join(workdir, "checkpoints")
    if not os.path.isdir(folder):
        return 0
    steps = [int(name) for name in os.listdir(folder) if name.isdigit()]
    return max(steps, default=0)


def read_status(workdir: str) -> dict:
    path = os.path.join(workdir, STATUS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_status(workdir: str, status: dict) -> None:
    os.makedirs(workdir, exist_ok=True)
    tmp = os.path.join(workdir, STATUS_FILE + ".tmp")
    with open(tmp, "w") as f:
        json.dump(status, f, indent=1)
    os.replace(tmp, os.path.join(workdir, STATUS_FILE))


def piece_name(method: str, dataset: str) -> str:
    return f"{method}_{dataset}"


def is_finished(workdir: str, steps: int) -> bool:
    """Trained to `steps` and evaluated there."""
    evaluations = read_evaluations(workdir)
    return checkpoint_step(workdir) >= steps and bool(evaluations) and evaluations[-1]["step"] >= steps


# ---------------------------------------------------------------------------------------------
# Training.


def train_piece(config, workdir: str, to_step: int) -> float:
    """Train the piece to `to_step` (resuming); the seconds it took."""
    from jaxgan.train import loop

    start = time.perf_counter()
    launch = config.copy_and_resolve_references()
    launch.num_steps = to_step
    loop.train_and_evaluate(launch, workdir)
    return time.perf_counter() - start


def measured_steps_per_second(workdir: str, since_step: int) -> float | None:
    """The median of the loop's logged steps/s after `since_step` (compilation is in the first
    logged interval of a launch, so that one is left out when others exist)."""
    path = os.path.join(workdir, "metrics.jsonl")
    rates = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if row.get("step", 0) > since_step and "steps_per_second" in row:
                    rates.append(float(row["steps_per_second"]))
    if len(rates) > 1:
        rates = rates[1:]
    return float(np.median(rates)) if rates else None


def sized_target(reached: dict, rates: dict, *, budget_left: float, steps: int, eval_every: int) -> int:
    """The step every unfinished piece can reach in `budget_left` seconds, all advancing together.

    With pieces at `reached[p]` going at `rates[p]` steps/s, S more steps each take Σ S / rate_p
    seconds; the target is the least reached step plus S, rounded down to a multiple of
    `eval_every`, at most `steps` (and at least the least reached step: nothing more is trained
    when nothing fits).
    """
    if not rates:
        return steps
    seconds_per_step = sum(1.0 / max(rate, 1e-9) for rate in rates.values())
    low = min(reached[p] for p in rates)
    target = (low + int(max(budget_left, 0.0) / seconds_per_step)) // eval_every * eval_every
    return min(steps, max(low, target))


# Of the time left after the first turn, the share planned for training (the rest: evaluations,
# checkpoints, the table; the launches' own overhead, measured in the first turn, is set aside too).
BUDGET_SHARE = 0.9


def run_pieces(pieces, args, log=print) -> None:
    """Round-robin over unfinished pieces, `args.chunk` steps a turn (all the steps when 0).

    With `args.time_budget`, the first turn measures each piece's steps/s and launch overhead;
    then every piece trains, in one launch, to the step that fits (`sized_target`), and no
    launch starts once the budget is spent.
    """
    started = time.perf_counter()
    chunk = args.chunk
    todo = []
    for method, dataset, config, workdir in pieces:
        status = read_status(workdir)
        if is_finished(workdir, args.steps):
            log(f"{piece_name(method, dataset)}: finished (step {args.steps}), skipped")
            continue
        if status.get("failed") and not args.retry_failed:
            log(f"{piece_name(method, dataset)}: failed before ({status['failed']}), skipped (--retry_failed retries)")
            continue
        write_status(workdir, {"protocol": protocol_of(args), "failed": None})
        todo.append((method, dataset, config, workdir))
    target = args.steps
    rates: dict[str, float] = {}
    overheads: dict[str, float] = {}
    first_turn = True
    while todo:
        remaining = []
        for method, dataset, config, workdir in todo:
            name = piece_name(method, dataset)
            reached = checkpoint_step(workdir)
            goal = min(target, args.steps)
            if chunk:
                goal = min(goal, (reached // chunk + 1) * chunk)
            if first_turn and args.probe_steps:
                goal = min(goal, reached + args.probe_steps)
            if goal <= reached:
                continue
            if args.time_budget and time.perf_counter() - started > args.time_budget:
                log(f"time budget of {args.time_budget:.0f} s spent: {name} stays at step {reached}")
                return
            try:
                seconds = train_piece(config, workdir, goal)
            except (FloatingPointError, ValueError) as error:  # a diverged run: its story, then the others
                if isinstance(error, ValueError) and not str(error).startswith("mode_coverage:"):
                    raise  # a setting or a workdir refused: not the piece's result
                write_status(workdir, {"protocol": protocol_of(args), "failed": str(error)})
                log(f"{name}: failed at step {checkpoint_step(workdir)}: {error}")
                continue
            rate = measured_steps_per_second(workdir, reached)
            if rate is not None:
                rates[name] = rate
                overheads[name] = max(0.0, seconds - (goal - reached) / rate)
            latest = read_evaluations(workdir)
            summary = ""
            if latest:
                e = latest[-1]
                summary = (
                    f" modes {e['modes']} HQ {[round(100 * v, 1) for v in e['high_quality_fraction']]} "
                    f"rKL {[round(v, 3) for v in e['reverse_kl']]}"
                )
            log(f"{name}: step {goal} in {seconds:.0f} s ({rate or float('nan'):.1f} steps/s){summary}")
            if args.report_every_turn:
                report(args, log=lambda *_: None)
            if goal < args.steps:
                remaining.append((method, dataset, config, workdir))
        todo = [p for p in remaining if checkpoint_step(p[3]) < min(target, args.steps)]
        if first_turn and args.time_budget:
            first_turn = False
            left = args.time_budget - (time.perf_counter() - started)
            reached = {piece_name(m, d): checkpoint_step(w) for m, d, _, w in todo}
            live = {n: r for n, r in rates.items() if n in reached}
            # a later launch compiles from the persistent cache: the least overhead seen, for each
            reserve = len(live) * min((overheads[n] for n in live if n in overheads), default=0.0)
            target = sized_target(
                reached,
                live,
                budget_left=BUDGET_SHARE * (left - reserve),
                steps=args.steps,
                eval_every=args.eval_every,
            )
            log(
                f"time budget: {left:.0f} s left, {reserve:.0f} s of it for the launches' overhead; measured "
                f"steps/s {', '.join(f'{n} {r:.1f}' for n, r in live.items())}; every piece trains to step "
                f"{target} (of {args.steps}) in one launch"
            )
            chunk = 0
            todo = [p for p in todo if checkpoint_step(p[3]) < target]


# ---------------------------------------------------------------------------------------------
# The table and the curves.


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    if not np.all(np.isfinite(values)):
        return float("inf"), float("nan")
    se = float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else float("nan")
    return float(np.mean(values)), se


def _cell(values, *, scale=1.0, digits=2) -> str:
    mean, se = _mean_se([v * scale for v in values])
    if math.isinf(mean):
        return "∞"
    return f"{mean:.{digits}f}" + ("" if math.isnan(se) else f" ± {se:.{digits}f}")


def _published_cell(value, digits) -> str:
    if value is None:
        return ""
    mean, se = value
    return f"{mean:.{digits}f}" + ("" if se is None else f" ± {se:.{digits}f}")


DIGITS = (1, 1, 2)


def protocol_of(args) -> dict:
    return {"steps": args.steps, "seeds": args.seeds, "quick": args.quick, "eval_every": args.eval_every}


def collect(args) -> dict:
    """{(method, dataset): {"evaluations", "reached", "finished", "failed"}} of the pieces under root."""
    found = {}
    for method in METHODS:
        for dataset in DATASETS:
            workdir = os.path.join(args.root, piece_name(method, dataset))
            evaluations = read_evaluations(workdir)
            status = read_status(workdir)
            if not evaluations and not status.get("failed"):
                continue
            found[(method, dataset)] = {
                "evaluations": evaluations,
                "reached": checkpoint_step(workdir),
                "finished": is_finished(workdir, args.steps),
                "failed": status.get("failed"),
            }
    return found


def write_table(found: dict, path: str, *, args, machine: str) -> None:
    header = (
        "| method | source | ring: seeds @ step | modes /8 | HQ % | rKL | grid: seeds @ step | modes /25 | HQ % | rKL |"
    )
    lines = [
        "# PacGAN's Table 1 (2-D ring and grid), jaxgan beside the published rows",
        "",
        f"Written by `experiments/mode_collapse.py` from the pieces under `{args.root}` "
        f"({machine}). Protocol: **{args.steps:,} steps** per piece (the paper: {PAPER_STEPS:,} = 400 epochs "
        f"of 100,000 points at batch 100), up to **{args.seeds} seed(s)** per piece (the paper: {PAPER_SEEDS}), "
        f"evaluated every {args.eval_every:,} steps on {NUM_EVAL_SAMPLES:,} samples per seed "
        "(`jaxgan.metrics.mode_coverage`: HQ within 3 std of a mode; reverse KL of the HQ samples' "
        "mode histogram to uniform).",
        "",
        "Networks and optimiser as the paper's code (fjxmlzn/PacGAN): G 4×400 BN+ReLU, D 3×200 maxout-5, "
        "kernels N(0, 0.02²), biases 0, G's batch norm with running-average decay 0.95 and epsilon 1e-4, "
        "Adam(1e-4, β1 = 0.8), batch 100, z ~ N(0, I₂); samples drawn with batch norm's running averages. "
        "Methods' own settings: `METHODS` in configs/mode_collapse.py.",
    ]
    if args.quick:
        lines += [
            "",
            f"**Quick protocol**: networks at width {QUICK_GENERATOR_WIDTH}/{QUICK_DISCRIMINATOR_WIDTH} and learning "
            f"rates ×{QUICK_LEARNING_RATE_SCALE:g} the paper's: these numbers rank the methods after a short run; "
            "they are not comparable with the published rows.",
        ]
    lines += [
        "",
        "Cells: mean ± standard error over seeds (one seed: the value alone). A step below the "
        "protocol's means the piece is not finished and the cells are its latest evaluation.",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for method in METHODS:
        has_run = any((method, d) in found for d in DATASETS)
        if not has_run and method not in PUBLISHED:
            continue
        if has_run:
            cells = []
            for dataset in DATASETS:
                entry = found.get((method, dataset))
                if entry is None or not entry["evaluations"]:
                    cells += ["—"] * 4
                    if entry is not None and entry["failed"]:
                        notes.append(f"{method} on {dataset} failed: {entry['failed']}")
                    continue
                last = entry["evaluations"][-1]
                seeds = len(last["modes"])
                mark = "" if entry["finished"] else " (unfinished)"
                cells.append(f"{seeds} @ {last['step']:,}{mark}")
                cells.append(_cell(last["modes"], digits=1))
                cells.append(_cell(last["high_quality_fraction"], scale=100.0, digits=1))
                cells.append(_cell(last["reverse_kl"], digits=2))
                if entry["failed"]:
                    notes.append(f"{method} on {dataset} failed: {entry['failed']}")
            lines.append(f"| {method} | jaxgan | " + " | ".join(cells) + " |")
        if method in PUBLISHED:
            source, ring, grid = PUBLISHED[method]
            cells = []
            for triple in (ring, grid):
                cells.append(f"{PAPER_SEEDS} @ end")
                cells += [_published_cell(v, d) for v, d in zip(triple, DIGITS)]
            lines.append(f"| {method} | {source} | " + " | ".join(cells) + " |")
    for name, source, ring, grid in OTHER_PUBLISHED:
        cells = []
        for triple in (ring, grid):
            cells.append(f"{PAPER_SEEDS} @ end")
            cells += [_published_cell(v, d) for v, d in zip(triple, DIGITS)]
        lines.append(f"| {name} | {source} | " + " | ".join(cells) + " |")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_curves(found: dict, path: str, log=print) -> None:
    """Modes, HQ % and reverse KL against the step, one line per piece (mean over its seeds),
    and the numbers behind them as JSON beside the picture (the JSON alone without matplotlib)."""
    numbers = {
        piece_name(m, d): entry["evaluations"] for (m, d), entry in sorted(found.items()) if entry["evaluations"]
    }
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(numbers, f, indent=0)
    try:
        import matplotlib
    except ImportError:
        log(f"matplotlib is not installed (pip install -e '.[plot]'): {path} not drawn, its numbers are in the .json")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = [d for d in DATASETS if any(d == dataset for (_, dataset), e in found.items() if e["evaluations"])]
    fig, axes = plt.subplots(len(datasets), 3, figsize=(13, 3.4 * len(datasets)), squeeze=False)
    titles = ("modes captured", "high-quality samples %", "reverse KL")
    scales = (1.0, 100.0, 1.0)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, dataset in enumerate(datasets):
        methods = [m for m in METHODS if found.get((m, dataset), {}).get("evaluations")]
        for col, (key, title, scale) in enumerate(zip(KEYS, titles, scales)):
            ax = axes[row, col]
            for i, method in enumerate(methods):
                evaluations = found[(method, dataset)]["evaluations"]
                steps = [e["step"] for e in evaluations]
                values = [scale * float(np.mean(e[key])) for e in evaluations]
                seeds = len(evaluations[-1][key])
                colour = colours[i % len(colours)]
                ax.plot(
                    steps,
                    values,
                    marker="o",
                    markersize=3,
                    color=colour,
                    label=f"{method} ({seeds} seed{'s' * (seeds > 1)})",
                )
                published = PUBLISHED.get(method)
                triple = None if published is None else published[1 if dataset == "ring" else 2]
                if triple is not None and triple[col] is not None:
                    ax.axhline(
                        triple[col][0], color=colour, linestyle="--", linewidth=1, label=f"{method}, {published[0]}"
                    )
            ax.set_title(f"{dataset}: {title}", fontsize=10)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
        axes[row, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def machine_words() -> str:
    import jax

    device = jax.devices()[0]
    kind = getattr(device, "device_kind", device.platform)
    return f"{jax.device_count()} {device.platform.upper()} device(s), {kind}"


def report(args, log=print) -> dict:
    found = collect(args)
    write_table(found, args.table, args=args, machine=args.machine or machine_words())
    if args.curves and any(e["evaluations"] for e in found.values()):
        write_curves(found, args.curves, log=log)
    log(f"wrote {args.table}" + (f" and {args.curves}" if args.curves else ""))
    return found


# ---------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--methods", default="GAN,PacGAN2,PacGAN3,PacGAN4", help="comma-separated, or all; from " + ", ".join(METHODS)
    )
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument(
        "--steps", type=int, default=None, help=f"steps per piece (default {PAPER_STEPS:,}; --quick {QUICK_STEPS})"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help=f"seeds per piece, vmapped (default {PAPER_SEEDS}; --quick {QUICK_SEEDS})",
    )
    parser.add_argument(
        "--eval_every",
        type=int,
        default=None,
        help=f"evaluate and checkpoint every N steps (default {EVAL_EVERY:,}; --quick: --steps)",
    )
    parser.add_argument("--steps_per_call", type=int, default=100)
    parser.add_argument(
        "--chunk", type=int, default=0, help="steps per turn when the pieces take turns (0: each piece to the end)"
    )
    parser.add_argument(
        "--time_budget", type=float, default=0.0, help="seconds: size the run to fit after the first turn (0: no limit)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the quick CPU protocol (narrow networks, learning rates x10)"
    )
    parser.add_argument(
        "--probe_steps",
        type=int,
        default=0,
        help="the first turn trains at most this many steps per piece (0: a chunk), e.g. to measure steps/s",
    )
    parser.add_argument("--root", default="runs/pacgan", help="one workdir per (method, dataset) under it")
    parser.add_argument("--table", default="results/pacgan_table.md")
    parser.add_argument("--curves", default="results/pacgan_curves.png", help="'' for none")
    parser.add_argument("--machine", default="", help="words for the machine in the table (default: from JAX)")
    parser.add_argument("--report_only", action="store_true", help="write the table and curves; train nothing")
    parser.add_argument(
        "--report_every_turn", action="store_true", help="rewrite the table and curves after every turn"
    )
    parser.add_argument("--retry_failed", action="store_true")
    parser.add_argument(
        "--cache_dir",
        default=os.path.join(os.path.expanduser("~"), ".cache", "jaxgan-xla"),
        help="persistent XLA compilation cache, so a resumed piece does not compile again ('' for none)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="PATH=JSON", help="a further config override (tests)"
    )
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = QUICK_STEPS if args.quick else PAPER_STEPS
    if args.seeds is None:
        args.seeds = QUICK_SEEDS if args.quick else PAPER_SEEDS
    if args.eval_every is None:
        args.eval_every = args.steps if args.quick else EVAL_EVERY
    args.methods = list(METHODS) if args.methods == "all" else [m.strip() for m in args.methods.split(",") if m.strip()]
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    problems = []
    unknown = [m for m in args.methods if m not in METHODS] + [d for d in args.datasets if d not in DATASETS]
    if unknown:
        problems.append(
            f"unknown method(s)/dataset(s) {unknown}: accepted methods are {list(METHODS)}, datasets {list(DATASETS)}"
        )
    for name in ("steps", "seeds", "eval_every", "steps_per_call"):
        if getattr(args, name) < 1:
            problems.append(f"--{name} must be a positive integer; got {getattr(args, name)}")
    if not problems:
        if args.eval_every % args.steps_per_call:
            problems.append(
                f"--eval_every ({args.eval_every}) must be a multiple of --steps_per_call ({args.steps_per_call})"
            )
        if args.steps % args.eval_every:
            problems.append(f"--steps ({args.steps}) must be a multiple of --eval_every ({args.eval_every})")
        if args.chunk < 0 or args.chunk % args.eval_every:
            problems.append(
                f"--chunk ({args.chunk}) must be 0 or a positive multiple of --eval_every ({args.eval_every})"
            )
        if args.probe_steps < 0 or args.probe_steps % args.steps_per_call:
            problems.append(
                f"--probe_steps ({args.probe_steps}) must be 0 or a positive multiple of --steps_per_call "
                f"({args.steps_per_call})"
            )
        if args.time_budget < 0:
            problems.append(f"--time_budget must be >= 0 seconds; got {args.time_budget}")
    overrides = {}
    for item in args.set:
        path, sep, value = item.partition("=")
        try:
            overrides[path] = json.loads(value)
        except json.JSONDecodeError:
            sep = ""
        if not sep or not path:
            problems.append(f"--set {item!r} must be PATH=JSON, e.g. model.generator.width=8")
    if problems:
        parser.error(problems[0] + ".")
    args.overrides = overrides
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.report_only:  # as `jaxgan train` does: a CPU device a core for the seeds (before JAX starts)
        from jaxgan.train import parallel

        parallel.cpu_devices_for_runs(args.seeds)
    if args.cache_dir and not args.report_only:
        import jax

        jax.config.update("jax_compilation_cache_dir", args.cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    if not args.report_only:
        pieces = []
        for method in args.methods:
            for dataset in args.datasets:
                config = method_config(
                    method,
                    dataset,
                    steps=args.steps,
                    seeds=args.seeds,
                    steps_per_call=args.steps_per_call,
                    eval_every=args.eval_every,
                    quick=args.quick,
                    **args.overrides,
                )
                pieces.append((method, dataset, config, os.path.join(args.root, piece_name(method, dataset))))
        run_pieces(pieces, args, log=lambda message: print(time.strftime("%H:%M:%S"), message, flush=True))
    report(args)


if __name__ == "__main__":
    main()
