"""Training with little data: the seed DCGAN on 500 and 1,000 digits, with and without the
limited-data methods, and the table `results/limited_data.md` (issue 28, "The benchmark: limited data").

    python experiments/limited_data.py --runs=runs/limited_data              # 2 sizes x 6 methods x 3 seeds
    python experiments/limited_data.py --runs=/tmp/smoke --only=baseline --sizes=500 --num_seeds=1 \
        --steps_scale=0.01 --out=/tmp/smoke/limited_data.md                  # a smoke run
    python experiments/limited_data.py --runs=runs/limited_data --table_only # the table of what finished

Every run is `configs/dcgan_mnist.py` (the survey's seed DCGAN, non-saturating loss, Adam(2e-4, 0.5),
batch 64) trained on `--config.data.num_train` examples (500 or 1,000: 10% and 20% of the bundled
digits; a stratified subset, 50 or 100 per class, drawn with `config.data.subset_seed` = 0, so every
seed and method reads the same digits) of `train[:90%]` (4,500 digits), so that the 500 digits of
`test` (`config.data.test_split`) are held out from every run. Methods (`METHODS`: the overrides of
each) at equal steps (`--steps`):

- baseline;
- DiffAugment (Zhao et al. 2020): `augment.policy=color,translation,cutout`, and
  `translation,cutout` (the policy of the authors' BigGAN CIFAR-10 scripts at full data);
- ADA (Karras et al. 2020): `augment.policy=ada`;
- LeCam + DiffAugment (Tseng et al. 2021): `lecam.weight` (with `lecam.decay`) on top of DiffAugment;
- bCR (Zhao et al. 2021): `consistency.bcr_real`, `consistency.bcr_fake`.

For each (size, method, seed), in `<runs>/n<size>/<method>/seed_<s>` (`--vmap_seeds`: the seeds in
one program, `<runs>/n<size>/<method>`, `--config.num_seeds`; on XLA:CPU a vmapped convolutional
run is several times slower than the runs apart, hence separate runs by default):

1. `jaxgan train` with the evaluator `discriminator_overfitting` every `--eval_every` steps (D's
   mean raw output on the run's training digits and on the held-out digits, their gap, and mean
   signs: `jaxgan/metrics/overfitting.py`), logged in the workdir's metrics.jsonl. A run whose
   latest checkpoint is at `--steps` is skipped; an unfinished one resumes (the CLI restores it).
2. FID on the bundled classifier's features of `--fid_samples` samples of the checkpoint at
   `--steps` (of a workdir trained further too, when that checkpoint is kept; else the latest)
   against the 500 held-out digits and against the 4,500 training digits (`train[:90%]`), per
   seed, kept in `<workdir>/limited_data_fid_<step>.json` (computed once); D's overfitting
   figures up to `--steps` likewise.
3. The table: size, method, FID mean ± sd over the seeds and the worst seed (against both
   references), the change of the mean FID against the baseline of the same size, D's overfitting
   gap and r_t = E[sign D(x_train)] at the end; whether the hallmark is reached: with 500 digits,
   DiffAugment or ADA lowers FID (against the held-out digits) by at least 25% below the baseline's
   mean on every seed, and its final overfitting gap (mean over seeds) is below the baseline's.
   The curves of the gap over steps (baseline and DiffAugment, each size) go to `--plot` (a PNG
   drawn with PIL, as the sample pictures are: matplotlib is not a dependency) and every run's
   curve to `<out>.json`.

`--fid_every=N` keeps a checkpoint every N steps and adds held-out FID at each (every seed) to the
table: FID over the run. `--common` adds config overrides to every run (e.g. the seed DCGAN's D
without its dropout, `--common=--config.model.discriminator.dropout_rate=0`), named in the table.
`--steps_scale` multiplies `--steps` (at least one host call of 10 steps), for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402  (its CLI launcher, run bookkeeping and summaries)

ROOT = families.ROOT
CONFIG = "dcgan_mnist"
SIZES = (500, 1000)
TRAIN_SPLIT = "train[:90%]"  # the 4,500 training digits; "test" (the other 500) is held out
STEPS_PER_CALL = 10  # configs/dcgan_mnist.py's
# 1,000 steps (64,000 images: 128 epochs of 500 digits, 64 of 1,000; D has time to memorise them):
# the seed DCGAN runs at ~5.5-6 steps/s on this machine's 2 idle cores, so a baseline run with its
# evaluations takes ~3-4 minutes and all 36 runs (2 sizes x 6 methods x 3 seeds) fit in about two and a half hours.
DEFAULT_STEPS = 1000
# ADA's speed, scaled to the run: Karras et al. 2020 let p cross [0, 1] in 500k images of runs of
# ~25M (2%); at 500k, p could move by 0.13 in this whole run. 10k images (~160 steps) is the same
# fraction of a 64k-image run as 500k of a ~3M-image one: p can follow r_t within the run.
ADA_KIMG = 10
DIFF_AUGMENT = "--config.augment.policy=color,translation,cutout"
METHODS: dict[str, tuple[str, ...]] = {
    "baseline": (),
    "diffaugment": (DIFF_AUGMENT,),
    # the policy of the authors' BigGAN CIFAR-10 scripts at full data (mit-han-lab/data-efficient-gans,
    # DiffAugment-biggan-cifar: `--DiffAugment translation,cutout`; their 10% and 20% runs add color); on
    # one-channel digits color is brightness and contrast only (saturation leaves a grey image as it is)
    "diffaugment_tc": ("--config.augment.policy=translation,cutout",),
    "ada": ("--config.augment.policy=ada", f"--config.augment.ada_kimg={ADA_KIMG}"),
    # LeCam's weight and anchor decay: 0.3, the weight of the authors' BigGAN + DiffAugment runs on
    # 10% and 20% of CIFAR-10 (google/lecam-gan, biggan_cifar/scripts/lc-DiffAugment-*.sh: `--LC 0.3`),
    # and the anchors' EMA decay 0.99 (Tseng et al. 2021; shared MATH.md).
    "lecam_diffaugment": (DIFF_AUGMENT, "--config.lecam.weight=0.3", "--config.lecam.decay=0.99"),
    # bCR's weights, Zhao et al. 2021: λ_real = λ_fake = 10.
    "bcr": ("--config.consistency.bcr_real=10.0", "--config.consistency.bcr_fake=10.0"),
}
LABELS = {
    "baseline": "baseline",
    "diffaugment": "DiffAugment",
    "diffaugment_tc": "DiffAugment (translation, cutout)",
    "ada": "ADA",
    "lecam_diffaugment": "LeCam + DiffAugment",
    "bcr": "bCR",
}
HALLMARK_METHODS = ("diffaugment", "diffaugment_tc", "ada")
CURVE_METHODS = ("baseline", "diffaugment", "diffaugment_tc")
OVERFITTING = ("d_output_train", "d_output_held_out", "d_output_gap", "d_sign_train", "d_sign_held_out", "d_sign_gap")
FID_FILE = "limited_data_fid_{step:08d}.json"
FID_KEY = "fid_classifier"
REFERENCES = {"held_out": "test", "train": TRAIN_SPLIT}  # FID references: split of the bundled digits


def scaled_steps(steps: int, steps_scale: float) -> int:
    """`steps` times `steps_scale`, a whole number of host calls (at least one)."""
    return max(1, round(steps * steps_scale / STEPS_PER_CALL)) * STEPS_PER_CALL


def default_eval_every(steps: int) -> int:
    """About 20 evaluations over the run, a multiple of the host call."""
    return max(1, round(steps / 20 / STEPS_PER_CALL)) * STEPS_PER_CALL


def entry(
    method: str, size: int, eval_every: int, *, steps: int, fid_every: int = 0, common: tuple[str, ...] = ()
) -> families.Entry:
    """The run of `method` on `size` digits as a `families.Entry` (its trainer and bookkeeping).
    `fid_every` > 0: a checkpoint every `fid_every` steps, all of them kept (FID over the run);
    `common`: config overrides of every run (`--common`), before the method's."""
    keep = (
        (f"--config.checkpoint_every={fid_every}", f"--config.keep_checkpoints={steps // fid_every + 1}")
        if fid_every
        else ()
    )
    overrides = (
        f"--config.data.split={TRAIN_SPLIT}",
        f"--config.data.num_train={size}",
        f"--config.eval_every={eval_every}",
        *keep,
        *common,
        *METHODS[method],
    )
    return families.Entry(
        name=f"n{size}_{method}",
        family="gan",
        config=CONFIG,
        evaluators="discriminator_overfitting",
        figures=(),
        target="",
        overrides=overrides,
    )


