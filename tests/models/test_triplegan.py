"""Triple-GAN's networks: D on (x, y) pairs and G(z, y) see the one-hot label at every layer (the
authors' `MLPConcatLayer`), D's noise is on in training only, and the classifier wrapper's label
is the argmax of its logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import models
from jaxgan.models.triplegan import Classifier

K = 4


def test_pair_discriminator_takes_the_label_at_every_layer_and_is_noisy_in_training_only():
    d = models.build("discriminator", "pair_mlp", num_classes=K, hidden_widths=(8, 6), input_noise=0.3)
    x = jax.random.normal(jax.random.PRNGKey(0), (5, 3, 3, 1))
    y = jnp.array([0, 1, 2, 3, 0])
    variables = d.init({"params": jax.random.PRNGKey(1), "dropout": jax.random.PRNGKey(2)}, x, y, train=True)
    params = variables["params"]
    kernels = [params[name]["kernel"].shape for name in ("hidden_0", "hidden_1", "output")]
    assert kernels == [(9 + K, 8), (8 + K, 6), (6 + K, 1)]  # [h, one-hot y] into every Dense
    out = d.apply(variables, x, y, train=False)
    assert out.shape == (5,)
    np.testing.assert_array_equal(out, d.apply(variables, x, y, train=False))  # no noise in inference mode
    assert float(jnp.max(jnp.abs(out - d.apply(variables, x, (y + 1) % K, train=False)))) > 1e-5  # reads y
    noisy = d.apply(variables, x, y, train=True, rngs={"dropout": jax.random.PRNGKey(3)})
    assert float(jnp.max(jnp.abs(noisy - out))) > 1e-4


def test_label_generator_takes_the_label_at_every_layer():
    g = models.build("generator", "label_mlp", num_classes=K, hidden_widths=(8, 6), output_shape=(2, 2, 1))
    z = jax.random.normal(jax.random.PRNGKey(0), (5, 3))
    y = jnp.array([0, 1, 2, 3, 0])
    variables = g.init(jax.random.PRNGKey(1), z, y, train=False)
    kernels = [variables["params"][name]["kernel"].shape for name in ("hidden_0", "hidden_1", "output")]
    assert kernels == [(3 + K, 8), (8 + K, 6), (6 + K, 4)]
    x = g.apply(variables, z, y, train=False)
    assert x.shape == (5, 2, 2, 1) and float(jnp.max(jnp.abs(x))) <= 1.0
    assert float(jnp.max(jnp.abs(x - g.apply(variables, z, (y + 1) % K, train=False)))) > 1e-5


def test_classifier_label_is_the_argmax_of_its_logits():
    c = Classifier(models.build("discriminator", "noisy_mlp", hidden_widths=(8,), num_outputs=K))
    x = jax.random.normal(jax.random.PRNGKey(0), (6, 5))
    variables = c.init(jax.random.PRNGKey(1), x, train=False)
    out = c.apply(variables, x, train=False)
    assert out["logits"].shape == (6, K)
    np.testing.assert_array_equal(out["label"], np.argmax(np.asarray(out["logits"]), axis=-1))


def _reference_cnn(variables, x):
    """The authors' `cla_layers` in inference mode from plain flax/lax operations (module doc)."""
    params, stats = variables["params"], variables["batch_stats"]
    h = x
    plan = ((5, "VALID", True), (3, "SAME", False), (3, "VALID", True), (3, "SAME", False), (3, "SAME", False))
    for i, (_, padding, pool) in enumerate(plan):
        h = jax.lax.conv_general_dilated(
            h, params[f"conv_{i}"]["kernel"], (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        bn, st = params[f"batch_norm_{i}"], stats[f"batch_norm_{i}"]
        h = (h - st["mean"]) / jnp.sqrt(st["var"] + 1e-5) * bn["scale"] + bn["bias"]
        h = jax.nn.relu(h)
        if pool:
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    h = h.mean(axis=(1, 2))
    return h @ params["output"]["kernel"] + params["output"]["bias"]


def test_triplegan_cnn_is_the_authors_classifier():
    c = models.build("discriminator", "triplegan_cnn", num_outputs=K)
    x = jax.random.normal(jax.random.PRNGKey(0), (6, 28, 28, 1))
    variables = c.init({"params": jax.random.PRNGKey(1), "dropout": jax.random.PRNGKey(2)}, x, train=True)
    params = variables["params"]
    kernels = [params[f"conv_{i}"]["kernel"].shape for i in range(5)]
    assert kernels == [(5, 5, 1, 32), (3, 3, 32, 64), (3, 3, 64, 64), (3, 3, 64, 128), (3, 3, 128, 128)]
    assert all("bias" not in params[f"conv_{i}"] for i in range(5))  # batch norm's β instead (Lasagne's batch_norm)
    assert params["output"]["kernel"].shape == (128, K)
    np.testing.assert_allclose(float(jnp.std(params["conv_2"]["kernel"])), 0.05, rtol=0.05)
    np.testing.assert_allclose(float(jnp.std(params["output"]["kernel"])), 0.01, rtol=0.2)
    # running averages away from their initial values, so the reference checks their use
    stats = jax.tree.map(
        lambda a: a + 0.1 * jax.random.uniform(jax.random.PRNGKey(3), a.shape), variables["batch_stats"]
    )
    variables = {"params": params, "batch_stats": stats}
    out = c.apply(variables, x, train=False)
    assert out.shape == (6, K)
    np.testing.assert_allclose(out, _reference_cnn(variables, x), rtol=2e-4, atol=2e-5)


def test_triplegan_cnn_dropout_follows_global_example_indices():
    c = models.build("discriminator", "triplegan_cnn", num_outputs=K)
    x = jax.random.normal(jax.random.PRNGKey(0), (6, 28, 28, 1))
    variables = c.init({"params": jax.random.PRNGKey(1), "dropout": jax.random.PRNGKey(2)}, x, train=True)
    rngs = {"dropout": jax.random.PRNGKey(7)}
    whole, _ = c.apply(variables, x, train=True, rngs=rngs, mutable=["batch_stats"])
    sharded = jax.vmap(
        lambda xs: models.build(
            "discriminator", "triplegan_cnn", num_outputs=K, example_axis_name="data", batch_norm_axis_name="data"
        ).apply(variables, xs, train=True, rngs=rngs, mutable=["batch_stats"])[0],
        axis_name="data",
    )(x.reshape(2, 3, 28, 28, 1))
    np.testing.assert_allclose(sharded.reshape(6, K), whole, rtol=1e-4, atol=1e-5)  # two devices of three
    other, _ = c.apply(variables, x, train=True, rngs={"dropout": jax.random.PRNGKey(8)}, mutable=["batch_stats"])
    assert not np.allclose(other, whole)  # the masks are drawn (dropout ½ in training)


def test_triplegan_cnn_refuses_wrong_settings_in_one_sentence():
    with pytest.raises(ValueError, match="widths"):
        models.build("discriminator", "triplegan_cnn", widths=(32, 64))
    with pytest.raises(ValueError, match="dropout_rate"):
        models.build("discriminator", "triplegan_cnn", dropout_rate=1.5)
    c = models.build("discriminator", "triplegan_cnn", num_outputs=K)
    with pytest.raises(ValueError, match="at least 12x12"):
        c.init(
            {"params": jax.random.PRNGKey(1), "dropout": jax.random.PRNGKey(2)}, jnp.zeros((2, 8, 8, 1)), train=False
        )
