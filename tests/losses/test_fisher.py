"""Fisher GAN: the IPM supremum on a finite space, the augmented Lagrangian and the λ update (MATH.md §3)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses

from ._discrete import SEEDS, random_distributions

TESTED_NAMES = {"fisher"}


def _normalised(v, p, q):
    """v scaled so that Ω = ½E_p v² + ½E_q v² = 1."""
    return v / np.sqrt(0.5 * np.sum((p + q) * v**2))


@pytest.mark.parametrize("seed", SEEDS)
def test_ipm_supremum_is_attained_at_the_closed_form_critic(seed):
    p, q = random_distributions(seed)
    supremum = np.sqrt(2.0 * np.sum((p - q) ** 2 / (p + q)))
    v_star = _normalised((p - q) / (p + q), p, q)
    objective = losses.get("fisher", rho=0.5)
    state = {"lagrange_multiplier": jnp.asarray(0.7, jnp.float32)}
    loss, new_state = objective.discriminator_loss_and_state(v_star, v_star, state, real_weights=p, fake_weights=q)
    # Ω = 1: the constraint terms vanish and λ does not move.
    np.testing.assert_allclose(-loss, supremum, rtol=1e-5)
    np.testing.assert_allclose(new_state["lagrange_multiplier"], 0.7, rtol=1e-5)
    rng = np.random.default_rng(seed)
    for _ in range(5):  # any other critic with Ω = 1 has a smaller IPM estimate
        v = _normalised(rng.standard_normal(7), p, q)
        other, _ = objective.discriminator_loss_and_state(v, v, state, real_weights=p, fake_weights=q)
        assert -other < supremum


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrangian_and_multiplier_update(seed):
    p, q = random_distributions(seed)
    rng = np.random.default_rng(seed)
    v_real, v_fake = rng.standard_normal(7), rng.standard_normal(7)
    rho, multiplier = 0.3, -0.4
    omega = 0.5 * np.sum(p * v_real**2) + 0.5 * np.sum(q * v_fake**2)
    ipm = np.sum(p * v_real) - np.sum(q * v_fake)
    lagrangian = ipm + multiplier * (1 - omega) - 0.5 * rho * (1 - omega) ** 2
    loss, state = losses.fisher_discriminator_loss(
        v_real, v_fake, state={"lagrange_multiplier": jnp.float32(multiplier)}, rho=rho, real_weights=p, fake_weights=q
    )
    np.testing.assert_allclose(loss, -lagrangian, rtol=1e-5)
    np.testing.assert_allclose(state["lagrange_multiplier"], multiplier - rho * (1 - omega), rtol=1e-5)
    assert state["lagrange_multiplier"].dtype == jnp.float32


def test_multiplier_update_carries_no_gradient():
    v = jnp.array([0.5, -1.0, 2.0])
    state = losses.fisher_init_state()
    new_multiplier = lambda v: losses.fisher_discriminator_loss(v, -v, state=state, rho=0.5)[1]["lagrange_multiplier"]
    np.testing.assert_array_equal(jax.grad(new_multiplier)(v), 0.0)


def test_state_round_trip_under_jit():
    objective = losses.get("fisher", rho=0.1)
    state = objective.init_state()
    assert set(state) == {"lagrange_multiplier"} and float(state["lagrange_multiplier"]) == 0.0
    step = jax.jit(objective.discriminator_loss_and_state)
    d_real, d_fake = jnp.array([2.0, 1.0]), jnp.array([-1.0, 0.0])
    omega = 0.5 * np.mean([4.0, 1.0]) + 0.5 * np.mean([1.0, 0.0])
    for k in range(1, 4):  # Ω is fixed, so λ moves by -ρ(1-Ω) each call
        _, state = step(d_real, d_fake, state)
        np.testing.assert_allclose(state["lagrange_multiplier"], -k * 0.1 * (1 - omega), rtol=1e-6)


def test_generator_loss():
    np.testing.assert_allclose(losses.get("fisher").generator(np.array([1.0, 2.0, 6.0])), -3.0, rtol=1e-6)


@pytest.mark.parametrize("rho", [0.0, -1e-6])
def test_rho_must_be_positive(rho):
    with pytest.raises(ValueError, match="rho"):
        losses.get("fisher", rho=rho)
    with pytest.raises(ValueError, match="rho"):
        losses.fisher_discriminator_loss(np.zeros(2), np.zeros(2), state=losses.fisher_init_state(), rho=rho)
