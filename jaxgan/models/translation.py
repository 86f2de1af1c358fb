"""Image-to-image translation networks: the U-Net and ResNet generators and the PatchGAN D.

- `UNetGenerator` (Ronneberger et al. 2015 as used by Isola et al. 2017, pix2pix): an
  encoder of 4x4 stride-2 convolutions down to 1x1, a decoder of 4x4 stride-2 transposed
  convolutions back up, each decoder layer fed the encoder layer of its size (skip
  connections); dropout (rate 0.5) on the three innermost decoder layers is the noise
  source, in training only. Each transposed convolution is written as nearest-neighbour 2x
  upsampling and a 4x4 convolution (`conv.UpsampleConv`, Odena et al. 2016's resize-convolution:
  no checkerboard, and XLA:CPU's fast path inside the step's loop, which transposed
  convolutions miss); every convolution is `conv.Conv` for the same reason. Widths `features * (1, 2, 4, 8, 8, ...)`; an image whose side is
  not a power of two (28) is zero-padded to the next one (32) and cropped back.
- `ResNetGenerator` (Johnson et al. 2016 as used by Zhu et al. 2017, CycleGAN): c7s1-64,
  d128, d256, `num_blocks` residual blocks R256, u128, u64, c7s1-C with reflection padding
  (u: resize-convolutions, as in the U-Net).
- `PatchGANDiscriminator` (Isola et al. 2017): C64-C128-...-C(64·2^n) of 4x4 convolutions,
  the first `num_downsamplings` with stride 2 and one more with stride 1, then a 4x4
  stride-1 convolution to one logit per patch, `[B, h, w]`. With 3 downsamplings (the 256x256
  layout C64-C128-C256-C512) each logit sees 70x70 pixels (`receptive_field`). It takes one
  image (CycleGAN) or several (pix2pix's `(source, image)`), concatenated along channels.

`norm`: "instance" (per-example statistics, the CycleGAN choice and pix2pix's batch of 1),
"batch" (batch statistics, averaged over `batch_norm_axis_name`) or "none". Every network
maps images in [-1, 1] to images in [-1, 1] (tanh) or to logits, and takes `train=`.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import conv as conv_lib
from jaxgan.models import layers

NORMS = ("instance", "batch", "none")
_EPSILON = 1e-5
_INIT = nn.initializers.normal(0.02)  # Isola et al. / Zhu et al.: N(0, 0.02) weights


def _norm(kind: str, x: jax.Array, *, train: bool, axis_name: str | None, name: str) -> jax.Array:
    if kind == "instance":
        return nn.InstanceNorm(epsilon=_EPSILON, name=name)(x)
    if kind == "batch":
        return layers.batch_norm(train=train, dtype=x.dtype, axis_name=axis_name, name=name)(x)
    return x


def _check(owner: str, module: Any, sizes: tuple[str, ...]) -> None:
    for field in sizes:
        layers.check_positive_int(owner, field, getattr(module, field))
    layers.check_choice(owner, "norm", module.norm, NORMS)


def unet_depth(image_size: int) -> int:
    """Encoder layers of the U-Net for square images of side `image_size`: log2 of the padded side."""
    return max(1, math.ceil(math.log2(image_size)))


class UNetGenerator(nn.Module):
    """pix2pix's U-Net: `source [B, S, S, C_in] -> image [B, S, S, out_channels]` in [-1, 1].

    Encoder: C(w_1)..C(w_n), 4x4 stride 2, LeakyReLU 0.2 (no norm on the first), n = log2 of
    the padded side, so the innermost layer is 1x1; w_i = features · min(2^(i-1), 8).
    Decoder: 2x upsampling + 4x4 convolutions (for 4x4 stride-2 transposed ones), ReLU, layer j fed [previous, encoder n-j];
    dropout 0.5 on the three innermost (train only); the last to `out_channels`, tanh.
    """

    out_channels: int = 1
    features: int = 64
    max_multiplier: int = 8
    dropout_rate: float = 0.5
    norm: str = "instance"
    dtype: Any = jnp.float32
    batch_norm_axis_name: str | None = None
    example_axis_name: str | None = None

    @nn.compact
    def __call__(self, source: jax.Array, *, train: bool) -> jax.Array:
        _check("UNetGenerator", self, ("out_channels", "features", "max_multiplier"))
        layers.check_rate("UNetGenerator", "dropout_rate", self.dropout_rate)
        _, height, width, _ = source.shape
        side = 2 ** unet_depth(max(height, width))
        x = jnp.pad(source, ((0, 0), (0, side - height), (0, side - width), (0, 0))).astype(self.dtype)
        depth = unet_depth(side)
        widths = [self.features * min(2**i, self.max_multiplier) for i in range(depth)]
        skips = []
        for i, width_i in enumerate(widths):
            if i:
                x = nn.leaky_relu(x, layers.LEAKY_RELU_SLOPE)
            x = conv_lib.Conv(width_i, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), kernel_init=_INIT, dtype=self.dtype,
                        name=f"down_{i}")(x)  # fmt: skip
            if 0 < i < depth - 1:  # no norm on the outermost layer nor on the 1x1 innermost one
                x = _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=f"down_norm_{i}")
            skips.append(x)
        dropout = layers.ExampleDropout(self.dropout_rate, axis_name=self.example_axis_name)
        for j, i in enumerate(reversed(range(depth))):  # decoder layer j mirrors encoder layer i
            if j:
                x = jnp.concatenate([x, skips[i]], axis=-1)
            x = nn.relu(x)
            out = self.out_channels if i == 0 else widths[i - 1]
            x = conv_lib.UpsampleConv(out, (4, 4), kernel_init=_INIT, dtype=self.dtype, name=f"up_{j}")(x)
            if i > 0:
                x = _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=f"up_norm_{j}")
                if j < 3:
                    x = dropout(x, deterministic=not train)
        return jnp.tanh(x[:, :height, :width].astype(jnp.float32))


def _reflect(x: jax.Array, pad: int) -> jax.Array:
    return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")


class ResNetGenerator(nn.Module):
    """CycleGAN's generator: c7s1-w, d2w, d4w, `num_blocks` x R4w, u2w, uw, c7s1-out, tanh.

    c7s1-k: 7x7 stride-1 conv, norm, ReLU (reflection padding 3); dk: 3x3 stride-2 conv,
    norm, ReLU; Rk: two 3x3 convs (reflection padding 1) with norm, ReLU between, plus the
    input; uk: 2x upsampling + 3x3 conv (for a stride-2 transposed conv), norm, ReLU. Sides must be multiples of 4.
    """

    out_channels: int = 3
    features: int = 64
    num_blocks: int = 9
    norm: str = "instance"
    dtype: Any = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, source: jax.Array, *, train: bool) -> jax.Array:
        _check("ResNetGenerator", self, ("out_channels", "features", "num_blocks"))
        if source.shape[1] % 4 or source.shape[2] % 4:
            raise ValueError(f"ResNetGenerator: image sides must be multiples of 4; got {source.shape[1:3]}.")

        def norm(x, name):
            return _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=name)

        def conv(x, features, kernel, stride, name, padding="VALID"):
            return conv_lib.Conv(features, (kernel, kernel), strides=(stride, stride), padding=padding, kernel_init=_INIT,
                           dtype=self.dtype, name=name)(x)  # fmt: skip

        w = self.features
        x = nn.relu(norm(conv(_reflect(source.astype(self.dtype), 3), w, 7, 1, "in"), "in_norm"))
        for i, width in enumerate((2 * w, 4 * w)):
            x = nn.relu(norm(conv(x, width, 3, 2, f"down_{i}", padding=((1, 1), (1, 1))), f"down_norm_{i}"))
        for b in range(self.num_blocks):
            h = nn.relu(norm(conv(_reflect(x, 1), 4 * w, 3, 1, f"block_{b}_a"), f"block_{b}_a_norm"))
            x = x + norm(conv(_reflect(h, 1), 4 * w, 3, 1, f"block_{b}_b"), f"block_{b}_b_norm")
        for i, width in enumerate((2 * w, w)):
            x = conv_lib.UpsampleConv(width, (3, 3), kernel_init=_INIT, dtype=self.dtype, name=f"up_{i}")(x)
            x = nn.relu(norm(x, f"up_norm_{i}"))
        x = conv(_reflect(x, 3), self.out_channels, 7, 1, "out")
        return jnp.tanh(x.astype(jnp.float32))


def patchgan_layout(num_downsamplings: int) -> tuple[tuple[int, int], ...]:
    """(kernel, stride) of every convolution of the PatchGAN with `num_downsamplings` stride-2 layers."""
    return ((4, 2),) * num_downsamplings + ((4, 1), (4, 1))


def receptive_field(layout) -> int:
    """Side of the input square one output sees: r <- (r - 1)·s + k from the output back, r = 1."""
    r = 1
    for kernel, stride in reversed(tuple(layout)):
        r = (r - 1) * stride + kernel
    return r


def patchgan_downsamplings(image_size: int) -> int:
    """The default depth for an image side: 3 (70x70 patches) from 128 up, 2 (34x34) from 64, else 1 (16x16)."""
    return 3 if image_size >= 128 else 2 if image_size >= 64 else 1


class PatchGANDiscriminator(nn.Module):
    """PatchGAN: images `[B, S, S, C_k]` (concatenated along channels) -> logits `[B, h, w]`.

    C(w)-C(2w)-...: 4x4 convolutions with padding 1, LeakyReLU 0.2, norm on all but the first;
    widths w·min(2^i, 8); strides 2 for the first `num_downsamplings`, then one of stride 1,
    then a 4x4 stride-1 convolution to one logit per patch. Its penultimate activations are
    sown as ("intermediates", "features").
    """

    features: int = 64
    num_downsamplings: int = 3
    norm: str = "instance"
    dtype: Any = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, *images: jax.Array, train: bool) -> jax.Array:
        _check("PatchGANDiscriminator", self, ("features", "num_downsamplings"))
        x = jnp.concatenate([jnp.asarray(image) for image in images], axis=-1).astype(self.dtype)
        layout = patchgan_layout(self.num_downsamplings)
        for i, (kernel, stride) in enumerate(layout[:-1]):
            x = conv_lib.Conv(self.features * min(2**i, 8), (kernel, kernel), strides=(stride, stride), padding=((1, 1), (1, 1)),
                        kernel_init=_INIT, dtype=self.dtype, name=f"conv_{i}")(x)  # fmt: skip
            if i:
                x = _norm(self.norm, x, train=train, axis_name=self.batch_norm_axis_name, name=f"norm_{i}")
            x = nn.leaky_relu(x, layers.LEAKY_RELU_SLOPE)
        self.sow("intermediates", "features", x.reshape(x.shape[0], -1))
        x = conv_lib.Conv(
            1, (4, 4), strides=(1, 1), padding=((1, 1), (1, 1)), kernel_init=_INIT, dtype=self.dtype, name="logits"
        )(x)
        return x[..., 0].astype(jnp.float32)
