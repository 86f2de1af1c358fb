"""The conditional networks against their definitions: conditional BN, concatenation, projection, heads."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import models
from jaxgan.models import layers
from jaxgan.models.conditional import ConditionalDiscriminator, ConditionalGenerator

KEY = jax.random.PRNGKey(0)


@pytest.mark.slow
def test_conditional_batch_norm_is_a_class_specific_affine_map_of_batch_norm():
    h = jax.random.normal(KEY, (6, 3, 3, 4)) * 2.0 + 1.0
    label = jnp.array([0, 1, 2, 0, 1, 2])
    layer = layers.ConditionalBatchNorm(3)
    variables = layer.init(KEY, h, label, train=True)
    plain = nn.BatchNorm(use_running_average=False, epsilon=layers.BATCH_NORM_EPSILON, use_scale=False, use_bias=False)
    normalized, _ = plain.apply({}, h, mutable=["batch_stats"])
    # Untrained, γ = 1 and β = 0: plain batch norm.
    out, _ = layer.apply(variables, h, label, train=True, mutable=["batch_stats"])
    np.testing.assert_allclose(out, normalized, rtol=1e-5, atol=1e-5)
    gamma = jax.random.normal(jax.random.PRNGKey(1), (3, 4))
    beta = jax.random.normal(jax.random.PRNGKey(2), (3, 4))
    params = {"scale": {"embedding": gamma}, "shift": {"embedding": beta}}
    out, _ = layer.apply({**variables, "params": params}, h, label, train=True, mutable=["batch_stats"])
    expected = normalized * gamma[label][:, None, None, :] + beta[label][:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,settings", [("dcgan", {"image_size": 32, "features": 8}), ("sngan_resnet", {"features": 8})]
)
def test_conditional_batch_norm_generators_depend_on_the_label(name, settings):
    generator = ConditionalGenerator(
        models.generator(name, num_classes=3, **settings), num_classes=(3,), conditioning="batch_norm"
    )
    z = jnp.ones((2, 16))
    variables = generator.init(KEY, z, jnp.array([0, 1]), train=False)
    # Give each class its own β so the labels matter, then compare two labels for one z.
    params = jax.tree_util.tree_map_with_path(
        lambda path, p: jax.random.normal(KEY, p.shape) if "shift" in jax.tree_util.keystr(path) else p,
        variables["params"],
    )
    a = generator.apply({**variables, "params": params}, z, jnp.array([0, 0]), train=False)
    b = generator.apply({**variables, "params": params}, z, jnp.array([0, 1]), train=False)
    assert a.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    assert float(jnp.max(jnp.abs(a[1] - b[1]))) > 1e-3
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalGenerator(models.generator("dcgan28"), num_classes=(3,), conditioning="batch_norm")


@pytest.mark.slow
def test_concatenating_generator_is_the_body_on_z_and_the_one_hot_label():
    body = models.generator("mlp", width=8, depth=1, output_shape=(2,))
    generator = ConditionalGenerator(body, num_classes=(4,))
    z, label, code = jnp.ones((3, 5)), jnp.array([0, 3, 1]), jnp.full((3, 2), 0.5)
    variables = generator.init(KEY, z, label, code, train=False)
    expected = body.apply(
        {name: collection["base"] for name, collection in variables.items()},
        jnp.concatenate([z, jax.nn.one_hot(label, 4), code], axis=-1),
        train=False,
    )
    np.testing.assert_allclose(generator.apply(variables, z, label, code, train=False), expected, rtol=1e-6)


@pytest.mark.slow
def test_concatenating_discriminator_sees_the_label_as_one_hot_channels():
    body = models.discriminator("dcgan28", features=4, dropout_rate=0.0, features_only=True)
    d = ConditionalDiscriminator(body, num_classes=3, conditioning="concat")
    x, label = jax.random.normal(KEY, (2, 28, 28, 1)), jnp.array([2, 0])
    variables = d.init(KEY, x, label, train=False)
    channels = jnp.broadcast_to(jax.nn.one_hot(label, 3)[:, None, None, :], (2, 28, 28, 3))
    body_variables = {name: collection["base"] for name, collection in variables.items()}
    features = body.apply(body_variables, jnp.concatenate([x, channels], -1), train=False)
    dense = variables["params"]["output"]
    expected = features @ dense["kernel"][:, 0] + dense["bias"][0]
    np.testing.assert_allclose(d.apply(variables, x, label, train=False)["adversarial"], expected, rtol=1e-5)


@pytest.mark.parametrize("spectral_norm", [False, True])
@pytest.mark.slow
def test_projection_discriminator_adds_the_label_embedding_inner_product(spectral_norm):
    body = models.discriminator("mlp", width=8, depth=2, spectral_norm=spectral_norm, features_only=True)
    d = ConditionalDiscriminator(
        body, num_classes=4, conditioning="projection", class_head=4, q_head=3, spectral_norm=spectral_norm
    )
    x, label = jax.random.normal(KEY, (5, 2)), jnp.array([0, 1, 2, 3, 1])
    variables = d.init(KEY, x, label, train=False)
    out, sown = d.apply(variables, x, label, train=False, mutable=["intermediates"])
    phi = jax.tree.leaves(sown["intermediates"])[0]
    p = variables["params"]
    if spectral_norm:  # the normalised weights are kept beside the raw ones
        stats = variables["batch_stats"]
        kernel = p["output"]["kernel"] / stats["output_spectral_norm"]["output/kernel/sigma"]
        embedding = p["projection"]["embedding"] / stats["projection_spectral_norm"]["projection/embedding/sigma"]
    else:
        kernel, embedding = p["output"]["kernel"], p["projection"]["embedding"]
    expected = phi @ kernel[:, 0] + p["output"]["bias"][0] + jnp.sum(embedding[label] * phi, axis=-1)
    np.testing.assert_allclose(out["adversarial"], expected, rtol=1e-4, atol=1e-5)
    assert out["class_logits"].shape == (5, 4) and out["q"].shape == (5, 3)
    assert "q_head" in p  # a group can train InfoGAN's Q head alone ("discriminator/q_head")


def test_a_discriminator_needs_a_feature_body_and_an_output():
    with pytest.raises(ValueError, match="features_only"):
        ConditionalDiscriminator(models.discriminator("mlp"), num_classes=3)
    with pytest.raises(ValueError, match="no output"):
        ConditionalDiscriminator(models.discriminator("mlp", features_only=True), adversarial=False)
