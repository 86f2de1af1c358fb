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
The two gradients are `custom_vjp`s too, each differentiated into the other two (the three are
bilinear maps of one another's operands), so a gradient of a gradient (a gradient penalty's) is
made of the same canonical convolutions: JAX's own transpose of the input gradient with respect
to the kernel was a permuted convolution that XLA:CPU ran on its slow path inside the loop's scan
(330 ms of a step at ProGAN's 28x28 stage, 10 steps a call: 0.43 steps/s, now 3.9), which is why
configs with a penalty ran one step a call.

Two more shapes XLA:CPU runs slowly are rewritten on the CPU backend only: a convolution with no
padding at all (`_canonical`: a 1x1 one as the matrix product it is, any other with one zero row
that no kept output reads), and the kernel gradient (`_kernel_grad_by_taps`: one matrix product
per kernel tap) of a stride-1 convolution with a 1x1 kernel or large products, and at any stride
of a large image or of a batch of one example: a gradient penalty differentiates D one example at a
time under `jax.vmap` (`jaxgan.penalties`), where the kernel gradient as a convolution becomes a
grouped convolution of one group per example (94 ms a critic step for `dcgan_mnist_wgan_gp`'s
5x5 stride-2 layer) and the products by taps a batched matrix product. Their values equal the
plain call's within float rounding (tested); the measurements are in their docstrings.

`algorithm="winograd"` computes a 3x3 or 5x5 stride-1 convolution with Winograd's minimal
filtering F(m x m, r x r) (Lavin & Gray 2016): for 3x3, 2.25x (m = 2) or 4x (m = 4) fewer
multiplications, for 5x5 with m = 4 6.25x, the transforms themselves matrix products.
`algorithm="auto"` picks it on the CPU backend for the float32 shapes where it was measured
faster than XLA's convolution (`winograd_tile`), and XLA's convolution for everything else. Its
values are equal to the plain call's within float rounding (tested against float64, beside
XLA's own error).

`UpsampleConv` is nearest-neighbour upsampling by `factor` followed by a "SAME" convolution,
computed without building the upsampled image: output pixel `(s*i + p, s*j + q)` of phase
`(p, q)` only reads source pixels `i + d`, where the offset `d = floor((p + kh - lo) / s)`
depends on the phase and the kernel row (`lo` is SAME's leading padding). Summing the kernel
taps that land on the same source pixel gives one small kernel per phase; stacking the `s*s`
phase kernels on the output axis turns the layer into one convolution of the source image
followed by a depth-to-space reshape. Same function, same parameters (`kernel`, `bias`, shaped
as in `flax.linen.Conv`), rounding aside; for the seed DCGAN's 5x5 kernels at factor 2 it is
2.8x fewer FLOPs (4 phases x 3x3 taps against 4 pixels x 5x5 taps per source pixel) and, on
XLA:CPU, 4-8x less time for G's first convolution and its gradients. `ConvTranspose` (a "SAME"
transposed convolution, flax's) is the same construction with the dilation's phases. Where the
phases' taps are offset from one another (a 3x3 kernel at factor 2, a 4x4 transposed kernel at
stride 2: each phase reads 2 of the 3 rows the phases read together), each phase keeps its own
taps on a grid one pixel larger and the phases are sliced apart (`_phase_convolution`), when that
needs fewer products: 2x2 taps on 8x8 against 3x3 on 7x7 for InfoGAN's 7 -> 14 layer.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

_NHWC = ("NHWC", "HWIO", "NHWC")


# XLA:CPU's library fusions through YNNPACK (jax 0.10's defaults: reductions, and each dot and each
# convolution alone), less the convolutions: those then run on XLA's own (Eigen) kernels.
YNN_FUSION_OPTION = "xla_cpu_experimental_ynn_fusion_type"
_YNN_FUSION_TYPES_WITHOUT_CONVOLUTIONS = "LIBRARY_FUSION_TYPE_REDUCE,LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"


@functools.cache
def compiler_options() -> dict[str, str] | None:
    """XLA's options for a compiled call that convolves: on the CPU backend, convolutions by XLA's
    own kernels rather than YNNPACK's; None elsewhere, or where the user's XLA_FLAGS set the
    library fusions themselves, or where this jaxlib does not know the option.

    Measured on 2 cores (fresh processes, alternated; best of each launch): the seed DCGAN's
    training step (`experiments/bench_jaxgan.py`, 4 rounds) 7.2, 7.2, 7.6, 6.0 -> 8.1, 9.0, 8.0,
    7.6 steps/s; Inception's FID features 9.0 -> 14.0 images/s (compilation 8.3 -> 5.7 s); the
    SNGAN ResNet step 4.0 / 3.6 -> 4.0 / 3.3 s. YNNPACK keeps the smallest convolutions faster
    (1 -> 64 features, 5x5 of 28x28 forward: 0.4 against 1.4 ms), but the larger ones dominate:
    14x14, 64 -> 128, 5x5 stride 2, forward / input / kernel gradient 10.1 / 17.4 / 9.7 ms
    through YNNPACK against 6.2 / 11.0 / 6.3 ms. Values differ from YNNPACK's by float rounding.
    Decided at first use (not at import: the backend may not be chosen yet), once a process.
    """
    if jax.default_backend() != "cpu" or YNN_FUSION_OPTION in os.environ.get("XLA_FLAGS", ""):
        return None
    options = {YNN_FUSION_OPTION: _YNN_FUSION_TYPES_WITHOUT_CONVOLUTIONS}
    try:  # an older or newer jaxlib may lack the option or its values: then XLA's defaults
        jax.jit(lambda x: x + 1, compiler_options=options).lower(np.float32(0)).compile()
    except Exception:  # noqa: BLE001 (XLA raises its own runtime error type)
        return None
    return options


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


def _canonical(x, w, strides, padding, rhs_dilation, precision):
    """`lax.conv_general_dilated` of NHWC x and HWIO w without input dilation, on XLA:CPU's fast paths.

    XLA:CPU runs a convolution with no padding at all on a slower path than one with any padding
    (measured, batch 10, 2 cores: a 3x3 80->192 convolution of 73x73 in 212 ms unpadded, 85 ms with
    one zero row of padding; Inception's 3x3 32->32 of 149x149 in 194 against 41 ms). So on the CPU
    backend a 1x1 stride-1 convolution without padding is computed as the matrix product it is,
    and any other convolution without padding gets one zero row after the last: with stride s its
    windows are unchanged (the extra row only adds an output row past the unpadded count, cropped
    off). Both sum the same products; tests/models/test_conv.py holds them to the plain call.
    """
    unpadded = all(lo == 0 and hi == 0 for lo, hi in padding)
    if unpadded and jax.default_backend() == "cpu":
        if w.shape[:2] == (1, 1) and all(s == 1 for s in strides):
            y = lax.dot_general(x, w[0, 0], (((3,), (0,)), ((), ())), precision=precision)
            return y.astype(jnp.result_type(x, w))
        out_h = (x.shape[1] - (w.shape[0] - 1) * rhs_dilation[0] - 1) // strides[0] + 1
        y = lax.conv_general_dilated(
            x, w, strides, ((0, 1), (0, 0)), rhs_dilation=rhs_dilation, dimension_numbers=_NHWC, precision=precision
        )
        return y[:, :out_h]
    return lax.conv_general_dilated(
        x, w, strides, padding, rhs_dilation=rhs_dilation, dimension_numbers=_NHWC, precision=precision
    )


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _conv(x, w, strides, padding, rhs_dilation, precision):
    return _canonical(x, w, strides, padding, rhs_dilation, precision)


def _conv_fwd(x, w, strides, padding, rhs_dilation, precision):
    return _conv(x, w, strides, padding, rhs_dilation, precision), (x, w)


# From this many FLOPs per kernel tap on (a 1x1 kernel: always), a stride-1 kernel gradient runs as one
# product per tap on the CPU; and from these sizes on, whatever its FLOPs (`_kernel_grad_by_taps`).
_TAPS_MIN_FLOPS = 1e9
_TAPS_MIN_PIXELS = 144  # output pixels an example (12x12)
_TAPS_MIN_ROWS = 64 * 14 * 14  # output pixels in the batch
_TAPS_MIN_FEATURES = 16  # input and output features
_TAPS_MIN_PIXELS_STRIDE_1 = 100  # at stride 1, output pixels an example (10x10)
_TAPS_MIN_ROWS_STRIDE_1 = 7_500  # at stride 1, output pixels in the batch
_TAPS_MIN_FEATURES_STRIDE_1 = 64  # at stride 1 below the sizes above, input and output features


def _kernel_grad_by_taps(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision):
    """dw [kh, kw, I, O] as kh*kw products: x shifted by the tap (and strided) [B*Ho*Wo, I]^T dy [B*Ho*Wo, O].

    As a convolution, the kernel gradient has a kernel the size of the image and an output the
    size of the kernel, a shape XLA:CPU runs far below its convolutions' speed when the products
    are large. Measured (3x3, batch 64, 2 cores; forward pass / kernel gradient as a convolution /
    by taps, ms; FLOPs per tap 2·B·Ho·Wo·I·O):

        32x32, 256 -> 256    556 / 1,836 / 725     (8.6 GFLOP a tap)
        16x16, 256 -> 1024   430 /   916 / 496     (8.6)
        32x32, 128 -> 128    148 /   463 / 247     (2.1)
        16x16, 256 -> 256    101 /   203 / 172     (2.1)
         8x8,  256 -> 1024   106 /   197 / 117     (2.1)
        16x16, 128 -> 128     24 /    36 /  69     (0.54)
         8x8,  256 -> 256     25 /    36 /  46     (0.54)
         4x4,  256 -> 1024    24 /    30 /  29     (0.54)

    hence taps from `_TAPS_MIN_FLOPS` = 1 GFLOP a tap on. With jax 0.10 (XLA:CPU's convolutions
    through YNNPACK) the convolution form is also slow where the image is large beside the
    features; measured again (3x3, 2 cores, median of 7; convolution / by taps, ms):

        batch 64, 28x28,  16 -> 32     13.9 /  5.8      batch 64, 14x14,  64 -> 128   24.3 / 15.1
        batch 64, 28x28,  16 -> 16      7.0 /  4.4      batch 64, 14x14,  64 -> 64    22.5 / 13.4
        batch 64, 16x16, 128 -> 128    65.0 / 41.5      batch 64, 14x14,  32 -> 64    11.7 /  4.7
        batch 64, 16x16,  32 -> 32      6.5 /  3.4      batch 64, 12x12,  64 -> 64    12.9 / 10.0
        batch 64, 32x32,  64 -> 64    131   / 108       batch 64,  8x8,  256 -> 256   21.2 / 32.3
        batch 64,  7x7,  128 -> 256     7.3 /  9.2      batch 64,  7x7,   64 -> 64     1.9 /  3.0
        batch 64, 14x14,  64 -> 4       1.9 /  7.7      batch 16, 28x28,  16 -> 16     1.0 /  1.4

    hence taps also from `_TAPS_MIN_PIXELS` output pixels an example, `_TAPS_MIN_ROWS` in the
    batch and `_TAPS_MIN_FEATURES` features in and out, at any stride; at stride 1 from smaller
    images and batches, `_TAPS_MIN_PIXELS_STRIDE_1` and `_TAPS_MIN_ROWS_STRIDE_1`, where the features
    are many (`_TAPS_MIN_FEATURES_STRIDE_1`) (measured inside a `lax.scan` of 4 gradients, 2 cores,
    median of 15; convolution / by taps, ms):

        batch 100, 12x12 -> 10x10 ('valid'), 64 -> 64   23.0 / 13.0   (Triple-GAN's C, conv_2)
        batch 100, 10x10, 128 -> 128                    34.9 / 26.0
        batch 64,  11x11,  64 -> 64                     14.6 / 11.4
        batch 64,  12x12 -> 10x10 ('valid'), 64 -> 64    9.4 /  9.2   (6,400 rows)
        batch 64,  10x10,  64 -> 64                      8.9 / 10.0   (6,400 rows: a convolution)
        batch 64,   9x9,   64 -> 64                      4.2 /  6.5   (a convolution)
        batch 100,  5x5,  128 -> 128                     5.5 /  7.3   (a convolution)
        batch 64,  14x14 -> 13x13, 4x4,  16 -> 32        4.4 /  6.8   (pix2pix's D: a convolution)

    In Triple-GAN's program (`triplegan_mnist`, 3 seeds in turn; `jax.profiler` thread seconds a
    step): convolutions 0.43 -> 0.29, matrix products 0.10 -> 0.17, fused elementwise 0.15 -> 0.17,
    all 0.83 -> 0.76.

    Strided (each tap a strided slice; convolution / by taps, ms):

        batch 64, 28 -> 14, 4x4,  32 -> 64     18.9 /   8.2     batch 128, 24 -> 12, 3x3,  16 -> 32   6.7 /  2.5
        batch 64, 32 -> 16, 4x4, 128 -> 256   235   / 108       batch 64,  64 -> 32, 4x4,  64 -> 128  346 / 192
        batch 64, 32 -> 16, 5x5,  64 -> 128    69.5 /  70.1     batch 64,  28 -> 14, 3x3,  16 -> 16   1.7 /  2.2
        batch 128, 14 -> 7, 4x4,  64 -> 128    12.1 /  17.5     batch 64,  16 -> 8,  4x4, 256 -> 512 69.7 / 74.9
        batch 32, 32 -> 16, 4x4,  64 -> 64     20.6 /  22.8     (the last three below the sizes: convolutions)

    Those rules hold where convolutions run on YNNPACK (jax 0.10's XLA:CPU default, which
    `compiler_options` turns off in jaxgan's own compiled calls: the rules then apply only when
    the user's XLA_FLAGS set the library fusions). On XLA's own (Eigen) convolutions the
    convolution form is faster at every size measured but two small near-ties (2026-12-07; inside a `lax.scan` of 4 or 2
    gradients, 2 cores, median of 9; convolution / by taps, ms):

        batch 100, 12x12 -> 10x10 ('valid'), 64 -> 64   10.5 /  15.7  (Triple-GAN's C, conv_2)
        batch 100, 10x10, 128 -> 128                    19.7 /  30.1
        batch 64,  14x14,  64 -> 128                    12.6 /  17.5
        batch 64,  16x16, 256 -> 256                   106   / 164     (2.4 GFLOP a tap)
        batch 64,  28x28,  16 -> 16                      4.9 /   7.6
        batch 64,  28x28,  16 -> 32                      5.4, 7.5 / 6.6, 7.2   (two runs)
        batch 64, 28 -> 14, 4x4,  32 -> 64               8.2 /  10.5
        batch 64, 32 -> 16, 4x4, 128 -> 256            108   / 129
        batch 64, 64 -> 32, 4x4,  64 -> 128            164   / 233
        batch 64, 32 -> 16, 5x5,  64 -> 128             40.3 /  71.0
        batch 128, 24 -> 12, 3x3, 16 -> 32               4.4 /   3.7

    so there the taps remain for one example, a 1x1 kernel and an output larger than its input.
    The same products, summed in another order.
    """
    (kh, kw), ((top, bottom), (left, right)) = kernel_spatial, padding
    xp = lax.pad(x, jnp.zeros((), x.dtype), ((0, 0, 0), (top, bottom, 0), (left, right, 0), (0, 0, 0)))
    ho, wo, out = dy.shape[1], dy.shape[2], dy.shape[3]
    (sh, sw), (dh, dw) = strides, rhs_dilation
    flat_dy = dy.reshape(-1, out)

    def tap(i, j):  # the input pixels kernel tap (i, j) meets, one per output pixel
        start = (0, i * dh, j * dw, 0)
        limit = (xp.shape[0], i * dh + sh * (ho - 1) + 1, j * dw + sw * (wo - 1) + 1, xp.shape[3])
        return lax.slice(xp, start, limit, (1, sh, sw, 1)).reshape(-1, x.shape[3])

    taps = [
        lax.dot_general(tap(i, j), flat_dy, (((0,), (0,)), ((), ())), precision=precision)
        for i in range(kh)
        for j in range(kw)
    ]
    return jnp.stack(taps).reshape(kh, kw, x.shape[3], out)


# A stride-1 kernel gradient with at most this many output features, at least twice as many input
# features and at least `_SHIFT_DY_MIN_INPUTS` shifts dy rather than x (`_kernel_grad_by_shifted_dy`);
# with at most `_SHIFT_DY_TAPS_MAJOR` shifted features in all, the product is taken taps-major.
_SHIFT_DY_MAX_OUTPUTS = 32
_SHIFT_DY_MIN_INPUTS = 32
_SHIFT_DY_TAPS_MAJOR = 64


def _kernel_grad_by_shifted_dy(x, dy, kernel_spatial, padding, precision):
    """dw [kh, kw, I, O] of a stride-1, undilated convolution as one matrix product of x
    [B*H*W, I] with S [B*H*W, kh*kw*O], dy shifted onto x's grid once per kernel tap.

    `dw[a, c, i, o] = Σ x[b, u, v, i] dy[b, u + top - a, v + left - c, o]` (dy zero outside its
    grid): shifting dy copies kh*kw*O features where the convolution form transposes x and the
    products by taps copy x's I features once per tap, which pays where a layer has few outputs
    beside its inputs (a generator's last layer, its phases stacked). With few shifted features in
    all the product is S^T x (x in its own layout; x^T S made XLA:CPU transpose x), else x^T S.
    Measured (batch 64, 2 cores, inside a `lax.scan`, the same run; the route before / x^T S /
    S^T x, ms):

        14x14,  64 -> 4,  3x3    2.8 /  2.2 /  1.9      14x14,  64 -> 16, 3x3   10.6 /  2.7 /  4.6
        14x14,  64 -> 1,  5x5    5.1 /  2.8 /  1.4      14x14,  64 -> 32, 3x3   17.8 /  8.0 /  8.7
        28x28,  64 -> 1,  3x3   11.7 /  4.6 /  2.2      28x28,  32 -> 16, 3x3   18.1 / 14.7 / 19.2
        15x15,  64 -> 4,  2x2    5.7 /  1.4 /  1.2      14x14,  32 -> 16, 3x3    3.6 /  2.3 /  2.8
         7x7,  128 -> 4,  3x3    1.3 /  0.9 /  0.6      28x28,  16 -> 4,  3x3    2.8 /  3.1 /  3.3
        batch 128, 14x14, 32 -> 4, 3x3   3.1 / 2.3 / 1.7

    and, x^T S against the route before, slower where the outputs are as many as the inputs
    (28x28, 16 -> 16: 6.0 / 12.5; 16 -> 32: 9.1 / 24.7; 7x7, 128 -> 64: 4.0 / 5.2; 16x16, 128 ->
    128: 48 / 97). The same products, summed in another order.
    """
    (kh, kw), ((top, _), (left, _)) = kernel_spatial, padding
    height, width, features, outputs = x.shape[1], x.shape[2], x.shape[3], dy.shape[3]
    zero = jnp.zeros((), dy.dtype)
    shifted = []
    for a in range(kh):
        for c in range(kw):
            low_h, low_w = a - top, c - left  # S[b, u, v] = dy[b, u - low_h, v - low_w]; crops where < 0
            pads = (
                (0, 0, 0),
                (low_h, height - dy.shape[1] - low_h, 0),
                (low_w, width - dy.shape[2] - low_w, 0),
                (0, 0, 0),
            )
            shifted.append(lax.pad(dy, zero, pads))
    taps = jnp.concatenate(shifted, axis=3)  # [B, H, W, kh*kw*O], taps major
    contract = (((0, 1, 2), (0, 1, 2)), ((), ()))
    if kh * kw * outputs <= _SHIFT_DY_TAPS_MAJOR:
        dw = lax.dot_general(taps, x, contract, precision=precision)  # [kh*kw*O, I]
        return jnp.transpose(dw.reshape(kh, kw, outputs, features), (0, 1, 3, 2))
    dw = lax.dot_general(x, taps, contract, precision=precision)  # [I, kh*kw*O]
    return jnp.transpose(dw.reshape(features, kh, kw, outputs), (1, 2, 0, 3))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5, 6))
