"""Every family's config over three seeds, one program each, and the table `results/families.md`.

    python experiments/families.py --runs=runs/families                     # all of them: hours on 2 cores
    python experiments/families.py --runs=/tmp/smoke --only=cgan_mnist,madgan_ring --steps_scale=0.01 \
        --out=/tmp/smoke/families.md                                        # a smoke run
    python experiments/families.py --runs=runs/families --table_only        # the table of what finished

An entry not finished in `<runs>` keeps its row of the earlier table (`<out>.json`) when that
one was measured at the same step count (another runs folder, another machine) and `--only`
does not name it; `--fresh` drops them.

For each entry of `ENTRIES` (a config of `configs/`, with the overrides of a baseline such as
pix2pix's L1-only U-Net), in `<runs>/<name>`:

1. `jaxgan train --config=configs/<config>.py --config.num_seeds=3 --config.evaluators=<its
   evaluators>` (the seeds vmapped in one program; evaluators are a launch-only setting). A run
   whose latest checkpoint is at its step count is skipped; an unfinished one is resumed by the
   same command (the CLI restores it). The wall time of each launch (compilation and the loop's
   evaluations included) is added up in `<runs>/<name>/families_wall.json`.
2. `jaxgan eval --workdir=<runs>/<name>` (`eval_<step>.json`; skipped when it exists), and the
   figures `jaxgan eval` does not compute, per seed, from the workdir: MAD-GAN's share of each
   mode drawn by its most frequent generator (2,500 samples), VAE-GAN's digit accuracy on the
   reconstructions of the held-out digits (`extra_<step>.json`).
3. The table: family, config, steps, wall time per seed (a launch's wall time over the seeds it
   trained together, on this machine: 2 cores here), the family's hallmark figures as mean ±
   standard deviation over the seeds and the worst seed, FID on the classifier's features, the
   target of issue 25 ("Numbers to reach") and whether the mean reached it.

`--steps_scale` multiplies every config's `num_steps` (at least one host call), for a smoke run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

NUM_SEEDS = 3


@dataclasses.dataclass(frozen=True)
class Figure:
    """One hallmark figure: `key` of the evaluation (per seed), its label, and which way is better."""

    key: str
    label: str
    higher_is_better: bool = True


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row: a config (and overrides), the evaluators it is trained with, its hallmark figures,
    the target in words and `reached(stats, table) -> bool | None` (None: nothing to reach)."""

    name: str
    family: str
    config: str
    evaluators: str
    figures: tuple[Figure, ...]
    target: str
    reached: Callable[[dict, dict], bool | str | None] = lambda stats, table: None
    overrides: tuple[str, ...] = ()
    extra: str | None = None  # "madgan" or "vaegan": figures computed here from the workdir
    # Train the seeds as separate runs (`<name>/seed_<s>`, `--config.seed=s`) rather than vmapped in
    # one program: for convolutional families on the CPU, whose vmapped convolutions (one kernel
    # per run: grouped convolutions) XLA:CPU runs several times slower than the runs apart.
    separate_seeds: bool = False
    # The seeds of a row trained as separate runs: other than 0-2 to check, on seeds it was not
    # chosen on, a setting picked from the curves of seeds 0-2 (InfoGAN's step count).
    # None: 0 to NUM_SEEDS - 1 (read when the seeds are trained: experiments/limited_data.py sets it).
    seeds: tuple[int, ...] | None = None
    # The entry's own step count in place of its config's (a baseline kept at the length it was trained at).
    num_steps: int | None = None

    def __post_init__(self):
        if self.seeds is not None and not self.separate_seeds:
            raise ValueError(f"entry {self.name}: a row's own seeds need separate_seeds=True.")


def _mean(stats: dict, key: str) -> float:
    return stats[key]["mean"] if key in stats else math.nan


def _began(stats: dict, table: dict) -> bool | str:
    balanced = _mean(stats, "min_class_share_classifier") >= 0.05 and _mean(stats, "max_class_share_classifier") <= 0.15
    dcgan = table.get("dcgan_mnist", {}).get("fid_classifier")
    if dcgan is None:
        return f"classes {'' if balanced else 'not '}in 5-15%; FID: no dcgan_mnist row to compare"
    return balanced and _mean(stats, "fid_classifier") <= 1.5 * dcgan["mean"]


