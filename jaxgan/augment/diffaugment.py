"""DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout of one image.

Every transform is a pair `draw(key, shape) -> params` (the random draws of one example) and
`apply(image, params) -> image` (a function of the image that is differentiable in it; the
draws are not differentiated), so the tests hold `apply` to a plain numpy version on fixed
draws. Images are one example's `[H, W, C]` in jaxgan's range [-1, 1]. The formulas follow
the authors' released `DiffAugment_pytorch.py` (mit-han-lab/data-efficient-gans):

    brightness   x + (u - 1/2),                  u ~ U(0, 1)     one u per image
    saturation   (x - mean_c x) · 2u + mean_c x, u ~ U(0, 1)     mean over channels, per pixel
    contrast     (x - mean x) · (u + 1/2) + mean x, u ~ U(0, 1)  mean over the whole image
    translation  out[i, j] = x[i + a, j + b], zero outside; a, b uniform integers in
                 [-s, s], s = int(size / 8 + 1/2) of each side
    cutout       zeros on a square of side int(size / 2 + 1/2) centred at a uniform pixel
                 (c ∈ [0, size - (side mod 2)]), the square clipped to the image
    shift        out[i, j] = x[r(i + a), r(j + b)], the same draws as translation, r reflecting an index
                 about the border pixels (no edge repeat): the consistency papers' "shifting by a
                 few pixels" with the image's own content at the borders (PyTorch-StudioGAN's CR pads
                 by reflection), where translation's zeros would draw a grey frame on a [-1, 1] image
                 whose background is -1: a frame the D of consistency regularisation is then asked
                 to ignore (see `jaxgan.programs.augmentation`)
    flip         x[:, ::-1] with probability 1/2 (the consistency papers' T: flip + shift)

A policy is a comma-separated list of names ("color" = brightness, saturation, contrast, in
that order); the transforms run in the policy's order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxgan.augment import ada

Params = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class Transform:
    """One random transform: `draw(key, shape)` its parameters, `apply(image, params)` it."""

    name: str
    draw: Callable[[jax.Array, tuple[int, ...]], Params]
    apply: Callable[[jax.Array, Params], jax.Array]


def _uniform(key, shape):
    return {"u": jax.random.uniform(key, (), jnp.float32)}


def brightness(x: jax.Array, params: Params) -> jax.Array:
    return x + (params["u"] - 0.5).astype(x.dtype)


def saturation(x: jax.Array, params: Params) -> jax.Array:
    mean = jnp.mean(x, axis=-1, keepdims=True)
    return (x - mean) * (2.0 * params["u"]).astype(x.dtype) + mean


def contrast(x: jax.Array, params: Params) -> jax.Array:
    mean = jnp.mean(x)
    return (x - mean) * (params["u"] + 0.5).astype(x.dtype) + mean


def shift_range(size: int, ratio: float = 0.125) -> int:
    """The largest translation of a side of `size` pixels: int(size · ratio + 1/2)."""
    return int(size * ratio + 0.5)


def _draw_translation(key, shape):
    height, width = shape[0], shape[1]
    key_h, key_w = jax.random.split(key)
    sh, sw = shift_range(height), shift_range(width)
    return {
        "shift_h": jax.random.randint(key_h, (), -sh, sh + 1, jnp.int32),
        "shift_w": jax.random.randint(key_w, (), -sw, sw + 1, jnp.int32),
    }


def shift(x: jax.Array, shift_h: jax.Array, shift_w: jax.Array) -> jax.Array:
    """`out[i, j] = x[i + shift_h, j + shift_w]`, zero where that falls outside the image."""
    height, width = x.shape[0], x.shape[1]
    rows = jnp.arange(height) + shift_h
    cols = jnp.arange(width) + shift_w
    inside = ((rows >= 0) & (rows < height))[:, None] & ((cols >= 0) & (cols < width))[None, :]
    gathered = x[jnp.clip(rows, 0, height - 1)][:, jnp.clip(cols, 0, width - 1)]
    return gathered * inside[..., None].astype(x.dtype)


def translation(x: jax.Array, params: Params) -> jax.Array:
    return shift(x, params["shift_h"], params["shift_w"])


def reflected_shift(x: jax.Array, params: Params) -> jax.Array:
    """`out[i, j] = x[r(i + shift_h), r(j + shift_w)]`, r the reflection about the border pixels."""
    height, width = x.shape[0], x.shape[1]
    rows = ada.reflect(jnp.arange(height) + params["shift_h"], height)
    cols = ada.reflect(jnp.arange(width) + params["shift_w"], width)
    return x[rows][:, cols]


def cutout_side(size: int, ratio: float = 0.5) -> int:
    """The cutout square's side along a side of `size` pixels: int(size · ratio + 1/2)."""
    return int(size * ratio + 0.5)


