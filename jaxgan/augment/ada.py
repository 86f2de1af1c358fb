"""ADA's augmentation pipeline (Karras et al. 2020, "Training Generative Adversarial Networks
with Limited Data"), each transform applied with probability p, and p's update rule.

Of the paper's 18 transforms this has the 12 of its default pipeline 'bgc' (all
differentiable in the image):

    blit      x-flip (i ~ {0, 1}), rotation by i·90° (i ~ {0, 1, 2, 3}), integer translation
              by round(t · size), t ~ U(-1/8, 1/8) per axis
    geometric isotropic scaling 2^N(0, 0.2²), arbitrary rotation θ ~ U(-π, π) before and after
              anisotropic scaling (each with probability 1 - sqrt(1 - p), so one of them with
              probability p), anisotropic scaling 2^N(0, 0.2²) along x and its inverse along y,
              fractional translation N(0, (size/8)²)
    colour    brightness + N(0, 0.2²), contrast × 2^N(0, 0.5²), luma flip (i ~ {0, 1}:
              reflection of the colour along the luma axis v = (1, 1, 1)/√3), hue rotation by
              θ ~ U(-π, π) about v, saturation × 2^N(0, 1) off v (hue and saturation only for
              RGB; a grey image takes the mean row of the colour matrix, as the paper's code)

Not here: image-space filtering (4 bands), additive noise and cutout (the paper's 'f', 'n' and
'c' groups). The geometric transforms are one inverse homogeneous matrix `G⁻¹` (output pixel
-> input pixel, coordinates in pixels from the image centre, composed in the paper's order)
and one bilinear resampling with reflected borders; the paper's code resamples at twice the
resolution through a wavelet low-pass filter (sym6) to avoid aliasing, which this does not, so
a scaled or rotated image is slightly blurrier than there. Blit transforms alone (and p = 0)
move whole pixels exactly. The colour transforms are one homogeneous 4x4 matrix `C`.

p is adjusted from the overfitting heuristic r_t = E[sign(D(x_real))] over the last
`interval` steps: p ← clip(p + sign(r_t - target) · N / (kimg · 1000), 0, 1), N the real
images seen over those steps (batch · interval, the paper's eq. in section 3: p can go from 0
to 1 in `kimg` thousand images).
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

Params = dict[str, jax.Array]

XINT_MAX = 0.125  # integer translation, relative to the image size
SCALE_STD = 0.2  # log2 std of isotropic scaling
ANISO_STD = 0.2  # log2 std of anisotropic scaling
XFRAC_STD = 0.125  # std of fractional translation, relative to the image size
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2 std
SATURATION_STD = 1.0  # log2 std
# the luma axis (homogeneous); numpy, not jnp: importing jaxgan starts no JAX backend (cli: `jax_num_cpu_devices`)
LUMA = np.asarray([1.0, 1.0, 1.0, 0.0], np.float32) / np.float32(math.sqrt(3.0))


# ---------------------------------------------------------------------------- draws


def draw(key: jax.Array, p: jax.Array) -> Params:
    """One example's parameters: each transform drawn, then kept with probability p (else identity)."""
    counter = itertools.count()  # the k-th number drawn comes from fold_in(key, k)

    def u():
        return jax.random.uniform(jax.random.fold_in(key, next(counter)), (), jnp.float32)

    def n():
        return jax.random.normal(jax.random.fold_in(key, next(counter)), (), jnp.float32)

    def kept(value, identity, probability=p):
        return jnp.where(u() < probability, value, identity)

    p_rotate = 1.0 - jnp.sqrt(jnp.clip(1.0 - p, 0.0, 1.0))
    zero, one = jnp.zeros((), jnp.float32), jnp.ones((), jnp.float32)
    params = {
        "xflip": kept(jnp.floor(u() * 2), zero),
        "rotate90": kept(jnp.floor(u() * 4), zero),
    }
    t = (jnp.stack([u(), u()]) * 2 - 1) * XINT_MAX
    params["xint"] = kept(t, jnp.zeros(2))
    params["scale"] = kept(jnp.exp2(n() * SCALE_STD), one)
    params["rotate_pre"] = kept((u() * 2 - 1) * math.pi, zero, p_rotate)
    params["aniso"] = kept(jnp.exp2(n() * ANISO_STD), one)
    params["rotate_post"] = kept((u() * 2 - 1) * math.pi, zero, p_rotate)
    params["xfrac"] = kept(jnp.stack([n(), n()]) * XFRAC_STD, jnp.zeros(2))
    params["brightness"] = kept(n() * BRIGHTNESS_STD, zero)
    params["contrast"] = kept(jnp.exp2(n() * CONTRAST_STD), one)
    params["lumaflip"] = kept(jnp.floor(u() * 2), zero)
    params["hue"] = kept((u() * 2 - 1) * math.pi, zero)
    params["saturation"] = kept(jnp.exp2(n() * SATURATION_STD), one)
    return params


# ---------------------------------------------------------------------------- geometry


