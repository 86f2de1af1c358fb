"""MAD-GAN's losses (shared/MATH.md §8): D's loss at its optimum D*_j = P_j / Σ_l P_l is
log(k+1) - JSD_π(p, q_1..q_k) (k = 1: half of the minimax loss), and chance for identical
distributions."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses


def jsd_pi(distributions) -> np.ndarray:
    """`JSD_π(P_0, .., P_k) = H(Σ π_j P_j) - Σ π_j H(P_j)` with equal weights, `[k+1, n]` discrete."""
    p = np.asarray(distributions, np.float64)

    def entropy(q):
        return -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=-1)

    return entropy(np.mean(p, axis=0)) - np.mean(entropy(p))


def _optimal_loss(p, qs):
    """D's loss at D*_j = P_j / Σ_l P_l, as exact expectations over n points (weights)."""
    k, n = qs.shape
    everything = np.concatenate([qs, p[None]])  # row j < k: generator j; row k: the data
    logits = jnp.log(jnp.asarray(everything.T))  # [n, k+1]: softmax(logits)[x] = D*(x)
    fake_logits = jnp.tile(logits, (k, 1))  # generator i's copy of the n points
    fake_generator = jnp.repeat(jnp.arange(k), n)
    fake_weights = jnp.asarray(qs.reshape(-1) / k)  # E_i E_{q_i}: the generated batch's mean
    return losses.madgan_discriminator_loss(
        logits, fake_logits, fake_generator, real_weights=p, fake_weights=fake_weights
    )


@pytest.mark.parametrize("k", [1, 3, 8])
def test_discriminator_loss_at_the_optimum_is_log_k_plus_1_minus_jsd(k):
    rng = np.random.default_rng(k)
    n = 12
    p = rng.dirichlet(np.ones(n))
    qs = rng.dirichlet(np.ones(n), size=k)
    expected = np.log(k + 1) - float(jsd_pi(np.concatenate([qs, p[None]])))
    np.testing.assert_allclose(_optimal_loss(jnp.asarray(p), qs), expected, rtol=1e-5)
    if k == 1:  # half of the minimax D loss at its optimum, log 4 - 2 JSD(p, q)
        m = (p + qs[0]) / 2
        jsd = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(qs[0] * np.log(qs[0] / m))
        np.testing.assert_allclose(_optimal_loss(jnp.asarray(p), qs), (np.log(4) - 2 * jsd) / 2, rtol=1e-5)


def test_identical_distributions_leave_d_at_chance():
    n, k = 5, 4
    uniform = np.full((k, n), 1 / n)
    np.testing.assert_allclose(_optimal_loss(jnp.full(n, 1 / n), uniform), np.log(k + 1), rtol=1e-6)
    np.testing.assert_allclose(losses.madgan_generator_loss(jnp.zeros((3, k + 1))), np.log(k + 1), rtol=1e-6)
