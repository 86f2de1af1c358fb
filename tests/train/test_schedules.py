"""`config.optimizer.<group>.schedule`: an optax schedule as a factor of the learning rate."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan.programs import parts
from jaxgan.train import run_axis, sweeps, train_and_evaluate
from tests.train.helpers import batch_for, one_device, tiny_ring_config

COSINE = {"name": "cosine_decay_schedule", "init_value": 1.0, "decay_steps": 6, "alpha": 0.1}


def _spec(**fields):
    return ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-2, "b1": 0.5, **fields})


def test_each_update_is_adams_times_the_schedule_at_its_count():
    """Update t of the scheduled optimiser equals plain Adam's update t times
    `0.1 + 0.9 * (1 + cos(pi t / 6)) / 2` (optax's cosine decay with alpha = 0.1; 0.1 from t = 6)."""
    scheduled, plain = parts.optimizer(_spec(schedule=COSINE), "generator"), parts.optimizer(_spec(), "generator")
    params = {"w": jnp.array([0.3, -1.2, 2.0])}
    s_state, p_state = scheduled.init(params), plain.init(params)
    for t in range(8):
        grads = {"w": jnp.array([0.5, -0.25, 1.0]) * (t + 1) + jnp.array([0.0, 0.1, -0.3]) * t**2}
        s_update, s_state = scheduled.update(grads, s_state, params)
        p_update, p_state = plain.update(grads, p_state, params)
        factor = 0.1 + 0.9 * (1 + np.cos(np.pi * min(t, 6) / 6)) / 2
        np.testing.assert_allclose(s_update["w"], factor * np.asarray(p_update["w"]), rtol=1e-6)
    # the learning rate is still a hyperparameter in the state (a sweep sets it per run)
    assert float(s_state.hyperparams["learning_rate"]) == pytest.approx(1e-2)


def test_a_zero_schedule_leaves_that_group_untrained():
    """End to end through the step: G under a constant factor 0 keeps its initial parameters
    exactly while D trains (the factor reaches the group's update, and only that group's)."""
    config = tiny_ring_config()
    config.optimizer.generator.schedule = {"name": "constant_schedule", "value": 0.0}
    experiment, state, step = one_device(config)
    new, _ = step(state, batch_for(experiment, config))
    for before, after in zip(jax.tree.leaves(state.params["generator"]), jax.tree.leaves(new.params["generator"])):
        np.testing.assert_array_equal(before, after)
    moved = [
        np.abs(np.asarray(a) - np.asarray(b)).max()
        for a, b in zip(jax.tree.leaves(state.params["discriminator"]), jax.tree.leaves(new.params["discriminator"]))
    ]
    assert max(moved) > 0


def test_a_swept_learning_rate_keeps_its_schedule():
    config = tiny_ring_config()
    config.optimizer.discriminator.schedule = COSINE
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,3e-4"
    runs = sweeps.runs_of(config)
    state = run_axis.initial_state(sweeps.build_experiment(config, runs=runs), runs)
    np.testing.assert_allclose(state.opt_state["discriminator"].hyperparams["learning_rate"], [1e-4, 3e-4])


@pytest.mark.slow
def test_resume_with_a_schedule_is_bit_for_bit(tmp_path):
    def config(steps):
        c = tiny_ring_config(num_steps=steps)
        c.optimizer.generator.schedule = {
            "name": "linear_schedule",
            "init_value": 1.0,
            "end_value": 0.0,
            "transition_steps": 8,
        }
        return c

    straight = train_and_evaluate(config(8), str(tmp_path / "straight"))
    train_and_evaluate(config(4), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(config(8), str(tmp_path / "resumed"))
    for a, b in zip(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed))):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "schedule, message",
    [
        ("cosine", r"config.optimizer.generator.schedule must be a dict with an optax schedule's name"),
        (
            {"name": "cosine_decay"},
            r"config.optimizer.generator.schedule.name='cosine_decay' is not an optax schedule; use one of \[",
        ),
        (
            {"name": "cosine_decay_schedule", "init_value": 1.0, "decay_step": 5},
            r"config.optimizer.generator.schedule has unknown field\(s\) \['decay_step'\] for optax.schedules.cosine_decay_schedule; accepted:",
        ),
        ({"name": "join_schedules"}, r"is not an optax schedule"),
    ],
)
def test_a_bad_schedule_is_refused_in_one_sentence_before_compiling(tmp_path, schedule, message):
    config = tiny_ring_config()
    config.optimizer.generator.schedule = schedule
    with pytest.raises(ValueError, match=message):
        train_and_evaluate(config, str(tmp_path))
    assert os.listdir(tmp_path) == []  # nothing written


def test_piecewise_constant_takes_its_steps_from_a_config():
    """ConfigDict keys are strings: `boundaries_and_scales` {"3": 0.5} means step 3."""
    factor = parts.schedule(
        {
            "name": "piecewise_constant_schedule",
            "init_value": 1.0,
            "boundaries_and_scales": ml_collections.ConfigDict({"3": 0.5}),
        },
        "generator",
    )
    assert [float(factor(t)) for t in range(5)] == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_decay_over_the_second_half_follows_num_steps():
    """`jaxgan.config.decay_over_second_half`: factor 1 to half-way, then linearly to 0; an
    override of num_steps (as --config.num_steps does) moves the schedule with it."""
    from jaxgan.config import decay_over_second_half

    config = tiny_ring_config(num_steps=10)
    decay_over_second_half(config, "generator")
    factor = parts.schedule(config.optimizer.generator.schedule, "generator")
    assert [float(factor(t)) for t in (0, 5, 6, 8, 10, 12)] == pytest.approx([1, 1, 0.8, 0.4, 0, 0])
    config.num_steps = 40
    assert config.to_dict()["optimizer"]["generator"]["schedule"]["transition_begin"] == 20
    assert "schedule" not in config.optimizer.discriminator
