"""Runs over one run axis: seeds and hyperparameter values trained together equal separate runs
(R = 1), in turn (`config.run_mapping`'s choice on a CPU) and vmapped. Divided over several
devices: tests/train/test_parallel_runs.py."""

from __future__ import annotations

import importlib.util
import json
import os

import jax
import numpy as np
import pytest

from jaxgan.train import build as build_lib
from jaxgan.train import evaluation, loop, restore, run_axis, sampling, sweeps
from jaxgan.train.checkpoint import Checkpointer
from tests.train.helpers import tiny_ring_config


def _train(run, config):
    state = run_axis.place(run.state, run.mesh)
    calls = []
    for first in range(0, config.num_steps, config.steps_per_call):
        state, metrics = run.call(state, *run.feeder.inputs(first))
        calls.append(jax.device_get(metrics))
    return jax.device_get(state), {k: np.concatenate([m[k] for m in calls]) for k in calls[0]}


def _assert_states_close(a, b):
    fields = ("step", "rng", "params", "opt_state", "variables", "term_state", "hyper")
    for field in fields:
        for x, y in zip(jax.tree.leaves(getattr(a, field)), jax.tree.leaves(getattr(b, field)), strict=True):
            np.testing.assert_allclose(x, y, rtol=2e-5, atol=2e-6, err_msg=field)


def _equals_separate_runs(config):
    """Train `config`'s runs together and each alone; return (runs, stacked state, metrics)."""
    runs = sweeps.runs_of(config)
    stacked, metrics = _train(loop.setup(config), config)
    for r, single_config in enumerate(runs.configs(config)):
        single, single_metrics = _train(loop.setup(single_config), single_config)
        _assert_states_close(run_axis.unstack(stacked, r), run_axis.unstack(single, 0))
        np.testing.assert_allclose(metrics[f"d_loss/{runs.labels[r]}"], single_metrics["d_loss"], rtol=2e-5, atol=1e-6)
    return runs, stacked, metrics


@pytest.fixture(scope="module")
def seed_runs():
    config = tiny_ring_config(num_seeds=2)
    return (config, *_equals_separate_runs(config))


@pytest.mark.slow
def test_seeds_together_equal_separate_runs(seed_runs):
    config, runs, stacked, metrics = seed_runs
    assert runs.seeds == (0, 1) and runs.labels == ("seed=0", "seed=1")
    assert int(stacked.step) == config.num_steps  # one step counter for all runs
    # Each seed has its own init, data and noise: the runs differ.
    first, second = (jax.tree.leaves(run_axis.unstack(stacked, r).params["generator"]) for r in (0, 1))
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(first, second)) > 1e-2
    assert "g_loss" not in metrics and metrics["g_loss/seed=1"].shape == (config.num_steps,)


@pytest.mark.slow
@pytest.mark.parametrize("mapping", ["vmap", "in_turn"])
def test_swept_hyperparameters_equal_separate_runs(mapping):
    config = tiny_ring_config(run_mapping=mapping)
    config.sweep_values = "optimizer.generator.learning_rate=1e-4,1e-3; penalties.gradient_penalty=1,10"
    runs, stacked, _ = _equals_separate_runs(config)
    assert runs.values == {
        "optimizer.generator.learning_rate": (1e-4, 1e-4, 1e-3, 1e-3),
        "penalties.gradient_penalty": (1.0, 10.0, 1.0, 10.0),
    }
    np.testing.assert_allclose(stacked.opt_state["generator"].hyperparams["learning_rate"], [1e-4, 1e-4, 1e-3, 1e-3])
    np.testing.assert_array_equal(stacked.hyper["gradient_penalty"], [1, 10, 1, 10])


@pytest.mark.slow
def test_a_swept_penalty_weight_of_zero_keeps_the_penalty_in_the_program():
    config = tiny_ring_config()
    config.sweep_values = "penalties.r1=0,5"
    runs = sweeps.runs_of(config)
    experiment = sweeps.build_experiment(config)
    assert [term.name for term in experiment.program.group("discriminator").terms] == ["objective", "r1"]
    state = run_axis.initial_state(experiment, runs)
    np.testing.assert_array_equal(state.hyper["r1"], [0.0, 5.0])


