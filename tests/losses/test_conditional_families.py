"""Closed forms of the conditional families (MATH.md section 8): CGAN, ACGAN, InfoGAN, the K+1 classifier.

Each loss is an exact expectation over a discrete joint `(x, c)`: example weights are the
joint probabilities, so the identities hold to float precision, not up to sampling error.
"""

import numpy as np
import pytest

from jaxgan import losses
from jaxgan.losses import semi_supervised
from tests.losses._discrete import SEEDS, jensen_shannon

NUM_X, NUM_C = 5, 3


def _joint(rng) -> np.ndarray:
    """A random joint `P(x, c)` `[NUM_X, NUM_C]` with every entry > 0."""
    return rng.dirichlet(np.ones(NUM_X * NUM_C)).reshape(NUM_X, NUM_C)


def _entropy(p) -> float:
    return float(-np.sum(p * np.log(p)))


@pytest.mark.parametrize("seed", SEEDS)
def test_conditional_minimax_loss_at_the_optimum_is_log4_minus_twice_the_joint_jsd(seed):
    rng = np.random.default_rng(seed)
    p, q = _joint(rng), _joint(rng)  # data and generator joints over (x, c)
    v = np.log(p / q)  # the optimal D(x, c) logit
    loss = losses.minimax_discriminator_loss(v.ravel(), v.ravel(), real_weights=p.ravel(), fake_weights=q.ravel())
    np.testing.assert_allclose(loss, np.log(4.0) - 2.0 * jensen_shannon(p.ravel(), q.ravel()), rtol=1e-5)
    # Any other D(x, c) (one function on real and generated pairs) does worse.
    w = (v + rng.normal(size=v.shape)).ravel()
    other = losses.minimax_discriminator_loss(w, w, real_weights=p.ravel(), fake_weights=q.ravel())
    assert float(other) > float(loss)


@pytest.mark.parametrize("seed", SEEDS)
def test_acgan_class_loss_at_the_true_posterior_is_the_conditional_entropy(seed):
    joint = _joint(np.random.default_rng(seed))
    posterior = joint / joint.sum(axis=1, keepdims=True)  # P(c | x)
    logits = np.repeat(np.log(posterior), NUM_C, axis=0)  # one row per (x, c) pair
    labels = np.tile(np.arange(NUM_C), NUM_X)
    loss = losses.acgan_class_loss(logits, labels, weights=joint.ravel())
    conditional_entropy = _entropy(joint) - _entropy(joint.sum(axis=1))  # H(C|X) = H(X, C) - H(X)
    np.testing.assert_allclose(loss, conditional_entropy, rtol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_infogan_bound_equals_the_mutual_information_at_the_true_posterior_and_is_smaller_otherwise(seed):
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.ones(NUM_C))  # P(c)
    likelihood = rng.dirichlet(np.ones(NUM_X), size=NUM_C)  # P(x | c) of G, [C, X]
    joint = (prior[:, None] * likelihood).T  # [X, C]
    marginal_x = joint.sum(axis=1)
    mutual_information = float(np.sum(joint * np.log(joint / (marginal_x[:, None] * prior[None, :]))))
    posterior = joint / marginal_x[:, None]
    labels = np.tile(np.arange(NUM_C), NUM_X)

    def bound(q_logits):
        return float(
            losses.infogan_categorical_mutual_information(
                np.repeat(q_logits, NUM_C, axis=0), labels, prior_probabilities=prior, weights=joint.ravel()
            )
        )

    np.testing.assert_allclose(bound(np.log(posterior)), mutual_information, rtol=1e-5)
    for _ in range(5):
        other = np.log(posterior) + rng.normal(size=posterior.shape)
        assert bound(other) < mutual_information - 1e-6


def test_k_plus_one_unsupervised_loss_is_the_non_saturating_loss_at_the_log_sum_exp():
    rng = np.random.default_rng(0)
    real, fake = 3.0 * rng.normal(size=(16, 10)), 3.0 * rng.normal(size=(16, 10))
    v_real = np.log(np.exp(real).sum(-1))
    v_fake = np.log(np.exp(fake).sum(-1))
    expected = losses.non_saturating_discriminator_loss(v_real, v_fake)
    np.testing.assert_allclose(semi_supervised.unsupervised_loss(real, fake), expected, rtol=1e-6)
    # -log D(x) with D = Z / (Z + 1), written out.
    z_real, z_fake = np.exp(real).sum(-1), np.exp(fake).sum(-1)
    by_hand = np.mean(-np.log(z_real / (z_real + 1))) + np.mean(-np.log(1 / (z_fake + 1)))
    np.testing.assert_allclose(semi_supervised.unsupervised_loss(real, fake), by_hand, rtol=1e-5)


def test_k_plus_one_supervised_loss_ignores_a_shift_of_the_logits_that_moves_the_real_logit():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(8, 10)), rng.integers(0, 10, 8)
    shifted = logits + 2.5
    np.testing.assert_allclose(
        semi_supervised.supervised_loss(shifted, labels), semi_supervised.supervised_loss(logits, labels), rtol=1e-6
    )
    np.testing.assert_allclose(semi_supervised.real_logit(shifted), semi_supervised.real_logit(logits) + 2.5, rtol=1e-6)
    np.testing.assert_array_equal(semi_supervised.predicted_class(logits), logits.argmax(-1))
