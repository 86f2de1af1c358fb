"""InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1 and their released code).

openai/InfoGAN, `infogan/models/regularized_gan.py` (network_type "mnist") and
`infogan/misc/custom_ops.py`:

- G: z -> FC 1024, BN, ReLU -> FC 7·7·128, BN, ReLU -> 4x4 up-convolution /2 to 64, BN, ReLU ->
  4x4 up-convolution /2 to 1 channel; their output is the mean of a Bernoulli (a sigmoid, data
  in [0, 1]); here a tanh, data in [-1, 1] (the same function up to an affine map of the output:
  sigmoid(a) = (1 + tanh(a/2)) / 2).
- D: x -> 4x4 convolution /2 to 64, leaky ReLU -> 4x4 convolution /2 to 128, BN, leaky ReLU ->
  FC 1024, BN, leaky ReLU (the shared body, the features Q reads) -> FC 1 (D's head).
  Q's head on the same features is FC 128, BN, leaky ReLU, then the code outputs
  (`jaxgan.models.conditional.QHead` with `batch_norm=True`).

Leaky ReLU slope 0.01 (their `leaky_rectify`), weights N(0, 0.02²), biases 0, batch norm with
ε = 1e-5 (their `conv_batch_norm`; they draw γ from N(1, 0.02²), here γ starts at 1).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, ConvTranspose

Dtype = Any

SLOPE = 0.01  # leaky ReLU slope of Chen et al.'s code
INIT = nn.initializers.normal(0.02)


def _check(owner: str, name: str, value) -> None:
    layers.check_positive_int(owner, name, value)


class InfoGAN28Generator(nn.Module):
    """z -> FC 1024 BN ReLU -> FC 7·7·2f BN ReLU -> up-conv 4x4/2 f BN ReLU -> up-conv 4x4/2 C -> tanh.

    `features = f` (64) and `hidden` (1024) as in Chen et al.'s MNIST G.
    """

    channels: int = 1
    features: int = 64
    hidden: int = 1024
    # "tanh": x = tanh(a); "sigmoid": x = 2 sigmoid(a) - 1 = tanh(a / 2), Chen et al.'s Bernoulli mean
    # sigmoid(a) in [0, 1] mapped to [-1, 1] (the same network and parameters as theirs)
    output: str = "tanh"
    batch_norm_scale_stddev: float = 0.0  # > 0: γ starts at N(1, s²) (theirs: 0.02), else at 1
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        for name in ("channels", "features", "hidden"):
            _check("InfoGAN28Generator", name, getattr(self, name))
        layers.check_choice("InfoGAN28Generator", "output", self.output, ("tanh", "sigmoid"))
        layers.check_non_negative_float("InfoGAN28Generator", "batch_norm_scale_stddev", self.batch_norm_scale_stddev)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (28, 28, self.channels)

    def _bn_relu(self, h: jax.Array, train: bool, name: str) -> jax.Array:
        bn = layers.batch_norm(
            train=train,
            dtype=self.dtype,
            axis_name=self.batch_norm_axis_name,
            name=name,
            scale_stddev=self.batch_norm_scale_stddev,
        )
        return nn.relu(bn(h))

    @nn.compact
    def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
        if z.ndim != 2:
            raise ValueError(f"InfoGAN28Generator: `z` must be [batch, latent_dim]; got shape {z.shape}.")
        dense = dict(use_bias=False, dtype=self.dtype, kernel_init=INIT)
        h = nn.Dense(self.hidden, name="fc_0", **dense)(z.astype(self.dtype))
        h = self._bn_relu(h, train, "batch_norm_fc_0")
        h = nn.Dense(7 * 7 * 2 * self.features, name="fc_1", **dense)(h)
        h = self._bn_relu(h, train, "batch_norm_fc_1")
        h = h.reshape(z.shape[0], 7, 7, 2 * self.features)
        # flax's ConvTranspose(strides=2, padding="SAME") as one convolution of the source image
        # (`conv.ConvTranspose`: same parameters and function, gradients ~5x faster on XLA:CPU)
        conv = dict(stride=2, dtype=self.dtype, kernel_init=INIT)
        h = ConvTranspose(self.features, (4, 4), use_bias=False, name="deconv_0", **conv)(h)
        h = self._bn_relu(h, train, "batch_norm_deconv_0")
        x = ConvTranspose(self.channels, (4, 4), name="deconv_1", **conv)(h)
        return jnp.tanh(x if self.output == "tanh" else 0.5 * x).astype(jnp.float32)


class InfoGAN28Discriminator(nn.Module):
    """x -> conv 4x4/2 f LReLU -> conv 4x4/2 2f BN LReLU -> FC 1024 BN LReLU (features) -> FC 1.

    The sown "features" (and the output with `features_only`) are the 1024 units Q's head reads.
    """

    features: int = 64
    hidden: int = 1024
    num_outputs: int | None = None
    features_only: bool = False
    # "symmetric": D reads x in [-1, 1]; "unit": D reads (x + 1) / 2 in [0, 1], Chen et al.'s data
    input_range: str = "symmetric"
    batch_norm_scale_stddev: float = 0.0  # > 0: γ starts at N(1, s²) (theirs: 0.02), else at 1
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        for name in ("features", "hidden"):
            _check("InfoGAN28Discriminator", name, getattr(self, name))
        layers.check_num_outputs("InfoGAN28Discriminator", self.num_outputs)
        layers.check_choice("InfoGAN28Discriminator", "input_range", self.input_range, ("symmetric", "unit"))
        layers.check_non_negative_float(
            "InfoGAN28Discriminator", "batch_norm_scale_stddev", self.batch_norm_scale_stddev
        )

    def _bn(self, train: bool, name: str):
        return layers.batch_norm(
            train=train,
            dtype=self.dtype,
            axis_name=self.batch_norm_axis_name,
            name=name,
            scale_stddev=self.batch_norm_scale_stddev,
        )

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(f"InfoGAN28Discriminator: images must be NHWC; got shape {x.shape}.")
        if self.input_range == "unit":
            x = (x + 1.0) / 2.0
        conv = dict(strides=(2, 2), dtype=self.dtype, kernel_init=INIT)
        h = nn.leaky_relu(Conv(self.features, (4, 4), name="conv_0", **conv)(x.astype(self.dtype)), SLOPE)
        h = Conv(2 * self.features, (4, 4), use_bias=False, name="conv_1", **conv)(h)
        h = nn.leaky_relu(self._bn(train, "batch_norm_1")(h), SLOPE)
        h = h.reshape(h.shape[0], -1)
        h = nn.Dense(self.hidden, use_bias=False, dtype=self.dtype, kernel_init=INIT, name="fc")(h)
        h = nn.leaky_relu(self._bn(train, "batch_norm_fc")(h), SLOPE)
        self.sow("intermediates", "features", h.astype(jnp.float32))
        if self.features_only:
            return h.astype(jnp.float32)
        v = nn.Dense(self.num_outputs or 1, dtype=self.dtype, kernel_init=INIT, name="output")(h)
        return (v[:, 0] if self.num_outputs is None else v).astype(jnp.float32)
