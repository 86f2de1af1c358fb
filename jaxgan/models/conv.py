"""`Conv`: `flax.linen.Conv` whose gradients XLA:CPU computes on its fast path inside loops.

The kernel gradient of a convolution is itself a convolution in which the batch axis plays
the role of the input features (`dw[kh, kw, i, o] = sum_{b, y, x} x[b, s*y + kh, s*x + kw, i]
dy[b, y, x, o]`). JAX's transpose rule writes it with permuted dimension numbers
(`f01b_i01o->01bf`). XLA:CPU normally rewrites that into the canonical NHWC/HWIO form Eigen
runs, but not inside a `while` loop: there it falls back to a naive loop nest, ~100x slower
(0.25 s -> 44 s for a 5x5 128->64 convolution on 14x14x64 on 2 cores). The training loop
runs K steps per call inside `lax.scan`, so every conv kernel gradient hit that case.

The input gradient has the same problem: JAX writes it with a reversed kernel in `01oi`
layout, which inside a `while` loop also misses the fast path (0.08 s -> 0.66 s for the same
convolution).

`conv_general_dilated` here is `lax.conv_general_dilated` with a custom VJP that writes both
gradients as convolutions in canonical NHWC/HWIO form, with the operands transposed (and the
kernel flipped) explicitly. They sum the same products in the same order: the values equal
JAX's own rules bit for bit (the tests compare them). Anything but an ungrouped NHWC/HWIO
convolution without input dilation goes to `lax.conv_general_dilated` unchanged. Being a
`custom_vjp`, it supports reverse-mode to any order (gradient penalties) but not `jax.jvp`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

_NHWC = ("NHWC", "HWIO", "NHWC")


def _pairs(padding, in_spatial, kernel_spatial, strides, rhs_dilation) -> tuple[tuple[int, int], ...]:
    if isinstance(padding, str):
        dilated = [(k - 1) * d + 1 for k, d in zip(kernel_spatial, rhs_dilation)]
        return tuple(tuple(p) for p in lax.padtype_to_pads(in_spatial, dilated, strides, padding))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


def _is_nhwc(dimension_numbers) -> bool:
    if dimension_numbers is None:
        return False
    if isinstance(dimension_numbers, lax.ConvDimensionNumbers):
        return tuple(dimension_numbers) == ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    return tuple(dimension_numbers) == _NHWC


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _conv(x, w, strides, padding, rhs_dilation, precision):
    return lax.conv_general_dilated(
        x, w, strides, padding, rhs_dilation=rhs_dilation, dimension_numbers=_NHWC, precision=precision
    )


def _conv_fwd(x, w, strides, padding, rhs_dilation, precision):
    return _conv(x, w, strides, padding, rhs_dilation, precision), (x, w)


def _kernel_grad(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision):
    """dw [kh, kw, I, O] as a canonical convolution of x^T [I, H, W, B] with dy^T [Ho, Wo, B, O]."""
    pads = []
    for size, out, k, s, d, (lo, _) in zip(x.shape[1:3], dy.shape[1:3], kernel_spatial, strides, rhs_dilation, padding):
        # Output size k: (size + lo + hi - (s * (out - 1) + 1)) / d + 1 == k.
        pads.append((lo, d * (k - 1) + s * (out - 1) + 1 - size - lo))
    dw = lax.conv_general_dilated(
        jnp.transpose(x, (3, 1, 2, 0)),
        jnp.transpose(dy, (1, 2, 0, 3)),
        window_strides=rhs_dilation,
        padding=pads,
        rhs_dilation=strides,
        dimension_numbers=_NHWC,
        precision=precision,
    )  # [I, kh, kw, O]
    return jnp.transpose(dw, (1, 2, 0, 3))


def _input_grad(dy, w, input_spatial, strides, padding, rhs_dilation, precision):
    """dx [B, H, W, I]: dy (dilated by the strides) convolved with the flipped kernel as HWIO [kh, kw, O, I]."""
    pads = []
    for size, out, k, s, d, (lo, _) in zip(input_spatial, dy.shape[1:3], w.shape[:2], strides, rhs_dilation, padding):
        # JAX's transpose rule's padding: output size `size` again.
        pads.append((d * (k - 1) - lo, size - s * (out - 1) - 1 + lo))
    flipped = jnp.transpose(jnp.flip(w, (0, 1)), (0, 1, 3, 2))
    return lax.conv_general_dilated(
        dy, flipped, (1, 1), pads, lhs_dilation=strides, rhs_dilation=rhs_dilation, dimension_numbers=_NHWC,
        precision=precision,
    )


def _conv_bwd(strides, padding, rhs_dilation, precision, residuals, dy):
    x, w = residuals
    dy = dy.astype(x.dtype)
    dx = _input_grad(dy, w, x.shape[1:3], strides, padding, rhs_dilation, precision).astype(x.dtype)
    dw = _kernel_grad(x, dy, w.shape[:2], strides, padding, rhs_dilation, precision).astype(w.dtype)
    return dx, dw


_conv.defvjp(_conv_fwd, _conv_bwd)


def conv_general_dilated(
    lhs,
    rhs,
    window_strides: Sequence[int],
    padding,
    lhs_dilation: Sequence[int] | None = None,
    rhs_dilation: Sequence[int] | None = None,
    dimension_numbers=None,
    feature_group_count: int = 1,
    batch_group_count: int = 1,
    precision=None,
    preferred_element_type=None,
):
    """`lax.conv_general_dilated` (same signature), with a kernel gradient XLA:CPU runs fast."""
    no_input_dilation = lhs_dilation is None or all(d == 1 for d in lhs_dilation)
    if not (
        _is_nhwc(dimension_numbers)
        and lhs.ndim == 4
        and no_input_dilation
        and feature_group_count == 1
        and batch_group_count == 1
        and preferred_element_type is None
        and lhs.dtype == rhs.dtype
    ):
        return lax.conv_general_dilated(
            lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
            dimension_numbers=dimension_numbers, feature_group_count=feature_group_count,
            batch_group_count=batch_group_count, precision=precision, preferred_element_type=preferred_element_type,
        )
    strides = tuple(int(s) for s in window_strides)
    dilation = (1, 1) if rhs_dilation is None else tuple(int(d) for d in rhs_dilation)
    pads = _pairs(padding, lhs.shape[1:3], rhs.shape[:2], strides, dilation)
    if isinstance(precision, list):
        precision = tuple(precision)
    return _conv(lhs, rhs, strides, pads, dilation, precision)


def Conv(features: int, kernel_size: Sequence[int], **kwargs) -> nn.Conv:  # noqa: N802 (a module factory)
    """`flax.linen.Conv(features, kernel_size, **kwargs)` using `conv_general_dilated` above.

    Same parameters, same names, same values; only the kernel gradient's layout differs.
    """
    return nn.Conv(features, kernel_size, conv_general_dilated=conv_general_dilated, **kwargs)
