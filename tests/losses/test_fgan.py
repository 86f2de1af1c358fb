"""f-GAN: the variational bound is tight at g_f(v*) = f'(p/q) and strictly below it elsewhere (MATH.md §2).

Everything on the right-hand side is computed here in numpy (float64) from the table's raw
forms f, g_f, f*, f', independently of the library's composed closed forms.
"""

import numpy as np
import pytest

from jaxgan import losses

from ._discrete import SEEDS, jensen_shannon, random_distributions


def _softplus(x):
    return np.logaddexp(0.0, x)


# divergence: (f(u), g_f(v), f*(t), f'(u), v* with g_f(v*) = f'(u))
TABLE = {
    "kl": (
        lambda u: u * np.log(u),
        lambda v: v,
        lambda t: np.exp(t - 1.0),
        lambda u: 1.0 + np.log(u),
        lambda u: 1.0 + np.log(u),
    ),
    "reverse_kl": (
        lambda u: -np.log(u),
        lambda v: -np.exp(-v),
        lambda t: -1.0 - np.log(-t),
        lambda u: -1.0 / u,
        lambda u: np.log(u),
    ),
    "pearson": (
        lambda u: (u - 1.0) ** 2,
        lambda v: v,
        lambda t: t**2 / 4.0 + t,
        lambda u: 2.0 * (u - 1.0),
        lambda u: 2.0 * (u - 1.0),
    ),
    "neyman": (
        lambda u: (1.0 - u) ** 2 / u,
        lambda v: 1.0 - np.exp(v),
        lambda t: 2.0 - 2.0 * np.sqrt(1.0 - t),
        lambda u: 1.0 - 1.0 / u**2,
        lambda u: -2.0 * np.log(u),
    ),
    "squared_hellinger": (
        lambda u: (np.sqrt(u) - 1.0) ** 2,
        lambda v: 1.0 - np.exp(v),
        lambda t: t / (1.0 - t),
        lambda u: 1.0 - 1.0 / np.sqrt(u),
        lambda u: -0.5 * np.log(u),
    ),
    "jensen_shannon": (
        lambda u: u * np.log(u) - (u + 1.0) * np.log((1.0 + u) / 2.0),
        lambda v: np.log(2.0) - _softplus(-v),
        lambda t: -np.log(2.0 - np.exp(t)),
        lambda u: np.log(2.0 * u / (1.0 + u)),
        lambda u: np.log(u),
    ),
    "gan": (
        lambda u: u * np.log(u) - (u + 1.0) * np.log(u + 1.0),
        lambda v: -_softplus(-v),
        lambda t: -np.log(1.0 - np.exp(t)),
        lambda u: np.log(u / (u + 1.0)),
        lambda u: np.log(u),
    ),
    "total_variation": (
        lambda u: 0.5 * np.abs(u - 1.0),
        lambda v: 0.5 * np.tanh(v),
        lambda t: t,
        lambda u: 0.5 * np.sign(u - 1.0),
        lambda u: 20.0 * np.sign(u - 1.0),  # tanh(±20) is ±1 in float64 and float32
    ),
}
DIVERGENCES = sorted(TABLE)
TESTED_NAMES = {f"fgan_{divergence}" for divergence in DIVERGENCES}


def _numpy_bound(divergence, v, p, q):
    """F(v) = E_p[g_f(v)] - E_q[f*(g_f(v))]."""
    _, activation, conjugate, _, _ = TABLE[divergence]
    return np.sum(p * activation(v)) - np.sum(q * conjugate(activation(v)))


def _numpy_divergence(divergence, p, q):
    return np.sum(q * TABLE[divergence][0](p / q))


