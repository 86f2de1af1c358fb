"""Tests for jaxgan/models/dcgan.py: layer shapes of the seed DCGAN and of Radford's DCGAN.

Shapes are checked with `jax.eval_shape` (tracing only, nothing is compiled).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.models.dcgan import DCGAN28Discriminator, DCGAN28Generator, DCGANDiscriminator, DCGANGenerator

from ._helpers import KEY

BATCH = 3


def _layer_shapes(module, x, *, train=False):
    """{submodule name: output shape} of one forward pass, plus the sown features."""

    def forward():
        variables = module.init(KEY, x, train=False)
        mutable = ["intermediates", "batch_stats"]
        return module.apply(
            variables, x, train=train, capture_intermediates=True, mutable=mutable, rngs={"dropout": KEY}
        )

    output, state = jax.eval_shape(forward)
    intermediates = state["intermediates"]
    shapes = {name: value["__call__"][0].shape for name, value in intermediates.items() if isinstance(value, dict)}
    if "features" in intermediates:  # discriminators only
        shapes["features"] = intermediates["features"][0].shape
    shapes["output"] = output.shape
    return shapes


def _variables(module, x):
    return jax.eval_shape(lambda: module.init(KEY, x, train=False))


def test_seed_generator_layer_shapes():
    generator = DCGAN28Generator()
    assert generator.output_shape == (28, 28, 1)
    shapes = _layer_shapes(generator, np.zeros((BATCH, 100), np.float32))
    assert shapes["project"] == (BATCH, 7 * 7 * 128)
    assert shapes["conv_0"] == (BATCH, 14, 14, 64)
    assert shapes["conv_1"] == (BATCH, 28, 28, 1)
    assert shapes["output"] == (BATCH, 28, 28, 1)
    # As in the Keras example: no batch norm in G unless asked for.
    assert "batch_stats" not in _variables(generator, np.zeros((BATCH, 100), np.float32))
    with_bn = _variables(DCGAN28Generator(use_batch_norm=True), np.zeros((BATCH, 100), np.float32))
    assert set(with_bn["batch_stats"]) == {"batch_norm_project", "batch_norm_0"}


@pytest.mark.slow
def test_seed_generator_is_the_keras_example_upsample_then_conv():
    # G's fused upsampling convolutions compute the Keras example's UpSampling2D + Conv2D.
    from jax import lax

    from jaxgan.models import layers

    z = jax.random.normal(KEY, (BATCH, 100))
    generator = DCGAN28Generator()
    params = generator.init(KEY, z, train=False)["params"]
    conv = lambda h, p: (
        lax.conv_general_dilated(
            layers.upsample_nearest(h), p["kernel"], (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        + p["bias"]
    )
    h = (z @ params["project"]["kernel"] + params["project"]["bias"]).reshape(BATCH, 7, 7, 128)
    h = jax.nn.relu(conv(h, params["conv_0"]))
    expected = jnp.tanh(conv(h, params["conv_1"]))
    np.testing.assert_allclose(generator.apply({"params": params}, z, train=False), expected, rtol=1e-5, atol=1e-5)
    unfused = DCGAN28Generator(fused_upsampling=False)
    assert jax.tree.map(jnp.shape, unfused.init(KEY, z, train=False)["params"]) == jax.tree.map(jnp.shape, params)
    np.testing.assert_allclose(unfused.apply({"params": params}, z, train=False), expected, rtol=1e-5, atol=1e-5)


def test_seed_discriminator_layer_shapes_and_batch_norm_switch():
    x = np.zeros((BATCH, 28, 28, 1), np.float32)
    shapes = _layer_shapes(DCGAN28Discriminator(), x, train=True)
    assert shapes["conv_0"] == (BATCH, 14, 14, 64)
    assert shapes["conv_1"] == (BATCH, 7, 7, 128)
    assert shapes["features"] == (BATCH, 7 * 7 * 128)
    assert shapes["output"] == (BATCH,)
    assert set(_variables(DCGAN28Discriminator(), x)["batch_stats"]) == {"batch_norm_1"}
    # The WGAN-GP setting: no batch statistics at all.
    assert "batch_stats" not in _variables(DCGAN28Discriminator(use_batch_norm=False), x)
    # Packed inputs (PacGAN): more channels, same output.
    assert _layer_shapes(DCGAN28Discriminator(), np.zeros((BATCH, 28, 28, 3), np.float32))["output"] == (BATCH,)


@pytest.mark.parametrize(
    "image_size, widths",
    [(32, (256, 128, 64, 3)), (64, (512, 256, 128, 64, 3))],
)
def test_radford_generator_layer_shapes(image_size, widths):
    generator = DCGANGenerator(image_size=image_size, channels=3)
    assert generator.output_shape == (image_size, image_size, 3)
    shapes = _layer_shapes(generator, np.zeros((BATCH, 100), np.float32))
    assert shapes["project"] == (BATCH, 4 * 4 * widths[0])
    for i, width in enumerate(widths[1:]):
        size = 8 * 2**i
        assert shapes[f"deconv_{i}"] == (BATCH, size, size, width)
    assert shapes["output"] == (BATCH, image_size, image_size, 3)


@pytest.mark.parametrize("image_size, widths", [(32, (64, 128, 256)), (64, (64, 128, 256, 512))])
def test_radford_discriminator_layer_shapes(image_size, widths):
    x = np.zeros((BATCH, image_size, image_size, 3), np.float32)
    discriminator = DCGANDiscriminator(image_size=image_size)
    shapes = _layer_shapes(discriminator, x)
    for i, width in enumerate(widths):
        size = image_size // 2 ** (i + 1)
        assert shapes[f"conv_{i}"] == (BATCH, size, size, width)
    assert shapes["features"] == (BATCH, 4 * 4 * widths[-1])
    assert shapes["output"] == (BATCH,)
    # Batch norm on all but the first convolution (which keeps its bias).
    variables = _variables(discriminator, x)
    assert set(variables["batch_stats"]) == {f"batch_norm_{i}" for i in range(1, len(widths))}
    assert "bias" in variables["params"]["conv_0"] and "bias" not in variables["params"]["conv_1"]
    assert "batch_stats" not in _variables(DCGANDiscriminator(image_size=image_size, use_batch_norm=False), x)


def test_radford_discriminator_spectral_norm_and_features_output():
    x = np.zeros((BATCH, 32, 32, 3), np.float32)
    discriminator = DCGANDiscriminator(image_size=32, spectral_norm=True, use_batch_norm=False, num_outputs=16)
    variables = _variables(discriminator, x)
    layer_names = ("conv_0", "conv_1", "conv_2", "output")
    assert set(variables["batch_stats"]) == {f"{name}_spectral_norm" for name in layer_names}
    assert variables["batch_stats"]["conv_2_spectral_norm"]["conv_2/kernel/u"].shape == (1, 256)
    assert _layer_shapes(discriminator, x, train=True)["output"] == (BATCH, 16)


def test_image_shape_errors():
    with pytest.raises(ValueError, match=r"\[batch, 32, 32, channels\]"):
        _layer_shapes(DCGANDiscriminator(image_size=32), np.zeros((BATCH, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="NHWC"):
        _layer_shapes(DCGAN28Discriminator(), np.zeros((BATCH, 784), np.float32))
    with pytest.raises(ValueError, match=r"\[batch, latent_dim\]"):
        _layer_shapes(DCGANGenerator(), np.zeros((BATCH, 10, 10), np.float32))
