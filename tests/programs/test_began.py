"""BEGAN's closed forms (shared/MATH.md §8): the k_t sequence, L and M; k_t as checkpointed term
state (a resumed run equals a straight one bit for bit, k_t included); refused settings."""

from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.programs import began
from jaxgan.train import build, train_and_evaluate
from tests.programs.helpers import tiny_config


def test_the_k_sequence_of_math_md():
    k = began.init_state()["k_t"]
    expected = (5e-5, 0.0, 7.5e-5)
    for (l_real, l_fake), want in zip(((0.3, 0.1), (0.2, 0.3), (0.25, 0.05)), expected):
        k = began.update_k(k, jnp.float32(l_real), jnp.float32(l_fake), gamma=0.5, lambda_k=0.001)
        np.testing.assert_allclose(k, want, atol=1e-9)
    # clipped at 1 from above
    np.testing.assert_allclose(began.update_k(jnp.float32(0.9999), 1.0, 0.0, gamma=1.0, lambda_k=0.5), 1.0)


def test_the_losses_and_the_convergence_measure():
    v = jnp.array([[0.0, 1.0], [2.0, -1.0]])
    reconstruction = jnp.array([[0.5, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(began.autoencoder_loss(v, reconstruction), [0.25, 1.5])  # mean |v - D(v)|
    np.testing.assert_allclose(began.autoencoder_loss(v, reconstruction, eta=2.0), [0.125, 2.5])
    np.testing.assert_allclose(began.discriminator_loss(0.3, 0.1, 0.5), 0.25)
    # M = L(x) + |γ L(x) - L(G(z))| = 0.3 + |0.15 - 0.1| and 0.2 + |0.1 - 0.3|
    np.testing.assert_allclose(began.convergence_measure(0.3, 0.1, gamma=0.5), 0.35, rtol=1e-6)
    np.testing.assert_allclose(began.convergence_measure(0.2, 0.3, gamma=0.5), 0.4, rtol=1e-6)
    # k_t is not differentiated: D's gradient w.r.t. L(G(z)) is -k_t
    np.testing.assert_allclose(jax.grad(began.discriminator_loss, argnums=1)(0.3, 0.1, 0.25), -0.25)


@pytest.mark.parametrize("gamma", [0.0, -0.5, 1.5])
def test_a_gamma_outside_zero_one_is_refused_in_one_sentence(gamma):
    with pytest.raises(ValueError, match=r"^config\.began\.gamma must be a number in \(0, 1\]; got"):
        build.build(tiny_config("began", **{"began.gamma": gamma}))


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


@pytest.mark.slow
def test_resume_equals_straight_bit_for_bit_k_t_included(tmp_path):
    straight = train_and_evaluate(tiny_config("began", num_steps=8), str(tmp_path / "straight"))
    train_and_evaluate(tiny_config("began", num_steps=4), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(tiny_config("began", num_steps=8), str(tmp_path / "resumed"))
    assert int(resumed.step) == 8
    k_t = float(np.asarray(straight.term_state["began"]["k_t"]).reshape(-1)[0])
    assert 0.0 < k_t < 1.0  # k_t moved: its state is part of what is compared
    assert float(np.asarray(resumed.term_state["began"]["k_t"]).reshape(-1)[0]) == k_t
    for a, b in zip(_leaves(straight), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    rows = [json.loads(line) for line in open(os.path.join(tmp_path, "resumed", "metrics.jsonl"))]
    assert [r["step"] for r in rows] == [2, 4, 6, 8]
    assert all(np.isfinite(r["M"]) and "began/k_t" in r for r in rows)  # M and k_t are logged
