"""Triple-GAN's networks: D on (x, y) pairs and G(z, y) see the one-hot label at every layer (the
authors' `MLPConcatLayer`), D's noise is on in training only, and the classifier wrapper's label
is the argmax of its logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

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