def _progressive(stats: dict, table: dict) -> bool | str:
    """Issue 27: FID on the classifier's features at most the seed DCGAN's at the same total wall time
    per seed (both rows' wall times measured by this script; `wall_per_seed` in their stats): the
    DCGAN trained for at least as long as ProGAN's wall time per seed (`dcgan_mnist_progan_time`),
    or else the DCGAN's row at its own length."""
    dcgan = table.get(PROGAN_REFERENCE) or table.get("dcgan_mnist", {})
    if "fid_classifier" not in dcgan or "wall_per_seed" not in dcgan:
        return "no dcgan_mnist row (FID and wall time) to compare"
    ours, theirs = _mean(stats, "fid_classifier"), dcgan["fid_classifier"]["mean"]
    ratio = _mean(stats, "wall_per_seed") / dcgan["wall_per_seed"]["mean"]
    if ours <= theirs and ratio <= 1.0:
        return True
    return f"no: FID {ours:.1f} against the seed DCGAN's {theirs:.1f}, at {ratio:.1f}x its wall time per seed"


def _infogan(stats: dict, table: dict) -> bool:
    return (
        _mean(stats, "code_agreement_classifier") >= 0.85
        and stats.get("code_agreement_classifier", {}).get("worst", 0) >= 0.80
        and _mean(stats, "matched_classifier_accuracy") >= 0.80
    )


_COGAN_FIGURES = (
    Figure("pair_agreement", "digit agreement of (G_1(z), G_2(z))"),
    Figure("pixel_agreement", "pixel agreement of (T(G_1(z)), G_2(z))"),
    Figure("transform_agreement", "digit agreement of (G_1(z), T(G_1(z))): G_1's digits' ceiling"),
)
_INFOGAN_FIGURES = (
    Figure("code_agreement_classifier", "code agreement"),
    Figure("matched_classifier_accuracy", "Q held-out accuracy (matched)"),
)


def _semi_supervised(stats: dict, table: dict) -> bool | str:
    baseline = table.get("supervised_only_mnist", {}).get("classifier_accuracy")
    if baseline is None:
        return "no supervised-only row to compare"
    return _mean(stats, "classifier_accuracy") >= 0.95 and _mean(stats, "classifier_accuracy") > baseline["mean"]


_BUDGET_PER_SEED = 15 * 60  # issues 25-27: each config at most 15 minutes a seed on 2 cores


def _triplegan(stats: dict, table: dict) -> bool | str:
    """C at least the K+1 classifier's held-out accuracy (its row of this table, at its wall time;
    0.933 in results/families.md when the row is absent) and G(z, y) of class y for ≥ 90% of samples."""
    k_plus_one = table.get("semi_supervised_mnist", {}).get("classifier_accuracy", {}).get("mean", 0.933)
    reached = _mean(stats, "classifier_accuracy") >= k_plus_one and _mean(stats, "class_consistency_classifier") >= 0.90
    wall = _mean(stats, "wall_per_seed")
    if reached and wall > _BUDGET_PER_SEED:  # the limit: at most 15 min a seed on 2 cores
        return f"the figures yes, at {_wall(wall)} a seed (the issue allows 15 min)"
    return reached


def _pix2pix(stats: dict, table: dict) -> str:
    baseline = table.get("pix2pix_l1_only", {}).get("l1")
    if baseline is None or "l1" not in stats:
        return "no L1-only row to compare"
    ours, theirs = stats["l1"], baseline
    lower = "pix2pix" if ours["mean"] < theirs["mean"] else "the L1-only U-Net"
    return f"{lower} lower by {abs(ours['mean'] - theirs['mean']):.4f} (sd {ours['sd']:.4f} / {theirs['sd']:.4f})"


def _srgan(stats: dict, table: dict) -> bool | str:
    """Issue 27: digit accuracy of the outputs ≥ 0.95 and above bicubic's; the feature (perceptual)
    distance below the SRResNet-MSE baseline's (PSNR reported beside it, not a target)."""
    accuracy = _mean(stats, "digit_accuracy")
    accurate = accuracy >= 0.95 and accuracy > _mean(stats, "bicubic_digit_accuracy")
    baseline = table.get("srresnet_mse", {}).get("feature_distance")
    if baseline is None:
        return f"digit accuracy {'reached' if accurate else 'not reached'}; no SRResNet-MSE row to compare"
    return accurate and _mean(stats, "feature_distance") < baseline["mean"]


_SRGAN_FIGURES = (
    Figure("digit_accuracy", "digit accuracy"),
    Figure("feature_distance", "feature distance", higher_is_better=False),
    Figure("psnr", "PSNR (dB)"),
    Figure("bicubic_digit_accuracy", "bicubic's digit accuracy"),
)

_FID = Figure("fid_classifier", "FID", higher_is_better=False)