def launches(workdir: str, num_seeds: int, vmap_seeds: bool) -> list[tuple[str, int | None]]:
    """(workdir, seed) of each launch: one per seed, or one with every seed (`--vmap_seeds`)."""
    if vmap_seeds:
        return [(workdir, None)]
    return [(os.path.join(workdir, f"seed_{s}"), s) for s in range(num_seeds)]


# ----------------------------------------------------------------------------------------------
# What a finished run measured.


def overfitting_curve(workdir: str, seed: int | None, num_seeds: int) -> dict[int, list[dict]]:
    """`{seed: [{"step": s, key: value for OVERFITTING}]}` from the workdir's metrics.jsonl (every
    evaluation; a vmapped workdir's keys carry `/seed=<s>`)."""
    path = os.path.join(workdir, "metrics.jsonl")
    seeds = [seed] if seed is not None else list(range(num_seeds))
    curves = {s: [] for s in seeds}
    if not os.path.exists(path):
        return curves
    for line in open(path):
        row = json.loads(line)
        for s in seeds:
            suffix = "" if seed is not None else f"/seed={s}"
            if f"eval/d_output_gap{suffix}" in row:
                curves[s].append({"step": row["step"], **{k: row[f"eval/{k}{suffix}"] for k in OVERFITTING}})
    return curves


