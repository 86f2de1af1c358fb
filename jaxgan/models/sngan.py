"""ResNet generator and discriminator for 32x32 images of Miyato et al. 2018.

"Spectral Normalization for Generative Adversarial Networks" (ICLR), Table 4 / Appendix B.4,
with the blocks of Gulrajani et al. 2017 (WGAN-GP), as in the authors' Chainer code:

- G: z -> dense 4x4xf -> 3 x ResBlock up (f) -> BN, ReLU, conv3x3(C) -> tanh   (f = 256)
- D: OptimizedBlock down (f) -> ResBlock down (f) -> ResBlock (f) -> ResBlock (f)
     -> ReLU -> global sum pooling -> dense(1)                                  (f = 128)

Spectral norm is on every D layer by default. Kernels use Glorot-uniform initialisation with
gain √2 on the residual branch and gain 1 on the 1x1 shortcuts and dense layers, as in the
authors' code.

`conv_algorithm` defaults to "auto": on the CPU backend the float32 3x3 layers of 32 channels
and more run by Winograd's F(4x4, 3x3) or F(2x2, 3x3) (`jaxgan.models.conv.winograd_tile`),
the same function within float rounding; "xla" is XLA's convolution everywhere.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, UpsampleConv, check_algorithm

Dtype = Any

_residual_init = nn.initializers.variance_scaling(2.0, "fan_avg", "uniform")  # Glorot, gain √2
_shortcut_init = nn.initializers.xavier_uniform()

IMAGE_SIZE = 32


class GeneratorBlock(nn.Module):
    """BN ReLU up x2 conv3x3 BN ReLU conv3x3, plus shortcut up x2 conv1x1 (nearest upsampling).

    With `fused_upsampling`, "up x2 conv3x3" is `UpsampleConv`: the same function of the same
    parameters as one convolution of the smaller image with the four phase kernels stacked;
    for a 3x3 kernel the stacked kernel is 3x3 again (the phases' 2x2 taps sit at different
    offsets), so this saves the upsampled image, not products (36 per source pixel either way;
    measured: the same XLA FLOPs). The shortcut's "up x2 conv1x1" becomes "conv1x1 up x2"
    (equal: a 1x1 convolution commutes with nearest upsampling), 4x fewer products there.
    """

    features: int
    use_batch_norm: bool = True
    num_classes: int = 0  # > 0: conditional batch norm on `label`
    fused_upsampling: bool = False
    conv_algorithm: str = "auto"
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def _normalize_and_activate(self, h: jax.Array, train: bool, name: str, label=None) -> jax.Array:
        if self.use_batch_norm:
            h = layers.normalize(
                h,
                train=train,
                dtype=self.dtype,
                axis_name=self.batch_norm_axis_name,
                name=name,
                num_classes=self.num_classes,
                label=label,
            )
        return nn.relu(h)

    @nn.compact
    def __call__(self, x: jax.Array, label: jax.Array | None = None, *, train: bool) -> jax.Array:
        h = self._normalize_and_activate(x, train, "batch_norm_0", label)
        conv = dict(dtype=self.dtype)
        if self.fused_upsampling:
            h = UpsampleConv(
                self.features, (3, 3), kernel_init=_residual_init, algorithm=self.conv_algorithm, name="conv_0", **conv
            )(h)
        else:
            h = layers.upsample_nearest(h)
            h = Conv(self.features, (3, 3), self.conv_algorithm, kernel_init=_residual_init, name="conv_0", **conv)(h)
        h = self._normalize_and_activate(h, train, "batch_norm_1", label)
        h = Conv(self.features, (3, 3), self.conv_algorithm, kernel_init=_residual_init, name="conv_1", **conv)(h)
        shortcut = Conv(self.features, (1, 1), kernel_init=_shortcut_init, name="shortcut", **conv)
        if self.fused_upsampling:
            return h + layers.upsample_nearest(shortcut(x))
        return h + shortcut(layers.upsample_nearest(x))


class DiscriminatorBlock(nn.Module):
    """ReLU conv3x3 ReLU conv3x3 [avgpool], plus shortcut (conv1x1 [avgpool] when shapes change).

    `first=True` is the "optimized" first block (no ReLU on the input image; the shortcut
    pools before its 1x1 conv).
    """

    features: int
    downsample: bool
    first: bool = False
    spectral_norm: bool = True
    conv_algorithm: str = "auto"
    dtype: Dtype = jnp.float32

    def _conv(self, kernel_size: int, init, name: str, train: bool):
        conv = Conv(
            self.features,
            (kernel_size, kernel_size),
            self.conv_algorithm,
            kernel_init=init,
            dtype=self.dtype,
            name=name,
        )
        return layers.spectral_normalized(conv, enabled=self.spectral_norm, train=train)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        h = x if self.first else nn.relu(x)
        h = self._conv(3, _residual_init, "conv_0", train)(h)
        h = self._conv(3, _residual_init, "conv_1", train)(nn.relu(h))
        if self.downsample:
            h = layers.downsample_average(h)
        if self.first:
            shortcut = self._conv(1, _shortcut_init, "shortcut", train)(layers.downsample_average(x))
        elif self.downsample or x.shape[-1] != self.features:
            shortcut = self._conv(1, _shortcut_init, "shortcut", train)(x)
            if self.downsample:
                shortcut = layers.downsample_average(shortcut)
        else:
            shortcut = x
        return h + shortcut


class SNGANResNetGenerator(nn.Module):
    """z [B, latent] -> images [B, 32, 32, channels] in [-1, 1] (Miyato et al. 2018, Table 4a)."""

    channels: int = 3
    features: int = 256
    use_batch_norm: bool = True
    num_classes: int = 0  # > 0: conditional batch norm on a label per example (G(z, label))
    fused_upsampling: bool = False  # see GeneratorBlock: the same function
    conv_algorithm: str = "auto"  # `jaxgan.models.conv.ALGORITHMS`; "auto": Winograd for the large 3x3 layers on a CPU
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("SNGANResNetGenerator", "channels", self.channels)
        layers.check_positive_int("SNGANResNetGenerator", "features", self.features)
        check_algorithm("SNGANResNetGenerator", self.conv_algorithm)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (IMAGE_SIZE, IMAGE_SIZE, self.channels)

    @nn.compact
    def __call__(self, z: jax.Array, label: jax.Array | None = None, *, train: bool) -> jax.Array:
        if z.ndim != 2:
            raise ValueError(f"SNGANResNetGenerator: `z` must be [batch, latent_dim]; got shape {z.shape}.")
        h = nn.Dense(4 * 4 * self.features, kernel_init=_shortcut_init, dtype=self.dtype, name="project")(
            z.astype(self.dtype)
        )
        h = h.reshape(z.shape[0], 4, 4, self.features)
        for i in range(3):
            h = GeneratorBlock(
                self.features,
                use_batch_norm=self.use_batch_norm,
                num_classes=self.num_classes,
                dtype=self.dtype,
                batch_norm_axis_name=self.batch_norm_axis_name,
                name=f"block_{i}",
            )(h, label, train=train)
        if self.use_batch_norm:
            h = layers.normalize(
                h,
                train=train,
                dtype=self.dtype,
                axis_name=self.batch_norm_axis_name,
                name="batch_norm_output",
                num_classes=self.num_classes,
                label=label,
            )
        h = nn.relu(h)
        x = Conv(
            self.channels, (3, 3), self.conv_algorithm, kernel_init=_shortcut_init, dtype=self.dtype, name="conv_output"
        )(h)
        return jnp.tanh(x).astype(jnp.float32)


class SNGANResNetDiscriminator(nn.Module):
    """images [B, H, W, C] -> logits [B] (Miyato et al. 2018, Table 4b).

    The sown "features" are the globally sum-pooled last block [B, features]. Any channel count
    (packed inputs) and any even size work; the paper's is 32x32. `batch_norm_axis_name` is
    accepted for a uniform interface; this network has no batch norm.
    """

    features: int = 128
    spectral_norm: bool = True
    num_outputs: int | None = None
    features_only: bool = False  # return the pooled features (no output layer), for a head on top
    conv_algorithm: str = "auto"  # `jaxgan.models.conv.ALGORITHMS`; "auto": Winograd for the large 3x3 layers on a CPU
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("SNGANResNetDiscriminator", "features", self.features)
        check_algorithm("SNGANResNetDiscriminator", self.conv_algorithm)
        layers.check_num_outputs("SNGANResNetDiscriminator", self.num_outputs)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        if x.ndim != 4 or x.shape[1] % 4 or x.shape[2] % 4:
            raise ValueError(
                "SNGANResNetDiscriminator: images must be NHWC with height and width divisible by 4; "
                f"got shape {x.shape}."
            )
        block = dict(spectral_norm=self.spectral_norm, conv_algorithm=self.conv_algorithm, dtype=self.dtype)
        h = DiscriminatorBlock(self.features, downsample=True, first=True, name="block_0", **block)(
            x.astype(self.dtype), train=train
        )
        h = DiscriminatorBlock(self.features, downsample=True, name="block_1", **block)(h, train=train)
        h = DiscriminatorBlock(self.features, downsample=False, name="block_2", **block)(h, train=train)
        h = DiscriminatorBlock(self.features, downsample=False, name="block_3", **block)(h, train=train)
        h = jnp.sum(nn.relu(h), axis=(1, 2))  # global sum pooling
        self.sow("intermediates", "features", h.astype(jnp.float32))
        if self.features_only:
            return h.astype(jnp.float32)
        output = nn.Dense(self.num_outputs or 1, kernel_init=_shortcut_init, dtype=self.dtype, name="output")
        v = layers.spectral_normalized(output, enabled=self.spectral_norm, train=train)(h)
        return (v[:, 0] if self.num_outputs is None else v).astype(jnp.float32)
