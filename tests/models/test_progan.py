"""Progressive growing's parts against closed forms and numpy (Karras et al. 2018): equalised learning
rate, pixel norm, minibatch stddev, the fade-in α, area downsampling and the blend of the reals, the
drift term; and the networks at α = 0 equal to the previous stage's."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import penalties
from jaxgan.models import progan
from jaxgan.programs.family import carry_by_path


def test_he_scale_of_an_equalised_layer():
    """A 3x3 conv on 4 channels: fan-in 36, scale sqrt(2/36) at run time on N(0, 1) weights."""
    assert progan.he_scale(36) == pytest.approx(math.sqrt(2 / 36), rel=1e-12)
    assert progan.he_scale(64, gain=1.0) == pytest.approx(1 / 8, rel=1e-12)
    conv = progan.EqualizedConv(5, kernel_size=3)
    x = jax.random.normal(jax.random.PRNGKey(1), (2, 6, 6, 4))
    params = conv.init(jax.random.PRNGKey(0), x)["params"]
    kernel = np.asarray(params["kernel"])
    assert kernel.shape == (3, 3, 4, 5)
    assert abs(kernel.std() - 1.0) < 0.2  # stored at unit variance, not He's
    params = {"kernel": params["kernel"], "bias": jnp.arange(5.0)}
    out = np.asarray(conv.apply({"params": params}, x))
    expected = jax.lax.conv_general_dilated(
        x, kernel * math.sqrt(2 / 36), (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    ) + np.arange(5.0)
    np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-5, atol=1e-5)
    dense = progan.EqualizedDense(3, gain=1.0)
    v = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    dense_params = dense.init(jax.random.PRNGKey(2), v)["params"]
    expected = v @ (np.asarray(dense_params["kernel"]) / 4.0)
    np.testing.assert_allclose(np.asarray(dense.apply({"params": dense_params}, v)), expected, rtol=1e-5, atol=1e-6)


def test_an_upsampling_equalised_conv_is_the_conv_of_the_upsampled_input():
    """`EqualizedConv(upsample=2)` (G's first convolution of a level, the upsampling fused) against
    the same parameters' convolution of the nearest-upsampled input: values and both gradients."""
    x = jax.random.normal(jax.random.PRNGKey(1), (2, 5, 5, 4))
    fused = progan.EqualizedConv(6, upsample=2)
    params = fused.init(jax.random.PRNGKey(0), x)["params"]
    params = {"kernel": params["kernel"], "bias": jnp.arange(6.0)}
    assert params["kernel"].shape == (3, 3, 4, 6)  # the same parameters as the plain layer's
    plain = progan.EqualizedConv(6)

    def both(p, v):
        return fused.apply({"params": p}, v), plain.apply({"params": p}, progan.upsample(v, 2))

    out, expected = both(params, x)
    assert out.shape == (2, 10, 10, 6)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-5, atol=1e-5)
    weights = jax.random.normal(jax.random.PRNGKey(3), out.shape)
    grads = [jax.grad(lambda p, v, i=i: jnp.sum(both(p, v)[i] * weights), argnums=(0, 1))(params, x) for i in range(2)]
    for a, b in zip(jax.tree.leaves(grads[0]), jax.tree.leaves(grads[1]), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)


def test_pixel_norm_against_numpy():
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 5)).astype(np.float32) * 3
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(np.asarray(progan.pixel_norm(jnp.asarray(x))), expected, rtol=1e-5)
    np.testing.assert_allclose(np.mean(expected**2, axis=-1), 1.0, rtol=1e-5)  # unit mean square per pixel


def _stddev_numpy(x, group):
    n = len(x)
    m = n // group
    values = np.empty(n)
    for j in range(m):
        members = x[j::m]  # strided groups: example i in group i mod (n / G)
        std = np.sqrt(members.var(axis=0) + 1e-8)
        values[j::m] = std.mean()
    return values


def test_minibatch_stddev_against_numpy():
    x = np.random.default_rng(1).normal(size=(8, 3, 3, 2)).astype(np.float32)
    x[::2] *= 3.0  # groups of different spread
    out = np.asarray(progan.minibatch_stddev(jnp.asarray(x), group_size=4))
    assert out.shape == (8, 3, 3, 3)
    np.testing.assert_array_equal(out[..., :2], x)
    expected = _stddev_numpy(x.astype(np.float64), 4)
    np.testing.assert_allclose(out[..., 2], np.broadcast_to(expected[:, None, None], (8, 3, 3)), rtol=1e-5)
    assert expected[0] > 2 * expected[1]  # examples 0, 2, 4, 6 form group 0, the spread-out ones
    assert progan.group_size_for(6, 4) == 3 and progan.group_size_for(1, 4) == 1 and progan.group_size_for(8, 4) == 4
    one = np.asarray(progan.minibatch_stddev(jnp.asarray(x[:1]), group_size=4))  # one example: std 0 (+ epsilon)
    np.testing.assert_allclose(one[..., 2], 1e-4, rtol=1e-3)


def test_drift_term():
    d_real = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    assert float(penalties.drift(d_real)) == pytest.approx(np.mean(d_real**2), rel=1e-6)


def test_fade_alpha_rises_linearly_then_stays_at_one():
    steps = jnp.array([100, 110, 125, 150, 199, 400])
    np.testing.assert_allclose(
        np.asarray(progan.fade_alpha(steps, 100, 50)), [0.0, 0.2, 0.5, 1.0, 1.0, 1.0], rtol=1e-6, atol=0
    )
    np.testing.assert_array_equal(np.asarray(progan.fade_alpha(steps, 100, 0)), 1.0)  # nothing to fade from


