"""Relativistic average GAN against a numpy transcription of its formula (MATH.md §3)."""

import numpy as np
import pytest

from jaxgan import losses

from ._discrete import SEEDS, random_distributions

TESTED_NAMES = {"relativistic_average"}


def _softplus(x):
    return np.logaddexp(0.0, x)


def _numpy_relativistic(v_real, v_fake, p, q):
    """(D loss, G loss) with r = v_r - E_q v_f, f = v_f - E_p v_r (Jolicoeur-Martineau 2018)."""
    r = v_real - np.sum(q * v_fake)
    f = v_fake - np.sum(p * v_real)
    d_loss = np.sum(p * _softplus(-r)) + np.sum(q * _softplus(f))
    g_loss = np.sum(q * _softplus(-f)) + np.sum(p * _softplus(r))
    return d_loss, g_loss


@pytest.mark.parametrize("seed", SEEDS)
def test_matches_numpy_transcription_with_weights(seed):
    p, q = random_distributions(seed)
    rng = np.random.default_rng(seed)
    v_real, v_fake = 2.0 * rng.standard_normal(7), 2.0 * rng.standard_normal(7)
    d_expected, g_expected = _numpy_relativistic(v_real, v_fake, p, q)
    objective = losses.get("relativistic_average")
    np.testing.assert_allclose(
        objective.discriminator(v_real, v_fake, real_weights=p, fake_weights=q), d_expected, rtol=1e-5
    )
    np.testing.assert_allclose(
        objective.generator(v_fake, d_real=v_real, real_weights=p, fake_weights=q), g_expected, rtol=1e-5
    )


def test_unweighted_batches_of_different_sizes():
    rng = np.random.default_rng(7)
    v_real, v_fake = rng.standard_normal(5), rng.standard_normal(3)
    d_expected, g_expected = _numpy_relativistic(v_real, v_fake, np.full(5, 0.2), np.full(3, 1 / 3))
    np.testing.assert_allclose(losses.relativistic_average_discriminator_loss(v_real, v_fake), d_expected, rtol=1e-5)
    np.testing.assert_allclose(losses.relativistic_average_generator_loss(v_fake, d_real=v_real), g_expected, rtol=1e-5)


def test_indistinguishable_outputs_give_two_log_two():
    """Equal constant outputs: every relative logit is 0, so both losses are 2 log 2."""
    constant = np.full(4, 1.7)
    d_loss = losses.relativistic_average_discriminator_loss(constant, constant)
    g_loss = losses.relativistic_average_generator_loss(constant, d_real=constant)
    np.testing.assert_allclose([d_loss, g_loss], 2 * np.log(2), rtol=1e-6)


def test_generator_needs_d_real():
    with pytest.raises(ValueError, match="d_real"):
        losses.get("relativistic_average").generator(np.zeros(3))