def _kernel_grad(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision):
    """dw [kh, kw, I, O] as a canonical convolution of x^T [I, H, W, B] with dy^T [Ho, Wo, B, O]
    (on the CPU, by `_kernel_grad_by_shifted_dy` at stride 1 for few outputs beside the inputs;
    by `_kernel_grad_by_taps` for one example at any stride and, at stride 1, for a 1x1 kernel or
    an output larger than the input; where convolutions run on YNNPACK, also for a large image at
    any stride and for large products at stride 1).

    A 1x1 kernel's gradient is one matrix product x [B*H*W, I]^T dy [B*H*W, O], which XLA:CPU
    runs as a convolution 4-17x slower (measured, batch 64, 2 cores, convolution / product, ms:
    32x32 256 -> 256 792 / 47; 16x16 256 -> 256 187 / 14; 32x32 128 -> 128 200 / 16; 8x8 256 ->
    256 11.5 / 3.2), whatever its size. So is one whose output is larger than its input (padding
    beyond k - 1 in all, as `_phase_convolution`'s grid one pixel larger): as a convolution its
    kernel, dy, is then larger than its input, a shape XLA:CPU ran 100-140x slower than by taps
    (batch 64, 7x7, 128 -> 256, ms: 2x2 padded by 1 2,668 / 18.7; 4x4 padded by 2 7,178 / 77)."""
    stride_1 = all(s == 1 for s in strides) and all(d == 1 for d in rhs_dilation)
    large_image = (
        dy.shape[1] * dy.shape[2] >= _TAPS_MIN_PIXELS
        and dy.shape[0] * dy.shape[1] * dy.shape[2] >= _TAPS_MIN_ROWS
        and min(x.shape[3], dy.shape[3]) >= _TAPS_MIN_FEATURES
    )
    medium_image = (
        dy.shape[1] * dy.shape[2] >= _TAPS_MIN_PIXELS_STRIDE_1
        and dy.shape[0] * dy.shape[1] * dy.shape[2] >= _TAPS_MIN_ROWS_STRIDE_1
        and min(x.shape[3], dy.shape[3]) >= _TAPS_MIN_FEATURES_STRIDE_1
    )
    few_outputs = (
        dy.shape[3] <= _SHIFT_DY_MAX_OUTPUTS and 2 * dy.shape[3] <= x.shape[3] and x.shape[3] >= _SHIFT_DY_MIN_INPUTS
    )
    if jax.default_backend() == "cpu" and stride_1 and dy.shape[0] > 1 and few_outputs:
        return _kernel_grad_by_shifted_dy(x, dy, kernel_spatial, padding, precision)
    # The size rules were measured against YNNPACK's convolutions; jaxgan's own compiled calls run
    # XLA's (`compiler_options`), whose convolution form is faster than the taps at every size
    # measured but two small near-ties (`_kernel_grad_by_taps`'s last table).
    ynnpack = jax.default_backend() == "cpu" and compiler_options() is None
    large_products = 2 * dy.shape[0] * dy.shape[1] * dy.shape[2] * x.shape[3] * dy.shape[3] >= _TAPS_MIN_FLOPS
    if jax.default_backend() == "cpu" and (
        dy.shape[0] == 1  # one example: a gradient penalty's, under `jax.vmap` (below)
        or (ynnpack and large_image)  # at any stride
        or stride_1
        and (
            max(kernel_spatial) == 1
            or (ynnpack and (medium_image or large_products))
            or dy.shape[1] > x.shape[1]
            or dy.shape[2] > x.shape[2]
        )
    ):
        return _kernel_grad_by_taps(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision)
    pads = []
    for size, out, k, s, d, (lo, _) in zip(x.shape[1:3], dy.shape[1:3], kernel_spatial, strides, rhs_dilation, padding):
        # Output size k: (size + lo + hi - (s * (out - 1) + 1)) / d + 1 == k.
        pads.append((lo, d * (k - 1) + s * (out - 1) + 1 - size - lo))
    dw = _canonical(
        jnp.transpose(x, (3, 1, 2, 0)), jnp.transpose(dy, (1, 2, 0, 3)), rhs_dilation, pads, strides, precision
    )  # [I, kh, kw, O]
    return jnp.transpose(dw, (1, 2, 0, 3))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5, 6))