def _translate(tx, ty):
    return jnp.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _scale(sx, sy):
    return jnp.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def _rotate(theta):
    c, s = jnp.cos(theta), jnp.sin(theta)
    return jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rotate90(quarters):
    """Rotation by quarters · 90°, with exact entries (no cos(π/2) rounding)."""
    k = quarters.astype(jnp.int32) % 4
    c = jnp.array([1.0, 0.0, -1.0, 0.0])[k]
    s = jnp.array([0.0, 1.0, 0.0, -1.0])[k]
    return jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def geometry_matrix(params: Params, height: int, width: int) -> jax.Array:
    """`G⁻¹` (3x3): output pixel (x, y, 1) -> input pixel, in pixels from the centre, x along width."""
    g = jnp.eye(3)
    g = g @ _scale(1.0 - 2.0 * params["xflip"], 1.0)  # its own inverse
    g = g @ _rotate90(params["rotate90"])
    tx = jnp.round(params["xint"][0] * width)
    ty = jnp.round(params["xint"][1] * height)
    g = g @ _translate(-tx, -ty)
    g = g @ _scale(1.0 / params["scale"], 1.0 / params["scale"])
    g = g @ _rotate(params["rotate_pre"])
    g = g @ _scale(1.0 / params["aniso"], params["aniso"])
    g = g @ _rotate(params["rotate_post"])
    g = g @ _translate(-params["xfrac"][0] * width, -params["xfrac"][1] * height)
    return g


def reflect(index: jax.Array, size: int) -> jax.Array:
    """Integer pixel index reflected into [0, size) about the border pixels (no edge repeat)."""
    if size == 1:
        return jnp.zeros_like(index)
    period = 2 * (size - 1)
    index = jnp.mod(index, period)
    return jnp.where(index >= size, period - index, index)


def resample(x: jax.Array, g_inv: jax.Array) -> jax.Array:
    """`out[r, c] = x` bilinearly at `G⁻¹ (c - cx, r - cy, 1) + (cx, cy)`, borders reflected."""
    height, width = x.shape[0], x.shape[1]
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    rows, cols = jnp.meshgrid(
        jnp.arange(height, dtype=jnp.float32), jnp.arange(width, dtype=jnp.float32), indexing="ij"
    )
    source = jnp.einsum("ij,jhw->ihw", g_inv, jnp.stack([cols - cx, rows - cy, jnp.ones_like(rows)]))
    col, row = source[0] + cx, source[1] + cy
    col0, row0 = jnp.floor(col), jnp.floor(row)
    fc, fr = (col - col0)[..., None].astype(x.dtype), (row - row0)[..., None].astype(x.dtype)
    c0, r0 = col0.astype(jnp.int32), row0.astype(jnp.int32)
    c1, r1 = reflect(c0 + 1, width), reflect(r0 + 1, height)
    c0, r0 = reflect(c0, width), reflect(r0, height)
    top = x[r0, c0] * (1 - fc) + x[r0, c1] * fc
    bottom = x[r1, c0] * (1 - fc) + x[r1, c1] * fc
    return top * (1 - fr) + bottom * fr


# ---------------------------------------------------------------------------- colour


def colour_matrix(params: Params, channels: int) -> jax.Array:
    """`C` (4x4, homogeneous RGB): brightness, contrast, luma flip, then hue and saturation (RGB only)."""
    eye = jnp.eye(4)
    vv = jnp.outer(LUMA, LUMA)
    b = params["brightness"]
    c = eye
    c = jnp.array([[1.0, 0, 0, b], [0, 1.0, 0, b], [0, 0, 1.0, b], [0, 0, 0, 1.0]]) @ c
    c = jnp.diag(jnp.array([params["contrast"]] * 3 + [1.0])) @ c
    c = (eye - 2.0 * vv * params["lumaflip"]) @ c
    if channels > 1:
        c = _rotate_about_luma(params["hue"]) @ c
        c = (vv + (eye - vv) * params["saturation"]) @ c
    return c


def _rotate_about_luma(theta):
    """Rodrigues' rotation by theta about the luma axis, homogeneous 4x4."""
    vx, vy, vz = LUMA[0], LUMA[1], LUMA[2]
    s, c = jnp.sin(theta), jnp.cos(theta)
    cc = 1.0 - c
    return jnp.array(
        [
            [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0.0],
            [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0.0],
            [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def apply_colour(x: jax.Array, c: jax.Array) -> jax.Array:
    """`C` on an `[H, W, 3]` image, or its mean row on an `[H, W, 1]` one."""
    c = c.astype(x.dtype)
    if x.shape[-1] == 3:
        return x @ c[:3, :3].T + c[:3, 3]
    if x.shape[-1] == 1:
        row = jnp.mean(c[:3], axis=0)
        return x * jnp.sum(row[:3]) + row[3]
    raise ValueError(f"ADA's colour transforms take 1 or 3 channels; got {x.shape[-1]}.")


def apply(x: jax.Array, params: Params) -> jax.Array:
    """One example `[H, W, C]` through the geometric then the colour transforms of `params`."""
    x = resample(x, geometry_matrix(params, x.shape[0], x.shape[1]))
    return apply_colour(x, colour_matrix(params, x.shape[-1]))


def augment_one(x: jax.Array, key: jax.Array, p: jax.Array) -> jax.Array:
    """One example through the pipeline, each transform with probability p, drawn from its key."""
    return apply(x, draw(key, p))


# ---------------------------------------------------------------------------- p


def update_p(p: jax.Array, r_t: jax.Array, *, target: float, images: jax.Array, kimg: float) -> jax.Array:
    """`clip(p + sign(r_t - target) · images / (kimg · 1000), 0, 1)` (Karras et al. 2020, section 3)."""
    step = jnp.sign(r_t - target) * images / (kimg * 1000.0)
    return jnp.clip(p + step, 0.0, 1.0).astype(p.dtype)