PROGAN_REFERENCE = "dcgan_mnist_progan_time"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "dcgan_mnist",
        "gan",
        "dcgan_mnist",
        "fid,precision_recall",
        (_FID,),
        "(reference for BEGAN's FID)",
        separate_seeds=True,
    ),
    Entry(
        PROGAN_REFERENCE,
        "gan (ProGAN's wall time)",
        "dcgan_mnist",
        "fid",
        (_FID,),
        "(reference for ProGAN's FID: the seed DCGAN trained at least as long as `progan_mnist` per seed)",
        separate_seeds=True,
        # 5,000 steps: 10 min 08 s a seed alone on the 2 cores (measured), against ProGAN's 9 min 31 s (2026-12-07)
        num_steps=5000,
    ),
    Entry(
        "cgan_mnist",
        "conditional",
        "cgan_mnist",
        "class_consistency,fid",
        (Figure("class_consistency_classifier", "class consistency"),),
        "class consistency ≥ 0.85",
        lambda s, t: _mean(s, "class_consistency_classifier") >= 0.85,
    ),
    Entry(
        "acgan_mnist",
        "acgan",
        "acgan_mnist",
        "class_consistency,classifier_accuracy,fid",
        (
            Figure("class_consistency_classifier", "class consistency"),
            Figure("classifier_accuracy", "class head held-out accuracy"),
        ),
        "class consistency ≥ 0.90",
        lambda s, t: _mean(s, "class_consistency_classifier") >= 0.90,
    ),
    Entry(
        "infogan_mnist",
        "infogan",
        "infogan_mnist",
        "code_agreement,matched_classifier_accuracy,fid",
        _INFOGAN_FIGURES,
        "code agreement ≥ 0.85 (worst ≥ 0.80), Q held-out ≥ 0.80",
        _infogan,
        overrides=("--config.eval_every=250",),  # the curve of code agreement over steps
        separate_seeds=True,
    ),
    Entry(
        "infogan_mnist_seeds_3_5",
        "infogan (seeds 3-5)",
        "infogan_mnist",
        "code_agreement,matched_classifier_accuracy,fid",
        _INFOGAN_FIGURES,
        "as seeds 0-2",
        _infogan,
        overrides=("--config.eval_every=250",),
        separate_seeds=True,
        seeds=(3, 4, 5),
    ),
    Entry(
        "ss_infogan_mnist",
        "ss_infogan",
        "ss_infogan_mnist",
        "code_consistency,classifier_accuracy",
        (
            Figure("code_consistency_classifier", "code consistency (no matching)"),
            Figure("classifier_accuracy", "Q's held-out accuracy"),
        ),
        "code k draws digit k for ≥ 95% of samples, no matching (issue 26)",
        lambda s, t: _mean(s, "code_consistency_classifier") >= 0.95,
        separate_seeds=True,
    ),
    Entry(
        "semi_supervised_mnist",
        "semi_supervised",
        "semi_supervised_mnist",
        "classifier_accuracy,fid",
        (Figure("classifier_accuracy", "held-out accuracy"),),
        "held-out accuracy ≥ 0.95, above the same D on the 100 labels alone",
        _semi_supervised,
    ),
    Entry(
        "supervised_only_mnist",
        "semi_supervised (unsupervised_weight 0)",
        "semi_supervised_mnist",
        "classifier_accuracy",
        (Figure("classifier_accuracy", "held-out accuracy"),),
        "(baseline of semi-supervised: the same D on the 100 labels alone, as long)",
        overrides=("--config.semi_supervised.unsupervised_weight=0.0",),
    ),
    Entry(
        "ebgan_mnist",
        "ebgan",
        "ebgan_mnist",
        "fid,precision_recall",
        (_FID,),
        "keep FID below the seed DCGAN's (its row: 1,500 steps; at 3,000 steps, EBGAN's, the DCGAN's 4 seeds "
        "gave 31.2 ± 8.7: jaxgan.programs.ebgan)",
        lambda s, t: (
            _mean(s, "fid_classifier") < _mean(t.get("dcgan_mnist", {}), "fid_classifier")
            if "fid_classifier" in t.get("dcgan_mnist", {})
            else "no dcgan_mnist row to compare"
        ),
        separate_seeds=True,
    ),
    Entry(
        "began_mnist",
        "began",
        "began_mnist",
        "class_shares,fid,precision_recall",
        (
            Figure("min_class_share_classifier", "smallest class share"),
            Figure("max_class_share_classifier", "largest class share", higher_is_better=False),
            Figure("recall_classifier", "recall"),
        ),
        "every class 5-15% of samples, FID ≤ 1.5x the seed DCGAN's",
        _began,
        separate_seeds=True,
    ),
    Entry(
        "madgan_ring",
        "madgan",
        "madgan_ring",
        "mode_coverage",
        (
            Figure("modes", "modes"),
            Figure("high_quality_fraction", "high quality"),
            Figure("generator_share", "mode's top-generator share"),
        ),
        "8/8 modes, ≥ 90% high quality, generator share ≥ 0.80",
        lambda s, t: (
            _mean(s, "modes") >= 8 and _mean(s, "high_quality_fraction") >= 0.90 and _mean(s, "generator_share") >= 0.80
        ),
        extra="madgan",
    ),
    Entry(
        "vaegan_mnist",
        "vaegan",
        "vaegan_mnist",
        "fid,precision_recall",
        (Figure("reconstruction_accuracy", "digit accuracy of held-out reconstructions"), _FID),
        "keep reconstruction accuracy ≥ 0.946 (README, one seed)",
        lambda s, t: _mean(s, "reconstruction_accuracy") >= 0.946,
        extra="vaegan",
    ),
    Entry(
        "ali_mnist",
        "ali",
        "ali_mnist",
        "encoding_one_nn,reconstruction_accuracy,fid",
        (
            Figure("encoding_one_nn_accuracy", "1-NN on E(x), held-out"),
            Figure("reconstruction_accuracy_classifier", "digit accuracy of held-out reconstructions"),
            _FID,
        ),
        "1-NN on E(x) ≥ 0.90, reconstruction accuracy ≥ 0.70 (issue 26)",
        lambda s, t: (
            _mean(s, "encoding_one_nn_accuracy") >= 0.90 and _mean(s, "reconstruction_accuracy_classifier") >= 0.70
        ),
        separate_seeds=True,
    ),
    Entry(
        "mrgan_mnist",
        "mrgan",
        "mrgan_mnist",
        "class_shares,fid",
        (
            Figure("min_class_share_classifier", "smallest class share"),
            Figure("max_class_share_classifier", "largest class share", higher_is_better=False),
        ),
        "every class 5-15% of 1,000 samples on every seed (issue 26)",
        lambda s, t: (
            s.get("min_class_share_classifier", {}).get("worst", 0.0) >= 0.05
            and s.get("max_class_share_classifier", {}).get("worst", 1.0) <= 0.15
        ),
        separate_seeds=True,
    ),
    Entry(
        "cogan_digits2negatives",
        "cogan",
        "cogan_digits2negatives",
        "pair_agreement",
        _COGAN_FIGURES,
        "pair agreement ≥ 0.90 (issue 26)",
        lambda s, t: _mean(s, "pair_agreement") >= 0.90,
        separate_seeds=True,
    ),
    Entry(
        "cogan_digits2inverted",
        "cogan (Y dilated as well as inverted)",
        "cogan_digits2inverted",
        "pair_agreement",
        _COGAN_FIGURES,
        "(a harder task than issue 26's: Y's digits read by a classifier of their own)",
        separate_seeds=True,
    ),
    Entry(
        "triplegan_mnist",
        "triplegan",
        "triplegan_mnist",
        "classifier_accuracy,class_consistency",
        (
            Figure("classifier_accuracy", "C's held-out accuracy"),
            Figure("class_consistency_classifier", "class consistency of G(z, y)"),
        ),
        "C's held-out accuracy ≥ the K+1 classifier's at the same wall time, class consistency ≥ 0.90 (issue 26)",
        _triplegan,
        # the three seeds on three CPU devices (one stream each) rather than in turn on one: on 2
        # cores 1.84 against 1.63 steps/s (results/triplegan.md)
        overrides=("--config.run_devices=3",),
    ),
    Entry(
        "triplegan_classifier_only_mnist",
        "triplegan (alpha 0)",
        "triplegan_mnist",
        "classifier_accuracy",
        (Figure("classifier_accuracy", "C's held-out accuracy"),),
        "(baseline of Triple-GAN: C on its own losses alone, R_L, entropy and balance; G and D train beside it)",
        overrides=("--config.triplegan.alpha=0.0",),
        num_steps=3000,  # trained when the config ran 3,000 steps; C alone was at 0.969-0.972 from step 1,000 on
    ),
    Entry(
        "pix2pix_edges2digits",
        "pix2pix",
        "pix2pix_edges2digits",
        "",
        (Figure("l1", "held-out L1", higher_is_better=False), Figure("digit_accuracy", "digit accuracy")),
        "held-out L1 against the L1-only U-Net's, over 3 seeds",
        _pix2pix,
    ),
    Entry(
        "pix2pix_l1_only",
        "pix2pix (adversarial_weight 0)",
        "pix2pix_edges2digits",
        "",
        (Figure("l1", "held-out L1", higher_is_better=False), Figure("digit_accuracy", "digit accuracy")),
        "(baseline of pix2pix)",
        overrides=("--config.pix2pix.adversarial_weight=0.0",),
    ),
    Entry(
        "cyclegan_digits2inverted",
        "cyclegan",
        "cyclegan_digits2inverted",
        "",
        (Figure("digit_accuracy", "digit accuracy of G(x)"), Figure("cycle_l1", "cycle L1", higher_is_better=False)),
        "keep digit accuracy ≥ 0.90 (README: 0.916, one seed)",
        lambda s, t: _mean(s, "digit_accuracy") >= 0.90,
    ),
    Entry(
        "srgan_mnist",
        "srgan",
        "srgan_mnist",
        "",
        _SRGAN_FIGURES,
        "digit accuracy ≥ 0.95 and above bicubic's; feature distance below SRResNet-MSE's",
        _srgan,
        separate_seeds=True,
    ),
    Entry(
        "srresnet_mse",
        "srgan (content mse, adversarial_weight 0)",
        "srgan_mnist",
        "",
        _SRGAN_FIGURES,
        "(baseline of SRGAN: SRResNet-MSE, trained as long)",
        overrides=("--config.srgan.content=mse", "--config.srgan.adversarial_weight=0.0"),
        separate_seeds=True,
    ),
    Entry(
        "stackgan_mnist",
        "stackgan",
        "stackgan_mnist",
        "class_consistency,fid",
        (Figure("class_consistency_classifier", "Stage II class consistency"),),
        "class consistency ≥ 0.90; Stage II's FID below Stage I's upsampled (results/stackgan.md) (issue 27)",
        lambda s, t: _mean(s, "class_consistency_classifier") >= 0.90,
        separate_seeds=True,
    ),
    Entry(
        "progan_mnist",
        "progressive",
        "progan_mnist",
        "fid",
        (),
        "FID ≤ the seed DCGAN's at the same wall time per seed (issue 27)",
        _progressive,
        separate_seeds=True,
    ),
)


