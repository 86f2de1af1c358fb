"""ALI / BiGAN's losses (shared/MATH.md §9; Dumoulin et al. 2017, Donahue et al. 2017): the value at
D's optimum on discrete joints, and G and E's swapped and minimax losses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses
from tests.losses._discrete import SEEDS, jensen_shannon


def _joints(seed: int, shape=(5, 4)) -> tuple[np.ndarray, np.ndarray]:
    """Two random joints over (x, z) on a 5 x 4 grid: q(x, z) = p_data(x) E(z|x), p(x, z) = p(z) G(x|z)."""
    rng = np.random.default_rng(seed)
    p_data, p_z = rng.dirichlet(np.ones(shape[0])), rng.dirichlet(np.ones(shape[1]))
    encoder = rng.dirichlet(np.ones(shape[1]), size=shape[0])  # E(z|x), rows sum to 1
    generator = rng.dirichlet(np.ones(shape[0]), size=shape[1])  # G(x|z), rows sum to 1
    return p_data[:, None] * encoder, (p_z[:, None] * generator).T


@pytest.mark.parametrize("seed", SEEDS)
def test_value_at_the_optimal_discriminator_is_minus_log4_plus_twice_the_jsd(seed):
    q, p = _joints(seed)
    optimal_logit = jnp.asarray(np.log(q) - np.log(p)).ravel()  # D* = q / (q + p), logit(D*) = log q/p
    weights = dict(encoder_weights=jnp.asarray(q.ravel()), generator_weights=jnp.asarray(p.ravel()))
    value = losses.ali_value(optimal_logit, optimal_logit, **weights)
    np.testing.assert_allclose(value, -np.log(4.0) + 2 * jensen_shannon(q.ravel(), p.ravel()), rtol=1e-5)
    # D's loss is -V, and any other D has a smaller value
    np.testing.assert_allclose(losses.ali_discriminator_loss(optimal_logit, optimal_logit, **weights), -value)
    perturbation = jax.random.normal(jax.random.PRNGKey(seed), optimal_logit.shape)
    for scale in (0.1, 1.0):
        moved = optimal_logit + scale * perturbation
        assert losses.ali_value(moved, moved, **weights) < value


def test_value_against_numpy_at_any_discriminator():
    """V = Σ q log σ(v) + Σ p log(1 - σ(v)) written out in numpy, at a D that is not the optimum."""
    q, p = _joints(11)
    logit = np.random.default_rng(3).normal(size=q.size)
    sigmoid = 1 / (1 + np.exp(-logit))
    numpy_value = np.sum(q.ravel() * np.log(sigmoid)) + np.sum(p.ravel() * np.log(1 - sigmoid))
    value = losses.ali_value(
        jnp.asarray(logit), jnp.asarray(logit), encoder_weights=jnp.asarray(q.ravel()), generator_weights=p.ravel()
    )
    np.testing.assert_allclose(value, numpy_value, rtol=1e-5)


def test_generator_losses_swap_the_labels_or_negate_the_value():
    d_encoder, d_generator = jnp.array([0.3, -1.2, 2.0]), jnp.array([-0.4, 0.9])
    softplus = lambda v: np.log1p(np.exp(np.asarray(v, np.float64)))
    # swapped (ALI's Algorithm 1, BiGAN's "inverse" loss): -E_q log(1 - D) - E_p log D
    swapped = softplus(d_encoder).mean() + softplus(-d_generator).mean()
    np.testing.assert_allclose(losses.ali_generator_loss(d_encoder, d_generator), swapped, rtol=1e-6)
    # minimax: G and E minimise V = E_q log D + E_p log(1 - D)
    value = -softplus(-d_encoder).mean() - softplus(d_generator).mean()
    np.testing.assert_allclose(losses.ali_value(d_encoder, d_generator), value, rtol=1e-6)
    np.testing.assert_allclose(losses.ali_discriminator_loss(d_encoder, d_generator), -value, rtol=1e-6)
    # at D = 1/2 everywhere both are 2 log 2
    np.testing.assert_allclose(losses.ali_generator_loss(jnp.zeros(3), jnp.zeros(2)), 2 * np.log(2), rtol=1e-6)
