"""ADA's pipeline (Karras et al. 2020): p = 0 is the identity, the blit transforms are numpy's
flips, rotations and reflected shifts, the other geometric transforms a numpy bilinear warp,
the colour transforms the paper's matrices written in numpy, each transform kept with
probability p, and p's update rule."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.augment import ada

IDENTITY = {
    "xflip": 0.0,
    "rotate90": 0.0,
    "xint": [0.0, 0.0],
    "scale": 1.0,
    "rotate_pre": 0.0,
    "aniso": 1.0,
    "rotate_post": 0.0,
    "xfrac": [0.0, 0.0],
    "brightness": 0.0,
    "contrast": 1.0,
    "lumaflip": 0.0,
    "hue": 0.0,
    "saturation": 1.0,
}


def _params(**changes):
    return {name: jnp.asarray(value, jnp.float32) for name, value in {**IDENTITY, **changes}.items()}


def _image(seed=0, shape=(6, 6, 3)):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


apply = jax.jit(ada.apply)


@pytest.mark.parametrize("channels", [1, 3])
def test_p_zero_is_the_identity_bit_for_bit(channels):
    x = _image(0, (9, 7, channels))
    for seed in range(5):
        out = jax.jit(ada.augment_one)(x, jax.random.PRNGKey(seed), jnp.float32(0.0))
        np.testing.assert_array_equal(np.asarray(out), x)


def _reflect_shift(x, tx, ty):
    """out[r, c] = x[r - ty, c - tx], indices reflected about the border pixels (np.pad 'reflect')."""
    pad = max(abs(tx), abs(ty))
    padded = np.pad(x, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    h, w = x.shape[:2]
    return padded[pad - ty : pad - ty + h, pad - tx : pad - tx + w]


def test_blit_transforms_are_numpys_flip_rotation_and_reflected_shift():
    x = _image(1)
    np.testing.assert_array_equal(np.asarray(apply(x, _params(xflip=1.0))), x[:, ::-1])
    for k in range(4):
        np.testing.assert_array_equal(np.asarray(apply(x, _params(rotate90=float(k)))), np.rot90(x, k, axes=(0, 1)))
    # t · size rounds to whole pixels: 0.125·6 = 0.75 -> 1, -0.3·6 = -1.8 -> -2
    np.testing.assert_array_equal(np.asarray(apply(x, _params(xint=[0.125, -0.3]))), _reflect_shift(x, 1, -2))
    # composed in the paper's order: flip, then rotation, then translation
    got = apply(x, _params(xflip=1.0, rotate90=3.0, xint=[-0.125, 0.125]))
    np.testing.assert_array_equal(np.asarray(got), _reflect_shift(np.rot90(x[:, ::-1], 3, axes=(0, 1)), -1, 1))


def _numpy_warp(x, matrix):
    """out[r, c] = bilinear x at matrix @ (c - cx, r - cy, 1) + (cx, cy), indices reflected."""
    h, w = x.shape[:2]
    cy, cx = (h - 1) / 2, (w - 1) / 2

    def reflect(i, n):
        period = 2 * (n - 1)
        i = i % period
        return period - i if i >= n else i

    out = np.zeros_like(x, dtype=np.float64)
    for r in range(h):
        for c in range(w):
            sx, sy, _ = matrix @ np.array([c - cx, r - cy, 1.0])
            sx, sy = sx + cx, sy + cy
            c0, r0 = math.floor(sx), math.floor(sy)
            fc, fr = sx - c0, sy - r0
            for dr, wr in ((0, 1 - fr), (1, fr)):
                for dc, wc in ((0, 1 - fc), (1, fc)):
                    out[r, c] += wr * wc * x[reflect(r0 + dr, h), reflect(c0 + dc, w)]
    return out


def _rotation(theta):
    return np.array([[math.cos(theta), -math.sin(theta), 0], [math.sin(theta), math.cos(theta), 0], [0, 0, 1]])


def test_general_geometric_transforms_are_a_bilinear_warp_by_the_papers_inverse_matrix():
    x = _image(2, (7, 9, 3))
    h, w = 7, 9
    s, a, theta1, theta2, t = 1.3, 0.8, 0.7, -2.1, (0.05, -0.11)
    cases = {
        "scale": (_params(scale=s), np.diag([1 / s, 1 / s, 1])),
        "rotate_pre": (_params(rotate_pre=theta1), _rotation(theta1)),
        "aniso": (_params(aniso=a), np.diag([1 / a, a, 1])),
        "xfrac": (_params(xfrac=list(t)), np.array([[1, 0, -t[0] * w], [0, 1, -t[1] * h], [0, 0, 1]])),
    }
    for name, (params, matrix) in cases.items():
        np.testing.assert_allclose(np.asarray(apply(x, params)), _numpy_warp(x, matrix), atol=2e-5, err_msg=name)
    everything = _params(
        xflip=1.0, rotate90=1.0, xint=[0.1, 0.0], scale=s, rotate_pre=theta1, aniso=a, rotate_post=theta2, xfrac=list(t)
    )
    matrix = (
        np.diag([-1.0, 1.0, 1.0])
        @ np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
        @ np.array([[1.0, 0, -1], [0, 1, 0], [0, 0, 1]])  # round(0.1 · 9) = 1 pixel
        @ np.diag([1 / s, 1 / s, 1])
        @ _rotation(theta1)
        @ np.diag([1 / a, a, 1])
        @ _rotation(theta2)
        @ np.array([[1, 0, -t[0] * w], [0, 1, -t[1] * h], [0, 0, 1]])
    )
    np.testing.assert_allclose(np.asarray(apply(x, everything)), _numpy_warp(x, matrix), atol=5e-5)


def _luma_rotation(theta):
    v = np.ones(3) / math.sqrt(3)
    cross = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return math.cos(theta) * np.eye(3) + math.sin(theta) * cross + (1 - math.cos(theta)) * np.outer(v, v)


def test_colour_transforms_are_the_papers_matrices():
    x = _image(3).astype(np.float64)
    v = np.ones(3) / math.sqrt(3)
    vv = np.outer(v, v)
    b, c, theta, s = 0.3, 1.7, 1.1, 0.4
    expected = {
        "brightness": x + b,
        "contrast": x * c,
        "lumaflip": x - 2 * (x @ v)[..., None] * v,  # Householder reflection along the luma axis
        "hue": x @ _luma_rotation(theta).T,  # Rodrigues' rotation about the luma axis
        "saturation": x @ (vv + s * (np.eye(3) - vv)).T,
    }
    params = {"brightness": b, "contrast": c, "lumaflip": 1.0, "hue": theta, "saturation": s}
    for name, want in expected.items():
        got = apply(x.astype(np.float32), _params(**{name: params[name]}))
        np.testing.assert_allclose(np.asarray(got), want, atol=2e-5, err_msg=name)
    # all five, in the paper's order: brightness, contrast, luma flip, hue, saturation
    y = (x + b) * c
    y = y - 2 * (y @ v)[..., None] * v
    y = y @ _luma_rotation(theta).T @ (vv + s * (np.eye(3) - vv)).T
    np.testing.assert_allclose(np.asarray(apply(x.astype(np.float32), _params(**params))), y, atol=5e-5)


def test_a_grey_image_takes_the_mean_row_of_the_colour_matrix():
    x = _image(4, (6, 6, 1))
    b, c = 0.3, 1.7
    got = apply(x, _params(brightness=b, contrast=c, lumaflip=1.0, hue=1.0, saturation=0.2))
    np.testing.assert_allclose(np.asarray(got), -(x + b) * c, atol=2e-6)  # hue and saturation: RGB only


def test_each_transform_is_kept_with_probability_p():
    keys = jax.random.split(jax.random.PRNGKey(0), 8000)
    for p in (0.0, 0.3, 1.0):
        draws = jax.vmap(lambda k, p=p: ada.draw(k, jnp.float32(p)))(keys)
        for name, identity in (
            ("scale", 1.0),
            ("aniso", 1.0),
            ("contrast", 1.0),
            ("saturation", 1.0),
            ("brightness", 0.0),
        ):
            kept = float(np.mean(np.asarray(draws[name]) != identity))
            assert abs(kept - p) < 0.02, (name, p, kept)
        rotated = float(np.mean((np.asarray(draws["rotate_pre"]) != 0) | (np.asarray(draws["rotate_post"]) != 0)))
        assert abs(rotated - p) < 0.02, (p, rotated)  # pre or post, each with 1 - sqrt(1 - p)
        flipped = float(np.mean(np.asarray(draws["xflip"]) == 1))
        assert abs(flipped - p / 2) < 0.02, (p, flipped)  # kept with p, then a fair coin
    draws = jax.vmap(lambda k: ada.draw(k, jnp.float32(1.0)))(keys)
    assert set(np.unique(draws["rotate90"]).tolist()) == {0.0, 1.0, 2.0, 3.0}
    assert float(np.abs(draws["xint"]).max()) <= 0.125
    np.testing.assert_allclose(np.std(np.log2(draws["scale"])), 0.2, rtol=0.05)
    np.testing.assert_allclose(np.std(np.log2(draws["contrast"])), 0.5, rtol=0.05)
    np.testing.assert_allclose(np.std(draws["brightness"]), 0.2, rtol=0.05)


def test_gradients_flow_through_the_pipeline_and_equal_finite_differences():
    x = _image(5, (5, 5, 3))
    weights = _image(6, (5, 5, 3))
    params = _params(xflip=1.0, scale=1.2, rotate_pre=0.4, brightness=0.1, contrast=1.3, hue=0.5, saturation=0.7)

    def loss(image):
        return jnp.sum(weights * ada.apply(image, params))

    grad = np.asarray(jax.grad(loss)(x))
    assert np.abs(grad).max() > 0.1
    eps, numeric = 1e-2, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (float(loss(x + step)) - float(loss(x - step))) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=3e-3)


def test_the_p_update_is_the_papers_formula():
    # p + sign(r_t - target) · images / (kimg · 1000), clipped to [0, 1]
    update = lambda p, r, images: float(
        ada.update_p(jnp.float32(p), jnp.float32(r), target=0.6, images=images, kimg=500)
    )  # noqa: E731
    assert update(0.5, 0.7, 256) == pytest.approx(0.5 + 256 / 500_000)
    assert update(0.5, 0.2, 256) == pytest.approx(0.5 - 256 / 500_000)
    assert update(0.5, 0.6, 256) == pytest.approx(0.5)  # sign(0) = 0
    assert update(0.0, 0.2, 256) == 0.0
    assert update(0.9999, 1.0, 256) == 1.0