@pytest.mark.slow
def test_every_optimiser_group_can_be_swept():
    """VAE-GAN's third group: `optimizer.encoder.<name>` is swept like G's and D's, each run's
    value in its slot of `opt_state["encoder"]`; a group the program does not have is refused."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "vaegan_mnist.py")
    spec = importlib.util.spec_from_file_location("vaegan_mnist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.data.num_examples = 64
    config.batch_size = 4
    config.latent_dim = 4
    config.model.encoder.features = config.model.discriminator.features = 2
    config.sweep_values = "optimizer.encoder.learning_rate=1e-4,3e-4; optimizer.generator.b1=0.5,0.9"
    runs = sweeps.runs_of(config)
    state = run_axis.initial_state(sweeps.build_experiment(config, runs=runs), runs)
    np.testing.assert_allclose(state.opt_state["encoder"].hyperparams["learning_rate"], [1e-4, 1e-4, 3e-4, 3e-4])
    np.testing.assert_allclose(state.opt_state["generator"].hyperparams["b1"], [0.5, 0.9, 0.5, 0.9])
    np.testing.assert_allclose(state.opt_state["discriminator"].hyperparams["learning_rate"], [2e-4] * 4)

    ring = tiny_ring_config()
    ring.optimizer.encoder = config.optimizer.encoder  # a section the ring GAN's program has no group for
    ring.sweep_values = "optimizer.encoder.learning_rate=1e-4,3e-4"
    with pytest.raises(ValueError, match=r"config.optimizer.encoder is not read by program 'gan'"):
        run_axis.initial_state(sweeps.build_experiment(ring), sweeps.runs_of(ring))


def test_runs_are_the_product_of_values_and_seeds():
    config = tiny_ring_config(num_seeds=2, seed=5)
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,2e-4,4e-4"
    runs = sweeps.runs_of(config)
    assert len(runs) == 6
    assert runs.seeds == (5, 6, 5, 6, 5, 6)
    assert runs.values["optimizer.discriminator.learning_rate"] == (1e-4, 1e-4, 2e-4, 2e-4, 4e-4, 4e-4)
    assert runs.labels[3] == "seed=6,optimizer.discriminator.learning_rate=0.0002"
    single = runs.configs(config)[3]
    assert (single.seed, single.num_seeds, single.optimizer.discriminator.learning_rate) == (6, 1, 2e-4)
    assert sweeps.num_runs(tiny_ring_config()) == 1


@pytest.mark.parametrize(
    "sweep, message",
    [
        ("loss.params.rho=1e-6,1e-5", "cannot be vmapped"),
        ("optimizer.generator.momentum=0.1,0.2", "not an argument of optax.adam"),
        ("penalties.zero_centered=1,2", "not a penalty"),
        ("optimizer.generator.learning_rate", "path=v1,v2"),
        ("optimizer.generator.learning_rate=fast", "path=v1,v2"),
        ("penalties.r1=-1,1", "non-negative"),
        ("optimizer.encoder.learning_rate=1e-4,2e-4", "config.optimizer has no group 'encoder'"),
    ],
)
def test_bad_sweep_values_are_refused(sweep, message):
    config = tiny_ring_config()
    config.sweep_values = sweep
    with pytest.raises(ValueError, match=message):
        sweeps.runs_of(config)
    with pytest.raises(ValueError, match="num_seeds"):
        sweeps.runs_of(tiny_ring_config(num_seeds=0))


@pytest.mark.slow
def test_samples_and_evaluation_per_run(seed_runs):
    config, runs, stacked, _ = seed_runs
    experiment = build_lib.build(config)
    sampler = sampling.Sampler(experiment.program, 2)
    key = jax.random.PRNGKey(3)
    samples = sampler.sample(stacked, key, 30)
    assert samples.shape == (2, 30, 2)
    single = sampling.Sampler(experiment.program, 1)
    for r in range(2):
        alone = single.sample(run_axis.stack(run_axis.unstack(stacked, r)), key, 30)
        np.testing.assert_allclose(samples[r], alone[0], rtol=1e-5, atol=1e-6)
    # Example i is drawn from its own key: the first 10 of 30 samples are the 10 samples of a smaller draw.
    np.testing.assert_allclose(sampler.sample(stacked, key, 10), samples[:, :10], rtol=1e-6, atol=1e-7)
    picture = sampling.runs_samples_picture(samples, experiment.dataset.metadata)
    assert picture.ndim == 3 and picture.shape[1] > 2 * 400

    config = sweeps.with_overrides(config, {"evaluators": "mode_coverage", "num_eval_samples": 200})
    values = evaluation.evaluator(config, experiment.dataset, sampler)(stacked)
    assert {"modes/mean", "modes/seed=0", "modes/seed=1", "high_quality_fraction/seed=1"} <= set(values)
    assert values["modes/mean"] == pytest.approx((values["modes/seed=0"] + values["modes/seed=1"]) / 2)


@pytest.mark.slow
def test_checkpoint_keeps_one_slot_per_run(seed_runs, tmp_path):
    config, runs, stacked, _ = seed_runs
    checkpointer = Checkpointer(str(tmp_path / "checkpoints"))
    checkpointer.save(stacked)
    checkpointer.wait()
    template = run_axis.initial_state(build_lib.build(config), sweeps.runs_of(config))
    restored = checkpointer.restore(template)
    checkpointer.close()
    assert int(restored.step) == config.num_steps
    for a, b in zip(jax.tree.leaves(restored), jax.tree.leaves(stacked), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_loop_trains_seeds_together(tmp_path):
    config = tiny_ring_config(num_seeds=2)
    state = loop.train_and_evaluate(config, str(tmp_path))
    assert int(state.step) == config.num_steps
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert {"d_loss/seed=0", "d_loss/seed=1", "g_loss/seed=1"} <= set(rows[-1])
    assert os.listdir(tmp_path / "samples") == ["step_00000004.png"]
    # `jaxgan sample` restores the stacked state of both runs (its abstract init is traced, not compiled).
    out, num = restore.write_samples(str(tmp_path), num=8, out=str(tmp_path / "drawn.npz"))
    assert np.load(out)["x"].shape == (2, 8, 2)