def _input_grad(dy, w, input_spatial, strides, padding, rhs_dilation, precision):
    """dx [B, H, W, I]: dy (dilated by the strides) convolved with the flipped kernel as HWIO [kh, kw, O, I]."""
    pads = []
    for size, out, k, s, d, (lo, _) in zip(input_spatial, dy.shape[1:3], w.shape[:2], strides, rhs_dilation, padding):
        # JAX's transpose rule's padding: output size `size` again.
        pads.append((d * (k - 1) - lo, size - s * (out - 1) - 1 + lo))
    flipped = jnp.transpose(jnp.flip(w, (0, 1)), (0, 1, 3, 2))
    if all(s == 1 for s in strides):
        return _canonical(dy, flipped, (1, 1), pads, rhs_dilation, precision)
    return lax.conv_general_dilated(
        dy,
        flipped,
        (1, 1),
        pads,
        lhs_dilation=strides,
        rhs_dilation=rhs_dilation,
        dimension_numbers=_NHWC,
        precision=precision,
    )


def _conv_bwd(strides, padding, rhs_dilation, precision, residuals, dy):
    x, w = residuals
    dy = dy.astype(x.dtype)
    dx = _input_grad(dy, w, x.shape[1:3], strides, padding, rhs_dilation, precision).astype(x.dtype)
    dw = _kernel_grad(x, dy, w.shape[:2], strides, padding, rhs_dilation, precision).astype(w.dtype)
    return dx, dw


