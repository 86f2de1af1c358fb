"""SRGAN's networks (Ledig et al. 2017, Figure 4), scaled down: the SRResNet generator and the paper's D.

- `pixel_shuffle(x, r)`: sub-pixel convolution's rearrangement (Shi et al. 2016, Eq. 4,
  "depth-to-space"): `[B, H, W, r·r·C] -> [B, r·H, r·W, C]`,
  `out[b, r·h + i, r·w + j, c] = x[b, h, w, (i·r + j)·C + c]` (TensorFlow's `depth_to_space`).
- `PReLU`: `max(0, x) + a_c min(0, x)`, one learnt slope per channel, `a_c = 0.25` at first
  (He et al. 2015).
- `SRResNetGenerator`: `source [B, h, w, C_in] -> image [B, s·h, s·w, out_channels]` in [-1, 1]:
  a 9x9 conv + PReLU (its output `u`); `num_blocks` residual blocks `x + BN(conv(PReLU(BN(conv x))))`
  (3x3 convs); a 3x3 conv + BN added to `u` (the long skip); log2(s) x2 upsamplers [3x3 conv to
  4·features channels, `pixel_shuffle(·, 2)`, PReLU]; a 9x9 conv to `out_channels`, tanh.
  The paper's sizes are features 64, 16 blocks, s = 4.
- `SRGANDiscriminator`: `num_stages` stages of two 3x3 convs of width `features·2^k`, strides 1 and
  2, each with BN (none on the very first) and LeakyReLU 0.2; Dense(`dense_features`), LeakyReLU
  0.2, Dense(1): one logit per image (no sigmoid; the losses take logits). The paper's is
  features 64, 4 stages (64-64-128-128-256-256-512-512), Dense 1024. Its penultimate activations
  are sown as ("intermediates", "features").

`norm`: "batch" (the paper's; statistics over `batch_norm_axis_name`) or "none". Convolutions are
`conv.Conv` (XLA:CPU's fast path inside the step's loop) with SAME padding.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import conv as conv_lib
from jaxgan.models import layers

NORMS = ("batch", "none")


def pixel_shuffle(x: jax.Array, factor: int) -> jax.Array:
    """Depth-to-space by `factor` of NHWC `x`: `[B, H, W, f·f·C] -> [B, f·H, f·W, C]` (see the module doc)."""
    b, h, w, channels = x.shape
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1 or channels % (factor * factor):
        raise ValueError(
            f"pixel_shuffle: the factor must be a positive integer whose square divides the channels ({channels}); "
            f"got {factor!r}."
        )
    c = channels // (factor * factor)
    x = x.reshape(b, h, w, factor, factor, c)  # [B, H, W, i, j, C]
    return jnp.transpose(x, (0, 1, 3, 2, 4, 5)).reshape(b, h * factor, w * factor, c)


def upscale_steps(scale: int) -> int:
    """The number of x2 upsamplers for an upscaling factor `scale` (a power of two > 1), or one sentence."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2 or scale & (scale - 1):
        raise ValueError(f"SRResNetGenerator: `scale` must be a power of two >= 2 (x2 upsamplers); got {scale!r}.")
    return scale.bit_length() - 1


class PReLU(nn.Module):
    """`max(0, x) + a min(0, x)` with one slope `a` per channel (last axis), initialised to 0.25."""

    slope_init: float = 0.25

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        slope = self.param("slope", nn.initializers.constant(self.slope_init), (x.shape[-1],), jnp.float32)
        return jnp.where(x >= 0, x, slope.astype(x.dtype) * x)


def _norm(kind: str, x: jax.Array, *, train: bool, axis_name: str | None, name: str) -> jax.Array:
    if kind == "batch":
        return layers.batch_norm(train=train, dtype=x.dtype, axis_name=axis_name, name=name)(x)
    return x


def _conv(x: jax.Array, features: int, kernel: int, stride: int, dtype, name: str) -> jax.Array:
    layer = conv_lib.Conv(features, (kernel, kernel), strides=(stride, stride), padding="SAME", dtype=dtype, name=name)
    return layer(x)


class SRResNetGenerator(nn.Module):
    """SRResNet (Ledig et al. 2017, Figure 4, top): low-resolution images to `scale` times larger ones."""

    out_channels: int = 1
    features: int = 32
    num_blocks: int = 4
    scale: int = 4
    norm: str = "batch"
    dtype: Any = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, source: jax.Array, *, train: bool) -> jax.Array:
        for field in ("out_channels", "features"):
            layers.check_positive_int("SRResNetGenerator", field, getattr(self, field))
        layers.check_non_negative_int("SRResNetGenerator", "num_blocks", self.num_blocks)
        layers.check_choice("SRResNetGenerator", "norm", self.norm, NORMS)
        steps = upscale_steps(self.scale)

        def norm(x, name):
            return _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=name)

        w = self.features
        u = PReLU(name="in_prelu")(_conv(source.astype(self.dtype), w, 9, 1, self.dtype, "in"))
        x = u
        for b in range(self.num_blocks):
            h = PReLU(name=f"block_{b}_prelu")(norm(_conv(x, w, 3, 1, self.dtype, f"block_{b}_a"), f"block_{b}_a_norm"))
            x = x + norm(_conv(h, w, 3, 1, self.dtype, f"block_{b}_b"), f"block_{b}_b_norm")
        x = u + norm(_conv(x, w, 3, 1, self.dtype, "skip"), "skip_norm")
        for i in range(steps):
            x = pixel_shuffle(_conv(x, 4 * w, 3, 1, self.dtype, f"up_{i}"), 2)
            x = PReLU(name=f"up_{i}_prelu")(x)
        x = _conv(x, self.out_channels, 9, 1, self.dtype, "out")
        return jnp.tanh(x.astype(jnp.float32))


class SRGANDiscriminator(nn.Module):
    """SRGAN's D (Ledig et al. 2017, Figure 4, bottom), `num_stages` of its four stages: images -> logits `[B]`."""

    features: int = 16
    num_stages: int = 2
    dense_features: int = 64
    norm: str = "batch"
    dtype: Any = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        for field in ("features", "num_stages", "dense_features"):
            layers.check_positive_int("SRGANDiscriminator", field, getattr(self, field))
        layers.check_choice("SRGANDiscriminator", "norm", self.norm, NORMS)
        x = jnp.asarray(x).astype(self.dtype)
        for k in range(self.num_stages):
            width = self.features * 2**k
            for stride in (1, 2):
                name = f"conv_{k}_{stride}"
                x = _conv(x, width, 3, stride, self.dtype, name)
                if k or stride == 2:  # no BN on the first convolution
                    x = _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=f"{name}_norm")
                x = nn.leaky_relu(x, layers.LEAKY_RELU_SLOPE)
        x = nn.Dense(self.dense_features, dtype=self.dtype, name="dense")(x.reshape(x.shape[0], -1))
        x = nn.leaky_relu(x, layers.LEAKY_RELU_SLOPE)
        self.sow("intermediates", "features", x)
        return nn.Dense(1, dtype=self.dtype, name="logit")(x)[:, 0].astype(jnp.float32)
