"""Separable objectives against their closed forms (MATH.md §1) and TF-GAN's reference values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from jaxgan import losses

from ._discrete import SEEDS, jensen_shannon, random_distributions

TESTED_NAMES = {"minimax", "non_saturating", "least_squares", "wasserstein", "hinge"}

# TF-GAN's fixed inputs (losses_impl_test.py), means over 4 examples.
TFGAN_REAL = np.array([-5.0, 1.4, 12.5, 2.7])
TFGAN_FAKE = np.array([10.0, 4.4, -5.5, 3.6])


def _expected_d_loss(objective, v, p, q):
    """D loss with the same output v on the real and generated side, as an exact expectation."""
    return objective.discriminator(v, v, real_weights=p, fake_weights=q)


def _assert_minimiser(objective, v_star, p, q, seed, scale=0.1):
    """`v_star` is a minimiser: zero gradient and every random perturbation raises the loss."""
    loss = lambda v: _expected_d_loss(objective, v, p, q)
    np.testing.assert_allclose(jax.grad(loss)(jnp.asarray(v_star, jnp.float32)), 0.0, atol=2e-6)
    best = loss(v_star)
    rng = np.random.default_rng(100 + seed)
    for _ in range(4):
        assert loss(v_star + scale * rng.standard_normal(v_star.shape)) > best


@pytest.mark.parametrize("name", ["minimax", "non_saturating"])
@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_d_optimum_is_log4_minus_2jsd(name, seed):
    p, q = random_distributions(seed)
    objective = losses.get(name)
    v_star = np.log(p / q)  # sigmoid(v*) = p / (p + q)
    np.testing.assert_allclose(
        _expected_d_loss(objective, v_star, p, q), np.log(4.0) - 2.0 * jensen_shannon(p, q), rtol=1e-5, atol=1e-6
    )
    _assert_minimiser(objective, v_star, p, q, seed)


@pytest.mark.parametrize("name", ["minimax", "non_saturating"])
@pytest.mark.parametrize("seed", SEEDS)
def test_label_smoothing_optimum(name, seed):
    p, q = random_distributions(seed)
    objective = losses.get(name, label_smoothing=0.1)
    d_star = 0.9 * p / (p + q)
    _assert_minimiser(objective, np.log(d_star / (1.0 - d_star)), p, q, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_minimax_generator_at_optimal_d(seed):
    p, q = random_distributions(seed)
    v_star = np.log(p / q)
    # E_q[log(1 - D*)] with D* = p / (p + q).
    expected = np.sum(q * np.log(q / (p + q)))
    np.testing.assert_allclose(losses.get("minimax").generator(v_star, fake_weights=q), expected, rtol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_least_squares_optimum_and_pearson_identity(seed):
    p, q = random_distributions(seed)
    a, b, c = -1.0, 1.0, 0.0  # b - c = 1, b - a = 2
    objective = losses.get("least_squares", a=a, b=b, c=c)
    d_star = (b * p + a * q) / (p + q)
    _assert_minimiser(objective, d_star, p, q, seed)
    g_loss = objective.generator(d_star, fake_weights=q)
    lhs = 2.0 * (g_loss + 0.5 * np.sum(p * (d_star - c) ** 2))
    np.testing.assert_allclose(lhs, np.sum((q - p) ** 2 / (p + q)), rtol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_least_squares_default_targets_optimum(seed):
    p, q = random_distributions(seed)
    objective = losses.get("least_squares")  # a = 0, b = c = 1
    _assert_minimiser(objective, p / (p + q), p, q, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_hinge_d_optimum_is_two_minus_two_tv(seed):
    p, q = random_distributions(seed)
    objective = losses.get("hinge")
    v_star = np.sign(p - q)
    total_variation = 0.5 * np.sum(np.abs(p - q))
    np.testing.assert_allclose(_expected_d_loss(objective, v_star, p, q), 2.0 - 2.0 * total_variation, rtol=1e-5)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        assert _expected_d_loss(objective, v_star + 0.1 * rng.standard_normal(7), p, q) > 2.0 - 2.0 * total_variation


@pytest.mark.parametrize("real_point, fake_point", [(3.0, -1.5), (-2.0, 0.5)])
def test_wasserstein_critic_on_point_masses(real_point, fake_point):
    objective = losses.get("wasserstein")
    distance = abs(real_point - fake_point)
    critic = lambda slope, t: slope * np.full(5, t)  # 1-Lipschitz for |slope| <= 1
    best_slope = np.sign(real_point - fake_point)
    np.testing.assert_allclose(
        objective.discriminator(critic(best_slope, real_point), critic(best_slope, fake_point)), -distance, rtol=1e-6
    )
    for slope in np.linspace(-1.0, 1.0, 9):
        assert objective.discriminator(critic(slope, real_point), critic(slope, fake_point)) >= -distance - 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_wasserstein_critic_attains_w1_on_the_line(seed):
    """On sorted points x, the 1-Lipschitz critic with slope sign(F_q - F_p) attains -W1(p, q)."""
    p, q = random_distributions(seed)
    rng = np.random.default_rng(seed)
    points = np.sort(rng.uniform(-3.0, 3.0, 7))
    gaps = np.diff(points)
    slopes = np.sign(np.cumsum(q) - np.cumsum(p))[:-1]
    critic = np.concatenate([[0.0], np.cumsum(slopes * gaps)])
    w1 = scipy.stats.wasserstein_distance(points, points, p, q)
    objective = losses.get("wasserstein")
    np.testing.assert_allclose(_expected_d_loss(objective, critic, p, q), -w1, rtol=1e-5, atol=1e-6)
    for _ in range(4):  # any other 1-Lipschitz critic does no better
        other = np.concatenate([[0.0], np.cumsum(rng.uniform(-1.0, 1.0, 6) * gaps)])
        assert _expected_d_loss(objective, other, p, q) > -w1


@pytest.mark.parametrize(
    "name, params, generator_loss, discriminator_loss",
    [
        ("wasserstein", {}, -3.125, 0.225),
        ("hinge", {}, -3.125, 6.75),
        ("least_squares", {"a": 0.0, "b": 1.0, "c": 1.0}, 17.69625, 41.73375),
        ("non_saturating", {}, 1.38582, None),
    ],
)
def test_tfgan_reference_values(name, params, generator_loss, discriminator_loss):
    objective = losses.get(name, **params)
    np.testing.assert_allclose(objective.generator(TFGAN_FAKE), generator_loss, rtol=1e-5)
    if discriminator_loss is not None:
        np.testing.assert_allclose(objective.discriminator(TFGAN_REAL, TFGAN_FAKE), discriminator_loss, rtol=1e-5)


def test_non_saturating_d_on_tfgan_inputs_matches_numpy():
    softplus = lambda x: np.logaddexp(0.0, x)
    expected = np.mean(softplus(-TFGAN_REAL)) + np.mean(softplus(TFGAN_FAKE))
    np.testing.assert_allclose(losses.non_saturating_discriminator_loss(TFGAN_REAL, TFGAN_FAKE), expected, rtol=1e-6)
    smoothed = np.mean(0.9 * softplus(-TFGAN_REAL) + 0.1 * softplus(TFGAN_REAL)) + np.mean(softplus(TFGAN_FAKE))
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(TFGAN_REAL, TFGAN_FAKE, label_smoothing=0.1), smoothed, rtol=1e-6
    )


def test_patch_outputs_with_example_weights():
    """[B] weights on [B, H, W] outputs weight whole examples: the mean over patches, then over examples."""
    rng = np.random.default_rng(0)
    d_real, d_fake = rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2, 2))
    weights = np.array([0.2, 0.5, 0.3])
    per_example = [losses.hinge_discriminator_loss(d_real[i], d_fake[i]) for i in range(3)]
    np.testing.assert_allclose(
        losses.hinge_discriminator_loss(d_real, d_fake, real_weights=weights, fake_weights=weights),
        np.dot(weights, per_example),
        rtol=1e-6,
    )
