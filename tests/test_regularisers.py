"""The regularisers' math (jaxgan/regularisers.py) against plain numpy and the published formulas:
LeCam's anchors and regulariser, top-k's k and mask, orthogonality and its gradient, ADA's EMA
ramp-up."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import regularisers


def test_lecam_anchors_are_zero_debiased_emas_of_a_given_sequence():
    decay = 0.9
    means = np.array([[0.5, -1.0], [2.0, -0.5], [1.0, 0.25], [-0.5, -2.0], [3.0, 1.0]], np.float64)
    state = regularisers.lecam_init_state()
    biased = np.zeros(2)
    for t, (real, fake) in enumerate(means, start=1):
        state = regularisers.lecam_update(state, jnp.float32(real), jnp.float32(fake), decay=decay)
        biased = decay * biased + (1 - decay) * np.array([real, fake])  # e_t, e_0 = 0
        expected = biased / (1 - decay**t)  # TF's zero_debias=True
        np.testing.assert_allclose(
            [float(state["anchor_real"]), float(state["anchor_fake"])], expected, rtol=1e-6, atol=1e-7
        )
        assert float(state["updates"]) == t
    assert t == 5 and float(
        regularisers.lecam_update(regularisers.lecam_init_state(), 0.7, 0.1, decay=0.99)["anchor_real"]
    ) == pytest.approx(0.7)


def test_lecam_regulariser_is_the_papers_formula():
    rng = np.random.default_rng(0)
    d_real, d_fake = rng.normal(size=(12, 1)), rng.normal(size=(12, 1)) - 1.0
    anchor_real, anchor_fake = 0.8, -0.6
    expected = np.mean((d_real - anchor_fake) ** 2) + np.mean((d_fake - anchor_real) ** 2)
    got = regularisers.lecam_regulariser(d_real, d_fake, anchor_real, anchor_fake)
    np.testing.assert_allclose(float(got), expected, rtol=1e-6)
    # The anchors carry no gradient; D's outputs do: d/dD(x_i) = 2 (D(x_i) - α_F) / n.
    grad_real, grad_anchor = jax.grad(regularisers.lecam_regulariser, argnums=(0, 2))(
        jnp.asarray(d_real, jnp.float32), jnp.asarray(d_fake, jnp.float32), anchor_real, anchor_fake
    )
    np.testing.assert_allclose(np.asarray(grad_real), 2 * (d_real - anchor_fake) / 12, rtol=1e-5)
    assert float(grad_anchor) == 0.0


def _numpy_k(step, batch, fraction, decay, decay_every):
    return max(math.floor(fraction * batch + 1e-9), math.floor(decay ** (step // decay_every) * batch + 1e-9))


@pytest.mark.parametrize(("batch", "fraction", "decay", "decay_every"), [(64, 0.5, 0.99, 3), (100, 0.75, 0.9, 1)])
def test_top_k_count_follows_the_anneal_down_to_its_floor(batch, fraction, decay, decay_every):
    steps = np.arange(0, 400)
    got = jax.jit(
        jax.vmap(lambda s: regularisers.top_k_count(s, batch, fraction=fraction, decay=decay, decay_every=decay_every))
    )(jnp.asarray(steps))
    expected = [_numpy_k(int(s), batch, fraction, decay, decay_every) for s in steps]
    np.testing.assert_array_equal(np.asarray(got), expected)
    assert got[0] == batch and got[-1] == math.floor(fraction * batch)  # from the batch down to the floor


def test_top_k_weights_mark_the_k_largest_scores():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(16,)).astype(np.float32)
    for k in (1, 5, 16):
        got = np.asarray(jax.jit(regularisers.top_k_weights)(scores, k))
        expected = np.zeros(16)
        expected[np.argsort(-scores, kind="stable")[:k]] = 1.0
        np.testing.assert_array_equal(got, expected)
    # Patch outputs [B, H, W] rank by their mean; ties go to the lower index.
    patches = rng.normal(size=(6, 2, 2)).astype(np.float32)
    got = np.asarray(regularisers.top_k_weights(patches, 3))
    expected = np.zeros(6)
    expected[np.argsort(-patches.reshape(6, -1).mean(1), kind="stable")[:3]] = 1.0
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.asarray(regularisers.top_k_weights(np.zeros(4), 2)), [1, 1, 0, 0])


def _numpy_orthogonal(matrix):
    gram = matrix.T @ matrix
    return np.sum((gram * (1 - np.eye(len(gram)))) ** 2)


def test_orthogonal_regulariser_sums_over_the_weight_matrices_and_its_gradient():
    rng = np.random.default_rng(2)
    params = {
        "Dense_0": {"kernel": rng.normal(size=(3, 4)), "bias": rng.normal(size=(4,))},
        "Conv_0": {"kernel": rng.normal(size=(2, 2, 3, 5)), "bias": rng.normal(size=(5,))},
    }
    params = jax.tree.map(lambda a: a.astype(np.float32), params)
    dense, conv = params["Dense_0"]["kernel"], params["Conv_0"]["kernel"].reshape(12, 5)  # [in·kh·kw, out]
    expected = _numpy_orthogonal(dense.astype(np.float64)) + _numpy_orthogonal(conv.astype(np.float64))
    np.testing.assert_allclose(float(regularisers.orthogonal_regulariser(params)), expected, rtol=1e-5)
    # Gradient: d/dW ‖WᵀW ⊙ (1 - I)‖²_F = 4 W (WᵀW ⊙ (1 - I)); biases get none.
    grads = jax.grad(regularisers.orthogonal_regulariser)(params)
    gram = dense.T @ dense
    np.testing.assert_allclose(grads["Dense_0"]["kernel"], 4 * dense @ (gram * (1 - np.eye(4))), rtol=1e-4)
    assert not np.any(np.asarray(grads["Dense_0"]["bias"]))
    # Orthonormal columns: no penalty, whatever their norms.
    q, _ = np.linalg.qr(rng.normal(size=(6, 3)))
    assert float(regularisers.orthogonal_regulariser({"k": (q * [1.0, 2.0, 3.0]).astype(np.float32)})) < 1e-10


def test_ema_rampup_is_adas_half_life_rule():
    decay, rampup, batch = 0.999, 0.05, 64
    ema_nimg = math.log(0.5) / math.log(decay) * batch  # the half-life of β per step, in images
    for step in [0, 1, 2, 10, 100, 1000, 13_000, 14_000, 100_000]:
        cur_nimg = step * batch  # images seen before this update (ADA's training_loop.py)
        beta = 0.5 ** (batch / max(min(ema_nimg, cur_nimg * rampup), 1e-8))
        got = float(regularisers.ema_decay(jnp.int32(step), decay=decay, rampup=rampup))
        assert got == pytest.approx(beta, rel=1e-5, abs=1e-30), step
    assert float(regularisers.ema_decay(0, decay=decay, rampup=rampup)) == 0.0  # starts at the weights
    assert float(regularisers.ema_decay(100_000, decay=decay, rampup=rampup)) == pytest.approx(decay)
    assert float(regularisers.ema_decay(7, decay=decay, rampup=0.0)) == pytest.approx(decay)  # no ramp-up