@pytest.mark.parametrize("divergence", DIVERGENCES)
@pytest.mark.parametrize("seed", SEEDS)
def test_bound_is_tight_at_the_optimal_critic(divergence, seed):
    p, q = random_distributions(seed)
    _, activation, _, derivative, inverse = TABLE[divergence]
    v_star = inverse(p / q)
    np.testing.assert_allclose(activation(v_star), derivative(p / q), rtol=1e-12)  # the test's own inverse
    d_f = _numpy_divergence(divergence, p, q)
    np.testing.assert_allclose(_numpy_bound(divergence, v_star, p, q), d_f, rtol=1e-10, atol=1e-12)
    d_loss = losses.get(f"fgan_{divergence}").discriminator(v_star, v_star, real_weights=p, fake_weights=q)
    np.testing.assert_allclose(-d_loss, d_f, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("divergence", DIVERGENCES)
@pytest.mark.parametrize("seed", SEEDS)
def test_bound_is_strictly_smaller_elsewhere(divergence, seed):
    p, q = random_distributions(seed)
    v = np.random.default_rng(seed).standard_normal(7)
    objective = losses.get(f"fgan_{divergence}")
    bound = -objective.discriminator(v, v, real_weights=p, fake_weights=q)
    np.testing.assert_allclose(bound, _numpy_bound(divergence, v, p, q), rtol=2e-5, atol=2e-6)
    assert bound < _numpy_divergence(divergence, p, q) - 1e-4


@pytest.mark.parametrize("divergence", [d for d in DIVERGENCES if d != "total_variation"])
def test_small_perturbations_of_the_optimum_lower_the_bound(divergence):
    """f strictly convex: the bound drops strictly around v*."""
    p, q = random_distributions(11)
    v_star = TABLE[divergence][4](p / q)
    d_f = _numpy_divergence(divergence, p, q)
    rng = np.random.default_rng(3)
    objective = losses.get(f"fgan_{divergence}")
    for _ in range(3):
        v = v_star + 0.2 * rng.standard_normal(7)
        assert -objective.discriminator(v, v, real_weights=p, fake_weights=q) < d_f


@pytest.mark.parametrize("seed", SEEDS)
def test_jensen_shannon_and_gan_divergences(seed):
    """With these f: jensen_shannon = 2 JSD and gan = 2 JSD - log 4."""
    p, q = random_distributions(seed)
    jsd = jensen_shannon(p, q)
    np.testing.assert_allclose(_numpy_divergence("jensen_shannon", p, q), 2.0 * jsd, rtol=1e-10)
    np.testing.assert_allclose(_numpy_divergence("gan", p, q), 2.0 * jsd - np.log(4.0), rtol=1e-10)


@pytest.mark.parametrize("divergence", DIVERGENCES)
def test_generator_forms(divergence):
    _, activation, conjugate, _, _ = TABLE[divergence]
    p, q = random_distributions(5)
    v = np.random.default_rng(5).standard_normal(7)
    minimax = losses.get(f"fgan_{divergence}").generator(v, fake_weights=q)
    np.testing.assert_allclose(minimax, -np.sum(q * conjugate(activation(v))), rtol=2e-5, atol=2e-6)
    non_saturating = losses.get(f"fgan_{divergence}", generator_form="non_saturating").generator(v, fake_weights=q)
    np.testing.assert_allclose(non_saturating, -np.sum(q * activation(v)), rtol=2e-5, atol=2e-6)
    # The minimax G loss is F's generated-data term: G loss = -(D loss) - E_p[g_f(v)].
    d_loss = losses.get(f"fgan_{divergence}").discriminator(v, v, real_weights=p, fake_weights=q)
    np.testing.assert_allclose(minimax, -d_loss - np.sum(p * activation(v)), rtol=2e-5, atol=2e-6)


def test_named_functions_and_generic_function_agree():
    v_real, v_fake = np.array([0.3, -1.2, 2.0]), np.array([1.1, 0.4, -0.7])
    for divergence in DIVERGENCES:
        named_d = getattr(losses, f"fgan_{divergence}_discriminator_loss")
        named_g = getattr(losses, f"fgan_{divergence}_generator_loss")
        assert named_d.__name__ == f"fgan_{divergence}_discriminator_loss"
        np.testing.assert_allclose(
            named_d(v_real, v_fake), losses.fgan_discriminator_loss(v_real, v_fake, divergence=divergence), rtol=1e-6
        )
        np.testing.assert_allclose(
            named_g(v_fake, generator_form="non_saturating"),
            losses.fgan_generator_loss(v_fake, divergence=divergence, generator_form="non_saturating"),
            rtol=1e-6,
        )


def test_bad_options():
    with pytest.raises(ValueError, match="generator_form"):
        losses.get("fgan_kl", generator_form="saturating")
    with pytest.raises(ValueError, match="divergence"):
        losses.fgan_discriminator_loss(np.zeros(2), np.zeros(2), divergence="chi")
