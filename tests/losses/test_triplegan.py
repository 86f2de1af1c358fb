"""Triple-GAN's losses (shared/MATH.md §9; Li et al. 2017): the value at D's optimum on discrete
joints (-log 4 + 2 JSD(p, p_α), p_α = (1 - α) p_g + α p_c), and C's and G's terms against numpy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses
from tests.losses._discrete import SEEDS, jensen_shannon


def _joints(seed: int, shape=(6, 3)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three random joints over (x, y) on a 6 x 3 grid: the data's p(x, y), C's p_c(x, y) =
    p(x) p_c(y|x) (the data's marginal of x), G's p_g(x, y) = p(y) p_g(x|y) (the data's marginal of y)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(shape[0] * shape[1])).reshape(shape)
    classifier = rng.dirichlet(np.ones(shape[1]), size=shape[0])  # p_c(y|x), rows sum to 1
    generator = rng.dirichlet(np.ones(shape[0]), size=shape[1])  # p_g(x|y), rows sum to 1
    p_c = p.sum(axis=1, keepdims=True) * classifier
    p_g = (p.sum(axis=0, keepdims=True).T * generator).T
    return p, p_c, p_g


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.0, 1.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_value_at_the_optimal_discriminator_is_minus_log4_plus_twice_the_jsd_to_the_mixture(seed, alpha):
    p, p_c, p_g = _joints(seed)
    p_alpha = (1 - alpha) * p_g + alpha * p_c
    np.testing.assert_allclose(p_alpha.sum(), 1.0, rtol=1e-12)
    optimal_logit = jnp.asarray(np.log(p) - np.log(p_alpha)).ravel()  # D* = p / (p + p_α)
    weights = dict(
        data_weights=jnp.asarray(p.ravel()),
        classifier_weights=jnp.asarray(p_c.ravel()),
        generator_weights=jnp.asarray(p_g.ravel()),
    )
    value = losses.triplegan_value(optimal_logit, optimal_logit, optimal_logit, alpha=alpha, **weights)
    expected = -np.log(4.0) + 2 * jensen_shannon(p.ravel(), p_alpha.ravel())
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    np.testing.assert_allclose(
        losses.triplegan_discriminator_loss(optimal_logit, optimal_logit, optimal_logit, alpha=alpha, **weights),
        -value,
        rtol=1e-6,
    )
    # any other D has a smaller value (D maximises U)
    perturbation = jax.random.normal(jax.random.PRNGKey(seed), optimal_logit.shape)
    for scale in (0.05, 1.0):
        moved = optimal_logit + scale * perturbation
        assert losses.triplegan_value(moved, moved, moved, alpha=alpha, **weights) < value


def test_value_against_numpy_at_any_discriminator():
    """U = Σ p log σ(v) + α Σ p_c log(1 - σ(v)) + (1 - α) Σ p_g log(1 - σ(v)), written out in numpy,
    with a different D output per pair set (D sees each set's pairs)."""
    p, p_c, p_g = _joints(7)
    rng = np.random.default_rng(3)
    v_data, v_classifier, v_generator = (rng.normal(size=p.size) for _ in range(3))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    alpha = 0.3
    expected = (
        np.sum(p.ravel() * np.log(sigmoid(v_data)))
        + alpha * np.sum(p_c.ravel() * np.log(1 - sigmoid(v_classifier)))
        + (1 - alpha) * np.sum(p_g.ravel() * np.log(1 - sigmoid(v_generator)))
    )
    value = losses.triplegan_value(
        v_data,
        v_classifier,
        v_generator,
        alpha=alpha,
        data_weights=p.ravel(),
        classifier_weights=p_c.ravel(),
        generator_weights=p_g.ravel(),
    )
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_the_minimum_over_g_and_c_is_at_p_alpha_equal_to_p():
    """With p_c = p_g = p the mixture is p and U(D*) = -log 4, its global minimum (Li et al. 2017, Thm 3.3)."""
    p, _, _ = _joints(2)
    logit = jnp.zeros(p.size)  # D* = 1/2
    weights = dict(data_weights=p.ravel(), classifier_weights=p.ravel(), generator_weights=p.ravel())
    np.testing.assert_allclose(
        losses.triplegan_value(logit, logit, logit, alpha=0.5, **weights), -np.log(4.0), rtol=1e-6
    )


def _softplus(v):
    return np.log1p(np.exp(np.asarray(v, np.float64)))


def _log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_generator_and_classifier_adversarial_losses_against_numpy():
    d = np.array([0.3, -1.2, 2.0, 0.0])
    # G fools D on its pairs: (1 - α) E[-log D(G(z, y), y)] (the released code's non-saturating form)
    np.testing.assert_allclose(losses.triplegan_generator_loss(d, alpha=0.3), 0.7 * _softplus(-d).mean(), rtol=1e-6)
    # or G minimises its part of U: (1 - α) E log(1 - D(G(z, y), y))
    np.testing.assert_allclose(
        losses.triplegan_generator_loss(d, alpha=0.3, minimax=True), -0.7 * _softplus(d).mean(), rtol=1e-6
    )
    # C: α E_x[p_c(ŷ|x) · -log D(x, ŷ)], ŷ = argmax p_c(·|x): the code's "argmax" approximation
    logits = np.random.default_rng(0).normal(size=(4, 5)) * 2
    confidence = np.exp(_log_softmax(logits)).max(axis=-1)
    np.testing.assert_allclose(
        losses.triplegan_classifier_adversarial_loss(d, logits, alpha=0.3),
        0.3 * np.mean(confidence * _softplus(-d)),
        rtol=1e-6,
    )
    # its gradient flows through p_c(ŷ|x) only (ŷ and D's output are inputs): d/dl of p_max = p_max (e_ŷ - p)
    grad = jax.grad(lambda logit: losses.triplegan_classifier_adversarial_loss(d, logit, alpha=0.3))(
        jnp.asarray(logits)
    )
    probabilities = np.exp(_log_softmax(logits))
    one_hot = np.eye(5)[logits.argmax(-1)]
    expected = 0.3 / 4 * (_softplus(-d) * confidence)[:, None] * (one_hot - probabilities)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)


