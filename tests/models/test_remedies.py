"""The mode-collapse remedies compose: packing, minibatch discrimination and feature matching.

tests/train/test_step.py covers packing's concatenation and unrolling; tests/models/test_layers.py
covers minibatch discrimination's formula. Here: their shapes together, and one step with
pack=2 + minibatch discrimination + feature matching under the hinge loss, whose G update
is recomputed by hand from z.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan import tricks
from jaxgan.models.mlp import MLPDiscriminator
from tests.train.helpers import batch_for, first_z, one_device, tiny_ring_config


def test_packed_minibatch_discrimination_shapes():
    discriminator = MLPDiscriminator(width=8, depth=2, minibatch_discrimination=3, minibatch_kernel_dim=4)
    x = tricks.pack(jnp.ones((12, 2)), 3)  # 4 packs of 3 points
    variables = jax.jit(lambda key: discriminator.init(key, x, train=False))(jax.random.PRNGKey(0))
    # The first layer reads 3 concatenated points; the output layer reads 8 features + 3 minibatch features.
    assert variables["params"]["hidden_0"]["kernel"].shape == (6, 8 * 5)
    assert variables["params"]["output"]["kernel"].shape == (8 + 3, 1)
    output, state = jax.jit(
        lambda v: discriminator.apply(v, x, train=True, mutable=["intermediates"], capture_intermediates=True)
    )(variables)
    assert output.shape == (4,)
    assert state["intermediates"]["features"][0].shape == (4, 8)  # sown before the minibatch features
    (with_minibatch,) = state["intermediates"]["minibatch_discrimination"]["__call__"]
    assert with_minibatch.shape == (4, 8 + 3)
    # Identical packs: each minibatch feature is the number of packs (exp(-0) summed over the batch).
    np.testing.assert_allclose(with_minibatch[:, 8:], 4.0, rtol=1e-6)


@pytest.mark.slow
def test_pack_minibatch_discrimination_and_feature_matching_compose_under_hinge():
    weight = 0.5
    config = tiny_ring_config(
        pack=2,
        feature_matching=weight,
        **{
            "loss.name": "hinge",
            "model.generator.use_batch_norm": False,
            "model.discriminator.minibatch_discrimination": 3,
            "model.discriminator.minibatch_kernel_dim": 4,
        },
    )
    experiment, state, step = one_device(config)
    batch = batch_for(experiment, config)
    new_state, metrics = step(state, batch)
    assert all(np.isfinite(float(v)) for v in metrics.values())

    # G's loss by hand: hinge on D's outputs for packs of generated points, plus the weighted
    # squared distance between the mean D features of real and generated packs.
    generator, discriminator = experiment.program.networks["generator"], experiment.program.networks["discriminator"]
    z = first_z(state, config)
    real = tricks.pack(batch["x"][-1], 2)

    def d(x):
        out, variables = discriminator.apply(
            {"params": new_state.params["discriminator"]}, x, train=True, mutable=["intermediates"]
        )
        return out, variables["intermediates"]["features"][0]

    def g_loss(g_params):
        fake = tricks.pack(generator.apply({"params": g_params}, z, train=True), 2)
        d_fake, fake_features = d(fake)
        _, real_features = d(real)
        matching = jnp.sum((real_features.mean(0) - fake_features.mean(0)) ** 2)
        return jnp.mean(-d_fake) + weight * matching, matching

    g_params, g_tx = state.params["generator"], experiment.program.group("generator").optimizer
    (loss, matching), grads = jax.jit(jax.value_and_grad(g_loss, has_aux=True))(g_params)
    assert float(matching) > 0  # the feature-matching term is active
    np.testing.assert_allclose(metrics["g_loss"], loss, rtol=1e-5)
    expected = jax.jit(
        lambda grads: optax.apply_updates(
            g_params,
            g_tx.update({"generator": grads}, state.opt_state["generator"], {"generator": g_params})[0]["generator"],
        )
    )(grads)
    for a, b in zip(jax.tree.leaves(new_state.params["generator"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