# The convolution y = A_w x, its input gradient A_w^T dy and its kernel gradient ∂_w <dy, A_w x> are
# three bilinear maps, each differentiated into the other two: <g, A_w^T dy> = <A_w g, dy> and
# <g_w, ∂_w <dy, A_w x>> = <dy, A_{g_w} x> = <A_{g_w}^T dy, x>. So the gradients of gradients (a
# gradient penalty's, to any order) are these same loop-safe convolutions, never JAX's transposes
# (whose permuted layouts XLA:CPU runs on its slow path inside a `while` loop).
def _input_grad_fwd(dy, w, input_spatial, strides, padding, rhs_dilation, precision):
    return _input_grad(dy, w, input_spatial, strides, padding, rhs_dilation, precision), (dy, w)


def _input_grad_bwd(input_spatial, strides, padding, rhs_dilation, precision, residuals, g):
    dy, w = residuals
    g = g.astype(dy.dtype)
    d_dy = _conv(g, w, strides, padding, rhs_dilation, precision).astype(dy.dtype)
    d_w = _kernel_grad(g, dy, w.shape[:2], strides, padding, rhs_dilation, precision).astype(w.dtype)
    return d_dy, d_w


def _kernel_grad_fwd(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision):
    return _kernel_grad(x, dy, kernel_spatial, strides, padding, rhs_dilation, precision), (x, dy)


def _kernel_grad_bwd(kernel_spatial, strides, padding, rhs_dilation, precision, residuals, g_w):
    x, dy = residuals
    g_w = g_w.astype(x.dtype)
    d_x = _input_grad(dy, g_w, x.shape[1:3], strides, padding, rhs_dilation, precision).astype(x.dtype)
    d_dy = _conv(x, g_w, strides, padding, rhs_dilation, precision).astype(dy.dtype)
    return d_x, d_dy


_conv.defvjp(_conv_fwd, _conv_bwd)
_input_grad.defvjp(_input_grad_fwd, _input_grad_bwd)
_kernel_grad.defvjp(_kernel_grad_fwd, _kernel_grad_bwd)


# ---------------------------------------------------------------------------------------------
# The same stride-1 convolution as one matrix product of image patches (im2col).


