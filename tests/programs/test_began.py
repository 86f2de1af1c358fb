"""BEGAN as a program: k_t as checkpointed term state, starting at 0 (a resumed run equals a straight
one bit for bit, k_t included); refused settings. The closed forms of its losses (the k_t
sequence, L and M) are tested in tests/losses/test_energy.py."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.programs import began
from jaxgan.train import build
from tests.programs.helpers import tiny_config, train_straight_and_resumed


def test_k_t_starts_at_zero():
    k_0 = began.init_state()["k_t"]
    assert k_0.shape == () and k_0.dtype == jnp.float32 and float(k_0) == 0.0


@pytest.mark.parametrize("gamma", [0.0, -0.5, 1.5])
def test_a_gamma_outside_zero_one_is_refused_in_one_sentence(gamma):
    with pytest.raises(ValueError, match=r"^config\.began\.gamma must be a number in \(0, 1\]; got"):
        build.build(tiny_config("began", **{"began.gamma": gamma}))


@pytest.mark.slow
def test_resume_equals_straight_bit_for_bit_k_t_included(tmp_path):
    straight, resumed = train_straight_and_resumed("began", tmp_path, logged=("M", "began/k_t"))
    k_t = float(np.asarray(straight.term_state["began"]["k_t"]).reshape(-1)[0])
    assert 0.0 < k_t < 1.0  # k_t moved: its state is part of what is compared
    assert float(np.asarray(resumed.term_state["began"]["k_t"]).reshape(-1)[0]) == k_t
