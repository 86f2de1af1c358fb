"""Auxiliary terms: feature matching, ACGAN's class loss, InfoGAN's mutual-information bound (MATH.md §5)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_feature_matching_is_squared_distance_of_means():
    rng = np.random.default_rng(0)
    real_features, fake_features = rng.standard_normal((8, 2, 3)), rng.standard_normal((8, 2, 3))
    real_mean, fake_mean = real_features.mean(0), fake_features.mean(0)
    np.testing.assert_allclose(
        losses.feature_matching_loss(real_mean, fake_mean), np.sum((real_mean - fake_mean) ** 2), rtol=1e-5
    )
    # Its gradient in the generated mean is -2(E f(x) - E f(G(z))).
    gradient = jax.grad(losses.feature_matching_loss, argnums=1)(jnp.asarray(real_mean), jnp.asarray(fake_mean))
    np.testing.assert_allclose(gradient, -2.0 * (real_mean - fake_mean), rtol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        losses.feature_matching_loss(np.zeros(3), np.zeros(4))


def test_acgan_class_loss_is_cross_entropy():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    per_example = -_log_softmax(logits)[np.arange(6), labels]
    np.testing.assert_allclose(losses.acgan_class_loss(logits, labels), per_example.mean(), rtol=1e-5)
    weights = rng.uniform(size=6)
    np.testing.assert_allclose(
        losses.acgan_class_loss(logits, labels, weights=weights),
        np.sum(weights * per_example) / weights.sum(),
        rtol=1e-5,
    )
    # Uniform logits give log K whatever the labels.
    np.testing.assert_allclose(losses.acgan_class_loss(np.zeros((3, 5)), np.array([0, 2, 4])), np.log(5.0), rtol=1e-6)
    with pytest.raises(ValueError, match="labels"):
        losses.acgan_class_loss(logits, labels[:5])


def test_infogan_categorical_bound():
    codes = np.array([0, 3, 1, 2, 3])
    # Q knows nothing: the bound is H(c) - log K = 0 under the uniform prior.
    np.testing.assert_allclose(losses.infogan_categorical_mutual_information(np.zeros((5, 4)), codes), 0.0, atol=1e-6)
    # Q recovers the code exactly: the bound reaches H(c) = log K.
    confident = 50.0 * np.eye(4)[codes]
    np.testing.assert_allclose(losses.infogan_categorical_mutual_information(confident, codes), np.log(4.0), rtol=1e-6)
    # A non-uniform prior: H(c) = -Σ π log π.
    prior = np.array([0.1, 0.2, 0.3, 0.4])
    logits = np.random.default_rng(2).standard_normal((5, 4))
    expected = -np.sum(prior * np.log(prior)) + np.mean(_log_softmax(logits)[np.arange(5), codes])
    np.testing.assert_allclose(
        losses.infogan_categorical_mutual_information(logits, codes, prior_probabilities=prior), expected, rtol=1e-5
    )
    with pytest.raises(ValueError, match="prior_probabilities"):
        losses.infogan_categorical_mutual_information(logits, codes, prior_probabilities=prior[:3])


def test_infogan_gaussian_bound():
    rng = np.random.default_rng(3)
    codes, mean = rng.uniform(-1, 1, (6, 2)), rng.uniform(-1, 1, (6, 2))
    log_std = rng.normal(size=(6, 2)) * 0.3
    log_density = -0.5 * np.log(2 * np.pi) - log_std - 0.5 * ((codes - mean) / np.exp(log_std)) ** 2
    expected = 2 * np.log(2.0) + np.mean(log_density.sum(-1))
    np.testing.assert_allclose(
        losses.infogan_gaussian_mutual_information(mean, codes, code_log_std=log_std, prior_entropy=2 * np.log(2.0)),
        expected,
        rtol=1e-5,
    )
    # σ fixed to 1 and an exact mean: only the normalising constant is left.
    np.testing.assert_allclose(losses.infogan_gaussian_mutual_information(codes, codes), -np.log(2 * np.pi), rtol=1e-6)
