"""experiments/limited_data.py: its pure parts (step counts, the overfitting curves out of
metrics.jsonl, the summaries, the hallmark, the table) on given numbers, and one end-to-end run of
the baseline at a tiny step count (the other methods' config fields live on other branches)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

EXPERIMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments")


def _load():
    sys.path.insert(0, EXPERIMENTS)  # limited_data imports families from beside it
    spec = importlib.util.spec_from_file_location("limited_data", os.path.join(EXPERIMENTS, "limited_data.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["limited_data"] = module
    spec.loader.exec_module(module)
    return module


limited_data = _load()


def test_steps_are_whole_host_calls_and_about_twenty_evaluations():
    assert limited_data.scaled_steps(3000, 1.0) == 3000
    assert limited_data.scaled_steps(3000, 0.01) == 30
    assert limited_data.scaled_steps(3000, 0.0001) == 10  # at least one host call
    assert limited_data.default_eval_every(3000) == 150
    assert limited_data.default_eval_every(30) == 10


def _row(step, gap, sign, suffix=""):
    values = {"d_output_train": gap, "d_output_held_out": 0.0, "d_output_gap": gap, "d_sign_train": sign}
    values.update(d_sign_held_out=0.0, d_sign_gap=sign)
    return {"step": step, "d_loss": 1.0, **{f"eval/{k}{suffix}": v for k, v in values.items()}}


def test_the_curve_of_a_run_and_of_vmapped_seeds(tmp_path):
    rows = [{"step": 100, "d_loss": 1.0}, _row(150, 0.5, 0.2), _row(300, 1.5, 0.6)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    curve = limited_data.overfitting_curve(str(tmp_path), 2, 3)
    assert list(curve) == [2] and [e["step"] for e in curve[2]] == [150, 300]
    assert [e["d_output_gap"] for e in curve[2]] == [0.5, 1.5] and curve[2][1]["d_sign_train"] == 0.6
    both = {**_row(150, 0.5, 0.2, "/seed=0"), **_row(150, 0.7, 0.4, "/seed=1")}
    (tmp_path / "metrics.jsonl").write_text(json.dumps(both) + "\n")
    curves = limited_data.overfitting_curve(str(tmp_path), None, 2)
    assert [curves[s][0]["d_output_gap"] for s in (0, 1)] == [0.5, 0.7]


def _results(fids, gaps):
    curves = {s: [{"step": 10, "d_output_gap": 9.0, "d_sign_train": 0.0}, {"step": 20, "d_output_gap": g,
                                                                           "d_sign_train": 0.5}]
              for s, g in enumerate(gaps)}  # fmt: skip
    return {"curves": curves, "fids": [{"fid_held_out": [f], "fid_train": [f / 2]} for f in fids]}


def test_the_hallmark_needs_every_seed_a_quarter_below_the_baseline_and_a_smaller_gap():
    results = {
        (500, "baseline"): _results([100.0, 110.0, 90.0], [2.0, 2.0, 2.0]),  # mean FID 100, gap 2
        (500, "diffaugment"): _results([70.0, 75.0, 60.0], [1.0, 1.5, 0.5]),  # every seed <= 75, gap 1
        (500, "ada"): _results([70.0, 76.0, 60.0], [1.0, 1.0, 1.0]),  # a seed at 76 > 75
    }
    stats = limited_data.summarise(results)
    assert stats[(500, "baseline")]["fid_held_out"]["mean"] == pytest.approx(100.0)
    assert stats[(500, "baseline")]["fid_held_out"]["sd"] == pytest.approx(10.0)  # sample sd of 100, 110, 90
    assert stats[(500, "diffaugment")]["gap"]["mean"] == pytest.approx(1.0)  # the last evaluation's gap
    assert stats[(500, "diffaugment")]["fid_train"]["worst"] == pytest.approx(37.5)
    assert limited_data.hallmark(stats) == {"diffaugment": True, "diffaugment_tc": "not run", "ada": False}
    results[(500, "diffaugment")] = _results([70.0, 75.0, 60.0], [3.0, 2.0, 2.0])  # the gap grows: not reached
    assert limited_data.hallmark(limited_data.summarise(results))["diffaugment"] is False
    rows = [{"size": 500, "method": m, "status": "done"} for m in ("baseline", "diffaugment", "ada")]
    rows.append({"size": 1000, "method": "bcr", "status": "not run"})
    text = limited_data.table(rows, stats, steps=3000, num_seeds=3, vmap_seeds=False, fid_samples=5000)
    assert (
        "| 500 | DiffAugment | `--config.augment.policy=color,translation,cutout` | 68.3 ± 7.638 (worst 75.0) | -31.7%"
        in text
    )
    assert "| 1000 | bCR |" in text and "| — | — | — | — | — | not run |" in text
    assert "- DiffAugment: reached" in text and "- ADA: not reached" in text and "- the hallmark: reached" in text
    assert "5000 samples of the checkpoint at step 3000, against" in text
    text = limited_data.table(
        rows, stats, steps=3000, num_seeds=3, vmap_seeds=False, fid_samples=5000, fid_steps=(3000, 4000, 3000)
    )
    assert (
        "of the checkpoint at step 3000 where it is kept, else the latest (read at steps 3000, 4000), against" in text
    )


@pytest.mark.slow
def test_the_baseline_end_to_end_at_a_tiny_step_count_then_a_rerun_skips_it(tmp_path):
    out = tmp_path / "limited_data.md"
    command = [
        sys.executable,
        os.path.join(EXPERIMENTS, "limited_data.py"),
        f"--runs={tmp_path / 'runs'}",
        "--only=baseline",
        "--sizes=500",
        "--num_seeds=1",
        "--steps=20",
        "--fid_samples=200",
        "--fid_every=10",
        f"--out={out}",
        f"--plot={tmp_path / 'curves.png'}",
    ]
    env = {**os.environ, "PYTHONPATH": os.path.dirname(EXPERIMENTS)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    workdir = tmp_path / "runs" / "n500" / "baseline" / "seed_0"
    config = json.load(open(workdir / "config.json"))
    assert config["data"]["num_train"] == 500 and config["data"]["split"] == "train[:90%]"
    record = json.load(open(tmp_path / "limited_data.json"))
    run = record["runs"]["n500/baseline"]
    assert [e["step"] for e in run["curves"]["0"]] == [10, 20]  # eval_every 10: two evaluations
    fid = json.load(open(workdir / "limited_data_fid_00000020.json"))
    assert fid["num_samples"] == 200 and np.isfinite(fid["fid_held_out"][0]) and np.isfinite(fid["fid_train"][0])
    assert config["checkpoint_every"] == 10 and config["keep_checkpoints"] == 3  # --fid_every: every one kept
    early = json.load(open(workdir / "limited_data_fid_00000010.json"))
    assert early["step"] == 10 and early["fid_held_out"][0] != fid["fid_held_out"][0]
    assert [p["step"] for p in run["fid_curves"][0]] == [10, 20] and run["fid_curves"][0][1] == fid
    text = out.read_text()
    assert f"| 500 | baseline | — | {limited_data.families._number(fid['fid_held_out'][0])} ± 0.000" in text
    over_the_run = f"| 500 | baseline | {early['fid_held_out'][0]:.1f} ({early['fid_held_out'][0]:.1f}) | "
    assert over_the_run + f"{fid['fid_held_out'][0]:.1f} ({fid['fid_held_out'][0]:.1f}) |" in text
    assert (tmp_path / "curves.png").stat().st_size > 0
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "finished at step 20, skipped" in again.stdout
    assert out.read_text() == text
    shorter = [*(a for a in command if not a.startswith(("--steps=", "--out="))), "--steps=10", "--table_only"]
    shorter.append(f"--out={tmp_path / 'at_10.md'}")
    at_10 = subprocess.run(shorter, env=env, capture_output=True, text=True, timeout=600)
    assert at_10.returncode == 0, at_10.stderr[-3000:]  # a workdir trained past --steps is read at --steps
    record = json.load(open(tmp_path / "at_10.json"))["runs"]["n500/baseline"]
    assert record["fids"][0] == early and [e["step"] for e in record["curves"]["0"]] == [10]


@pytest.mark.parametrize("fid_every", ["15", "-10", "3010"])
def test_a_bad_fid_every_is_refused_in_one_sentence_before_any_training(tmp_path, capsys, fid_every):
    with pytest.raises(SystemExit):
        limited_data.main([f"--runs={tmp_path}", "--steps=3000", f"--fid_every={fid_every}"])
    assert (
        f"--fid_every must be 0 or a multiple of 10 up to the run's 3000 steps; got {int(fid_every)}."
        in capsys.readouterr().err
    )
    assert os.listdir(tmp_path) == []


def test_common_overrides_go_to_every_run_and_are_named_in_the_table(tmp_path, capsys):
    run = limited_data.entry(
        "diffaugment", 500, 50, steps=3000, common=("--config.model.discriminator.dropout_rate=0",)
    )
    assert run.overrides[-2:] == ("--config.model.discriminator.dropout_rate=0", limited_data.DIFF_AUGMENT)
    stats = limited_data.summarise({(500, "baseline"): _results([100.0, 110.0, 90.0], [2.0, 2.0, 2.0])})
    rows = [{"size": 500, "method": "baseline", "status": "done"}]
    text = limited_data.table(
        rows, stats, steps=3000, num_seeds=3, vmap_seeds=False, fid_samples=5000,
        common=("--config.model.discriminator.dropout_rate=0",),
    )  # fmt: skip
    assert "Every run also has `--config.model.discriminator.dropout_rate=0`." in text
    with pytest.raises(SystemExit):
        limited_data.main([f"--runs={tmp_path}", "--common=dropout_rate=0"])
    assert (
        "--common takes overrides of the form --config.<field>=<value>; got dropout_rate=0." in capsys.readouterr().err
    )
    assert os.listdir(tmp_path) == []
