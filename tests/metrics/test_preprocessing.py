"""What the InceptionV3 is fed: pytorch-fid's and the TF graph's preprocessing."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.metrics import preprocessing


def test_preprocess_repeats_grey_and_resizes_to_299():
    grey = jnp.asarray(np.random.default_rng(1).uniform(-1, 1, (2, 28, 28, 1)), jnp.float32)
    rgb = preprocessing.preprocess(grey)
    assert rgb.shape == (2, 299, 299, 3)
    # The same channel resized three times: equal up to float rounding (the resize's matmul
    # rounds its channels differently on some CPUs; seen: 6e-8 on an AMD EPYC host).
    np.testing.assert_allclose(rgb[..., 0], rgb[..., 2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(preprocessing.preprocess(jnp.repeat(grey, 3, axis=-1)), rgb)
    assert float(jnp.min(rgb)) >= -1.0 and float(jnp.max(rgb)) <= 1.0  # bilinear stays in range
    full_size = jnp.zeros((1, 299, 299, 3))
    assert preprocessing.preprocess(full_size) is full_size


def test_legacy_tf_resize_matrix():
    # TF1 resize_bilinear(align_corners=False): source row i * in / out, the last rows clamped.
    np.testing.assert_allclose(
        preprocessing.legacy_tf_resize_matrix(2, 4), [[1, 0], [0.5, 0.5], [0, 1], [0, 1]], rtol=0, atol=1e-7
    )
    matrix = preprocessing.legacy_tf_resize_matrix(28, 299)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, rtol=1e-6)
    source = np.arange(299) * 28 / 299
    np.testing.assert_allclose(matrix @ np.arange(28.0), np.minimum(source, 27.0), rtol=1e-5)
    np.testing.assert_allclose(preprocessing.legacy_tf_resize_matrix(5, 5), np.eye(5))


def test_preprocess_tf_quantises_and_scales_as_the_graph():
    images = np.random.default_rng(2).uniform(-1.2, 1.2, (2, 299, 299, 1)).astype(np.float32)
    out = np.asarray(preprocessing.preprocess_tf(jnp.asarray(images)))
    assert out.shape == (2, 299, 299, 3)
    pixels = np.round(np.clip((images + 1) / 2, 0, 1) * 255)  # 8-bit pixels v; the graph takes (v - 128) / 128
    np.testing.assert_allclose(out, np.repeat(pixels / 128 - 1, 3, axis=-1), atol=1e-6)
    assert out.min() == -1.0 and out.max() == pytest.approx(127 / 128)
    small = np.asarray(preprocessing.preprocess_tf(jnp.asarray(images[:, :28, :28])))
    assert small.shape == (2, 299, 299, 3) and small.min() >= -1.0 and small.max() <= 127 / 128 + 1e-6
