"""Tests for jaxgan/models/__init__.py: the registry, and the module contract for every model.

The contract checks trace every registered model at its default size with `jax.eval_shape`
(nothing is compiled); one small model is run for real in bfloat16.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan.models as models

from ._helpers import KEY, jit_apply, normal

BATCH = 2
# name -> (latent_dim, data shape, discriminator input shape)
MODELS = {
    "mlp": (2, (2,), (2,)),
    "dcgan28": (100, (28, 28, 1), (28, 28, 1)),
    "dcgan": (100, (64, 64, 3), (64, 64, 3)),
    "sngan_resnet": (128, (32, 32, 3), (32, 32, 3)),
}


def test_names():
    bodies = {"dcgan", "dcgan28", "mlp", "sngan_resnet"}  # the G and D bodies every GAN family can use
    papers = {"infogan28"}  # a paper's own G and D (InfoGAN's MNIST networks)
    assert set(models.generator_names()) == bodies | papers | {
        "multi_mlp",
        "unet",
        "resnet",
        "began",
        "coupled_dcgan28",
        "label_mlp",
        "srresnet",
        "progan",
        "stackgan",
    }
    assert set(models.discriminator_names()) == bodies | papers | {
        "autoencoder", "began_autoencoder", "mlp_autoencoder", "feature_discriminator", "patchgan", "noisy_mlp", "joint",
        "joint_mlp", "coupled_dcgan28", "pair_mlp", "triplegan_cnn", "srgan", "progan", "stackgan",
    }  # fmt: skip
    assert models.names("encoder") == ("conv_encoder", "deterministic_conv", "mlp")
    assert set(MODELS) == bodies


def _traced(module, x, *, train):
    def forward():
        variables = module.init(KEY, x, train=False)
        mutable = ["intermediates", "batch_stats"]
        output, state = module.apply(
            variables, x, train=train, capture_intermediates=True, mutable=mutable, rngs={"dropout": KEY}
        )
        return variables, output, state["intermediates"]

    return jax.eval_shape(forward)


def _leaf_dtypes(tree):
    return {leaf.dtype for leaf in jax.tree.leaves(tree)}


def _compute_dtypes(intermediates):
    """Dtypes of every submodule's output (the model's own output and the sown features excluded)."""
    inner = {k: v for k, v in intermediates.items() if k not in ("__call__", "features")}
    return _leaf_dtypes(inner)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.slow
def test_generator_contract(name, dtype):
    latent_dim, data_shape, _ = MODELS[name]
    generator = models.generator(name, dtype=dtype)
    assert generator.output_shape == data_shape
    for train in (False, True):
        variables, x, intermediates = _traced(generator, np.zeros((BATCH, latent_dim), np.float32), train=train)
        assert (x.shape, x.dtype) == ((BATCH, *data_shape), jnp.float32)
        assert _leaf_dtypes(variables) == {jnp.dtype(jnp.float32)}
        assert _compute_dtypes(intermediates) == {jnp.dtype(dtype)}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.slow
def test_discriminator_contract(name, dtype):
    _, _, input_shape = MODELS[name]
    x = np.zeros((BATCH, *input_shape), np.float32)
    for num_outputs, spectral_norm, output_shape in ((None, False, (BATCH,)), (7, True, (BATCH, 7))):
        discriminator = models.discriminator(name, dtype=dtype, num_outputs=num_outputs, spectral_norm=spectral_norm)
        variables, v, intermediates = _traced(discriminator, x, train=True)
        assert (v.shape, v.dtype) == (output_shape, jnp.float32)
        assert _leaf_dtypes(variables) == {jnp.dtype(jnp.float32)}
        assert _compute_dtypes(intermediates) == {jnp.dtype(dtype)}
        (features,) = intermediates["features"]
        assert features.ndim == 2 and features.shape[0] == BATCH and features.dtype == jnp.float32
        assert ("batch_stats" in variables) == (spectral_norm or name in ("dcgan28", "dcgan"))


def test_bfloat16_compute_runs_and_stays_close_to_float32():
    z = normal(8, 3)
    generator32 = models.generator("mlp", hidden_widths=(16, 16), output_shape=(4,))
    generator16 = models.generator("mlp", hidden_widths=(16, 16), output_shape=(4,), dtype=jnp.bfloat16)
    shapes = jax.eval_shape(lambda: generator32.init(KEY, z, train=False))
    rng = np.random.default_rng(1)
    variables = jax.tree.map(lambda leaf: (rng.uniform(0.5, 1.0, leaf.shape) / 4).astype(leaf.dtype), shapes)
    x32, _ = jit_apply(generator32, variables, z, train=True, mutable=["batch_stats"])
    x16, _ = jit_apply(generator16, variables, z, train=True, mutable=["batch_stats"])
    assert x16.dtype == jnp.float32
    np.testing.assert_allclose(x16, x32, rtol=0.05, atol=0.05)
    assert np.abs(x16 - x32).max() > 0  # really computed in bfloat16


def test_settings_are_passed_and_normalised():
    generator = models.generator("mlp", hidden_widths=[8, 8], output_shape=[4, 4, 1], dtype="bfloat16")
    assert generator.hidden_widths == (8, 8) and generator.output_shape == (4, 4, 1)
    assert generator.dtype == jnp.bfloat16
    assert models.discriminator("dcgan", image_size=32, dtype=jnp.float32).image_size == 32
    assert set(models.module_fields(models.MLPDiscriminator)) >= {
        "maxout_pieces",
        "minibatch_discrimination",
        "minibatch_kernel_dim",
        "spectral_norm",
        "num_outputs",
        "dtype",
        "batch_norm_axis_name",
    }
    assert models.discriminator("sngan_resnet").spectral_norm is True


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: models.generator("stylegan"),
            r"Unknown generator 'stylegan'; accepted names are \['began', 'coupled_dcgan28', 'dcgan', 'dcgan28', 'infogan28', 'label_mlp', 'mlp', 'multi_mlp', 'progan', 'resnet', 'sngan_resnet', 'srresnet', 'stackgan', 'unet'\]",
        ),
        (lambda: models.discriminator("nope"), "accepted names"),
        (lambda: models.generator("mlp", widht=3), r"unknown settings \['widht'\]; accepted settings are \['output_"),
        (lambda: models.discriminator("dcgan28", parent=None), "unknown settings"),
        (lambda: models.generator("mlp", dtype="int8"), r"`dtype` must be one of \['float32', 'bfloat16', 'float16'\]"),
        (lambda: models.generator("mlp", dtype="no_such_type"), "`dtype` must be one of"),
        (lambda: models.generator("dcgan", image_size=48), r"`image_size` must be one of \(32, 64\); got 48"),
        (lambda: models.discriminator("dcgan", image_size=128), "`image_size` must be one of"),
        (lambda: models.generator("mlp", output_shape=(0,)), "`output_shape` must be a non-empty tuple of positive"),
        (lambda: models.generator("mlp", hidden_widths=(4, -1)), "`hidden_widths` must be None or a tuple of positive"),
        (lambda: models.generator("mlp", output_activation="relu"), "`output_activation` must be one of"),
        (lambda: models.discriminator("mlp", maxout_pieces=0), "`maxout_pieces` must be a positive integer"),
        (lambda: models.discriminator("mlp", depth=-1), "`depth` must be a non-negative integer"),
        (lambda: models.discriminator("mlp", dropout_rate=1.0), r"`dropout_rate` must be a number in \[0, 1\)"),
        (lambda: models.discriminator("mlp", minibatch_discrimination=-2), "`minibatch_discrimination`"),
        (lambda: models.discriminator("dcgan28", num_outputs=0), "`num_outputs` must be a positive integer"),
        (lambda: models.generator("sngan_resnet", features=2.5), "`features` must be a positive integer"),
    ],
)
def test_bad_settings_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_parameter_counts_at_default_sizes():
    """Closed-form counts for the two smallest image models (guards against silent layer changes)."""
    generator = models.generator("dcgan28")
    shapes = jax.eval_shape(lambda: generator.init(KEY, np.zeros((1, 100), np.float32), train=False))
    dense = 100 * 6272 + 6272
    conv_0 = 5 * 5 * 128 * 64 + 64
    conv_1 = 5 * 5 * 64 * 1 + 1
    assert sum(math.prod(p.shape) for p in jax.tree.leaves(shapes["params"])) == dense + conv_0 + conv_1

    discriminator = models.discriminator("dcgan28")
    shapes = jax.eval_shape(lambda: discriminator.init(KEY, np.zeros((1, 28, 28, 1), np.float32), train=False))
    conv_0 = 5 * 5 * 1 * 64 + 64
    conv_1 = 5 * 5 * 64 * 128 + 2 * 128  # no bias before batch norm; its scale and shift
    output = 6272 + 1
    assert sum(math.prod(p.shape) for p in jax.tree.leaves(shapes["params"])) == conv_0 + conv_1 + output