# ----------------------------------------------------------------------------------------------
# Training and evaluation through the CLI.


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Failed(Exception):
    """A `jaxgan` command that exited non-zero; its message is the command's last line on stderr."""


def _jaxgan(*args: str) -> None:
    print("$ jaxgan " + " ".join(args), flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "jaxgan.cli", *args], cwd=ROOT, env=_env(), stderr=subprocess.PIPE, text=True
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise Failed(f"jaxgan {args[0]} exited {done.returncode}: {lines[-1] if lines else 'no message'}")


def _config(entry: Entry):
    import importlib.util

    path = os.path.join(ROOT, "configs", f"{entry.config}.py")
    spec = importlib.util.spec_from_file_location(f"families_{entry.config}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def num_steps(entry: Entry, steps_scale: float) -> int:
    """The entry's (or else its config's) `num_steps` times `steps_scale`, a whole number of host
    calls (at least one)."""
    config = _config(entry)
    per_call = int(config.steps_per_call)
    steps = config.num_steps if entry.num_steps is None else entry.num_steps
    calls = max(1, round(steps * steps_scale / per_call))
    return calls * per_call


def kept_steps(workdir: str) -> list[int]:
    """The steps of the workdir's kept checkpoints, oldest first."""
    folder = os.path.join(workdir, "checkpoints")
    return sorted(int(name) for name in os.listdir(folder) if name.isdigit()) if os.path.isdir(folder) else []


def latest_step(workdir: str) -> int | None:
    steps = kept_steps(workdir)
    return steps[-1] if steps else None


SEPARATE_SEEDS = False  # --separate_seeds: every entry's seeds as separate runs


def seed_workdirs(entry: Entry, workdir: str) -> list[tuple[str, int | None]]:
    """(workdir, seed) of each launch of an entry: one with every seed, or one per seed. A run of
    every seed already in `workdir` (trained without `--separate_seeds`) is kept as it is."""
    vmapped_there = latest_step(workdir) is not None
    if entry.separate_seeds or (SEPARATE_SEEDS and not vmapped_there):
        seeds = range(NUM_SEEDS) if entry.seeds is None else entry.seeds
        return [(os.path.join(workdir, f"seed_{s}"), s) for s in seeds]
    return [(workdir, None)]


def finished_step(entry: Entry, workdir: str) -> int:
    return min(latest_step(path) or 0 for path, _ in seed_workdirs(entry, workdir))


def train(entry: Entry, workdir: str, steps: int, seed: int | None = None) -> None:
    """Train (or resume) to `steps`; skipped when the latest checkpoint is there already."""
    done = latest_step(workdir)
    if done is not None and done >= steps:
        print(f"{entry.name}: finished at step {done}, skipped", flush=True)
        return
    args = [
        "train",
        f"--config=configs/{entry.config}.py",
        f"--workdir={workdir}",
        *([f"--config.num_seeds={NUM_SEEDS}"] if seed is None else ["--config.num_seeds=1", f"--config.seed={seed}"]),
        f"--config.num_steps={steps}",
        f"--config.evaluators={entry.evaluators}",
        *entry.overrides,
    ]
    overridden = any(o.startswith("--config.checkpoint_every=") for o in entry.overrides)
    if steps < _config(entry).checkpoint_every and not overridden:
        args.append(f"--config.checkpoint_every={steps}")
    start = time.perf_counter()
    _jaxgan(*args)
    wall_path = os.path.join(workdir, "families_wall.json")
    wall = json.load(open(wall_path)) if os.path.exists(wall_path) else {"seconds": 0.0, "launches": []}
    seconds = time.perf_counter() - start
    wall["seconds"] += seconds
    num_seeds = NUM_SEEDS if seed is None else 1
    wall["launches"].append({"from_step": done or 0, "to_step": steps, "seconds": seconds, "num_seeds": num_seeds})
    with open(wall_path, "w") as f:
        json.dump(wall, f, indent=1)


def evaluate(entry: Entry, workdir: str) -> dict:
    """`jaxgan eval`'s results at the latest step (run once), with the entry's extra figures."""
    step = latest_step(workdir)
    path = os.path.join(workdir, f"eval_{step:08d}.json")
    if not os.path.exists(path):
        _jaxgan("eval", f"--workdir={workdir}")
    results = json.load(open(path))
    if entry.extra is not None:
        extra_path = os.path.join(workdir, f"extra_{step:08d}.json")
        if not os.path.exists(extra_path):
            figures = {"madgan": madgan_shares, "vaegan": vaegan_reconstructions}[entry.extra](workdir)
            with open(extra_path, "w") as f:
                json.dump(figures, f, indent=1)
        results.update(json.load(open(extra_path)))
    return results


def madgan_shares(workdir: str) -> dict:
    """Per seed: the mean over modes (with high-quality samples) of the share of a mode's
    high-quality samples drawn by its most frequent generator, on 2,500 samples (seed 0)."""
    from jaxgan.train import restore, sweeps

    path = os.path.join(workdir, "families_samples.npz")
    restore.write_samples(workdir, num=2500, out=path)
    drawn = np.load(path)
    os.remove(path)
    config, experiment, _ = restore.load_latest(workdir)
    labels = sweeps.runs_of(config).labels
    xs, generators = drawn["x"], drawn["generator"]
    if len(labels) == 1:
        xs, generators = xs[None], generators[None]
    centers, std = experiment.dataset.metadata["centers"], experiment.dataset.metadata["std"]
    out = {}
    for label, x, generator in zip(labels, xs, generators):
        distances = np.linalg.norm(x[:, None] - centers[None], axis=-1) / std
        nearest, high_quality = distances.argmin(1), distances.min(1) < 3.0
        shares = []
        for mode in range(len(centers)):
            drawn_by = generator[high_quality & (nearest == mode)]
            if len(drawn_by):
                shares.append(np.bincount(drawn_by).max() / len(drawn_by))
        key = "generator_share" if len(labels) == 1 else f"generator_share/{label}"
        out[key] = float(np.mean(shares)) if shares else 0.0
    return out


def vaegan_reconstructions(workdir: str) -> dict:
    """Per seed: the bundled classifier's accuracy on the reconstructions of the held-out digits."""
    from jaxgan.metrics.classifier import get_classifier
    from jaxgan.train import restore, sweeps
    from jaxgan.train import workdir as workdir_lib

    path = os.path.join(workdir, "families_reconstructions.npz")
    restore.write_reconstructions(workdir, out=path, split="test")
    arrays = np.load(path)
    os.remove(path)
    labels = sweeps.runs_of(workdir_lib.load_config(workdir)).labels
    reconstructions = arrays["reconstruction"] if len(labels) > 1 else arrays["reconstruction"][None]
    classifier = get_classifier("mnist")
    out = {}
    for label, reconstruction in zip(labels, reconstructions):
        key = "reconstruction_accuracy" if len(labels) == 1 else f"reconstruction_accuracy/{label}"
        out[key] = float(np.mean(classifier.probabilities(reconstruction).argmax(1) == arrays["label"]))
    return out


# ----------------------------------------------------------------------------------------------
# The table.


def per_seed(results: dict, key: str) -> list[float]:
    """A figure's value for each seed: `key` for one run, `key/seed=<s>` for several."""
    if key in results:
        return [float(results[key])]
    prefix = f"{key}/seed="
    return [float(v) for k, v in sorted(results.items()) if k.startswith(prefix)]


def summary(values: list[float], higher_is_better: bool) -> dict:
    values = np.asarray(values, np.float64)
    return {
        "mean": float(values.mean()),
        "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "worst": float(values.min() if higher_is_better else values.max()),
        "values": values.tolist(),
    }


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def _cell(label: str, stats: dict | None) -> str:
    if stats is None:
        return f"{label}: —"
    return f"{label} {_number(stats['mean'])} ± {_number(stats['sd'])} (worst {_number(stats['worst'])})"


def _wall(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def table(rows: list[dict], *, steps_scale: float) -> str:
    lines = [
        "# Every family over three seeds",
        "",
        f"`python experiments/families.py` ({NUM_SEEDS} seeds per config, vmapped in one program, or as "
        "separate runs where the row says so"
        + (f"; steps scaled by {steps_scale}" if steps_scale != 1 else "")
        + "). Figures are mean ± standard deviation over the seeds (worst seed in brackets), from "
        "`jaxgan eval` on the last checkpoint; wall time is that of `jaxgan train` (compilation and the "
        "loop's evaluations included) divided by the seeds trained together, on this machine (2 CPU cores, "
        "shared with whatever else ran: a figure of elapsed time, not of the config's speed).",
        "",
        "| family | config | steps | wall per seed | hallmark | FID (classifier features) | target | reached |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        reached = row["reached"]
        reached = "—" if reached is None else ("yes" if reached is True else "no" if reached is False else reached)
        lines.append(
            f"| {row['family']} | `{row['config']}`{''.join(f' `{o}`' for o in row['overrides'])}"
            f"{' (seeds as separate runs)' if row.get('separate_seeds') else ''} "
            f"| {row['steps']} | {_wall(row['wall_per_seed'])} | {'; '.join(row['hallmark'])} | {row['fid']} "
            f"| {row['target']} | {reached} |"
        )
    return "\n".join(lines) + "\n"


def _unmeasured_row(entry: Entry, steps: int, hallmark: str, flag: str) -> dict:
    """The row of an entry with no figures (`flag`: "not_run" or "failed")."""
    return {
        "entry": entry,
        "family": entry.family,
        "config": entry.config,
        "overrides": entry.overrides,
        "steps": steps,
        "wall_per_seed": math.nan,
        "hallmark": [hallmark],
        "fid": "—",
        flag: True,
    }


def earlier_rows(path: str) -> dict[str, tuple[dict, dict]]:
    """The measured rows (and their statistics) of an earlier table's `.json`, by entry name."""
    if not os.path.exists(path):
        return {}
    earlier = json.load(open(path))
    by_name = {}
    for row in earlier.get("rows", []):
        name = row.get("name")
        if name is None:  # a table written before rows had names: known by config and overrides
            name = next(
                (e.name for e in ENTRIES if e.config == row["config"] and list(e.overrides) == list(row["overrides"])),
                None,
            )
        if name is not None and row.get("reached") not in ("not run", "no (failed)"):
            by_name[name] = ({**row, "name": name}, earlier.get("stats", {}).get(name, {}))
    return by_name


def keeps_earlier_row(row: dict | None, *, finished: int, steps: int, named: bool) -> bool:
    """Whether an entry's row of the earlier table stands for it: measured at the same step count and
    not finished in this runs folder, unless `--only` names the entry (then it trains here)."""
    return row is not None and not named and finished < steps and row["steps"] == steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", required=True, help="where each config trains, in <runs>/<name>")
    parser.add_argument(
        "--only", default="", help="comma-separated entry names to train (default: all); the table has every entry"
    )
    parser.add_argument("--steps_scale", type=float, default=1.0, help="multiplies every config's num_steps")
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "families.md"), help="the table")
    parser.add_argument(
        "--table_only",
        action="store_true",
        help="train nothing: tabulate the runs finished in <runs> (evaluating them if needed); the others are 'not run'",
    )
    parser.add_argument(
        "--separate_seeds",
        action="store_true",
        help="train every entry's seeds as separate runs (on XLA:CPU, faster for convolutional networks than vmapped)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="do not keep the rows of <out>.json measured earlier (elsewhere) for entries not finished in <runs>",
    )
    args = parser.parse_args()
    global SEPARATE_SEEDS
    SEPARATE_SEEDS = args.separate_seeds
    names = [entry.name for entry in ENTRIES]
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in names]
    if unknown:
        parser.error(f"--only names {unknown}, which are not entries; the entries are {', '.join(names)}.")
    if args.steps_scale <= 0:
        parser.error(f"--steps_scale must be positive; got {args.steps_scale}.")
    stats_by_name: dict[str, dict] = {}
    rows = []
    earlier = {} if args.fresh else earlier_rows(os.path.splitext(args.out)[0] + ".json")
    for entry in ENTRIES:  # every entry has a row; only those of --only train
        workdir = os.path.abspath(os.path.join(args.runs, entry.name))
        steps = num_steps(entry, args.steps_scale)
        kept = earlier.get(entry.name)
        named = entry.name in only and not args.table_only
        if keeps_earlier_row(kept and kept[0], finished=finished_step(entry, workdir), steps=steps, named=named):
            # measured in an earlier invocation (another runs folder or machine), not here
            row, kept_stats = kept
            stats_by_name[entry.name] = {**kept_stats, "wall_per_seed": {"mean": row["wall_per_seed"]}}
            rows.append({**row, "entry": entry, "kept": True})
            continue
        if (args.table_only or (only and entry.name not in only)) and finished_step(entry, workdir) < steps:
            stats_by_name[entry.name] = {}
            hallmark = f"not run (finished step {finished_step(entry, workdir)} of {steps})"
            rows.append(_unmeasured_row(entry, steps, hallmark, "not_run"))
            continue
        try:
            results = {}
            for path, seed in seed_workdirs(entry, workdir):
                train(entry, path, steps, seed)
                one = evaluate(entry, path)
                if seed is None:
                    results = one
                else:  # one run's `key` is `key/seed=<s>` of the entry
                    results.update({f"{key}/seed={seed}": value for key, value in one.items() if "/" not in key})
                    results.setdefault("step", one.get("step"))
        except Failed as failure:  # e.g. a family whose program does not take num_seeds > 1
            print(f"{entry.name}: {failure}", file=sys.stderr, flush=True)
            stats_by_name[entry.name] = {}
            rows.append(_unmeasured_row(entry, steps, f"failed: {str(failure).replace('|', '/')}", "failed"))
            continue
        figures = {figure.key: figure for figure in (*entry.figures, _FID)}
        stats = {
            key: summary(per_seed(results, key), figure.higher_is_better)
            for key, figure in figures.items()
            if per_seed(results, key)
        }
        stats_by_name[entry.name] = stats
        seconds = 0.0  # absent for a run trained elsewhere: nan
        for path, _ in seed_workdirs(entry, workdir):
            wall_path = os.path.join(path, "families_wall.json")
            seconds += json.load(open(wall_path))["seconds"] if os.path.exists(wall_path) else math.nan
        stats["wall_per_seed"] = {"mean": seconds / NUM_SEEDS}  # for a row that compares wall times
        rows.append(
            {
                "entry": entry,
                "family": entry.family,
                "config": entry.config,
                "overrides": entry.overrides,
                "steps": results.get("step", latest_step(workdir)),
                "wall_per_seed": seconds / NUM_SEEDS,
                "separate_seeds": seed_workdirs(entry, workdir)[0][1] is not None,
                "hallmark": [_cell(f.label, stats.get(f.key)) for f in entry.figures if f.key != _FID.key],
                "fid": _cell("", stats.get(_FID.key)).strip() if _FID.key in stats else "—",
            }
        )
    for row in rows:
        entry = row.pop("entry")
        row["name"], row["target"] = entry.name, entry.target
        if row.pop("kept", False):  # measured earlier: its figures kept, its label and verdict the entry's now
            row["family"] = entry.family
            row["reached"] = entry.reached(stats_by_name[entry.name], stats_by_name)
            continue
        if row.pop("not_run", False):
            row["reached"] = "not run"
        elif row.pop("failed", False):
            row["reached"] = "no (failed)"
        else:
            row["reached"] = entry.reached(stats_by_name[entry.name], stats_by_name)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = table(rows, steps_scale=args.steps_scale)
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"rows": rows, "stats": stats_by_name}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