class FidScorer:
    """FID on the bundled classifier's features of a workdir's samples (every run in it) against
    each reference set of `REFERENCES`; the references' features are computed once."""

    def __init__(self, num_samples: int):
        from jaxgan import data as data_lib
        from jaxgan.metrics import evaluators

        self.num_samples = num_samples
        self.evaluations = {}
        for name, split in REFERENCES.items():
            real = data_lib.load("mnist", split=split).arrays()["x"]
            self.evaluations[name] = evaluators.Evaluation(["fid"], real=real, dataset_name="mnist", split=split)

    def __call__(self, workdir: str, step: int | None = None) -> dict[str, list[float]]:
        import jax

        from jaxgan.train import restore, sampling, sweeps

        config, experiment, state = restore.load_latest(workdir, step=step)
        sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
        drawn = sampler.draw(state, jax.random.PRNGKey(0), self.num_samples)["x"]  # [runs, n, 28, 28, 1]
        return {
            f"fid_{name}": [evaluation(fake)[FID_KEY] for fake in drawn]
            for name, evaluation in self.evaluations.items()
        }


def fid_of(workdir: str, scorer: FidScorer, step: int | None = None) -> dict:
    """The FIDs of the workdir's checkpoint at `step` (default: the latest), computed once into `FID_FILE`."""
    step = families.latest_step(workdir) if step is None else step
    path = os.path.join(workdir, FID_FILE.format(step=step))
    if not os.path.exists(path):
        # Written whole or not at all (a temporary file renamed): an interrupted scoring or a second
        # launch reading the same runs never finds an empty or half-written file.
        result = {"step": step, "num_samples": scorer.num_samples, **scorer(workdir, step)}
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(partial, path)
    with open(path) as f:
        return json.load(f)