def test_downsample_upsample_and_the_blend_of_reals():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 8, 8, 1)).astype(np.float32)
    area = np.asarray(progan.downsample(jnp.asarray(x), 2))
    expected = x.reshape(3, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    # float32 means of 4 values ~N(0, 1): an absolute rounding of ~1e-7 (relative where a mean is near 0)
    np.testing.assert_allclose(area, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(area[0, 1, 2, 0], x[0, 2:4, 4:6, 0].mean(), rtol=1e-6)
    up = np.asarray(progan.upsample(jnp.asarray(expected), 2))
    np.testing.assert_array_equal(up[:, ::2, ::2], expected)
    np.testing.assert_array_equal(up[:, 1::2, 1::2], expected)
    np.testing.assert_allclose(np.asarray(progan.downsample(jnp.asarray(up), 2)), expected, rtol=1e-6)  # exact inverse
    # stage 1 of [2, 4, 8]: the 4x4 image during the fade, α per example
    alpha = np.array([0.0, 0.25, 1.0], np.float32)
    blended = np.asarray(progan.stage_reals(jnp.asarray(x), jnp.asarray(alpha), (2, 4, 8), 1))
    high = x.reshape(3, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    low = x.reshape(3, 2, 4, 2, 4, 1).mean(axis=(2, 4)).repeat(2, axis=1).repeat(2, axis=2)
    expected = alpha[:, None, None, None] * high + (1 - alpha[:, None, None, None]) * low
    np.testing.assert_allclose(blended, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(progan.stage_reals(jnp.asarray(x), jnp.asarray(alpha), (2, 4, 8), 0)),
        x.reshape(3, 2, 4, 2, 4, 1).mean(axis=(2, 4)),
        rtol=1e-5,
    )


def _networks(stage, kind):
    common = dict(resolutions=(2, 4, 8), stage=stage, fade_start=10 * stage, fade_steps=4 if stage else 0)
    if kind == "generator":
        return progan.ProGANGenerator(output_shape=(8, 8, 1), features=(8, 4, 4), **common)
    return progan.ProGANDiscriminator(features=(8, 4, 4), group_size=2, **common)


def test_a_new_stage_at_alpha_zero_is_the_previous_stage():
    """At its first step (α = 0) stage 1's G, carried from stage 0's, draws stage 0's images, and its D
    scores a 4x4 image that is a 2x2 one upsampled as stage 0's D scores the 2x2 one; at α = 1 the new
    level decides. The carried parameters are the previous stage's; the new ones are fresh."""
    z = jax.random.normal(jax.random.PRNGKey(3), (4, 6))
    step0, step1 = jnp.zeros(4, jnp.int32), jnp.full(4, 10, jnp.int32)
    g0, g1 = _networks(0, "generator"), _networks(1, "generator")
    p0 = g0.init(jax.random.PRNGKey(4), z, step0)["params"]
    fresh = g1.init(jax.random.PRNGKey(5), z, step1)["params"]
    p1 = carry_by_path(p0, fresh)
    for name in p1:
        source = p0 if name in p0 else fresh
        for a, b in zip(jax.tree.leaves(p1[name]), jax.tree.leaves(source[name]), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert set(p1) - set(p0) == {"level_1_conv_0", "level_1_conv_1", "to_rgb_1"}
    before = np.asarray(g0.apply({"params": p0}, z, step0))
    np.testing.assert_allclose(np.asarray(g1.apply({"params": p1}, z, step1)), before, rtol=1e-5, atol=1e-6)
    after = np.asarray(g1.apply({"params": p1}, z, step1 + 4))  # α = 1: the new level alone
    assert np.max(np.abs(after - before)) > 1e-3

    x2 = jax.random.normal(jax.random.PRNGKey(6), (4, 2, 2, 1))
    x4 = progan.upsample(x2, 2)
    d0, d1 = _networks(0, "discriminator"), _networks(1, "discriminator")
    q0 = d0.init(jax.random.PRNGKey(7), x2, step0)["params"]
    q1 = carry_by_path(q0, d1.init(jax.random.PRNGKey(8), x4, step1)["params"])
    np.testing.assert_allclose(
        np.asarray(d1.apply({"params": q1}, x4, step1)), np.asarray(d0.apply({"params": q0}, x2, step0)), rtol=1e-5
    )


def test_carry_keeps_leaves_by_path_shape_and_dtype():
    previous = {"a": {"w": jnp.ones((2, 3))}, "b": jnp.zeros(4), "count": jnp.asarray(7, jnp.int32)}
    fresh = {"a": {"w": jnp.full((2, 3), 5.0), "v": jnp.full((3,), 2.0)}, "b": jnp.ones(5), "count": jnp.asarray(0)}
    carried = carry_by_path(previous, fresh)
    np.testing.assert_array_equal(carried["a"]["w"], 1.0)  # continues
    np.testing.assert_array_equal(carried["a"]["v"], 2.0)  # new: fresh
    np.testing.assert_array_equal(carried["b"], np.ones(5))  # a changed shape: fresh
    assert int(carried["count"]) == 7


def test_a_bad_conv_algorithm_is_refused_in_one_sentence():
    x = jnp.zeros((2, 28, 28, 1))
    with pytest.raises(ValueError, match=r"^ProGANDiscriminator: `conv_algorithm` must be one of .*; got 'fast'\."):
        progan.ProGANDiscriminator(conv_algorithm="fast").init(jax.random.PRNGKey(0), x, jnp.array(0))
    with pytest.raises(ValueError, match=r"^ProGANGenerator: `conv_algorithm` must be one of .*; got 'fast'\."):
        progan.ProGANGenerator(conv_algorithm="fast").init(jax.random.PRNGKey(0), jnp.zeros((2, 8)), jnp.array(0))
