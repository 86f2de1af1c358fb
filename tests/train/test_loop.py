"""The loop: files in the workdir, resuming bit for bit, refusing bad configs, stopping on NaN."""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import pytest

from jaxgan.train import NonFiniteError, loop, train_and_evaluate
from tests.train.helpers import tiny_ring_config


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


@pytest.mark.slow
def test_run_writes_its_files(tmp_path):
    config = tiny_ring_config()
    state = train_and_evaluate(config, str(tmp_path))
    assert int(state.step) == config.num_steps
    names = set(os.listdir(tmp_path))
    assert {"config.json", "metrics.jsonl", "checkpoints", "samples", "tensorboard"} <= names
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in rows] == [2, 4]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "steps_per_second"} <= set(rows[0])
    assert os.listdir(tmp_path / "samples") == ["step_00000004.png"]
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2", "4"]


@pytest.mark.slow
def test_resume_equals_straight_bit_for_bit(tmp_path):
    straight = train_and_evaluate(tiny_ring_config(num_steps=8), str(tmp_path / "straight"))
    train_and_evaluate(tiny_ring_config(num_steps=4), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(tiny_ring_config(num_steps=8), str(tmp_path / "resumed"))
    assert int(resumed.step) == 8
    for a, b in zip(_leaves(straight), _leaves(resumed)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_workdir_with_another_config_is_refused_then_moved_aside(tmp_path):
    train_and_evaluate(tiny_ring_config(), str(tmp_path))
    other = tiny_ring_config(**{"loss.name": "hinge"})
    with pytest.raises(ValueError, match="different config.*loss.name.*overwrite"):
        train_and_evaluate(other, str(tmp_path))
    other.overwrite = True
    train_and_evaluate(other, str(tmp_path))
    archived = [n for n in os.listdir(tmp_path) if n.startswith("replaced_")]
    assert len(archived) == 1
    assert sorted(os.listdir(tmp_path / archived[0] / "checkpoints")) == ["2", "4"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"loss.name": "wgan"}, "config.loss.name"),
        ({"model.generator.name": "resnet9"}, "mlp"),
        ({"data.name": "imagenet21k"}, "imagenet21k"),
        ({"num_steps": 0}, "config.num_steps"),
        ({"batch_size": 5000}, "batch_size"),
        ({"optimizer.generator.name": "adamm"}, "optax"),
        ({"unroll_steps": 3}, "eps_root"),
    ],
)
def test_bad_config_stops_before_compiling(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        train_and_evaluate(tiny_ring_config(**overrides), str(tmp_path))
    assert not os.path.exists(tmp_path / "checkpoints")
    assert not os.path.exists(tmp_path / "config.json")  # a refused launch writes nothing


@pytest.mark.slow
def test_non_finite_from_the_first_update_names_quantity_and_step(tmp_path):
    config = tiny_ring_config()
    config.optimizer.discriminator.learning_rate = float("inf")  # D's params become NaN at step 1
    with pytest.raises(NonFiniteError, match=r"^Training stopped: d_\w+ became nan at step 2; no checkpoint"):
        train_and_evaluate(config, str(tmp_path))
    assert os.listdir(tmp_path / "checkpoints") == []


@pytest.mark.slow
def test_non_finite_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    train_and_evaluate(tiny_ring_config(), str(tmp_path))  # checkpoints at steps 2 and 4
    original_setup = loop.setup

    def setup_with_a_nan_at_step_7(config, **kwargs):
        run = original_setup(config, **kwargs)
        call = run.call

        def poisoned(state, *inputs):
            first = int(jax.device_get(state.step))
            state, metrics = call(state, *inputs)
            if first == 6:  # the call of steps 7 and 8
                metrics = {**metrics, "g_loss": metrics["g_loss"].at[0].set(np.inf)}
            return state, metrics

        run.call = poisoned
        return run

    monkeypatch.setattr(loop, "setup", setup_with_a_nan_at_step_7)
    with pytest.raises(
        NonFiniteError, match=r"g_loss became inf at step 7; the last good checkpoint \(step 6, saved by this launch\)"
    ):
        train_and_evaluate(tiny_ring_config(num_steps=10), str(tmp_path))
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2", "4", "6"]  # nothing past step 6


@pytest.mark.slow
def test_evaluations_are_logged_and_what_they_used_is_recorded(tmp_path):
    config = tiny_ring_config(evaluators="mode_coverage", num_eval_samples=200)
    train_and_evaluate(config, str(tmp_path))
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    final = [row for row in rows if "eval/modes" in row]
    assert [row["step"] for row in final] == [4] and 0 <= final[0]["eval/modes"] <= 8
    record = json.load(open(tmp_path / loop.EVALUATION_FILE))
    assert record["evaluators"] == ["mode_coverage"] and record["num_real"] == 200 and record["num_fake"] == 200
    assert record["dataset"] == "ring"


@pytest.mark.slow
def test_a_refused_launch_then_the_corrected_one(tmp_path):
    """A launch refused for a bad value writes nothing, so its correction starts in the same workdir."""
    with pytest.raises(ValueError, match="config.keep_checkpoints"):
        train_and_evaluate(tiny_ring_config(keep_checkpoints=0), str(tmp_path))
    with pytest.raises(ValueError, match="config.evaluators"):
        train_and_evaluate(tiny_ring_config(evaluators="fid,modes_coverage"), str(tmp_path))
    assert os.listdir(tmp_path) == []
    state = train_and_evaluate(tiny_ring_config(), str(tmp_path))
    assert int(state.step) == 4


def _interrupt_at(monkeypatch, first_step: int, signal_number: int):
    """The loop's call sends `signal_number` to this process during the call of `first_step`."""
    import signal as signal_lib

    original_setup = loop.setup

    def setup(config, **kwargs):
        run = original_setup(config, **kwargs)
        call = run.call

        def call_and_signal(state, *inputs):
            first = int(jax.device_get(state.step))
            out = call(state, *inputs)
            if first == first_step:
                signal_lib.raise_signal(signal_number)
            return out

        run.call = call_and_signal
        return run

    monkeypatch.setattr(loop, "setup", setup)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name, first_step", [("SIGTERM", 2), ("SIGINT", 4)])
def test_a_signal_saves_the_current_step_and_the_relaunch_continues_bit_for_bit(
    tmp_path, monkeypatch, signal_name, first_step
):
    import signal as signal_lib

    number = getattr(signal_lib, signal_name)
    handler_before = signal_lib.getsignal(number)
    config = tiny_ring_config(num_steps=8, checkpoint_every=8, sample_every=8)
    straight = train_and_evaluate(config, str(tmp_path / "straight"))
    with monkeypatch.context() as patch:
        _interrupt_at(patch, first_step, number)
        with pytest.raises(loop.Interrupted, match=f"stopped by {signal_name} at step {first_step + 2}") as stop:
            train_and_evaluate(config, str(tmp_path / "stopped"))
    assert stop.value.signal_number == number
    assert sorted(os.listdir(tmp_path / "stopped" / "checkpoints")) == [str(first_step + 2)]
    assert signal_lib.getsignal(number) == handler_before  # the loop's handler is removed again
    resumed = train_and_evaluate(config, str(tmp_path / "stopped"))
    for a, b in zip(_leaves(straight), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    rows = [json.loads(line) for line in open(tmp_path / "stopped" / "metrics.jsonl")]
    assert [row["step"] for row in rows] == [2, 4, 6, 8]


@pytest.mark.slow
def test_a_resumed_run_logs_every_step_once(tmp_path):
    """Steps logged after the last checkpoint of a killed run are logged again by the relaunch:
    the relaunch drops the earlier rows past its checkpoint first (metrics.jsonl, TensorBoard)."""
    import shutil

    config = tiny_ring_config(num_steps=8, checkpoint_every=4, sample_every=8)
    train_and_evaluate(config, str(tmp_path))
    shutil.rmtree(tmp_path / "checkpoints" / "8")  # as if killed after logging step 8, before saving it
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 10, "d_lo')  # and a line torn by the kill
    train_and_evaluate(config, str(tmp_path))
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [row["step"] for row in rows] == [2, 4, 6, 8]