def fid_curve(workdir: str, scorer: FidScorer, fid_every: int, steps: int) -> list[dict]:
    """The FIDs at every multiple of `fid_every` up to `steps` whose checkpoint is kept (`--fid_every`)."""
    kept = set(families.kept_steps(workdir))
    return [fid_of(workdir, scorer, s) for s in range(fid_every, steps + 1, fid_every) if s in kept]


# ----------------------------------------------------------------------------------------------
# The table, the hallmark and the plot.


def _percent(value: float, baseline: float) -> str:
    return f"{100.0 * (value - baseline) / baseline:+.1f}%"


def hallmark(stats: dict) -> dict[str, bool | str]:
    """Per hallmark method with 500 digits: whether every seed's held-out FID is at most 0.75x the
    baseline's mean and its final gap (mean over seeds) is below the baseline's, or why not known."""
    baseline = stats.get((500, "baseline"))
    out = {}
    for method in HALLMARK_METHODS:
        ours = stats.get((500, method))
        if baseline is None or ours is None:
            out[method] = "not run" if ours is None else "no baseline with 500 digits"
            continue
        lower = max(ours["fid_held_out"]["values"]) <= 0.75 * baseline["fid_held_out"]["mean"]
        shrinks = ours["gap"]["mean"] < baseline["gap"]["mean"]
        out[method] = bool(lower and shrinks)
    return out


