"""BEGAN as a program: k_t as checkpointed term state, starting at 0 (a resumed run equals a straight
one bit for bit, k_t included); refused settings. The closed forms of its losses (the k_t
sequence, L and M) are tested in tests/losses/test_energy.py."""

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


def test_k_t_starts_at_zero():
    k_0 = began.init_state()["k_t"]
    assert k_0.shape == () and k_0.dtype == jnp.float32 and float(k_0) == 0.0


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
