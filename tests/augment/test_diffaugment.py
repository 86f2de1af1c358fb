"""DiffAugment's transforms against plain numpy versions on fixed draws, their draws' ranges
(Zhao et al. 2020's released code: shifts up to int(size/8 + 1/2), a cutout square of side
int(size/2 + 1/2)), and their gradients against finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.augment import diffaugment

SHAPE = (8, 6, 3)  # not square, so rows and columns cannot be mixed up


def _image(seed=0, shape=SHAPE):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _numpy_translation(x, a, b):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if 0 <= i + a < x.shape[0] and 0 <= j + b < x.shape[1]:
                out[i, j] = x[i + a, j + b]
    return out


def _numpy_shift(x, a, b):
    """The shift with reflected borders: numpy's pad mode 'reflect' (no edge repeat), then a crop."""
    s = max(abs(a), abs(b), 1)
    padded = np.pad(x, ((s, s), (s, s), (0, 0)), mode="reflect")
    return padded[s + a : s + a + x.shape[0], s + b : s + b + x.shape[1]]


def _numpy_cutout(x, centre_h, centre_w):
    side_h, side_w = int(x.shape[0] * 0.5 + 0.5), int(x.shape[1] * 0.5 + 0.5)
    out = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if centre_h - side_h // 2 <= i < centre_h - side_h // 2 + side_h and (
                centre_w - side_w // 2 <= j < centre_w - side_w // 2 + side_w
            ):
                out[i, j] = 0.0
    return out


NUMPY = {
    "brightness": lambda x, d: x + (d["u"] - 0.5),
    "saturation": lambda x, d: (x - x.mean(-1, keepdims=True)) * 2 * d["u"] + x.mean(-1, keepdims=True),
    "contrast": lambda x, d: (x - x.mean()) * (d["u"] + 0.5) + x.mean(),
    "translation": lambda x, d: _numpy_translation(x, int(d["shift_h"]), int(d["shift_w"])),
    "cutout": lambda x, d: _numpy_cutout(x, int(d["centre_h"]), int(d["centre_w"])),
    "shift": lambda x, d: _numpy_shift(x, int(d["shift_h"]), int(d["shift_w"])),
    "flip": lambda x, d: x[:, ::-1] if bool(d["flip"]) else x,
}


@pytest.mark.parametrize("name", sorted(diffaugment.TRANSFORMS))
def test_each_transform_equals_numpy_on_fixed_draws(name):
    transform = diffaugment.TRANSFORMS[name]
    apply = jax.jit(transform.apply)
    for seed in range(6):
        x = _image(seed)
        draws = jax.device_get(transform.draw(jax.random.PRNGKey(seed), SHAPE))
        np.testing.assert_allclose(np.asarray(apply(x, draws)), NUMPY[name](x, draws), atol=1e-6, err_msg=str(draws))


@pytest.mark.parametrize(
    "shift_h, shift_w", [(-1, 0), (1, 1), (0, -1), (-1, 1)]
)  # the extremes for 8 x 6: int(8/8 + 1/2) = 1 and int(6/8 + 1/2) = 1
def test_translation_at_its_extremes(shift_h, shift_w):
    x = _image(1)
    params = {"shift_h": jnp.int32(shift_h), "shift_w": jnp.int32(shift_w)}
    np.testing.assert_array_equal(
        np.asarray(diffaugment.translation(x, params)), _numpy_translation(x, shift_h, shift_w)
    )


@pytest.mark.parametrize("shift_h, shift_w", [(-1, 0), (1, 1), (0, -1), (-1, 1)])
def test_shift_at_its_extremes_reflects_the_border(shift_h, shift_w):
    x = _image(1)
    params = {"shift_h": jnp.int32(shift_h), "shift_w": jnp.int32(shift_w)}
    np.testing.assert_array_equal(np.asarray(diffaugment.reflected_shift(x, params)), _numpy_shift(x, shift_h, shift_w))


def test_shift_of_a_digit_draws_no_frame_where_translation_draws_a_grey_one():
    """A digit on jaxgan's background -1: shifted by 4 pixels, the shift's border is background;
    translation's zero fill is the grey value 0 on 4 whole rows (what a D held to D(x) = D(T(x))
    was asked to ignore, issue 28's bCR at FID 892)."""
    x = -np.ones((28, 28, 1), np.float32)
    x[8:20, 12:16] = 1.0  # a stroke
    params = {"shift_h": jnp.int32(4), "shift_w": jnp.int32(0)}
    shifted, translated = (
        np.asarray(diffaugment.reflected_shift(x, params)),
        np.asarray(diffaugment.translation(x, params)),
    )
    np.testing.assert_array_equal(shifted[:24], x[4:])
    assert (shifted[24:] == -1.0).all() and (translated[24:] == 0.0).all()


