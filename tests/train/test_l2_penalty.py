"""`config.optimizer.<group>.l2_penalty`: PyTorch's `weight_decay` of Adam (L2 added to the gradient)."""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan.programs import parts


def _spec(**fields):
    return ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-2, "b1": 0.5, **fields})


def _adam_on_l2(params, grads_per_step, l2, lr=1e-2, b1=0.5, b2=0.999, eps=1e-8):
    """Adam by hand (float64) on g + l2 * θ: torch.optim.Adam(weight_decay=l2)'s update rule."""
    theta, m, v, updates = np.asarray(params, np.float64), 0.0, 0.0, []
    for t, g in enumerate(grads_per_step, start=1):
        g = np.asarray(g, np.float64) + l2 * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        update = -lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        updates.append(update)
        theta = theta + update
    return updates


def test_each_update_is_adams_on_the_gradient_plus_l2_times_the_parameters():
    tx = parts.optimizer(_spec(l2_penalty=0.05), "discriminator")
    params = {"w": jnp.array([0.3, -1.2, 2.0, 0.0])}
    grads = [np.array([0.5, -0.25, 1.0, 0.0]) * (t + 1) + np.array([0.0, 0.1, -0.3, 0.02]) * t**2 for t in range(6)]
    expected = _adam_on_l2(params["w"], grads, 0.05)
    state = tx.init(params)
    for g, want in zip(grads, expected):
        update, state = tx.update({"w": jnp.asarray(g, jnp.float32)}, state, params)
        np.testing.assert_allclose(update["w"], want, rtol=2e-5, atol=1e-9)
        params = {"w": params["w"] + update["w"]}
    # sweepable beside the learning rate
    assert float(state.hyperparams["l2_penalty"]) == pytest.approx(0.05)


def test_zero_penalty_is_plain_adam_and_a_schedule_scales_the_penalised_update():
    params = {"w": jnp.array([0.3, -1.2, 2.0])}
    grads = {"w": jnp.array([0.5, -0.25, 1.0])}
    plain = parts.optimizer(_spec(), "generator")
    zero = parts.optimizer(_spec(l2_penalty=0.0), "generator")
    halved = parts.optimizer(_spec(l2_penalty=0.0, schedule={"name": "constant_schedule", "value": 0.5}), "generator")
    u_plain, _ = plain.update(grads, plain.init(params), params)
    u_zero, _ = zero.update(grads, zero.init(params), params)
    u_half, _ = halved.update(grads, halved.init(params), params)
    np.testing.assert_allclose(u_zero["w"], u_plain["w"], rtol=1e-6)
    np.testing.assert_allclose(u_half["w"], 0.5 * np.asarray(u_plain["w"]), rtol=1e-6)
    # with a penalty and a schedule: the schedule scales Adam's update of g + l2 θ (PyTorch's order)
    penalised = parts.optimizer(_spec(l2_penalty=0.05), "generator")
    both = parts.optimizer(_spec(l2_penalty=0.05, schedule={"name": "constant_schedule", "value": 0.5}), "generator")
    u_pen, _ = penalised.update(grads, penalised.init(params), params)
    u_both, _ = both.update(grads, both.init(params), params)
    np.testing.assert_allclose(u_both["w"], 0.5 * np.asarray(u_pen["w"]), rtol=1e-6)
    np.testing.assert_allclose(u_pen["w"], _adam_on_l2(params["w"], [grads["w"]], 0.05)[0], rtol=2e-5)


@pytest.mark.parametrize("bad", [-1e-4, "5e-4", True, float("nan"), float("inf")])
def test_a_bad_penalty_is_refused_in_one_sentence(bad):
    with pytest.raises(ValueError, match=r"config.optimizer.generator.l2_penalty must be a number >= 0; got"):
        parts.optimizer(_spec(l2_penalty=bad), "generator")


def test_a_swept_penalty_is_set_per_run():
    from jaxgan.train import run_axis, sweeps
    from tests.train.helpers import tiny_ring_config

    config = tiny_ring_config()
    config.optimizer.discriminator.l2_penalty = 0.0
    config.sweep_values = "optimizer.discriminator.l2_penalty=0.0,1e-3"
    runs = sweeps.runs_of(config)
    state = run_axis.initial_state(sweeps.build_experiment(config, runs=runs), runs)
    np.testing.assert_allclose(state.opt_state["discriminator"].hyperparams["l2_penalty"], [0.0, 1e-3])