def _patches(x, kernel_spatial, pads):
    """[B, Ho, Wo, kh*kw*C] patches of x [B, H, W, C] (stride 1, no dilation), taps (kh, kw) major."""
    (kh, kw), ((top, bottom), (left, right)) = kernel_spatial, pads
    xp = jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    ho, wo = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    return jnp.concatenate([xp[:, i : i + ho, j : j + wo, :] for i in range(kh) for j in range(kw)], axis=-1)


def _patch_matmul(x, w, pads, precision):
    cols = _patches(x, w.shape[:2], pads)
    b, ho, wo, k = cols.shape
    y = lax.dot(cols.reshape(b * ho * wo, k), w.reshape(k, w.shape[-1]), precision=precision)
    return y.reshape(b, ho, wo, w.shape[-1])


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _patch_conv(x, w, pads, precision):
    return _patch_matmul(x, w, pads, precision)


def _patch_conv_fwd(x, w, pads, precision):
    return _patch_matmul(x, w, pads, precision), (x, w)


def _patch_conv_bwd(pads, precision, residuals, dy):
    x, w = residuals
    dy = dy.astype(x.dtype)
    kh, kw = w.shape[:2]
    # dx: dy convolved (stride 1) with the flipped kernel, O and I swapped, padded so that the
    # output has x's size again: (k - 1 - lo, k - 1 - hi) on each side.
    flipped = jnp.transpose(jnp.flip(w, (0, 1)), (0, 1, 3, 2))
    back = ((kh - 1 - pads[0][0], kh - 1 - pads[0][1]), (kw - 1 - pads[1][0], kw - 1 - pads[1][1]))
    dx = _patch_matmul(dy, flipped, back, precision).astype(x.dtype)
    # dw: the patches of x against dy, summed over every output pixel: one [K, BHW] x [BHW, O] product.
    cols = _patches(x, (kh, kw), pads)
    k = cols.shape[-1]
    dw = lax.dot(cols.reshape(-1, k).T, dy.reshape(-1, dy.shape[-1]), precision=precision)
    return dx, dw.reshape(w.shape).astype(w.dtype)


_patch_conv.defvjp(_patch_conv_fwd, _patch_conv_bwd)

# ---------------------------------------------------------------------------------------------
# A 3x3 or 5x5 stride-1 convolution by Winograd's minimal filtering F(m x m, r x r).

# The points of the Toom-Cook construction (Lavin & Gray 2016, section 4: 0, ±1, ±2, ±1/2, ...,
# then infinity), in the order small tiles use them.
_POINTS = (Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(-2), Fraction(1, 2), Fraction(-1, 2))