def test_classifier_regularisers_against_numpy():
    logits = np.random.default_rng(1).normal(size=(6, 4)) * 2
    log_p = _log_softmax(logits)
    # the entropy of p_c(·|x), averaged over x
    np.testing.assert_allclose(
        losses.triplegan_entropy_loss(logits), np.mean(-np.sum(np.exp(log_p) * log_p, axis=-1)), rtol=1e-6
    )
    # the cross-entropy of the mean prediction against the uniform distribution over K classes
    mean = np.exp(log_p).mean(axis=0)
    np.testing.assert_allclose(losses.triplegan_balance_loss(logits), -np.mean(np.log(mean)), rtol=1e-6)
    # R_P (and R_L): E[-log p_c(y|x)]
    labels = np.array([0, 3, 1, 1, 2, 0])
    np.testing.assert_allclose(
        losses.triplegan_pseudo_label_loss(logits, labels), -np.mean(log_p[np.arange(6), labels]), rtol=1e-6
    )


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan")])
def test_alpha_out_of_the_unit_interval_is_refused(alpha):
    d = jnp.zeros(3)
    with pytest.raises(ValueError, match=r"alpha.*\[0, 1\]"):
        losses.triplegan_value(d, d, d, alpha=alpha)


def test_the_code_s_share_of_classifier_pairs_on_the_data_side_against_numpy():
    """`classifier_data_share = s`: E_p log D becomes (1 - s) E_p log D + s E_{p_c} log D."""
    rng = np.random.default_rng(4)
    v_data, v_classifier, v_generator = (rng.normal(size=5) for _ in range(3))
    log_sigmoid = lambda v: -np.log1p(np.exp(-v))  # noqa: E731
    alpha, share = 0.5, 0.8
    expected = (
        (1 - share) * log_sigmoid(v_data).mean()
        + share * log_sigmoid(v_classifier).mean()
        + alpha * log_sigmoid(-v_classifier).mean()
        + (1 - alpha) * log_sigmoid(-v_generator).mean()
    )
    value = losses.triplegan_value(v_data, v_classifier, v_generator, alpha=alpha, classifier_data_share=share)
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    with pytest.raises(ValueError, match=r"classifier_data_share.*\[0, 1\]"):
        losses.triplegan_value(v_data, v_classifier, v_generator, alpha=alpha, classifier_data_share=1.2)


def test_balance_loss_is_finite_when_a_class_mean_probability_underflows():
    """Logits that give one class p ≈ e^-200 on every input: its mean underflows in float32, and the
    loss (≈ 200 / K) and its gradient stay finite (the log-domain form)."""
    logits = jnp.array([[0.0, 200.0, 0.0], [0.0, 0.0, 200.0], [0.0, 200.0, 0.0]])
    value, grad = jax.value_and_grad(losses.triplegan_balance_loss)(logits)
    log_p = _log_softmax(np.asarray(logits))
    log_mean = np.log(np.exp(log_p.astype(np.float64)).mean(axis=0))
    np.testing.assert_allclose(value, -np.mean(log_mean), rtol=1e-5)
    assert np.all(np.isfinite(np.asarray(grad)))
