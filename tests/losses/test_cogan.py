"""CoGAN's losses (shared/MATH.md §9; Liu & Tuzel 2016, eq. 3-4): the value Σ_i w_i V(D_i, G_i) at
each D_i's optimum on discrete distributions, and D's and G's losses against numpy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses
from tests.losses._discrete import SEEDS, jensen_shannon, random_distributions


def _two_domains(seed: int):
    """(p_1, q_1), (p_2, q_2): data and model distributions of two domains on 7 points each."""
    return random_distributions(seed), random_distributions(seed + 100)


@pytest.mark.parametrize("seed", SEEDS)
def test_value_at_the_optimal_discriminators_is_the_sum_of_the_two_games(seed):
    """At D_i* = p_i / (p_i + q_i): Σ_i w_i V_i = Σ_i w_i (-log 4 + 2 JSD(p_i, q_i)); any other D is worse."""
    (p1, q1), (p2, q2) = _two_domains(seed)
    weights = (1.0, 0.7) if seed % 2 else (1.0, 1.0)
    optimal = jnp.asarray(np.stack([np.log(p1 / q1), np.log(p2 / q2)], axis=1))  # logit(D_i*) = log p_i / q_i
    real_weights, fake_weights = jnp.asarray(np.stack([p1, p2], 1)), jnp.asarray(np.stack([q1, q2], 1))
    kwargs = dict(domain_weights=weights, real_weights=real_weights, fake_weights=fake_weights)
    value = losses.cogan_value(optimal, optimal, **kwargs)
    expected = sum(w * (-np.log(4.0) + 2 * jensen_shannon(p, q)) for w, (p, q) in zip(weights, ((p1, q1), (p2, q2))))
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    np.testing.assert_allclose(losses.cogan_discriminator_loss(optimal, optimal, **kwargs), -value, rtol=1e-6)
    perturbation = jax.random.normal(jax.random.PRNGKey(seed), optimal.shape)
    for scale in (0.1, 1.0):
        moved = optimal + scale * perturbation
        assert losses.cogan_value(moved, moved, **kwargs) < value
    # moving only domain 2's D lowers only domain 2's game: the value is a sum over the domains
    moved = optimal.at[:, 1].add(0.5 * perturbation[:, 1])
    drop = value - losses.cogan_value(moved, moved, **kwargs)
    alone = losses.cogan_value(optimal[:, 1:], optimal[:, 1:], domain_weights=weights[1:],
                               real_weights=real_weights[:, 1:], fake_weights=fake_weights[:, 1:])  # fmt: skip
    alone_moved = losses.cogan_value(moved[:, 1:], moved[:, 1:], domain_weights=weights[1:],
                                     real_weights=real_weights[:, 1:], fake_weights=fake_weights[:, 1:])  # fmt: skip
    np.testing.assert_allclose(drop, alone - alone_moved, rtol=1e-5)


def test_losses_against_numpy():
    """D: Σ_i w_i [E softplus(-v_i real) + E softplus(v_i fake)]; G (non-saturating): Σ_i w_i E softplus(-v_i fake)."""
    rng = np.random.default_rng(4)
    d_real, d_fake = rng.normal(size=(6, 2)), rng.normal(size=(5, 2))
    weights = (1.0, 2.5)
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    d_loss = sum(w * (softplus(-d_real[:, i]).mean() + softplus(d_fake[:, i]).mean()) for i, w in enumerate(weights))
    g_loss = sum(w * softplus(-d_fake[:, i]).mean() for i, w in enumerate(weights))
    np.testing.assert_allclose(
        losses.cogan_discriminator_loss(d_real, d_fake, domain_weights=weights), d_loss, rtol=1e-6
    )
    np.testing.assert_allclose(losses.cogan_generator_loss(d_fake, domain_weights=weights), g_loss, rtol=1e-6)
    np.testing.assert_allclose(losses.cogan_value(d_real, d_fake, domain_weights=weights), -d_loss, rtol=1e-6)
    # per-example weights of shape [B] weight both domains' examples alike
    w = rng.uniform(0.1, 1.0, size=5)
    weighted = sum(softplus(-d_fake[:, i]) @ w / w.sum() for i in range(2))
    np.testing.assert_allclose(losses.cogan_generator_loss(d_fake, fake_weights=w), weighted, rtol=1e-6)


def test_outputs_must_have_one_column_per_domain():
    with pytest.raises(ValueError, match=r"^cogan: D\'s outputs must be \[batch, num_domains\]"):
        losses.cogan_discriminator_loss(jnp.zeros((4,)), jnp.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"one weight per domain"):
        losses.cogan_generator_loss(jnp.zeros((4, 2)), domain_weights=(1.0,))
