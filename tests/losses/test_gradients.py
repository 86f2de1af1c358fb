"""Every registered objective, under jit: gradients match finite differences, stay finite at huge
logits, and bfloat16 inputs give float32 results equal to float32 inputs."""

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

from jaxgan import losses

NAMES = losses.names()
# f*(g_f(v)) is exponential in v for these by definition (exp(v-1), e^{-v}, e^{v/2}, e^{-v}):
# the loss itself overflows at |v| = 1e4, so they are checked at |v| = 50 instead.
EXPONENTIAL = {"fgan_kl", "fgan_reverse_kl", "fgan_neyman", "fgan_squared_hellinger"}
SIGNS = np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


def _objective(name):
    if name == "fisher":
        return losses.get(name, rho=0.5)  # a visible constraint term
    if name == "mmd":
        return losses.get(name, bandwidths=(1.0, 4.0))  # two kernels keep the compile small
    return losses.get(name)


def _both_losses(objective):
    """`(d_real, d_fake) -> [D loss, G loss]`, D's through the train step's stateful interface."""

    def both(d_real, d_fake):
        d_loss, _ = objective.discriminator_loss_and_state(d_real, d_fake, objective.init_state())
        return jnp.stack([d_loss, objective.generator(d_fake, d_real=d_real)])

    return both


def _outputs(name, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    shape = (5, 3) if name == "mmd" else (5, 2)  # mmd: [B, F] features; else patch-like [B, 2]
    return (scale * rng.standard_normal(shape)).astype(dtype), (scale * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    both = jax.jit(_both_losses(_objective(name)))
    # jaxgan.kernels.mmd2 always computes in float32: coarser differences and tolerances.
    tolerances = dict(eps=1e-2, atol=2e-3, rtol=2e-3) if name == "mmd" else dict(atol=1e-6, rtol=1e-6)
    with jax.enable_x64(True):
        jax.test_util.check_grads(both, _outputs(name, seed=0), order=1, modes=["rev"], **tolerances)


@pytest.mark.parametrize("name", NAMES)
def test_huge_logits_and_bfloat16(name):
    both = _both_losses(_objective(name))

    @jax.jit
    def measurements(huge_real, huge_fake, low_real, low_fake):
        return dict(
            huge=both(huge_real, huge_fake),
            # The gradient of D loss + G loss: non-finite if either loss's gradient is.
            huge_gradients=jax.grad(lambda r, f: jnp.sum(both(r, f)), argnums=(0, 1))(huge_real, huge_fake),
            low=both(low_real, low_fake),
            low_as_float32=both(low_real.astype(jnp.float32), low_fake.astype(jnp.float32)),
        )

    magnitude = 50.0 if name in EXPONENTIAL else 1e4
    if name == "mmd":
        huge_real, huge_fake = _outputs(name, seed=1, dtype=np.float32, scale=magnitude)
    else:
        huge_real, huge_fake = np.float32(magnitude) * SIGNS, np.float32(-magnitude) * SIGNS
    low_real, low_fake = (jnp.asarray(x, jnp.bfloat16) for x in _outputs(name, seed=2, dtype=np.float32))
    out = measurements(huge_real.astype(np.float32), huge_fake.astype(np.float32), low_real, low_fake)
    assert np.all(np.isfinite(out["huge"]))
    assert all(np.all(np.isfinite(gradient)) for gradient in out["huge_gradients"])
    assert out["low"].dtype == jnp.float32
    np.testing.assert_allclose(out["low"], out["low_as_float32"], rtol=1e-6, atol=1e-7)