def _draw_cutout(key, shape):
    height, width = shape[0], shape[1]
    side_h, side_w = cutout_side(height), cutout_side(width)
    key_h, key_w = jax.random.split(key)
    return {
        "centre_h": jax.random.randint(key_h, (), 0, height + (1 - side_h % 2), jnp.int32),
        "centre_w": jax.random.randint(key_w, (), 0, width + (1 - side_w % 2), jnp.int32),
    }


def cutout(x: jax.Array, params: Params) -> jax.Array:
    height, width = x.shape[0], x.shape[1]
    side_h, side_w = cutout_side(height), cutout_side(width)
    top = params["centre_h"] - side_h // 2
    left = params["centre_w"] - side_w // 2
    rows, cols = jnp.arange(height), jnp.arange(width)
    in_rows = (rows >= top) & (rows < top + side_h)
    in_cols = (cols >= left) & (cols < left + side_w)
    keep = ~(in_rows[:, None] & in_cols[None, :])
    return x * keep[..., None].astype(x.dtype)


def _draw_flip(key, shape):
    return {"flip": jax.random.bernoulli(key, 0.5)}


def flip(x: jax.Array, params: Params) -> jax.Array:
    return jnp.where(params["flip"], x[:, ::-1], x)


TRANSFORMS = {
    "brightness": Transform("brightness", _uniform, brightness),
    "saturation": Transform("saturation", _uniform, saturation),
    "contrast": Transform("contrast", _uniform, contrast),
    "translation": Transform("translation", _draw_translation, translation),
    "cutout": Transform("cutout", _draw_cutout, cutout),
    "shift": Transform("shift", _draw_translation, reflected_shift),
    "flip": Transform("flip", _draw_flip, flip),
}

# A policy name -> its transforms, in order (Zhao et al. 2020's "color", "translation", "cutout").
POLICIES: dict[str, tuple[str, ...]] = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
    "shift": ("shift",),
    "flip": ("flip",),
}


def parse_policy(policy: str, *, field: str = "config.augment.policy", accepted=tuple(POLICIES)) -> tuple[str, ...]:
    """The policy names of a comma-separated `policy` (empty for ""), or one sentence."""
    names = tuple(name.strip() for name in policy.split(",")) if policy.strip() else ()
    unknown = [name for name in names if name not in accepted]
    if unknown or len(set(names)) != len(names):
        problem = f"names unknown policies {unknown}" if unknown else "repeats a policy"
        raise ValueError(
            f"{field}={policy!r} {problem}; use a comma-separated list of {list(accepted)} (e.g. 'color,translation,cutout')."
        )
    return names


def transforms(policy: tuple[str, ...]) -> tuple[Transform, ...]:
    """The transforms of the policy names, in order."""
    return tuple(TRANSFORMS[name] for policy_name in policy for name in POLICIES[policy_name])


def draw(policy: tuple[str, ...], key: jax.Array, shape: tuple[int, ...]) -> list[Params]:
    """One example's draws for every transform of the policy: transform t from `fold_in(key, t)`."""
    return [t.draw(jax.random.fold_in(key, index), shape) for index, t in enumerate(transforms(policy))]


def augment_one(policy: tuple[str, ...], x: jax.Array, key: jax.Array) -> jax.Array:
    """One example `[H, W, C]` through the policy's transforms, drawn from its own key."""
    for t, params in zip(transforms(policy), draw(policy, key, x.shape)):
        x = t.apply(x, params)
    return x