def table(
    rows: list[dict],
    stats: dict,
    *,
    steps: int,
    num_seeds: int,
    vmap_seeds: bool,
    fid_samples: int,
    common: tuple[str, ...] = (),
    fid_steps: tuple[int, ...] = (),
) -> str:
    """The table; `fid_steps`: the checkpoints' steps the FIDs were read at (a workdir trained past
    `steps` whose checkpoint at `steps` is not kept is read at its latest)."""
    cell = families._cell
    read_at = (
        f"the checkpoint at step {steps}"
        if set(fid_steps) <= {steps}
        else f"the checkpoint at step {steps} where it is kept, else the latest (read at steps "
        f"{', '.join(str(s) for s in sorted(set(fid_steps)))})"
    )
    lines = [
        "# Training with little data: the seed DCGAN on 500 and 1,000 digits",
        "",
        f"`python experiments/limited_data.py` ({num_seeds} seed{'s' * (num_seeds > 1)} per method, "
        f"{'vmapped in one program' if vmap_seeds else 'as separate runs'}, {steps} steps each). The seed DCGAN "
        "(`configs/dcgan_mnist.py`, non-saturating loss) on `config.data.num_train` digits of `train[:90%]` (a "
        "stratified subset, the same for every seed and method); FID on the bundled classifier's features of "
        f"{fid_samples} samples of {read_at}, against the 500 held-out digits (`test`) and against the "
        "4,500 training digits; mean ± sd over the seeds (worst seed in brackets); the change is the mean's "
        "against the baseline of the same size. D's overfitting at the last evaluation "
        "(`discriminator_overfitting`): the gap E[D(x_train)] - E[D(x_held_out)] of its raw outputs, and "
        "r_t = E[sign D(x_train)] (Karras et al. 2020)."
        + (f" Every run also has {' '.join(f'`{o}`' for o in common)}." if common else ""),
        "",
        "| digits | method | overrides | FID vs held-out | vs baseline | FID vs training set | D gap at end "
        "| r_t at end | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        key = (row["size"], row["method"])
        methods = " ".join(f"`{o}`" for o in METHODS[row["method"]]) or "—"
        s = stats.get(key)
        if s is None:
            lines.append(
                f"| {row['size']} | {LABELS[row['method']]} | {methods} | — | — | — | — | — | {row['status']} |"
            )
            continue
        base = stats.get((row["size"], "baseline"))
        change = (
            "—"
            if base is None or row["method"] == "baseline"
            else _percent(s["fid_held_out"]["mean"], base["fid_held_out"]["mean"])
        )
        lines.append(
            f"| {row['size']} | {LABELS[row['method']]} | {methods} | {cell('', s['fid_held_out']).strip()} "
            f"| {change} | {cell('', s['fid_train']).strip()} | {cell('', s['gap']).strip()} "
            f"| {cell('', s['sign_train']).strip()} | {row['status']} |"
        )
    reached = hallmark(stats)
    lines += [
        "",
        "Hallmark (issue 28): with 500 digits, DiffAugment or ADA lowers FID (vs held-out) by at least 25%"
        " below the baseline's mean on every seed, and D's final overfitting gap (mean over seeds) shrinks:",
    ]
    for method, value in reached.items():
        words = value if isinstance(value, str) else ("reached" if value else "not reached")
        lines.append(f"- {LABELS[method]}: {words}")
    known = [v for v in reached.values() if isinstance(v, bool)]
    lines.append(f"- the hallmark: {'reached' if any(known) else 'not reached' if known else 'not measured'}")
    return "\n".join(lines) + "\n"


def fid_over_the_run(results: dict) -> str:
    """Held-out FID at every `--fid_every` checkpoint: mean over seeds (each seed's in brackets)."""
    with_curves = {key: value["fid_curves"] for key, value in results.items() if value.get("fid_curves")}
    if not with_curves:
        return ""
    steps = sorted({point["step"] for curves in with_curves.values() for curve in curves for point in curve})
    lines = [
        "",
        "Held-out FID over the run (`--fid_every`): mean over seeds, each seed's in brackets.",
        "",
        "| digits | method | " + " | ".join(f"step {s}" for s in steps) + " |",
        "|---|---|" + "---|" * len(steps),
    ]
    for (size, method), curves in with_curves.items():
        cells = []
        for s in steps:
            values = [v for curve in curves for point in curve if point["step"] == s for v in point["fid_held_out"]]
            cells.append(f"{np.mean(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})" if values else "—")
        lines.append(f"| {size} | {LABELS[method]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summarise(results: dict) -> dict:
    """Per (size, method): the per-seed FIDs and the final overfitting figures as `families.summary`s."""
    out = {}
    for key, per_seed in results.items():
        finals = [curve[-1] for curve in per_seed["curves"].values() if curve]
        fid_held_out = [v for f in per_seed["fids"] for v in f["fid_held_out"]]
        fid_train = [v for f in per_seed["fids"] for v in f["fid_train"]]
        if not fid_held_out or not finals:
            continue
        out[key] = {
            "fid_held_out": families.summary(fid_held_out, higher_is_better=False),
            "fid_train": families.summary(fid_train, higher_is_better=False),
            "gap": families.summary([f["d_output_gap"] for f in finals], higher_is_better=False),
            "sign_train": families.summary([f["d_sign_train"] for f in finals], higher_is_better=False),
        }
    return out


COLOURS = {
    "baseline": (31, 119, 180),
    "diffaugment": (255, 127, 14),
    "diffaugment_tc": (214, 39, 40),
    "ada": (44, 160, 44),
}


def draw_curves(results: dict, path: str, sizes) -> None:
    """One panel per data size: D's overfitting gap over steps for `CURVE_METHODS`, every seed a
    thin line and the mean over seeds a thick one (PIL)."""
    from PIL import Image, ImageDraw

    width, height, margin = 520, 340, 56
    panels = [s for s in sizes if any((s, m) in results for m in CURVE_METHODS)]
    image = Image.new("RGB", (width * max(1, len(panels)), height), "white")
    draw = ImageDraw.Draw(image)
    for p, size in enumerate(panels):
        curves = {m: results[(size, m)]["curves"] for m in CURVE_METHODS if (size, m) in results}
        points = [(e["step"], e["d_output_gap"]) for c in curves.values() for curve in c.values() for e in curve]
        if not points:
            continue
        steps, gaps = np.array(points).T
        x0, x1 = 0.0, float(steps.max()) or 1.0
        y0, y1 = min(0.0, float(gaps.min())), max(float(gaps.max()), 1e-6)
        left, top, right, bottom = p * width + margin, 30, (p + 1) * width - 16, height - 40

        def to_pixels(step, gap, left=left, right=right, top=top, bottom=bottom, x0=x0, x1=x1, y0=y0, y1=y1):
            return (left + (step - x0) / (x1 - x0) * (right - left), bottom - (gap - y0) / (y1 - y0) * (bottom - top))

        draw.rectangle((left, top, right, bottom), outline=(0, 0, 0))
        for k in range(5):  # value ticks and a zero line
            value = y0 + (y1 - y0) * k / 4
            y = to_pixels(0, value)[1]
            draw.line((left - 4, y, left, y), fill=(0, 0, 0))
            draw.text((p * width + 4, y - 6), f"{value:.2f}", fill=(0, 0, 0))
        draw.line((*to_pixels(0, 0.0), *to_pixels(x1, 0.0)), fill=(180, 180, 180))
        for k in range(5):
            step = x1 * k / 4
            x = to_pixels(step, y0)[0]
            draw.line((x, bottom, x, bottom + 4), fill=(0, 0, 0))
            draw.text((x - 12, bottom + 6), f"{step:.0f}", fill=(0, 0, 0))
        draw.text((left, 8), f"{size} digits: D gap E[D(train)] - E[D(held out)] over steps", fill=(0, 0, 0))
        for i, (method, by_seed) in enumerate(curves.items()):
            colour = COLOURS.get(method, (0, 0, 0))
            light = tuple(int(c + (255 - c) * 0.6) for c in colour)
            for curve in by_seed.values():
                if len(curve) > 1:
                    draw.line([to_pixels(e["step"], e["d_output_gap"]) for e in curve], fill=light, width=1)
            common = sorted(set.intersection(*[{e["step"] for e in c} for c in by_seed.values() if c] or [set()]))
            mean = [
                (s, np.mean([e["d_output_gap"] for c in by_seed.values() for e in c if e["step"] == s])) for s in common
            ]
            if len(mean) > 1:
                draw.line([to_pixels(s, g) for s, g in mean], fill=colour, width=3)
            draw.text(
                (left + 8, top + 6 + 14 * i),
                f"{LABELS[method]} ({len(by_seed)} seed{'s' * (len(by_seed) > 1)})",
                fill=colour,
            )
    image.save(path)


# ----------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", required=True, help="where every run trains, in <runs>/n<size>/<method>[/seed_<s>]")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated methods to train (default all: {', '.join(METHODS)}); the table has every method "
        "whose runs finished in --runs",
    )
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="training digits per run")
    parser.add_argument("--num_seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="steps of every run (equal for all)")
    parser.add_argument("--steps_scale", type=float, default=1.0, help="multiplies --steps (smoke runs)")
    parser.add_argument("--eval_every", type=int, default=0, help="0: about 20 evaluations over the run")
    parser.add_argument("--fid_samples", type=int, default=5000, help="samples per seed for FID")
    parser.add_argument(
        "--fid_every",
        type=int,
        default=0,
        help="> 0: keep a checkpoint every this many steps and report FID over the run (0: the last only)",
    )
    parser.add_argument("--vmap_seeds", action="store_true", help="train the seeds vmapped in one program")
    parser.add_argument(
        "--common",
        default="",
        help="space-separated config overrides of every run, e.g. '--config.model.discriminator.dropout_rate=0' "
        "(use another --runs: a workdir's config is fixed when it starts)",
    )
    parser.add_argument("--table_only", action="store_true", help="train nothing; tabulate what finished")
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "limited_data.md"), help="the table")
    parser.add_argument(
        "--plot", default=os.path.join(ROOT, "results", "limited_data_overfitting.png"), help="the curves; '' for none"
    )
    args = parser.parse_args(argv)
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = [m for m in only if m not in METHODS]
    if unknown:
        parser.error(f"--only names {unknown}, which are not methods; the methods are {', '.join(METHODS)}.")
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated counts of digits; got {args.sizes!r}.")
    if not sizes or any(not 0 < s <= 4500 for s in sizes):
        parser.error(f"--sizes must be counts from 1 to 4500 (the training digits); got {args.sizes!r}.")
    if args.steps < 1 or args.steps_scale <= 0 or args.num_seeds < 1 or args.fid_samples < 2:
        parser.error("--steps, --steps_scale, --num_seeds must be positive and --fid_samples at least 2.")
    steps = scaled_steps(args.steps, args.steps_scale)
    eval_every = args.eval_every or default_eval_every(steps)
    if eval_every % STEPS_PER_CALL:
        parser.error(f"--eval_every must be a multiple of {STEPS_PER_CALL} (the config's steps_per_call).")
    if args.fid_every < 0 or args.fid_every % STEPS_PER_CALL or args.fid_every > steps:
        parser.error(
            f"--fid_every must be 0 or a multiple of {STEPS_PER_CALL} up to the run's {steps} steps; "
            f"got {args.fid_every}."
        )
    common = tuple(args.common.split())
    bad = [o for o in common if not o.startswith("--config.") or "=" not in o]
    if bad:
        parser.error(f"--common takes overrides of the form --config.<field>=<value>; got {' '.join(bad)}.")
    families.NUM_SEEDS = args.num_seeds
    methods = list(METHODS)  # every method has a row; only those of --only train

    scorer = None
    results, rows = {}, []
    for size in sizes:
        for method in methods:
            run = entry(method, size, eval_every, steps=steps, fid_every=args.fid_every, common=common)
            workdir = os.path.abspath(os.path.join(args.runs, f"n{size}", method))
            row = {"size": size, "method": method, "status": "done"}
            rows.append(row)
            per_run = launches(workdir, args.num_seeds, args.vmap_seeds)
            finished = all((families.latest_step(path) or 0) >= steps for path, _ in per_run)
            if (args.table_only or (only and method not in only)) and not finished:
                row["status"] = "not run"
                continue
            curves, fids, fid_curves = {}, [], []
            try:
                for path, seed in per_run:
                    families.train(run, path, steps, seed)
                    # at --steps, also in a workdir trained further (its checkpoint at --steps kept)
                    curve = overfitting_curve(path, seed, args.num_seeds)
                    curves.update({s: [e for e in c if e["step"] <= steps] for s, c in curve.items()})
                    scorer = scorer or FidScorer(args.fid_samples)
                    fids.append(fid_of(path, scorer, steps if steps in families.kept_steps(path) else None))
                    if args.fid_every:
                        fid_curves.append(fid_curve(path, scorer, args.fid_every, steps))
            except families.Failed as failure:  # e.g. a method whose config fields this branch lacks
                print(f"n{size}/{method}: {failure}", file=sys.stderr, flush=True)
                row["status"] = f"failed: {str(failure).replace('|', '/')}"
                continue
            results[(size, method)] = {"curves": curves, "fids": fids, "fid_curves": fid_curves}
    stats = summarise(results)
    text = table(
        rows,
        stats,
        steps=steps,
        num_seeds=args.num_seeds,
        vmap_seeds=args.vmap_seeds,
        fid_samples=args.fid_samples,
        common=common,
        fid_steps=tuple(fid["step"] for run in results.values() for fid in run["fids"]),
    ) + fid_over_the_run(results)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    record = {
        "steps": steps,
        "eval_every": eval_every,
        "num_seeds": args.num_seeds,
        "vmap_seeds": args.vmap_seeds,
        "fid_samples": args.fid_samples,
        "common": list(common),
        "runs": {f"n{size}/{method}": value for (size, method), value in results.items()},
        "stats": {f"n{size}/{method}": value for (size, method), value in stats.items()},
        "hallmark": hallmark(stats),
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(record, f, indent=1, default=lambda v: None if isinstance(v, float) and math.isnan(v) else v)
    if args.plot and results:
        draw_curves(results, args.plot, sizes)
    print(text)


if __name__ == "__main__":
    main()
