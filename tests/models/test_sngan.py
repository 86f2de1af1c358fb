"""Tests for jaxgan/models/sngan.py: the ResNet of Miyato et al. 2018 (Table 4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.models.sngan import DiscriminatorBlock, GeneratorBlock, SNGANResNetDiscriminator, SNGANResNetGenerator

from ._helpers import KEY, jit_apply, normal

BATCH = 2
IMAGES = np.zeros((BATCH, 32, 32, 3), np.float32)


def _block_shapes(module, x, *, train=False):
    def forward():
        variables = module.init(KEY, x, train=False)
        mutable = ["intermediates", "batch_stats"]
        return module.apply(variables, x, train=train, capture_intermediates=True, mutable=mutable)

    output, state = jax.eval_shape(forward)
    shapes = {k: v["__call__"][0].shape for k, v in state["intermediates"].items() if k.startswith("block_")}
    return output.shape, shapes, state["intermediates"].get("features")


def test_generator_shapes():
    generator = SNGANResNetGenerator()
    assert generator.output_shape == (32, 32, 3)
    output, blocks, _ = _block_shapes(generator, np.zeros((BATCH, 128), np.float32))
    assert blocks == {"block_0": (BATCH, 8, 8, 256), "block_1": (BATCH, 16, 16, 256), "block_2": (BATCH, 32, 32, 256)}
    assert output == (BATCH, 32, 32, 3)


def test_discriminator_shapes():
    output, blocks, features = _block_shapes(SNGANResNetDiscriminator(), IMAGES, train=True)
    assert blocks == {
        "block_0": (BATCH, 16, 16, 128),
        "block_1": (BATCH, 8, 8, 128),
        "block_2": (BATCH, 8, 8, 128),
        "block_3": (BATCH, 8, 8, 128),
    }
    assert features[0].shape == (BATCH, 128)  # global sum pooling
    assert output == (BATCH,)


def test_spectral_norm_on_every_discriminator_layer():
    variables = jax.eval_shape(lambda: SNGANResNetDiscriminator().init(KEY, IMAGES, train=False))
    # ("block_0", "conv_0") for params block_0/conv_0/kernel and for
    # batch_stats block_0/conv_0_spectral_norm/"conv_0/kernel/u".
    kernels = {
        tuple(k.key for k in path[:-1])
        for path, _ in jax.tree_util.tree_leaves_with_path(variables["params"])
        if path[-1].key == "kernel"
    }
    vectors = {
        (*(k.key for k in path[:-2]), path[-1].key.split("/")[0])
        for path, _ in jax.tree_util.tree_leaves_with_path(variables["batch_stats"])
        if path[-1].key.endswith("/kernel/u")
    }
    # 2 convs per block, 1x1 shortcuts only where the shape changes (blocks 0 and 1), the output dense.
    assert len(kernels) == 4 * 2 + 2 + 1
    assert vectors == kernels
    no_sn = jax.eval_shape(lambda: SNGANResNetDiscriminator(spectral_norm=False).init(KEY, IMAGES, train=False))
    assert "batch_stats" not in no_sn


def _zero_residual_identity_shortcut(variables):
    """Zero the 3x3 convolutions, make every 1x1 shortcut the identity."""

    def set_value(path, leaf):
        names = [k.key for k in path]
        if names[-1] == "kernel" and "shortcut" in names:
            return np.eye(leaf.shape[-1], dtype=np.float32).reshape(leaf.shape)
        if names[-1] in ("kernel", "bias"):
            return np.zeros(leaf.shape, np.float32)
        return np.ones(leaf.shape, np.float32) if names[-1] in ("scale", "var") else np.zeros(leaf.shape, np.float32)

    return jax.tree_util.tree_map_with_path(set_value, variables)


def test_blocks_reduce_to_their_shortcuts():
    x = normal(BATCH, 4, 4, 3)
    pooled = x.reshape(BATCH, 2, 2, 2, 2, 3).mean(axis=(2, 4))
    upsampled = x.repeat(2, axis=1).repeat(2, axis=2)
    cases = [
        (DiscriminatorBlock(3, downsample=False, spectral_norm=False), x),
        (DiscriminatorBlock(3, downsample=True, spectral_norm=False), pooled),
        (DiscriminatorBlock(3, downsample=True, first=True, spectral_norm=False), pooled),
        (GeneratorBlock(3), upsampled),
    ]
    for block, expected in cases:
        variables = jax.eval_shape(lambda block=block: block.init(KEY, x, train=False))
        out = jit_apply(block, _zero_residual_identity_shortcut(variables), x, train=False)
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    # Same shape, no downsampling: the shortcut is the identity, with no parameters.
    assert "shortcut" not in jax.eval_shape(lambda: cases[0][0].init(KEY, x, train=False))["params"]


@pytest.mark.slow
def test_fused_upsampling_and_patch_convolutions_compute_the_same_blocks():
    # Speed options only: the same parameters give the same outputs and gradients.
    x = normal(BATCH, 4, 4, 6)

    def out_and_grads(block, variables):
        def loss(params, x):
            out, _ = block.apply({**variables, "params": params}, x, train=True, mutable=True)
            return jnp.sum(jnp.tanh(out)), out

        return jax.jit(jax.value_and_grad(loss, argnums=(0, 1), has_aux=True))(variables["params"], x)

    pairs = (
        (GeneratorBlock(6), GeneratorBlock(6, fused_upsampling=True, conv_algorithm="patches")),
        (DiscriminatorBlock(6, downsample=True), DiscriminatorBlock(6, downsample=True, conv_algorithm="patches")),
    )
    for plain, fast in pairs:
        variables = jax.jit(lambda key, x, plain=plain: plain.init(key, x, train=False))(KEY, x)
        expected, got = out_and_grads(plain, variables), out_and_grads(fast, variables)
        # Float rounding is relative to the scale of the sums: a gradient that is 0 in exact
        # arithmetic (the bias before batch norm) is rounding noise of that scale (seen: 1.2e-5
        # of scale 100 on an AMD EPYC host), so the absolute tolerance follows the largest value.
        scale = max(float(np.max(np.abs(a))) for a in jax.tree.leaves(expected))
        for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(got), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6 * scale)


def test_a_bad_conv_algorithm_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"SNGANResNetGenerator: `conv_algorithm` must be one of .*; got 'fast'\.$"):
        SNGANResNetGenerator(conv_algorithm="fast")