def _solve_exactly(rows: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """The unique solution of a consistent linear system (more equations than unknowns), in rationals."""
    n = len(rows[0])
    system = [row + [value] for row, value in zip(rows, rhs)]
    pivots: list[int] = []
    for column in range(n):
        r = len(pivots)
        pivot = next((i for i in range(r, len(system)) if system[i][column] != 0), None)
        if pivot is None:
            raise ValueError("Winograd transform: the points do not determine B^T")
        system[r], system[pivot] = system[pivot], system[r]
        system[r] = [v / system[r][column] for v in system[r]]
        for i in range(len(system)):
            if i != r and system[i][column] != 0:
                factor = system[i][column]
                system[i] = [u - factor * v for u, v in zip(system[i], system[r])]
        pivots.append(column)
    if any(any(v != 0 for v in row) for row in system[n:]):
        raise ValueError("Winograd transform: inconsistent equations")
    return [system[i][n] for i in range(n)]


@functools.cache
def winograd_matrices(m: int, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B^T [a, a], G [a, r], A^T [m, a]) of F(m, r), a = m + r - 1: for an input tile d of a
    values and a kernel g of r, `A^T [(G g) * (B^T d)]` is the correlation `y_i = sum_k g_k d_(i+k)`,
    i < m (and `A^T [(G g G^T) * (B^T d B)] A` in two dimensions).

    Toom-Cook with the points `_POINTS[:a - 1]` and infinity (Lavin & Gray 2016): A^T's columns
    are the powers of the points, G's rows the kernel's powers over the Lagrange denominators;
    B^T is then the unique solution of `sum_j A^T[i, j] G[j, k] B^T[j, l] = [l = i + k]`, solved
    in exact rationals. F(4, 3) gives Lavin & Gray's matrices of section 4.2 exactly, F(2, 3)
    those of section 4.1 with the first rows of B^T and G negated (the same products).
    """
    a = m + r - 1
    points = _POINTS[: a - 1]
    at = [[p**i for p in points] + [Fraction(int(i == m - 1))] for i in range(m)]
    g = []
    for j, p in enumerate(points):
        denominator = math.prod((p - q for q in points[:j] + points[j + 1 :]), start=Fraction(1))
        g.append([p**k / denominator for k in range(r)])
    g.append([Fraction(int(k == r - 1)) for k in range(r)])
    products = [[at[i][j] * g[j][k] for j in range(a)] for i in range(m) for k in range(r)]
    columns = [
        _solve_exactly(products, [Fraction(int(col == i + k)) for i in range(m) for k in range(r)]) for col in range(a)
    ]
    bt = [[columns[col][j] for col in range(a)] for j in range(a)]
    return tuple(np.array(matrix, dtype=np.float64) for matrix in (bt, g, at))


def winograd_tile(algorithm: str, lhs, rhs, strides, dilation, pads) -> int | None:
    """The tile m of F(m x m, r x r) a convolution runs with, or None (another algorithm).

    "winograd": any 3x3 or 5x5 stride-1 undilated convolution with non-negative padding, m = 4
    from 12 output pixels a side on, else 2. "auto": on the CPU backend, float32 only, where it
    was measured faster than XLA's convolution. Measured on 2 cores (Intel Xeon, 2026-12-06), the
    forward pass and both gradients inside `lax.scan`, batch 64, ms, XLA / F(2, r) / F(4, r):

        3x3: 32x32, 256 -> 256   1,492 / 942 / 643      8x8,  256 -> 256    66 / 63 / 61
             16x16, 256 -> 256     315 / 240 / 175      8x8,  128 -> 128    17 / 14 / 17
             32x32, 128 -> 128     455 / 366 / 258      4x4,  256 -> 1024   85 / 65 / 119
             15x15, 128 -> 128      96 /  88 /  58      9x9,  128 -> 128    22 / 36 / 34
             12x12, 128 -> 128      49 /  51 /  37      7x7,  128 -> 256    28 / 34 / 33
             16x16,  32 ->  32      12 /   8 /  11      5x5,  256 -> 256    24 / 32 / 46
             32x32,   3 -> 128      62 /  73 /  54      32x32, 256 -> 3    205 / 423 / 323
        5x5: 14x14, 128 -> 64      159 / 125 /  89      28x28, 64 -> 32    198 / 237 / 143
             14x14,  64 -> 64       91 /  78 /  59      28x28, 64 -> 64    364 / 306 / 168

    hence m = 4 with at least 32 channels in and out, both output sides at least 12 and at
    most a quarter of the 4x4 tiles' pixels past the image; for 3x3 kernels also m = 2 with at
    least 128 channels and even sides (every 2x2 tile whole); else XLA's convolution (small odd
    images, and the channel-poor input and output layers).
    """
    (kh, kw, cin, cout), ((top, bottom), (left, right)) = rhs.shape, pads
    out_h, out_w = lhs.shape[1] + top + bottom - kh + 1, lhs.shape[2] + left + right - kw + 1
    if (
        algorithm not in ("auto", "winograd")
        or kh != kw
        or kh not in (3, 5)
        or any(s != 1 for s in strides)
        or any(d != 1 for d in dilation)
        or min(top, bottom, left, right) < 0
        or min(out_h, out_w) < 1
    ):
        return None
    if algorithm == "winograd":
        return 4 if min(out_h, out_w) >= 12 else 2
    if jax.default_backend() != "cpu" or lhs.dtype != jnp.float32:
        return None
    covered = lambda size, m: -(-size // m) * m  # noqa: E731
    channels = min(cin, cout)
    if channels >= 32 and min(out_h, out_w) >= 12 and out_h * out_w >= 0.75 * covered(out_h, 4) * covered(out_w, 4):
        return 4
    if kh == 3 and channels >= 128 and out_h % 2 == 0 and out_w % 2 == 0:
        return 2
    return None


def winograd_conv(x, w, pads, m: int, precision=None):
    """A stride-1 convolution of NHWC x with a square r x r HWIO kernel w and padding `pads`, by
    F(m x m, r x r) (`winograd_matrices`).

    The padded image is cut into overlapping (m + r - 1)-tiles at stride m (a reshape into m-row
    blocks and slices); the input transform `B^T d B` of every tile is one matrix product with
    kron(B^T, B^T), the kernel transform `G g G^T` an einsum; the a^2 products of transformed
    tiles and kernels are one batched matmul [a^2, tiles, I] x [a^2, I, O], and the output
    transform another matrix product. Plain JAX operations, so every order of derivative (and
    `jvp`) is JAX's own; the transposed products are again Winograd's, with as few multiplications.
    """
    r = w.shape[0]
    bt, g, at = winograd_matrices(m, r)
    a = m + r - 1
    b, h, wd, cin = x.shape
    cout = w.shape[-1]
    (top, bottom), (left, right) = pads
    out_h, out_w = h + top + bottom - r + 1, wd + left + right - r + 1
    th, tw = -(-out_h // m), -(-out_w // m)
    extra = (a - 1) // m  # the blocks past a tile's first that it reaches into
    # (th + extra) * m rows: the last tile's last row, m * th + r - 2, is inside, and (th + extra) * m
    # >= out_h + r - 1 = h + top + bottom: the padding asked for is all there.
    xp = jnp.pad(x, ((0, 0), (top, (th + extra) * m - h - top), (left, (tw + extra) * m - wd - left), (0, 0)))
    blocks = xp.reshape(b, th + extra, m, tw + extra, m, cin)

    def element(i: int, j: int) -> jax.Array:  # [B, th, tw, I]: row i, column j of every tile
        (ti, ri), (tj, rj) = divmod(i, m), divmod(j, m)
        return blocks[:, ti : ti + th, ri, tj : tj + tw, rj, :]

    tiles = jnp.stack([element(i, j) for i in range(a) for j in range(a)]).reshape(a * a, -1)
    highest = lax.Precision.HIGHEST  # the transforms' small constants, exact on every backend
    v = jnp.dot(jnp.asarray(np.kron(bt, bt), x.dtype), tiles, precision=highest).reshape(a * a, -1, cin)
    u = jnp.einsum("ai,ijco,bj->abco", g.astype(w.dtype), w, g.astype(w.dtype), precision=highest)
    products = lax.dot_general(
        v, u.reshape(a * a, cin, cout).astype(x.dtype), (((2,), (1,)), ((0,), (0,))), precision=precision
    )
    y = jnp.dot(jnp.asarray(np.kron(at, at), x.dtype), products.reshape(a * a, -1), precision=highest)
    y = jnp.transpose(y.reshape(m, m, b, th, tw, cout), (2, 3, 0, 4, 1, 5)).reshape(b, m * th, m * tw, cout)
    return y[:, :out_h, :out_w]


ALGORITHMS = ("auto", "xla", "patches", "winograd")


def check_algorithm(owner: str, algorithm) -> None:
    """A network's `conv_algorithm` setting is one of `ALGORITHMS`, or one sentence naming `owner`."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"{owner}: `conv_algorithm` must be one of {ALGORITHMS}; got {algorithm!r}.")


def _use_patches(algorithm: str, strides, dilation, pads, kernel_spatial) -> bool:
    """Whether a convolution runs as a patch matmul: "patches" for any stride-1 undilated
    convolution whose padding keeps `k - 1 - pad >= 0`; any other algorithm never."""
    eligible = (
        all(s == 1 for s in strides)
        and all(d == 1 for d in dilation)
        and all(0 <= lo <= k - 1 and 0 <= hi <= k - 1 for (lo, hi), k in zip(pads, kernel_spatial))
    )
    return algorithm == "patches" and eligible


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
    algorithm: str = "xla",
):
    """`lax.conv_general_dilated` (same signature), with a kernel gradient XLA:CPU runs fast.

    `algorithm`: "xla" (XLA's convolution, gradients in canonical layout), "patches" (a stride-1
    convolution as one matmul of image patches, its gradients as matmuls too), "winograd" (a
    3x3 or 5x5 stride-1 convolution by F(m x m, r x r), `winograd_conv`) or "auto" ("winograd"
    on the CPU backend for the float32 shapes `winograd_tile` picks, else "xla")."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"conv algorithm must be one of {ALGORITHMS}; got {algorithm!r}.")
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
            lhs,
            rhs,
            window_strides,
            padding,
            lhs_dilation=lhs_dilation,
            rhs_dilation=rhs_dilation,
            dimension_numbers=dimension_numbers,
            feature_group_count=feature_group_count,
            batch_group_count=batch_group_count,
            precision=precision,
            preferred_element_type=preferred_element_type,
        )
    strides = tuple(int(s) for s in window_strides)
    dilation = (1, 1) if rhs_dilation is None else tuple(int(d) for d in rhs_dilation)
    pads = _pairs(padding, lhs.shape[1:3], rhs.shape[:2], strides, dilation)
    if isinstance(precision, list):
        precision = tuple(precision)
    if _use_patches(algorithm, strides, dilation, pads, rhs.shape[:2]):
        return _patch_conv(lhs, rhs, pads, precision)
    tile = winograd_tile(algorithm, lhs, rhs, strides, dilation, pads)
    if tile is not None:
        return winograd_conv(lhs, rhs, pads, tile, precision)
    return _conv(lhs, rhs, strides, pads, dilation, precision)


def Conv(features: int, kernel_size: Sequence[int], algorithm: str = "xla", **kwargs) -> nn.Conv:  # noqa: N802 (a module factory)
    """`flax.linen.Conv(features, kernel_size, **kwargs)` using `conv_general_dilated` above.

    Same parameters, same names, same values; only the gradients' layout (and with `algorithm`
    "patches", "winograd" or "auto", the way the products are computed) differs.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"conv algorithm must be one of {ALGORITHMS}; got {algorithm!r}.")
    conv = conv_general_dilated if algorithm == "xla" else functools.partial(conv_general_dilated, algorithm=algorithm)
    return nn.Conv(features, kernel_size, conv_general_dilated=conv, **kwargs)


