"""Progressive growing's networks and parts (Karras et al. 2018, "Progressive Growing of GANs").

The parts, each a function or a small module:

    he_scale(fan_in, gain)       # equalised learning rate: w_hat = w * gain / sqrt(fan_in) (sec. 4.1)
    EqualizedDense, EqualizedConv   # weights drawn from N(0, 1), scaled by he_scale at run time
    pixel_norm(x)                # b = a / sqrt(mean_j a_j^2 + 1e-8) over the channels (sec. 4.2)
    minibatch_stddev(x, group)   # one feature map: the std over each group, averaged (sec. 3)
    fade_alpha(step, start, n)   # alpha = clip((step - start) / n, 0, 1): the new block's weight
    downsample / upsample        # area (average) pooling, nearest-neighbour upsampling by an integer factor
    stage_reals(x, alpha, ...)   # the real images at a stage, blended during its fade-in (sec. 3, Fig. 2)

The networks have one block per resolution level (`resolutions[k]`, each twice the one before),
named by level, so stage k's networks hold the parameters of stage k-1's plus level k's block
and its RGB layers: the state carries from one stage to the next by name
(`jaxgan.programs.family.carry_by_path`). The stage and the fade are values of the step
(`fade_alpha` of the step counter the program gives each call), not a recompile.

G at stage k: z -> pixel norm -> level 0 (dense to r_0 x r_0, conv) -> levels 1..k (upsample x2,
two convs; the upsampling fused into the first, `EqualizedConv.upsample`) -> to_rgb_k; during the
fade, `alpha to_rgb_k(h_k) + (1 - alpha) up(to_rgb_{k-1}(h_{k-1}))`; then nearest-upsampled to the
data's size (exact: the program's average pooling recovers the stage's image), so samples, pictures and evaluators see images of the data's shape at every stage.
D at stage k (on images of r_k): from_rgb_k -> levels k..1 (two convs, average pool) -> level 0
(minibatch stddev, conv, dense, dense to one logit); during the fade, level k's output is blended
with `from_rgb_{k-1}(pool(x))`. Leaky ReLU 0.2 everywhere; no batch norm.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.models import conv as conv_lib

Dtype = Any
_NHWC = ("NHWC", "HWIO", "NHWC")
LEAK = 0.2
PIXEL_NORM_EPSILON = 1e-8
STDDEV_EPSILON = 1e-8


def he_scale(fan_in: int, gain: float = math.sqrt(2.0)) -> float:
    """He's constant `gain / sqrt(fan_in)` (He et al. 2015, eq. 10; Karras et al. 2018, sec. 4.1):
    the run-time scale of an equalised layer's N(0, 1) weights."""
    return gain / math.sqrt(fan_in)


class EqualizedDense(nn.Module):
    """`x @ (W * c) + b` with `W ~ N(0, 1)`, `c = he_scale(fan_in, gain)`, `b = 0` at init."""

    features: int
    gain: float = math.sqrt(2.0)
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        fan_in = x.shape[-1]
        kernel = self.param("kernel", nn.initializers.normal(1.0), (fan_in, self.features), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros, (self.features,), jnp.float32)
        scaled = (kernel * he_scale(fan_in, self.gain)).astype(self.dtype)
        return x.astype(self.dtype) @ scaled + bias.astype(self.dtype)


class EqualizedConv(nn.Module):
    """A 'SAME' convolution (NHWC) with weights `W * c`, `c = he_scale(k*k*C_in, gain)`, `W ~ N(0, 1)`.

    `upsample=s`: the convolution of the input nearest-upsampled by s (G's first convolution of a
    level), computed without building the upsampled image (`jaxgan.models.conv.upsample_conv`: the
    same function and parameters, rounding aside; a 3x3 kernel at s = 2 takes 2.25x fewer products,
    though the 28x28 stage of configs/progan_mnist.py ran no faster for it on 2 CPU cores: 1.85
    steps/s before, 1.84 after, with the patch-matmul convolutions)."""

    features: int
    kernel_size: int = 3
    gain: float = math.sqrt(2.0)
    upsample: int = 1
    algorithm: str = "auto"  # `jaxgan.models.conv.ALGORITHMS`
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        k, channels = self.kernel_size, x.shape[-1]
        kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, channels, self.features), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros, (self.features,), jnp.float32)
        x, scaled = x.astype(self.dtype), kernel * he_scale(k * k * channels, self.gain)
        # jaxgan.models.conv: gradients XLA:CPU runs on its fast path inside the loop's lax.scan
        if self.upsample > 1:  # phase kernels summed in float32, then cast (as UpsampleConv)
            out = conv_lib.upsample_conv(x, scaled, self.upsample, algorithm=self.algorithm)
        else:
            out = conv_lib.conv_general_dilated(
                x, scaled.astype(self.dtype), (1, 1), "SAME", dimension_numbers=_NHWC, algorithm=self.algorithm
            )
        return out + bias.astype(self.dtype)


