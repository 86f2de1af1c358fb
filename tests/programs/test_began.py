"""BEGAN as a program: k_t as checkpointed term state, starting at 0 (a resumed run equals a straight
one bit for bit, k_t included); refused settings. The closed forms of its losses (the k_t
sequence, L and M) are tested in tests/losses/test_energy.py."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.data.bundled import load_mnist_arrays
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


def test_ones_are_the_bundled_digits_with_least_ink():
    """Why γ = 0.5 drew ones (configs/began_mnist.py): the L1 error of the blank reconstruction
    (all -1) of a digit is its ink, mean |x + 1|, and ones have 0.59 of the mean over all digits."""
    images, labels = load_mnist_arrays()
    ink = np.abs(images.astype(np.float64) / 127.5).mean(axis=(1, 2))
    per_class = np.array([ink[labels == c].mean() for c in range(10)])
    assert int(np.argmin(per_class)) == 1
    np.testing.assert_allclose([per_class[1], ink.mean()], [0.1542, 0.2626], atol=5e-5)
    assert 0.58 < per_class[1] / ink.mean() < 0.59 and np.sort(per_class)[1] > 0.22  # next: 7 at 0.230