# ---------------------------------------------------------------------------------------------
# Nearest upsampling followed by a SAME convolution, as one convolution of the source image.


def _phase_matrix(kernel_size: int, factor: int) -> tuple[np.ndarray, int, int]:
    """[s, T, k] 0/1 matrix: which kernel rows kh sum into row a of phase p's kernel; padding lo, hi.

    Upsampled row `s*i + p + kh - lo` (lo: SAME's leading padding) reads source row
    `i + floor((p + kh - lo) / s)`. A row outside the upsampled image is outside the source
    image too, so zero padding of the source by (-min offset, max offset) reproduces SAME's zero
    padding of the upsampled image.
    """
    lo = (kernel_size - 1) // 2
    offsets = np.array([[(p + kh - lo) // factor for kh in range(kernel_size)] for p in range(factor)])
    low, high = int(offsets.min()), int(offsets.max())
    matrix = np.zeros((factor, high - low + 1, kernel_size), np.float32)
    for p in range(factor):
        matrix[p, offsets[p] - low, np.arange(kernel_size)] = 1.0
    return matrix, -low, high


def _stack_phases(kernel: jax.Array, rows: np.ndarray, cols: np.ndarray) -> jax.Array:
    """[Th, Tw, I, s*s*O]: phase (p, q)'s tap (a, b) = Σ rows[p, a, kh] cols[q, b, kw] kernel[kh, kw],
    contracted with the 0/1 matrices at HIGHEST precision (exact in float32 on every backend)."""
    _, i, o = kernel.shape[1:]
    stacked = jnp.einsum(
        "pah,qbw,hwio->abipqo",
        rows.astype(kernel.dtype),
        cols.astype(kernel.dtype),
        kernel,
        precision=lax.Precision.HIGHEST,
    )
    return stacked.reshape(rows.shape[1], cols.shape[1], i, rows.shape[0] * cols.shape[0] * o)


def upsample_conv(
    x: jax.Array, kernel: jax.Array, factor: int = 2, precision=None, algorithm: str = "xla"
) -> jax.Array:
    """`conv(upsample_nearest(x, factor), kernel, stride 1, "SAME")` for NHWC x and HWIO kernel.

    The phase kernels are summed in the kernel's dtype (float32 parameters stay float32 for the
    sums) and then cast to x's dtype, the convolution's compute dtype."""
    rows, lo_h, hi_h = _phase_matrix(kernel.shape[0], factor)
    cols, lo_w, hi_w = _phase_matrix(kernel.shape[1], factor)
    return _phase_convolution(x, kernel, (rows, lo_h, hi_h), (cols, lo_w, hi_w), factor, precision, algorithm)


# From this many stacked outputs (s*s*O) on, the phases keep their own taps (`_phase_convolution`).
# Below it the kernel gradient, a product with a few columns, costs more than the saved products:
# measured, a 4x4 transposed convolution of stride 2 of [64, 14, 14, 64] (2 cores, ms, forward /
# input gradient / kernel gradient, one window for every phase against each phase's own taps):
# O = 1: 1.1 / 0.7 / 2.8 against 2.6 / 1.4 / 14.4; O = 3: 4.1 / 1.6 / 6.6 against 1.6 / 2.1 / 14.3;
# O = 16: 11.2 / 10.5 / 49.3 against 5.4 / 5.2 / 20.7; [64, 7, 7, 128] -> 64: 21.4 / 24.5 / 17.7
# against 10.6 / 11.0 / 15.8.
_COMPACT_MIN_OUTPUTS = 64


def _compact_phases(matrix: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, int, int, list[int]]:
    """Each phase's own taps only: [s, T', k] with T' the longest phase's span of taps, the
    padding (lo', hi') of a grid one row larger per distinct start, and each phase's start on it.

    `matrix` [s, T, k] (tap a of phase p reads source row i + a - lo) stacks every phase on one
    window of T taps; a phase whose taps span T' < T rows multiplies T - T' of them by zeros (a 4x4
    transposed convolution of stride 2: T = 3, T' = 2). Phase p's window starts at its first tap,
    start_p; on a grid row g = i + shift_p (shift_p = start_p - min start), compact tap b reads
    source row g + b + min start - lo, for every phase alike.
    """
    used = [np.flatnonzero(phase.any(axis=1)) for phase in matrix]
    base = min([int(u[0]) for u in used if u.size] or [0])
    starts = [int(u[0]) if u.size else base for u in used]  # a phase without taps (stride > kernel): zeros
    span = max([int(u[-1]) - int(u[0]) + 1 for u in used if u.size] or [1])
    factor, taps, size = matrix.shape
    compact = np.zeros((factor, span, size), matrix.dtype)
    for p, start in enumerate(starts):
        width = min(span, taps - start)
        compact[p, :width] = matrix[p, start : start + width]
    shifts = [start - base for start in starts]
    new_lo = lo - base
    return compact, new_lo, max(shifts) + span - 1 - new_lo, shifts


def _phase_convolution(x, kernel, rows_spec, cols_spec, factor: int, precision, algorithm: str) -> jax.Array:
    """The s*s phases of an upsampling convolution as one stride-1 convolution of x, then
    depth-to-space. Each phase's own taps (`_compact_phases`) on a grid one row and column larger
    where that needs fewer products than one window of every phase's taps (2x2 of 8x8 against 3x3
    of 7x7: 1.7x fewer for a 4x4 transposed convolution of stride 2 at 7x7), on the CPU backend;
    the same products otherwise, summed in another order: equal up to float rounding."""
    (rows, lo_h, hi_h), (cols, lo_w, hi_w) = rows_spec, cols_spec
    b, h, w, _ = x.shape
    features = kernel.shape[-1]
    c_rows, clo_h, chi_h, shifts_h = _compact_phases(rows, lo_h, hi_h)
    c_cols, clo_w, chi_w, shifts_w = _compact_phases(cols, lo_w, hi_w)
    grid_h, grid_w = h + max(shifts_h), w + max(shifts_w)
    compact_products = c_rows.shape[1] * c_cols.shape[1] * grid_h * grid_w
    if (
        compact_products >= rows.shape[1] * cols.shape[1] * h * w
        or min(clo_h, chi_h, clo_w, chi_w) < 0
        or factor * factor * features < _COMPACT_MIN_OUTPUTS
        or algorithm != "xla"  # Winograd ("auto") is for 3x3 windows: 4x fewer products beats 1.7x
        or jax.default_backend() != "cpu"  # measured on the CPU; other backends keep one window
    ):
        stacked = _stack_phases(kernel, rows, cols)
        return _phases_to_image(x, stacked, ((lo_h, hi_h), (lo_w, hi_w)), factor, features, precision, algorithm)
    stacked = _stack_phases(kernel, c_rows, c_cols)
    out = conv_general_dilated(
        x,
        stacked.astype(x.dtype),
        (1, 1),
        ((clo_h, chi_h), (clo_w, chi_w)),
        dimension_numbers=_NHWC,
        precision=precision,
        algorithm=algorithm,
    )
    out = out.reshape(b, grid_h, grid_w, factor, factor, features)  # [B, grid H, grid W, p, q, O]
    phases = jnp.stack(
        [
            jnp.stack(
                [out[:, sp : sp + h, sq : sq + w, p, q] for q, sq in enumerate(shifts_w)], axis=3
            )  # [B, H, W, q, O]
            for p, sp in enumerate(shifts_h)
        ],
        axis=3,
    )  # [B, H, W, p, q, O]
    return jnp.transpose(phases, (0, 1, 3, 2, 4, 5)).reshape(b, h * factor, w * factor, features)


def _phases_to_image(x, stacked, padding, factor: int, features: int, precision, algorithm: str) -> jax.Array:
    """One stride-1 convolution of x with the s*s phase kernels stacked on the output axis
    (phases major), then depth-to-space: output pixel (s*i + p, s*j + q) is phase (p, q) at (i, j)."""
    out = conv_general_dilated(
        x, stacked.astype(x.dtype), (1, 1), padding, dimension_numbers=_NHWC, precision=precision, algorithm=algorithm
    )
    b, h, w, _ = out.shape
    out = out.reshape(b, h, w, factor, factor, features)  # [B, H, W, p, q, O]
    return jnp.transpose(out, (0, 1, 3, 2, 4, 5)).reshape(b, h * factor, w * factor, features)


class UpsampleConv(nn.Module):
    """Nearest upsampling by `factor`, then `flax.linen.Conv(features, kernel_size, padding="SAME")`.

    The parameters are `kernel` [kh, kw, in, features] and `bias` [features], as in
    `flax.linen.Conv`; the computation is `upsample_conv` (see the module docstring).
    """

    features: int
    kernel_size: Sequence[int]
    factor: int = 2
    use_bias: bool = True
    dtype: Any = None
    param_dtype: Any = jnp.float32
    precision: Any = None
    kernel_init: Callable = nn.linear.default_kernel_init
    bias_init: Callable = nn.initializers.zeros_init()
    algorithm: str = "xla"  # of the convolution of the source image (`conv_general_dilated`)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(
                f"UpsampleConv: inputs must be NHWC [batch, height, width, channels]; got shape {x.shape}."
            )
        if isinstance(self.factor, bool) or not isinstance(self.factor, int) or self.factor < 1:
            raise ValueError(f"UpsampleConv: `factor` must be a positive integer; got {self.factor!r}.")
        kh, kw = tuple(self.kernel_size)
        kernel = self.param("kernel", self.kernel_init, (kh, kw, x.shape[-1], self.features), self.param_dtype)
        bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype) if self.use_bias else None
        compute_dtype = self.dtype or jnp.result_type(x, kernel)
        x, bias = nn.dtypes.promote_dtype(x, bias, dtype=compute_dtype)
        y = upsample_conv(x, kernel, self.factor, self.precision, self.algorithm)  # phase kernels summed in param_dtype
        return y if bias is None else y + bias


# ---------------------------------------------------------------------------------------------
# A "SAME" transposed convolution of stride s, as one stride-1 convolution of the source image.


def _transpose_phase_matrix(kernel_size: int, stride: int) -> tuple[np.ndarray, int, int]:
    """[s, T, k] 0/1 matrix: which kernel row kh is tap a of phase p's kernel; padding lo, hi.

    `lax.conv_transpose(x, w, (s,), "SAME")` (flax's `ConvTranspose`) is a correlation of the
    s-dilated source, padded by `lead` = JAX's `_conv_transpose_padding`, with w: output row
    `s*i + p` reads kernel row kh at dilated row `s*i + p + kh - lead`, a source row (`i + d`,
    `d = (p + kh - lead) / s`) exactly when `p + kh - lead` is a multiple of s; the other taps
    read the zeros between source rows.
    """
    pad_len = kernel_size + stride - 2
    lead = kernel_size - 1 if stride > kernel_size - 1 else -(-pad_len // 2)
    taps = [
        [(kh, (p + kh - lead) // stride) for kh in range(kernel_size) if (p + kh - lead) % stride == 0]
        for p in range(stride)
    ]
    offsets = [d for phase in taps for _, d in phase]
    low, high = min(offsets), max(offsets)
    matrix = np.zeros((stride, high - low + 1, kernel_size), np.float32)
    for p, phase in enumerate(taps):
        for kh, d in phase:
            matrix[p, d - low, kh] = 1.0
    return matrix, -low, high


def conv_transpose(
    x: jax.Array, kernel: jax.Array, stride: int = 2, precision=None, algorithm: str = "xla"
) -> jax.Array:
    """`lax.conv_transpose(x, kernel, (s, s), "SAME")` for NHWC x and HWIO kernel, as one stride-1
    convolution of x with the s*s phase kernels stacked on the output axis and a depth-to-space
    reshape (the "sub-pixel" form). The same products summed in another order: equal to flax's
    `ConvTranspose` up to float rounding, with gradients on `conv_general_dilated`'s fast path
    (XLA:CPU's own transposed-convolution gradients are ~5x slower for InfoGAN's 4x4 layers)."""
    rows, lo_h, hi_h = _transpose_phase_matrix(kernel.shape[0], stride)
    cols, lo_w, hi_w = _transpose_phase_matrix(kernel.shape[1], stride)
    return _phase_convolution(x, kernel, (rows, lo_h, hi_h), (cols, lo_w, hi_w), stride, precision, algorithm)


class ConvTranspose(nn.Module):
    """`flax.linen.ConvTranspose(features, kernel_size, strides=(s, s), padding="SAME")` computed by
    `conv_transpose` above: the same parameters (`kernel` [kh, kw, in, features], `bias`)."""

    features: int
    kernel_size: Sequence[int]
    stride: int = 2
    use_bias: bool = True
    dtype: Any = None
    param_dtype: Any = jnp.float32
    precision: Any = None
    kernel_init: Callable = nn.linear.default_kernel_init
    bias_init: Callable = nn.initializers.zeros_init()
    algorithm: str = "xla"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(
                f"ConvTranspose: inputs must be NHWC [batch, height, width, channels]; got shape {x.shape}."
            )
        kh, kw = tuple(self.kernel_size)
        kernel = self.param("kernel", self.kernel_init, (kh, kw, x.shape[-1], self.features), self.param_dtype)
        bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype) if self.use_bias else None
        compute_dtype = self.dtype or jnp.result_type(x, kernel)
        x, bias = nn.dtypes.promote_dtype(x, bias, dtype=compute_dtype)
        y = conv_transpose(x, kernel, self.stride, self.precision, self.algorithm)
        return y if bias is None else y + bias
