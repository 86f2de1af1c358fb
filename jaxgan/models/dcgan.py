"""Convolutional GANs: the survey's 28x28 seed DCGAN and Radford et al.'s DCGAN at 32/64 pixels.

`DCGAN28Generator` / `DCGAN28Discriminator` follow the Keras MNIST example used as the seed
(nearest upsampling + 5x5 convolutions in G; two strided 5x5 convolutions with LeakyReLU and
dropout in D). `DCGANGenerator` / `DCGANDiscriminator` are the all-convolutional networks of
Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep Convolutional
GANs" (ICLR), §3 and Fig. 1: 4x4 stride-2 (transposed) convolutions, batch norm, ReLU in G and
LeakyReLU(0.2) in D, tanh output, no pooling.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, UpsampleConv, check_algorithm

Dtype = Any

_IMAGE_SIZES = (32, 64)


def _check_latent(owner: str, z: jax.Array) -> None:
    if z.ndim != 2:
        raise ValueError(f"{owner}: `z` must be [batch, latent_dim]; got shape {z.shape}.")


def _check_images(owner: str, x: jax.Array, size: int | None = None) -> None:
    if x.ndim != 4 or (size is not None and x.shape[1:3] != (size, size)):
        expected = f"[batch, {size}, {size}, channels]" if size else "[batch, height, width, channels]"
        raise ValueError(f"{owner}: images must be NHWC {expected}; got shape {x.shape}.")


# The survey's Keras example keeps Keras's default initialisation (Glorot uniform, zero bias);
# with flax's LeCun normal the seed DCGAN's G saturates to black within its first 100 steps.
KERAS_INIT = nn.initializers.glorot_uniform()


class DCGAN28Generator(nn.Module):
    """z -> Dense(7·7·2f) -> 7x7x2f -> up x2 -> conv5x5(f) ReLU -> up x2 -> conv5x5(C) tanh.

    `f = features` (64), so the layer shapes are 7x7x128 -> 14x14x64 -> 28x28xC. As in the
    survey's Keras code there is no activation after the Dense (the Dense, the upsampling and
    the first convolution are then one linear map of z, followed by the first ReLU).
    `use_batch_norm` (default off, as in the Keras example) adds batch norm + ReLU after the
    Dense and batch norm before the first convolution's ReLU. `fused_upsampling` (default on) computes each upsampling
    + convolution as one convolution of the smaller image (`conv.UpsampleConv`); off, it
    upsamples and then convolves, as written. Same parameters and function either way.
    `conv_algorithm` "auto" (the default) changes nothing in the fused network (its 7x7 and
    4-channel phase convolutions stay on XLA's); as written, the 5x5 convolution of the
    upsampled 14x14 image runs by Winograd's F(4x4, 5x5) on the CPU (`conv.winograd_tile`).
    """

    channels: int = 1
    features: int = 64
    use_batch_norm: bool = False
    fused_upsampling: bool = True
    conv_algorithm: str = "auto"  # `jaxgan.models.conv.ALGORITHMS`; "auto": Winograd where it is faster on a CPU
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("DCGAN28Generator", "channels", self.channels)
        layers.check_positive_int("DCGAN28Generator", "features", self.features)
        check_algorithm("DCGAN28Generator", self.conv_algorithm)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (28, 28, self.channels)

    def _normalize_and_activate(self, h: jax.Array, train: bool, name: str) -> jax.Array:
        if self.use_batch_norm:
            h = layers.batch_norm(train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=name)(h)
        return nn.relu(h)

    def _upsample_conv(self, features: int, use_bias: bool, name: str):
        """Upsampling x2, then a 5x5 convolution; the same `kernel` and `bias` either way.

        Fused (`conv.UpsampleConv`), it is one 3x3 convolution of the source image with the
        four phase kernels stacked: the same function with 2.8x fewer FLOPs.
        """
        settings = dict(use_bias=use_bias, dtype=self.dtype, kernel_init=KERAS_INIT, name=name)
        if self.fused_upsampling:
            return UpsampleConv(features, (5, 5), algorithm=self.conv_algorithm, **settings)
        conv = Conv(features, (5, 5), self.conv_algorithm, **settings)
        return lambda h: conv(layers.upsample_nearest(h))

    @nn.compact
    def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
        _check_latent("DCGAN28Generator", z)
        use_bias = not self.use_batch_norm
        project = nn.Dense(
            7 * 7 * 2 * self.features, use_bias=use_bias, dtype=self.dtype, kernel_init=KERAS_INIT, name="project"
        )
        h = project(z.astype(self.dtype))
        if self.use_batch_norm:  # the survey's Keras model has no activation after the projection
            h = self._normalize_and_activate(h, train, "batch_norm_project")
        h = h.reshape(z.shape[0], 7, 7, 2 * self.features)
        h = self._upsample_conv(self.features, use_bias, "conv_0")(h)
        h = self._normalize_and_activate(h, train, "batch_norm_0")
        x = self._upsample_conv(self.channels, True, "conv_1")(h)
        return jnp.tanh(x).astype(jnp.float32)


class DCGAN28Discriminator(nn.Module):
    """x -> conv5x5/2(f) LReLU drop -> conv5x5/2(2f) BN LReLU drop -> flatten -> Dense(1).

    LeakyReLU slope 0.2, dropout 0.3, as in the Keras example. Turn `use_batch_norm` off for
    gradient penalties (batch statistics mix examples; MATH.md §4). Any image size and channel
    count (packed inputs) work; the sown "features" are the flattened last convolution.
    """

    features: int = 64
    use_batch_norm: bool = True
    dropout_rate: float = 0.3
    spectral_norm: bool = False
    num_outputs: int | None = None
    features_only: bool = False  # return the features (no output layer), for a head on top
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None
    example_axis_name: str | None = None  # the data axis: dropout masks follow global example indices

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("DCGAN28Discriminator", "features", self.features)
        layers.check_rate("DCGAN28Discriminator", "dropout_rate", self.dropout_rate)
        layers.check_num_outputs("DCGAN28Discriminator", self.num_outputs)

    def _dropout_bits(self, dropout: layers.ExampleDropout, x: jax.Array, train: bool) -> list:
        """The random bits of both dropout layers from one hash (XLA:CPU compiles each hash as a
        loop of its own): per example, the first layer's units, then the second's."""
        if not train or self.dropout_rate in (0.0, 1.0):
            return [None, None]
        half = lambda n: -(-n // 2)  # the size after a SAME convolution of stride 2
        h, w = half(x.shape[1]), half(x.shape[2])
        shapes = [(h, w, self.features), (half(h), half(w), 2 * self.features)]
        sizes = [math.prod(shape) for shape in shapes]
        bits = layers.per_example_bits(self.make_rng("dropout"), dropout.example_index(x.shape[0]), (sum(sizes),))
        return [bits[:, : sizes[0]].reshape(-1, *shapes[0]), bits[:, sizes[0] :].reshape(-1, *shapes[1])]

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        _check_images("DCGAN28Discriminator", x)
        sn = dict(enabled=self.spectral_norm, train=train)
        h = x.astype(self.dtype)
        dropout = layers.ExampleDropout(self.dropout_rate, axis_name=self.example_axis_name)
        bits = iter(self._dropout_bits(dropout, x, train))
        conv_0 = Conv(self.features, (5, 5), strides=(2, 2), dtype=self.dtype, kernel_init=KERAS_INIT, name="conv_0")
        h = nn.leaky_relu(layers.spectral_normalized(conv_0, **sn)(h), layers.LEAKY_RELU_SLOPE)
        h = dropout(h, deterministic=not train, bits=next(bits))
        conv_1 = Conv(
            2 * self.features,
            (5, 5),
            strides=(2, 2),
            use_bias=not self.use_batch_norm,
            dtype=self.dtype,
            kernel_init=KERAS_INIT,
            name="conv_1",
        )
        h = layers.spectral_normalized(conv_1, **sn)(h)
        if self.use_batch_norm:
            h = layers.batch_norm(
                train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name="batch_norm_1"
            )(h)
        h = nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
        h = dropout(h, deterministic=not train, bits=next(bits))
        h = h.reshape(h.shape[0], -1)
        self.sow("intermediates", "features", h.astype(jnp.float32))
        if self.features_only:
            return h.astype(jnp.float32)
        output = nn.Dense(self.num_outputs or 1, dtype=self.dtype, kernel_init=KERAS_INIT, name="output")
        v = layers.spectral_normalized(output, **sn)(h)
        return (v[:, 0] if self.num_outputs is None else v).astype(jnp.float32)


class DCGANGenerator(nn.Module):
    """Radford et al. 2016 generator for `image_size` 32 or 64.

    z -> Dense to 4x4x(f·2^(n-1)) (the paper's "project and reshape") -> BN ReLU -> n-1
    transposed convolutions 4x4 stride 2 halving the width, each BN ReLU -> a last transposed
    convolution to `channels` -> tanh, with n = log2(image_size / 4) and f = `features` (64):
    64x64: 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64xC.
    """

    image_size: int = 64
    channels: int = 3
    features: int = 64
    use_batch_norm: bool = True
    num_classes: int = 0  # > 0: conditional batch norm on a label per example (G(z, label))
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_choice("DCGANGenerator", "image_size", self.image_size, _IMAGE_SIZES)
        layers.check_positive_int("DCGANGenerator", "channels", self.channels)
        layers.check_positive_int("DCGANGenerator", "features", self.features)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

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
    def __call__(self, z: jax.Array, label: jax.Array | None = None, *, train: bool) -> jax.Array:
        _check_latent("DCGANGenerator", z)
        num_upsamplings = (self.image_size // 4).bit_length() - 1  # 3 for 32, 4 for 64
        width = self.features * 2 ** (num_upsamplings - 1)
        use_bias = not self.use_batch_norm
        h = nn.Dense(4 * 4 * width, use_bias=use_bias, dtype=self.dtype, name="project")(z.astype(self.dtype))
        h = h.reshape(z.shape[0], 4, 4, width)
        h = self._normalize_and_activate(h, train, "batch_norm_project", label)
        for i in range(num_upsamplings - 1):
            width //= 2
            h = nn.ConvTranspose(
                width, (4, 4), strides=(2, 2), padding="SAME", use_bias=use_bias, dtype=self.dtype, name=f"deconv_{i}"
            )(h)
            h = self._normalize_and_activate(h, train, f"batch_norm_{i}", label)
        last = f"deconv_{num_upsamplings - 1}"
        x = nn.ConvTranspose(self.channels, (4, 4), strides=(2, 2), padding="SAME", dtype=self.dtype, name=last)(h)
        return jnp.tanh(x).astype(jnp.float32)


class DCGANDiscriminator(nn.Module):
    """Radford et al. 2016 discriminator for `image_size` 32 or 64.

    n = log2(image_size / 4) convolutions 4x4 stride 2 doubling the width from f (64), each
    followed by LeakyReLU(0.2), with batch norm on all but the first, down to 4x4; the last
    feature map is flattened (the sown "features") and a Dense gives the logit. Any channel
    count is accepted (packed inputs).
    """

    image_size: int = 64
    features: int = 64
    use_batch_norm: bool = True
    spectral_norm: bool = False
    num_outputs: int | None = None
    features_only: bool = False  # return the features (no output layer), for a head on top
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_choice("DCGANDiscriminator", "image_size", self.image_size, _IMAGE_SIZES)
        layers.check_positive_int("DCGANDiscriminator", "features", self.features)
        layers.check_num_outputs("DCGANDiscriminator", self.num_outputs)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        _check_images("DCGANDiscriminator", x, self.image_size)
        num_downsamplings = (self.image_size // 4).bit_length() - 1
        h = x.astype(self.dtype)
        for i in range(num_downsamplings):
            normalize = self.use_batch_norm and i > 0
            conv = Conv(
                self.features * 2**i, (4, 4), strides=(2, 2), use_bias=not normalize, dtype=self.dtype, name=f"conv_{i}"
            )
            h = layers.spectral_normalized(conv, enabled=self.spectral_norm, train=train)(h)
            if normalize:
                h = layers.batch_norm(
                    train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=f"batch_norm_{i}"
                )(h)
            h = nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
        h = h.reshape(h.shape[0], -1)
        self.sow("intermediates", "features", h.astype(jnp.float32))
        if self.features_only:
            return h.astype(jnp.float32)
        output = nn.Dense(self.num_outputs or 1, dtype=self.dtype, name="output")
        v = layers.spectral_normalized(output, enabled=self.spectral_norm, train=train)(h)
        return (v[:, 0] if self.num_outputs is None else v).astype(jnp.float32)
