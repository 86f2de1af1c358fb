"""EBGAN's and BEGAN's closed forms (shared/MATH.md §8): the energy, the margin loss on point inputs,
the pulling-away term (0 for orthogonal, 1 for identical embeddings); BEGAN's k_t sequence, L and M."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import losses

# ---------------------------------------------------------------------------- EBGAN


def test_energy_is_the_per_example_mean_squared_reconstruction_error():
    x = jnp.array([[0.0, 0.0], [1.0, 1.0]])
    reconstruction = jnp.array([[1.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(losses.ebgan_energy(x, reconstruction), [0.5, 2.0])
    # G's loss is the mean energy
    np.testing.assert_allclose(losses.ebgan_generator_loss(losses.ebgan_energy(x, reconstruction)), 1.25)


def test_margin_loss_on_point_inputs():
    # E_p e(x) + E_q [m - e(G(z))]^+ with m = 1: (0.2 + 0.4)/2 + (0.5 + 0)/2 = 0.55
    e_real, e_fake = jnp.array([0.2, 0.4]), jnp.array([0.5, 3.0])
    np.testing.assert_allclose(losses.ebgan_discriminator_loss(e_real, e_fake, margin=1.0), 0.55, rtol=1e-6)
    # a generated example whose energy is past the margin gets no gradient; one inside gets -1/N
    grad = jax.grad(lambda e: losses.ebgan_discriminator_loss(e_real, e, margin=1.0))(e_fake)
    np.testing.assert_allclose(grad, [-0.5, 0.0])
    # every generated energy at or past m: the loss is the real energy alone
    np.testing.assert_allclose(
        losses.ebgan_discriminator_loss(e_real, jnp.array([1.0, 2.0]), margin=1.0), 0.3, rtol=1e-6
    )


def test_pulling_away_is_zero_for_orthogonal_and_one_for_identical_embeddings():
    pulling_away = losses.ebgan_pulling_away_loss
    np.testing.assert_allclose(pulling_away(jnp.eye(4) * jnp.array([[1.0], [2.0], [0.5], [3.0]])), 0.0, atol=1e-7)
    identical = jnp.tile(jnp.array([[0.3, -1.2, 2.0]]), (5, 1))
    np.testing.assert_allclose(pulling_away(identical), 1.0, rtol=1e-6)
    # scale-free and sign-blind (cos²): s and -2s are identical directions
    np.testing.assert_allclose(pulling_away(jnp.array([[1.0, 1.0], [-2.0, -2.0]])), 1.0, rtol=1e-6)
    # two at 45 degrees: cos² = 1/2 for both ordered pairs
    np.testing.assert_allclose(pulling_away(jnp.array([[1.0, 0.0], [1.0, 1.0]])), 0.5, rtol=1e-6)


# ---------------------------------------------------------------------------- BEGAN


def test_the_k_sequence_of_math_md():
    k = jnp.zeros((), jnp.float32)  # k_0 = 0
    expected = (5e-5, 0.0, 7.5e-5)
    for (l_real, l_fake), want in zip(((0.3, 0.1), (0.2, 0.3), (0.25, 0.05)), expected):
        k = losses.began_update_k(k, jnp.float32(l_real), jnp.float32(l_fake), gamma=0.5, lambda_k=0.001)
        np.testing.assert_allclose(k, want, atol=1e-9)
    # clipped at 1 from above
    np.testing.assert_allclose(losses.began_update_k(jnp.float32(0.9999), 1.0, 0.0, gamma=1.0, lambda_k=0.5), 1.0)


def test_the_losses_and_the_convergence_measure():
    v = jnp.array([[0.0, 1.0], [2.0, -1.0]])
    reconstruction = jnp.array([[0.5, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(losses.began_autoencoder_loss(v, reconstruction), [0.25, 1.5])  # mean |v - D(v)|
    np.testing.assert_allclose(losses.began_autoencoder_loss(v, reconstruction, eta=2.0), [0.125, 2.5])
    np.testing.assert_allclose(losses.began_discriminator_loss(0.3, 0.1, k=0.5), 0.25)
    # M = L(x) + |γ L(x) - L(G(z))| = 0.3 + |0.15 - 0.1| and 0.2 + |0.1 - 0.3|
    np.testing.assert_allclose(losses.began_convergence_measure(0.3, 0.1, gamma=0.5), 0.35, rtol=1e-6)
    np.testing.assert_allclose(losses.began_convergence_measure(0.2, 0.3, gamma=0.5), 0.4, rtol=1e-6)
    # k_t is not differentiated: D's gradient w.r.t. L(G(z)) is -k_t
    grad = jax.grad(lambda fake_loss, k: losses.began_discriminator_loss(0.3, fake_loss, k=k), argnums=(0, 1))
    fake_grad, k_grad = grad(0.1, 0.25)
    np.testing.assert_allclose(fake_grad, -0.25)
    assert float(k_grad) == 0.0


def test_weights_are_counts_of_repeated_examples():
    # integer weights give the loss of the batch with each example repeated that many times
    e_real, e_fake = jnp.array([0.2, 0.4, 0.9]), jnp.array([0.5, 3.0, 0.1])
    counts_real, counts_fake = jnp.array([1.0, 3.0, 0.0]), jnp.array([2.0, 1.0, 1.0])
    repeated_real, repeated_fake = (
        jnp.repeat(e_real, counts_real.astype(int)),
        jnp.repeat(e_fake, counts_fake.astype(int)),
    )
    weighted = losses.ebgan_discriminator_loss(
        e_real, e_fake, margin=1.0, real_weights=counts_real, fake_weights=counts_fake
    )
    np.testing.assert_allclose(weighted, losses.ebgan_discriminator_loss(repeated_real, repeated_fake, margin=1.0))
    np.testing.assert_allclose(
        losses.ebgan_generator_loss(e_fake, fake_weights=counts_fake), losses.ebgan_generator_loss(repeated_fake)
    )
