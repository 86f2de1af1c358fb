"""Fast checks of experiments/families.py's pure parts: per-seed figures out of `jaxgan eval`'s
results, their summary (mean, sample standard deviation, worst seed), the targets and the table.
The script itself trains every family for hours; its smoke run is in the README."""

import dataclasses
import importlib.util
import math
import os
import sys

import pytest

EXPERIMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments")


def _families():
    spec = importlib.util.spec_from_file_location("families", os.path.join(EXPERIMENTS, "families.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["families"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


families = _families()

RESULTS = {
    "step": 20,
    "code_agreement_classifier/seed=0": 0.9,
    "code_agreement_classifier/seed=1": 0.8,
    "code_agreement_classifier/seed=2": 0.85,
    "code_agreement_classifier/mean": 0.85,
    "fid_classifier/seed=0": 30.0,
    "fid_classifier/seed=1": 36.0,
    "fid_classifier/seed=2": 33.0,
}


def test_per_seed_figures_their_mean_sd_and_worst_seed():
    assert families.per_seed(RESULTS, "code_agreement_classifier") == [0.9, 0.8, 0.85]  # not the mean
    assert families.per_seed({"modes": 8.0}, "modes") == [8.0]  # one run: no label
    assert families.per_seed(RESULTS, "recall_classifier") == []
    stats = families.summary(families.per_seed(RESULTS, "code_agreement_classifier"), higher_is_better=True)
    assert stats["mean"] == pytest.approx(0.85) and stats["sd"] == pytest.approx(0.05) and stats["worst"] == 0.8
    fid = families.summary(families.per_seed(RESULTS, "fid_classifier"), higher_is_better=False)
    assert fid["sd"] == pytest.approx(3.0) and fid["worst"] == 36.0  # the worst FID is the largest


def test_targets_read_the_means_and_the_worst_seed():
    infogan = next(entry for entry in families.ENTRIES if entry.name == "infogan_mnist")
    stats = {"code_agreement_classifier": families.summary([0.9, 0.8, 0.85], True)}
    stats["matched_classifier_accuracy"] = families.summary([0.8, 0.82, 0.81], True)
    assert infogan.reached(stats, {}) is True
    stats["code_agreement_classifier"] = families.summary([0.95, 0.79, 0.85], True)  # mean 0.863, worst 0.79
    assert infogan.reached(stats, {}) is False
    began = next(entry for entry in families.ENTRIES if entry.name == "began_mnist")
    shares = {"min_class_share_classifier": families.summary([0.06], True)}
    shares["max_class_share_classifier"] = families.summary([0.14], False)
    shares["fid_classifier"] = families.summary([45.0], False)
    assert began.reached(shares, {"dcgan_mnist": {"fid_classifier": families.summary([30.0], False)}}) is True
    assert began.reached(shares, {"dcgan_mnist": {"fid_classifier": families.summary([29.0], False)}}) is False
    assert "no dcgan_mnist row" in began.reached(shares, {})


def test_progans_target_reads_the_dcgan_trained_at_least_as_long_as_it():
    """FID at most the DCGAN's, against the DCGAN row trained for at least ProGAN's wall time per
    seed when there is one (else the DCGAN's own row, whose shorter time fails the comparison)."""
    progan = next(entry for entry in families.ENTRIES if entry.name == "progan_mnist")
    stats = {"fid_classifier": families.summary([28.0, 30.0, 32.0], False), "wall_per_seed": {"mean": 600.0}}
    short = {"fid_classifier": families.summary([40.0], False), "wall_per_seed": {"mean": 240.0}}
    long = {"fid_classifier": families.summary([31.0], False), "wall_per_seed": {"mean": 700.0}}
    assert progan.reached(stats, {"dcgan_mnist": short, families.PROGAN_REFERENCE: long}) is True
    # the reference row is read first; FID lower than its 40.0, but it trained for less time
    assert "at 2.5x its wall time" in progan.reached(stats, {"dcgan_mnist": long, families.PROGAN_REFERENCE: short})
    assert "at 2.5x its wall time" in progan.reached(stats, {"dcgan_mnist": short})
    assert progan.reached(stats, {"dcgan_mnist": long}) is True  # no reference row: the DCGAN's own
    better = {**long, "fid_classifier": families.summary([29.0], False)}
    assert "FID 30.0 against the seed DCGAN's 29.0" in progan.reached(stats, {families.PROGAN_REFERENCE: better})
    assert "no dcgan_mnist row" in progan.reached(stats, {})


def test_srgans_target_reads_its_accuracy_bicubics_and_the_srresnet_rows_feature_distance():
    srgan = next(entry for entry in families.ENTRIES if entry.name == "srgan_mnist")
    assert next(entry for entry in families.ENTRIES if entry.name == "srresnet_mse").overrides == (
        "--config.srgan.content=mse", "--config.srgan.adversarial_weight=0.0"
    )  # fmt: skip
    stats = {
        "digit_accuracy": families.summary([0.96, 0.95, 0.97], True),
        "bicubic_digit_accuracy": families.summary([0.69], True),
        "feature_distance": families.summary([0.30, 0.31, 0.29], False),
    }
    srresnet = {"srresnet_mse": {"feature_distance": families.summary([0.66, 0.60, 0.70], False)}}
    assert srgan.reached(stats, srresnet) is True
    assert srgan.reached(stats, {"srresnet_mse": {"feature_distance": families.summary([0.2], False)}}) is False
    assert srgan.reached({**stats, "digit_accuracy": families.summary([0.93] * 3, True)}, srresnet) is False
    assert srgan.reached({**stats, "bicubic_digit_accuracy": families.summary([0.97], True)}, srresnet) is False
    assert "no SRResNet-MSE row" in srgan.reached(stats, {})


def test_the_table_has_one_row_per_entry_with_its_cells():
    row = {
        "family": "infogan",
        "config": "infogan_mnist",
        "overrides": (),
        "steps": 1500,
        "wall_per_seed": 125.0,
        "hallmark": [families._cell("code agreement", families.summary([0.9, 0.8, 0.85], True))],
        "fid": families._cell("", families.summary([30.0, 36.0, 33.0], False)).strip(),
        "target": "code agreement ≥ 0.85",
        "reached": True,
    }
    failed = {**row, "wall_per_seed": math.nan, "reached": "no (failed)"}
    lines = families.table([row, failed], steps_scale=1.0).splitlines()
    assert lines[-2] == (
        "| infogan | `infogan_mnist` | 1500 | 2 min 05 s | code agreement 0.850 ± 0.050 (worst 0.800) "
        "| 33.0 ± 3.000 (worst 36.0) | code agreement ≥ 0.85 | yes |"
    )
    assert lines[-1].split(" | ")[3] == "—" and lines[-1].endswith("| no (failed) |")


def test_earlier_rows_are_kept_by_name_or_by_config_and_overrides(tmp_path):
    """A row measured in an earlier invocation is found by its entry name, or (a table written
    before rows had names) by config and overrides; rows not run or failed are not kept."""
    import json

    measured = {"family": "semi_supervised", "config": "semi_supervised_mnist", "overrides": [], "steps": 4000}
    baseline = {
        "family": "semi_supervised (unsupervised_weight 0)",
        "config": "semi_supervised_mnist",
        "overrides": ["--config.semi_supervised.unsupervised_weight=0.0"],
        "steps": 4000,
    }
    rows = [
        {**measured, "reached": False},
        {**baseline, "reached": None},
        {"name": "cgan_mnist", "config": "cgan_mnist", "overrides": [], "steps": 1500, "reached": "not run"},
        {"name": "madgan_ring", "config": "madgan_ring", "overrides": [], "steps": 5000, "reached": "no (failed)"},
    ]
    stats = {"semi_supervised_mnist": {"classifier_accuracy": {"mean": 0.93}}}
    path = tmp_path / "families.json"
    path.write_text(json.dumps({"rows": rows, "stats": stats}))
    kept = families.earlier_rows(str(path))
    assert sorted(kept) == ["semi_supervised_mnist", "supervised_only_mnist"]
    row, row_stats = kept["semi_supervised_mnist"]
    assert row["name"] == "semi_supervised_mnist" and row_stats == {"classifier_accuracy": {"mean": 0.93}}
    assert kept["supervised_only_mnist"][1] == {}
    assert families.earlier_rows(str(tmp_path / "absent.json")) == {}


def test_an_earlier_row_stands_for_an_unfinished_entry_unless_only_names_it():
    row = {"steps": 1500}
    assert families.keeps_earlier_row(row, finished=0, steps=1500, named=False)
    assert not families.keeps_earlier_row(row, finished=0, steps=1500, named=True)  # --only trains it here
    assert not families.keeps_earlier_row(row, finished=1500, steps=1500, named=False)  # finished here: measured here
    assert not families.keeps_earlier_row(row, finished=0, steps=3000, named=False)  # another step count
    assert not families.keeps_earlier_row(None, finished=0, steps=1500, named=False)


def test_separate_seeds_keeps_a_run_of_every_seed_already_there(tmp_path, monkeypatch):
    """`--separate_seeds` trains each seed in `<name>/seed_<s>`, unless `<name>` already holds a
    checkpointed run of every seed (vmapped), which is then used as it is."""
    entry = next(e for e in families.ENTRIES if e.name == "semi_supervised_mnist")
    assert not entry.separate_seeds
    monkeypatch.setattr(families, "SEPARATE_SEEDS", True)
    workdir = str(tmp_path / entry.name)
    assert families.seed_workdirs(entry, workdir) == [(os.path.join(workdir, f"seed_{s}"), s) for s in range(3)]
    os.makedirs(os.path.join(workdir, "checkpoints", "8000"))
    assert families.seed_workdirs(entry, workdir) == [(workdir, None)]
    monkeypatch.setattr(families, "SEPARATE_SEEDS", False)
    assert families.seed_workdirs(entry, str(tmp_path / "other")) == [(str(tmp_path / "other"), None)]


def test_a_row_of_other_seeds_trains_those_seeds_apart_and_shares_its_target(tmp_path):
    entry = next(e for e in families.ENTRIES if e.name == "infogan_mnist_seeds_3_5")
    main = next(e for e in families.ENTRIES if e.name == "infogan_mnist")
    workdir = str(tmp_path / entry.name)
    assert families.seed_workdirs(entry, workdir) == [(os.path.join(workdir, f"seed_{s}"), s) for s in (3, 4, 5)]
    assert (entry.config, entry.overrides, entry.reached) == (main.config, main.overrides, main.reached)
    with pytest.raises(ValueError, match="a row's own seeds need separate_seeds=True"):
        dataclasses.replace(main, seeds=(3, 4, 5), separate_seeds=False)
