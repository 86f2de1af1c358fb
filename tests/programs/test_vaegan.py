"""VAE-GAN (shared/MATH.md §8, Larsen et al. 2016): one step of the three update groups (encoder,
decoder, D) against a hand-written reference; γ outside (0, 1] is refused; the reconstruction path.
The losses' closed forms (the KL prior against the Gaussian KL by integration) are tested in
tests/losses/test_vaegan.py."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.programs import vaegan
from jaxgan.train import build
from jaxgan.train.state import create_state
from jaxgan.train.step import make_train_step
from tests.programs.helpers import tiny_config

BATCH, DIM, LATENT = 8, 3, 2
LEARNING_RATE = 0.05
GAMMA = 0.5


class Encoder(nn.Module):
    @nn.compact
    def __call__(self, x, eps, *, train):
        h = jnp.tanh(nn.Dense(4)(x))
        mean, log_variance = nn.Dense(LATENT)(h), nn.Dense(LATENT)(h)
        return {"mean": mean, "log_variance": log_variance, "z": mean + jnp.exp(0.5 * log_variance) * eps}


class Decoder(nn.Module):
    @nn.compact
    def __call__(self, z, *, train):
        return nn.Dense(DIM)(jnp.tanh(nn.Dense(4)(z)))


class Discriminator(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        features = jnp.tanh(nn.Dense(5)(x))
        return {"logit": nn.Dense(1)(features)[:, 0], "features": features}


def _program():
    sgd = lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)  # noqa: E731
    return vaegan.program(
        encoder=Encoder(),
        generator=Decoder(),
        discriminator=Discriminator(),
        e_tx=sgd(),
        g_tx=sgd(),
        d_tx=sgd(),
        options=vaegan.VaeganOptions(latent_dim=LATENT, gamma=GAMMA),
    )


def _latents(state, group: int, names: int):
    """The step's latents of `group` (repeat 0): latent j of example i from its keys, as documented."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 4)[0]
    base = jax.random.fold_in(jax.random.fold_in(latent_key, group), 0)
    return [
        jnp.stack(
            [jax.random.normal(jax.random.fold_in(jax.random.fold_in(base, j), i), (LATENT,)) for i in range(BATCH)]
        )
        for j in range(names)
    ]


def _reference(state, x):
    """The step written out: the keys as the step documents them, the losses by hand, SGD by hand."""
    E = lambda p, x, eps: Encoder().apply({"params": p}, x, eps, train=True)  # noqa: E731
    G = lambda p, z: Decoder().apply({"params": p}, z, train=True)  # noqa: E731
    D = lambda p, x: Discriminator().apply({"params": p}, x, train=True)  # noqa: E731

    def llike(pe, pg, pd, eps):
        reconstruction = G(pg, E(pe, x, eps)["z"])
        return jnp.mean(0.5 * jnp.sum((D(pd, reconstruction)["features"] - D(pd, x)["features"]) ** 2, axis=1))

    def gan(pe, pg, pd, eps, z):
        reconstruction = G(pg, E(pe, x, eps)["z"])
        real, fake, rec = D(pd, x)["logit"], D(pd, G(pg, z))["logit"], D(pd, reconstruction)["logit"]
        # -[log D(x) + log(1 - D(x_p)) + log(1 - D(x~))]
        return (
            -jnp.mean(jnp.log(jax.nn.sigmoid(real)))
            - jnp.mean(jnp.log(1 - jax.nn.sigmoid(fake)))
            - jnp.mean(jnp.log(1 - jax.nn.sigmoid(rec)))
        )

    def sgd(p, g):
        return jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)

    pe, pg, pd = (state.params[name] for name in ("encoder", "generator", "discriminator"))
    (eps,) = _latents(state, 0, 1)

    def encoder_loss(pe):
        posterior = E(pe, x, eps)
        var = jnp.exp(posterior["log_variance"])
        prior = jnp.mean(0.5 * jnp.sum(posterior["mean"] ** 2 + var - posterior["log_variance"] - 1, axis=1))
        return prior + llike(pe, pg, pd, eps)

    pe = sgd(pe, jax.grad(encoder_loss)(pe))
    eps, z = _latents(state, 1, 2)
    generator_loss = lambda pg: GAMMA * llike(pe, pg, pd, eps) - gan(pe, pg, pd, eps, z)  # noqa: E731
    pg = sgd(pg, jax.grad(generator_loss)(pg))
    eps, z = _latents(state, 2, 2)
    d_loss_before = gan(pe, pg, pd, eps, z)
    pd = sgd(pd, jax.grad(lambda pd: gan(pe, pg, pd, eps, z))(pd))

    return (pe, pg, pd), d_loss_before


@pytest.mark.slow
def test_one_step_of_each_group_equals_the_hand_written_update():
    program = _program()
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    specs = {"x": jax.ShapeDtypeStruct((DIM,), jnp.float32)}
    state = create_state(program, rng=jax.random.PRNGKey(3), feature_specs=specs)
    new_state, metrics = jax.jit(make_train_step(program))(state, {"x": x[None]})

    (pe, pg, pd), d_loss_before = jax.jit(_reference)(state, x)

    np.testing.assert_allclose(metrics["d_loss"], d_loss_before, rtol=1e-5)
    assert float(metrics["e_prior"]) > 1e-3 and float(metrics["e_llike"]) > 1e-3  # both terms count
    for name, expected in (("encoder", pe), ("generator", pg), ("discriminator", pd)):
        for got, want in zip(jax.tree.leaves(new_state.params[name]), jax.tree.leaves(expected), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        moved = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(state.params[name]))
        )
        assert moved > 1e-4, name  # the group took a step


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_a_gamma_outside_zero_one_is_refused_in_one_sentence(gamma):
    with pytest.raises(ValueError, match=r"^config\.vaegan\.gamma must be a number in \(0, 1\]; got"):
        build.build(tiny_config("vaegan", **{"vaegan.gamma": gamma}))


def test_reconstruct_is_the_decoder_at_the_posterior_mean():
    program = _program()
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    state = create_state(
        program, rng=jax.random.PRNGKey(3), feature_specs={"x": jax.ShapeDtypeStruct((DIM,), jnp.float32)}
    )
    got = vaegan.reconstruct(program, state.params, state.variables, x)
    mean = Encoder().apply({"params": state.params["encoder"]}, x, jnp.zeros((BATCH, LATENT)), train=False)["mean"]
    np.testing.assert_allclose(
        got, Decoder().apply({"params": state.params["generator"]}, mean, train=False), rtol=1e-6
    )
