"""experiments/mode_collapse.py: PacGAN's Table 1 in resumable pieces.

The reading of metrics.jsonl, the sizing to a time budget and the table's cells against their
closed forms; bad flags refused in one sentence; turns, skipping and the budget with a stand-in
trainer. One short piece is trained for real by tests/test_mode_collapse_gpu.py, through the
GPU script on a tiny protocol.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os

import numpy as np
import pytest

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments", "mode_collapse.py")
_spec = importlib.util.spec_from_file_location("mode_collapse_experiment", _PATH)
mc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mc)


def _write_rows(path, rows, torn_tail=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
        if torn_tail:
            f.write('{"step": 300, "eval/mo')


def test_evaluations_are_read_per_seed_and_for_one_run(tmp_path):
    seeds = {"step": 100, "d_loss/seed=0": 1.0}
    for key, values in {"modes": (3, 5), "high_quality_fraction": (0.5, 0.25), "reverse_kl": (0.1, 0.2)}.items():
        seeds.update({f"eval/{key}/seed={s}": v for s, v in enumerate(values)})
        seeds[f"eval/{key}/mean"] = float(np.mean(values))
    _write_rows(str(tmp_path / "a" / "metrics.jsonl"), [{"step": 50, "d_loss/seed=0": 1.0}, seeds], torn_tail=True)
    (evaluation,) = mc.read_evaluations(str(tmp_path / "a"))
    assert evaluation == {
        "step": 100,
        "modes": [3, 5],
        "high_quality_fraction": [0.5, 0.25],
        "reverse_kl": [0.1, 0.2],
    }
    one = {"step": 20, "eval/modes": 7, "eval/high_quality_fraction": 0.9, "eval/reverse_kl": 0.05}
    _write_rows(str(tmp_path / "b" / "metrics.jsonl"), [one])
    assert mc.read_evaluations(str(tmp_path / "b")) == [
        {"step": 20, "modes": [7], "high_quality_fraction": [0.9], "reverse_kl": [0.05]}
    ]
    assert mc.read_evaluations(str(tmp_path / "none")) == []


def test_the_budget_sizes_every_piece_to_the_same_step():
    """Pieces at 20k going 100 and 50 steps/s: S more steps each take S/100 + S/50 = 0.03 S s."""
    reached = {"a": 20_000, "b": 20_000}
    rates = {"a": 100.0, "b": 50.0}
    assert mc.sized_target(reached, rates, budget_left=1200, steps=400_000, eval_every=20_000) == 60_000
    # 1,199 s fit 39,966 steps: rounded down to the evaluation cadence
    assert mc.sized_target(reached, rates, budget_left=1199, steps=400_000, eval_every=20_000) == 40_000
    assert mc.sized_target(reached, rates, budget_left=1e9, steps=400_000, eval_every=20_000) == 400_000
    assert mc.sized_target(reached, rates, budget_left=0, steps=400_000, eval_every=20_000) == 20_000
    assert mc.sized_target(reached, {}, budget_left=0, steps=400_000, eval_every=20_000) == 400_000


def test_table_cells_are_mean_and_standard_error_beside_the_published_rows(tmp_path):
    modes, hq, rkl = [6, 7, 5], [0.9, 0.95, 0.8], [0.3, 0.2, 0.5]
    found = {
        ("GAN", "ring"): {
            "evaluations": [{"step": 400_000, "modes": modes, "high_quality_fraction": hq, "reverse_kl": rkl}],
            "reached": 400_000,
            "finished": True,
            "failed": None,
        },
        ("GAN", "grid"): {
            "evaluations": [{"step": 60_000, "modes": [20], "high_quality_fraction": [0.5], "reverse_kl": [0.25]}],
            "reached": 60_000,
            "finished": False,
            "failed": None,
        },
    }
    args = mc.parse_args(["--root", str(tmp_path)])
    path = str(tmp_path / "table.md")
    mc.write_table(found, path, args=args, machine="test machine")
    text = open(path).read()
    se = lambda v: np.std(v, ddof=1) / math.sqrt(len(v))  # noqa: E731
    ring = (
        f"3 @ 400,000 | {np.mean(modes):.1f} ± {se(modes):.1f} | {100 * np.mean(hq):.1f} ± {100 * se(hq):.1f} "
        f"| {np.mean(rkl):.2f} ± {se(rkl):.2f}"
    )
    grid = "1 @ 60,000 (unfinished) | 20.0 | 50.0 | 0.25"
    assert f"| GAN | jaxgan | {ring} | {grid} |" in text
    assert "| GAN | PacGAN Table 1 | 10 @ end | 6.3 ± 0.5 | 98.2 ± 0.2 | 0.45 ± 0.09 | 10 @ end | 17.3 ± 0.8 |" in text
    assert "| PacGAN4 | PacGAN Table 1 | 10 @ end | 7.8 | 95.9 | 0.07 | 10 @ end | 24.8 | 93.6 | 0.04 |" in text
    assert "test machine" in text and "400,000 steps" in text


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--methods=GANN"], "unknown method(s)/dataset(s) ['GANN']"),
        (["--steps=150", "--eval_every=100"], "--steps (150) must be a multiple of --eval_every (100)"),
        (["--chunk=30000"], "--chunk (30000) must be 0 or a positive multiple of --eval_every (20000)"),
        (["--seeds=0"], "--seeds must be a positive integer"),
        (["--probe_steps=150"], "--probe_steps (150) must be 0 or a positive multiple of --steps_per_call (100)"),
        (["--set", "model.width"], "--set 'model.width' must be PATH=JSON"),
    ],
)
def test_bad_flags_are_refused_in_one_sentence(argv, words, capsys):
    with pytest.raises(SystemExit) as stopped:
        mc.parse_args(argv)
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert words in last and last.endswith(".")


class StandIn:
    """A trainer standing in for the loop: it writes what a piece's workdir holds after
    training to a step (a checkpoint folder, logged steps/s, an evaluation per seed), and
    records the order of the turns."""

    def __init__(self, rates, fail=()):
        self.rates, self.fail, self.turns = rates, fail, []

    def __call__(self, config, workdir, to_step):
        name = os.path.basename(workdir)
        self.turns.append((name, to_step))
        if name in self.fail:
            raise FloatingPointError(f"Training stopped: d_loss became nan at step {to_step - 10}")
        os.makedirs(os.path.join(workdir, "checkpoints", str(to_step)), exist_ok=True)
        seeds = config.num_seeds
        rows = [
            {"step": to_step - 10, "steps_per_second": 1.0},
            {"step": to_step, "steps_per_second": self.rates[name]},
        ]
        row = {"step": to_step}
        for key in mc.KEYS:
            row.update({f"eval/{key}/seed={s}": 0.5 + s for s in range(seeds)})
        with open(os.path.join(workdir, "metrics.jsonl"), "a") as f:
            for r in [*rows, row]:
                f.write(json.dumps(r) + "\n")
        return 1.0


def _argv(tmp_path, *extra):
    return [
        "--methods=GAN,PacGAN2",
        "--seeds=2",
        "--steps=300",
        "--eval_every=100",
        f"--root={tmp_path / 'runs'}",
        f"--table={tmp_path / 'table.md'}",
        f"--curves={tmp_path / 'curves.png'}",
        "--cache_dir=",
        *extra,
    ]


def test_pieces_take_turns_and_finished_or_failed_ones_are_skipped(tmp_path, monkeypatch, capsys):
    stand_in = StandIn({"GAN_ring": 1, "GAN_grid": 1, "PacGAN2_ring": 1, "PacGAN2_grid": 1}, fail=("PacGAN2_grid",))
    monkeypatch.setattr(mc, "train_piece", stand_in)
    mc.main(_argv(tmp_path, "--chunk=100"))
    assert stand_in.turns == [
        ("GAN_ring", 100),
        ("GAN_grid", 100),
        ("PacGAN2_ring", 100),
        ("PacGAN2_grid", 100),  # failed: its story in the workdir, not tried again this run
        ("GAN_ring", 200),
        ("GAN_grid", 200),
        ("PacGAN2_ring", 200),
        ("GAN_ring", 300),
        ("GAN_grid", 300),
        ("PacGAN2_ring", 300),
    ]
    status = mc.read_status(str(tmp_path / "runs" / "PacGAN2_grid"))
    assert status["failed"].startswith("Training stopped: d_loss became nan")
    table = open(tmp_path / "table.md").read()
    assert "| GAN | jaxgan | 2 @ 300 | 1.0 ± 0.5 | 100.0 ± 50.0 | 1.00 ± 0.50 | 2 @ 300 |" in table
    assert "- PacGAN2 on grid failed: Training stopped: d_loss became nan at step 90" in table
    assert [e["step"] for e in json.load(open(tmp_path / "curves.json"))["GAN_ring"]] == [100, 200, 300]

    stand_in.turns.clear()
    capsys.readouterr()
    mc.main(_argv(tmp_path, "--chunk=100"))  # a rerun: every piece finished or failed, nothing trained
    assert stand_in.turns == []
    out = capsys.readouterr().out
    assert "GAN_ring: finished (step 300), skipped" in out and "PacGAN2_grid: failed before" in out


def test_a_time_budget_sizes_the_run_after_the_first_turn(tmp_path, monkeypatch, capsys):
    """First turn to 100; rates 1 and 0.5 steps/s; a budget that leaves about 667 s after it, of
    which 90% (600 s) go to training, fits S with S/1 + S/0.5 = 600: S = 200, so both pieces go to
    step 300, in one launch each, and no further."""
    stand_in = StandIn({"GAN_ring": 1.0, "GAN_grid": 0.5})
    monkeypatch.setattr(mc, "train_piece", stand_in)
    mc.main(_argv(tmp_path, "--methods=GAN", "--steps=1000", "--chunk=100", "--time_budget=667", "--curves="))
    assert stand_in.turns == [("GAN_ring", 100), ("GAN_grid", 100), ("GAN_ring", 300), ("GAN_grid", 300)]
    assert "every piece trains to step 300 (of 1000)" in capsys.readouterr().out
    assert "(unfinished)" in open(tmp_path / "table.md").read()


def test_a_probe_turn_measures_then_each_piece_trains_once_to_the_sized_step(tmp_path, monkeypatch, capsys):
    """A first turn of 10 steps at 1 and 0.5 steps/s: 90% of ~667 s fit 200 more steps each,
    so step 210 rounds down to the cadence: 200, reached in one more launch per piece."""
    stand_in = StandIn({"GAN_ring": 1.0, "GAN_grid": 0.5})
    monkeypatch.setattr(mc, "train_piece", stand_in)
    argv = _argv(tmp_path, "--methods=GAN", "--steps=1000", "--chunk=100", "--time_budget=667", "--curves=")
    mc.main([*argv, "--probe_steps=10", "--steps_per_call=10"])
    assert stand_in.turns == [("GAN_ring", 10), ("GAN_grid", 10), ("GAN_ring", 200), ("GAN_grid", 200)]
    assert "every piece trains to step 200 (of 1000)" in capsys.readouterr().out


def test_no_launch_starts_once_the_budget_is_spent(tmp_path, monkeypatch, capsys):
    stand_in = StandIn({"GAN_ring": 1.0, "GAN_grid": 1.0})
    monkeypatch.setattr(mc, "train_piece", stand_in)
    monkeypatch.setattr(mc.time, "perf_counter", iter(range(0, 10_000, 100)).__next__)  # 100 s per reading
    mc.main(_argv(tmp_path, "--methods=GAN", "--chunk=100", "--time_budget=150", "--curves="))
    assert stand_in.turns == [("GAN_ring", 100)]
    assert "time budget of 150 s spent: GAN_grid stays at step 0" in capsys.readouterr().out