def pixel_norm(x: jax.Array) -> jax.Array:
    """`b_{x,y} = a_{x,y} / sqrt(mean_j (a^j_{x,y})^2 + 1e-8)` over the channels j (sec. 4.2, eq. 2)."""
    x32 = x.astype(jnp.float32)
    return (x32 * lax.rsqrt(jnp.mean(x32**2, axis=-1, keepdims=True) + PIXEL_NORM_EPSILON)).astype(x.dtype)


def group_size_for(batch: int, group_size: int) -> int:
    """The largest group size <= `group_size` that divides `batch` (the groups must tile it)."""
    return next(g for g in range(min(group_size, batch), 0, -1) if batch % g == 0)


def minibatch_stddev(x: jax.Array, group_size: int = 4, axis_name: str | None = None) -> jax.Array:
    """`x [N, H, W, C]` with one more channel: its group's mean standard deviation (sec. 3).

    The batch is split into groups of G (`group_size_for`) as in the paper's code: example i in
    group `i mod (N / G)` (strided). For each group, the std over its G examples of every feature
    at every pixel, `sqrt(mean_g (x - mean_g x)^2 + 1e-8)`, averaged over features and pixels,
    is one number, replicated as a constant feature map for each of the group's examples. With
    `axis_name` (training on several devices) the groups are of the global batch (all-gathered),
    so the feature does not depend on the device count."""
    local = x.shape[0]
    full = x if axis_name is None else lax.all_gather(x, axis_name, tiled=True)
    n = full.shape[0]
    g = group_size_for(n, group_size)
    y = full.astype(jnp.float32).reshape(g, n // g, *full.shape[1:])
    y = y - jnp.mean(y, axis=0, keepdims=True)
    std = jnp.sqrt(jnp.mean(y**2, axis=0) + STDDEV_EPSILON)  # [N/G, H, W, C]
    per_group = jnp.mean(std, axis=tuple(range(1, std.ndim)))  # [N/G]
    per_example = jnp.tile(per_group, g)  # example i -> group i mod (N/G)
    if axis_name is not None:
        per_example = lax.dynamic_slice_in_dim(per_example, lax.axis_index(axis_name) * local, local)
    feature = jnp.broadcast_to(per_example[:, None, None, None], (*x.shape[:-1], 1)).astype(x.dtype)
    return jnp.concatenate([x, feature], axis=-1)


def fade_alpha(step: jax.Array, start: int, fade_steps: int) -> jax.Array:
    """`alpha = clip((step - start) / fade_steps, 0, 1)`: the weight of the new block, rising linearly
    from 0 at the stage's first step over `fade_steps` steps, then 1 (1 throughout when `fade_steps`
    is 0: the first stage has nothing to fade from)."""
    step = jnp.asarray(step, jnp.float32)
    if fade_steps <= 0:
        return jnp.ones_like(step)
    return jnp.clip((step - start) / fade_steps, 0.0, 1.0)


def downsample(x: jax.Array, factor: int) -> jax.Array:
    """Area (average) pooling of `x [N, H, W, C]` by an integer `factor`: each output pixel is the
    mean of a `factor x factor` block."""
    if factor == 1:
        return x
    n, h, w, c = x.shape
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def upsample(x: jax.Array, factor: int) -> jax.Array:
    """Nearest-neighbour upsampling of `x [N, H, W, C]` by an integer `factor`."""
    if factor == 1:
        return x
    return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


def _per_example(alpha: jax.Array) -> jax.Array:
    return alpha.reshape(-1, 1, 1, 1)


def stage_reals(x: jax.Array, alpha: jax.Array, resolutions: tuple[int, ...], stage: int) -> jax.Array:
    """The real images `x [N, S, S, C]` at stage `stage`'s resolution r_k (area downsampling); during
    the fade-in, `alpha down_{r_k}(x) + (1 - alpha) up_2(down_{r_{k-1}}(x))`, as G's output is blended
    (Karras et al. 2018, sec. 3: "we interpolate between two resolutions of the real images").
    `alpha`: one per example."""
    size = x.shape[1]
    high = downsample(x, size // resolutions[stage])
    if stage == 0:
        return high
    low = upsample(downsample(x, size // resolutions[stage - 1]), 2)
    a = _per_example(alpha).astype(x.dtype)
    return a * high + (1.0 - a) * low


def _leaky(x: jax.Array) -> jax.Array:
    return nn.leaky_relu(x, LEAK)


class StageReals(nn.Module):
    """The reals of a stage as a network of the program (no parameters): `(x, step) -> stage_reals`."""

    resolutions: tuple[int, ...]
    stage: int
    fade_start: int = 0
    fade_steps: int = 0

    def __call__(self, x: jax.Array, step: jax.Array, *, train: bool = False) -> jax.Array:
        del train
        return stage_reals(x, fade_alpha(step, self.fade_start, self.fade_steps), self.resolutions, self.stage)


class AveragePool(nn.Module):
    """G's images of the data's size brought back to a stage's resolution (no parameters): `downsample`."""

    factor: int

    def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
        del train
        return downsample(x, self.factor)


class ProGANGenerator(nn.Module):
    """G(z, step) -> images `[N, *output_shape]` (see the module doc). `features[k]`: the channels of
    level k. `resolutions`, `stage`, `fade_start`, `fade_steps`: set by the family for each stage."""

    output_shape: tuple[int, ...] = (28, 28, 1)
    features: tuple[int, ...] = (64, 32, 16)
    resolutions: tuple[int, ...] = (7, 14, 28)
    stage: int = 0
    fade_start: int = 0
    fade_steps: int = 0
    conv_algorithm: str = "auto"  # `conv.ALGORITHMS`; the config: "xla" (one step a call)
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, z: jax.Array, step: jax.Array, *, train: bool = False) -> jax.Array:
        del train
        conv_lib.check_algorithm("ProGANGenerator", self.conv_algorithm)
        channels = self.output_shape[-1]
        r0 = self.resolutions[0]
        h = pixel_norm(z.astype(self.dtype))
        h = EqualizedDense(r0 * r0 * self.features[0], gain=math.sqrt(2.0) / 4, dtype=self.dtype, name="level_0_dense")(
            h
        )
        h = pixel_norm(_leaky(h.reshape(-1, r0, r0, self.features[0])))
        h = pixel_norm(
            _leaky(
                EqualizedConv(self.features[0], algorithm=self.conv_algorithm, dtype=self.dtype, name="level_0_conv")(h)
            )
        )
        previous = h
        for level in range(1, self.stage + 1):
            previous = h
            for j in range(2):  # the first convolution reads h upsampled x2 (fused: EqualizedConv.upsample)
                conv = EqualizedConv(
                    self.features[level],
                    upsample=2 if j == 0 else 1,
                    algorithm=self.conv_algorithm,
                    dtype=self.dtype,
                    name=f"level_{level}_conv_{j}",
                )
                h = pixel_norm(_leaky(conv(h)))
        image = self._to_rgb(self.stage, channels)(h)
        if self.stage > 0:
            alpha = _per_example(fade_alpha(step, self.fade_start, self.fade_steps)).astype(image.dtype)
            old = upsample(self._to_rgb(self.stage - 1, channels)(previous), 2)
            image = alpha * image + (1.0 - alpha) * old
        image = upsample(image, self.output_shape[0] // self.resolutions[self.stage])
        return image.astype(jnp.float32)

    def _to_rgb(self, level: int, channels: int) -> nn.Module:
        return EqualizedConv(
            channels, kernel_size=1, gain=1.0, algorithm=self.conv_algorithm, dtype=self.dtype, name=f"to_rgb_{level}"
        )


class ProGANDiscriminator(nn.Module):
    """D(x, step) -> `[N]` logits of images at the stage's resolution (see the module doc).
    `features[k]`: the channels of level k; `group_size`: the minibatch-stddev groups;
    `example_axis_name`: the data axis (its groups are of the global batch in training)."""

    features: tuple[int, ...] = (64, 32, 16)
    group_size: int = 4
    resolutions: tuple[int, ...] = (7, 14, 28)
    stage: int = 0
    fade_start: int = 0
    fade_steps: int = 0
    example_axis_name: str | None = None
    conv_algorithm: str = "auto"  # `conv.ALGORITHMS`; the config: "xla" (one step a call)
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, step: jax.Array, *, train: bool = False) -> jax.Array:
        conv_lib.check_algorithm("ProGANDiscriminator", self.conv_algorithm)
        x = x.astype(self.dtype)
        h = self._from_rgb(self.stage)(x)
        for level in range(self.stage, 0, -1):
            h = _leaky(
                EqualizedConv(
                    self.features[level], algorithm=self.conv_algorithm, dtype=self.dtype, name=f"level_{level}_conv_0"
                )(h)
            )
            h = _leaky(
                EqualizedConv(
                    self.features[level - 1],
                    algorithm=self.conv_algorithm,
                    dtype=self.dtype,
                    name=f"level_{level}_conv_1",
                )(h)
            )
            h = downsample(h, 2)
            if level == self.stage:
                alpha = _per_example(fade_alpha(step, self.fade_start, self.fade_steps)).astype(h.dtype)
                h = alpha * h + (1.0 - alpha) * self._from_rgb(level - 1)(downsample(x, 2))
        axis = self.example_axis_name if train else None
        h = minibatch_stddev(h, self.group_size, axis)
        h = _leaky(
            EqualizedConv(self.features[0], algorithm=self.conv_algorithm, dtype=self.dtype, name="level_0_conv")(h)
        )
        h = _leaky(EqualizedDense(self.features[0], dtype=self.dtype, name="level_0_dense")(h.reshape(h.shape[0], -1)))
        self.sow("intermediates", "features", h)
        return EqualizedDense(1, gain=1.0, dtype=self.dtype, name="output")(h)[:, 0].astype(jnp.float32)

    def _from_rgb(self, level: int):
        conv = EqualizedConv(
            self.features[level],
            kernel_size=1,
            algorithm=self.conv_algorithm,
            dtype=self.dtype,
            name=f"from_rgb_{level}",
        )
        return lambda x: _leaky(conv(x))