@pytest.mark.parametrize("centre_h, centre_w", [(0, 0), (8, 5), (3, 2)])  # side 4 x 3: centres up to 8 and 5
def test_cutout_at_its_extremes(centre_h, centre_w):
    x = _image(2)
    params = {"centre_h": jnp.int32(centre_h), "centre_w": jnp.int32(centre_w)}
    np.testing.assert_array_equal(np.asarray(diffaugment.cutout(x, params)), _numpy_cutout(x, centre_h, centre_w))


def test_the_draws_cover_the_released_codes_ranges():
    keys = jax.random.split(jax.random.PRNGKey(3), 4000)
    shape = (28, 20, 1)  # shifts up to int(3.5 + 0.5) = 4 and int(2.5 + 0.5) = 3; cutout sides 14 and 10
    for name in ("translation", "shift"):
        translation = jax.vmap(lambda k, name=name: diffaugment.TRANSFORMS[name].draw(k, shape))(keys)
        assert set(np.unique(translation["shift_h"]).tolist()) == set(range(-4, 5))
        assert set(np.unique(translation["shift_w"]).tolist()) == set(range(-3, 4))
    cutout = jax.vmap(lambda k: diffaugment.TRANSFORMS["cutout"].draw(k, shape))(keys)
    assert set(np.unique(cutout["centre_h"]).tolist()) == set(range(0, 29))  # even side: 0 .. size
    assert set(np.unique(cutout["centre_w"]).tolist()) == set(range(0, 21))
    u = jax.vmap(lambda k: diffaugment.TRANSFORMS["brightness"].draw(k, shape))(keys)["u"]
    assert 0.0 <= float(u.min()) < 0.01 and 0.99 < float(u.max()) < 1.0
    assert (
        abs(float(jax.vmap(lambda k: diffaugment.TRANSFORMS["flip"].draw(k, shape))(keys)["flip"].mean()) - 0.5) < 0.04
    )
    odd = jax.vmap(lambda k: diffaugment.TRANSFORMS["cutout"].draw(k, (5, 5, 1)))(keys)  # an odd side, int(3.0) = 3
    assert set(np.unique(odd["centre_h"]).tolist()) == set(range(0, 5))  # 0 .. size - 1


def test_a_policy_runs_its_transforms_in_order_each_from_its_own_key():
    policy = ("color", "translation", "cutout")
    x, key = _image(4), jax.random.PRNGKey(5)
    draws = jax.device_get(diffaugment.draw(policy, key, SHAPE))
    expected = x
    for name, params in zip(("brightness", "saturation", "contrast", "translation", "cutout"), draws, strict=True):
        expected = NUMPY[name](expected, params)
    np.testing.assert_allclose(np.asarray(diffaugment.augment_one(policy, x, key)), expected, atol=1e-5)


@pytest.mark.parametrize(
    "policy",
    [("color",), ("translation",), ("cutout",), ("flip",), ("flip", "shift"), ("color", "translation", "cutout")],
)
def test_gradients_equal_finite_differences(policy):
    """Each policy is linear in the image for fixed draws, so central differences are exact up to rounding."""
    x = _image(6, (4, 4, 3))
    weights = _image(7, (4, 4, 3))
    key = jax.random.PRNGKey(11)

    def loss(image):
        return jnp.sum(weights * diffaugment.augment_one(policy, image, key))

    grad = np.asarray(jax.grad(loss)(x))
    assert np.abs(grad).max() > 0.1  # gradients flow through the augmentation
    eps, numeric = 1e-2, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (float(loss(x + step)) - float(loss(x - step))) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=2e-3)


@pytest.mark.parametrize(
    "policy, message",
    [
        (
            "color,zoom",
            r"^config\.augment\.policy='color,zoom' names unknown policies \['zoom'\]; use a comma-separated",
        ),
        ("color,color", r"^config\.augment\.policy='color,color' repeats a policy; use a comma-separated list"),
    ],
)
def test_a_bad_policy_is_refused_in_one_sentence(policy, message):
    with pytest.raises(ValueError, match=message):
        diffaugment.parse_policy(policy)
    assert diffaugment.parse_policy("") == ()
    assert diffaugment.parse_policy("translation, cutout") == ("translation", "cutout")
