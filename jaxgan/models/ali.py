"""ALI / BiGAN's networks: a deterministic encoder `E(x) -> z` and a joint discriminator `D(x, z)`.

`JointDiscriminator` follows the shape of Dumoulin et al. 2017's D (ALI, appendix A): an x path
`D(x)` (convolutions for images, Dense layers for vectors), a z path `D(z)` (Dense layers), and a
joint path `D(x, z)` on their concatenated features, with dropout 0.2 after every hidden layer
(as ALI's D); the x path is the seed DCGAN's two strided 5x5
convolutions (as Donahue et al. 2017's MNIST D, x and z are joined before the last hidden
layers). No batch statistics, so encoder pairs and generator pairs go through D in one joined call.
The encoders are deterministic, as BiGAN's (`E(x)` a function; ALI's is a Gaussian
reparameterised by its own noise): `DeterministicConvEncoder` mirrors the seed DCGAN's D (two
strided 5x5 convolutions, a hidden Dense) for images, `MLPEncoder` is Dense layers for points.
All layers LeakyReLU 0.2 (Radford et al. 2016).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv
from jaxgan.models.mlp import MLPDiscriminator, dense_init

Dtype = Any


def _convolutions(x: jax.Array, features: int, dtype: Dtype, dropout=None) -> jax.Array:
    """conv5x5/2(f) LReLU -> conv5x5/2(2f) LReLU -> flatten; `dropout(h, name)` after each layer."""
    h = x.astype(dtype)
    for i, width in enumerate((features, 2 * features)):
        h = Conv(width, (5, 5), strides=(2, 2), dtype=dtype, name=f"conv_{i}")(h)
        h = nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
        h = h if dropout is None else dropout(h, f"conv_{i}")
    return h.reshape(h.shape[0], -1)


def _dense_stack(h: jax.Array, width: int, depth: int, dtype: Dtype, prefix: str, dropout=None) -> jax.Array:
    for i in range(depth):
        h = nn.leaky_relu(nn.Dense(width, dtype=dtype, name=f"{prefix}_{i}")(h), layers.LEAKY_RELU_SLOPE)
        h = h if dropout is None else dropout(h, f"{prefix}_{i}")
    return h


def _check_input(owner: str, x: jax.Array) -> None:
    if x.ndim not in (2, 4):
        raise ValueError(f"{owner}: `x` must be images [batch, H, W, C] or vectors [batch, d]; got shape {x.shape}.")


class DeterministicConvEncoder(nn.Module):
    """x [B, H, W, C] -> z [B, latent_dim]: conv5x5/2(f) -> conv5x5/2(2f) -> Dense(width) -> Dense(latent_dim)."""

    latent_dim: int = 50
    features: int = 64
    width: int = 512
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        for field in ("latent_dim", "features", "width"):
            layers.check_positive_int("DeterministicConvEncoder", field, getattr(self, field))

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(f"DeterministicConvEncoder: images must be NHWC; got shape {x.shape}.")
        h = _dense_stack(_convolutions(x, self.features, self.dtype), self.width, 1, self.dtype, "hidden")
        return nn.Dense(self.latent_dim, dtype=self.dtype, name="output")(h).astype(jnp.float32)


class MLPEncoder(nn.Module):
    """x [B, d] -> z [B, latent_dim]: `depth` Dense(width) layers, then a linear Dense(latent_dim).

    `noise_dim` > 0 makes E stochastic as the encoder of PacGAN's ALI code on the 2-D mixtures
    (fjxmlzn/PacGAN, `synthetic_data_experiments/2DGrid_ALI/pacgan_task.py`: `COVConditional`, an
    MLP on the concatenation [x, ε] with ε ~ N(0, I) of x's dimension): `noise` [B, noise_dim] is
    concatenated to x; without `noise` (inference: codes, reconstructions) E reads ε = 0, the
    noise's mean. `use_batch_norm` puts batch norm before each hidden activation (the hidden
    Dense then has no bias), `activation` is "leaky_relu" (0.2) or "relu" (theirs: batch norm and
    ReLU), `kernel_init_std` > 0 draws the kernels from N(0, std²) (theirs 0.02)."""

    latent_dim: int = 2
    width: int = 400
    depth: int = 3
    noise_dim: int = 0
    use_batch_norm: bool = False
    activation: str = "leaky_relu"
    kernel_init_std: float = 0.0
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        for field in ("latent_dim", "width"):
            layers.check_positive_int("MLPEncoder", field, getattr(self, field))
        layers.check_non_negative_int("MLPEncoder", "depth", self.depth)
        layers.check_non_negative_int("MLPEncoder", "noise_dim", self.noise_dim)
        layers.check_choice("MLPEncoder", "activation", self.activation, ("leaky_relu", "relu"))
        dense_init("MLPEncoder", self.kernel_init_std)

    @nn.compact
    def __call__(self, x: jax.Array, noise: jax.Array | None = None, *, train: bool) -> jax.Array:
        if x.ndim != 2:
            raise ValueError(f"MLPEncoder: `x` must be vectors [batch, d]; got shape {x.shape}.")
        h = x.astype(self.dtype)
        if self.noise_dim:
            if noise is None:
                noise = jnp.zeros((x.shape[0], self.noise_dim), self.dtype)
            if noise.shape != (x.shape[0], self.noise_dim):
                raise ValueError(
                    f"MLPEncoder: `noise` must be [batch, noise_dim] = {(x.shape[0], self.noise_dim)}; got {noise.shape}."
                )
            h = jnp.concatenate([h, noise.astype(self.dtype)], axis=-1)
        elif noise is not None:
            raise ValueError("MLPEncoder: `noise` was given to a deterministic encoder (noise_dim = 0).")
        init = dense_init("MLPEncoder", self.kernel_init_std)
        for i in range(self.depth):
            h = nn.Dense(self.width, use_bias=not self.use_batch_norm, dtype=self.dtype, name=f"hidden_{i}", **init)(h)
            if self.use_batch_norm:
                h = layers.batch_norm(
                    train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=f"batch_norm_{i}"
                )(h)
            h = nn.relu(h) if self.activation == "relu" else nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
        return nn.Dense(self.latent_dim, dtype=self.dtype, name="output", **init)(h).astype(jnp.float32)


class JointDiscriminator(nn.Module):
    """(x, z) -> one logit per pair: x path (two strided convolutions for images, `depth` Dense(width)
    for vectors) and z path (`depth` Dense(width)) concatenated, then `depth` joint Dense(width)
    layers, then Dense(1); per-example dropout after every hidden layer of the three paths (as
    ALI's D). The sown "features" are the last joint layer."""

    features: int = 64
    width: int = 512
    depth: int = 2
    dropout_rate: float = 0.2
    dtype: Dtype = jnp.float32
    example_axis_name: str | None = None  # the data axis: dropout masks follow global example indices

    def __post_init__(self):
        super().__post_init__()
        for field in ("features", "width", "depth"):
            layers.check_positive_int("JointDiscriminator", field, getattr(self, field))
        layers.check_rate("JointDiscriminator", "dropout_rate", self.dropout_rate)

    @nn.compact
    def __call__(self, x: jax.Array, z: jax.Array, *, train: bool) -> jax.Array:
        _check_input("JointDiscriminator", x)
        if z.ndim != 2 or z.shape[0] != x.shape[0]:
            raise ValueError(f"JointDiscriminator: `z` must be [batch, latent_dim] beside x {x.shape}; got {z.shape}.")

        def dropout(h, name):
            drop = layers.ExampleDropout(self.dropout_rate, axis_name=self.example_axis_name, name=f"dropout_{name}")
            return drop(h, deterministic=not train)

        if x.ndim == 4:
            h_x = _convolutions(x, self.features, self.dtype, dropout)
        else:
            h_x = _dense_stack(x.astype(self.dtype), self.width, self.depth, self.dtype, "x", dropout)
        h_z = _dense_stack(z.astype(self.dtype), self.width, self.depth, self.dtype, "z", dropout)
        h = _dense_stack(jnp.concatenate([h_x, h_z], axis=-1), self.width, self.depth, self.dtype, "joint", dropout)
        self.sow("intermediates", "features", h.astype(jnp.float32))
        return nn.Dense(1, dtype=self.dtype, name="output")(h)[:, 0].astype(jnp.float32)


class ConcatJointDiscriminator(nn.Module):
    """(x, z) -> one logit per pair: the `mlp` discriminator on the concatenation [x, z] (identity x
    and z paths). PacGAN's ALI D on the 2-D mixtures (fjxmlzn/PacGAN,
    `synthetic_data_experiments/2DGrid_ALI/pacgan_task.py`: `XZJointDiscriminator` with `Identity`
    x and z discriminators and three maxout-5 layers of 200 on (x, z), N(0, 0.02²) weights, no
    dropout), which is the GAN row's D reading one more vector. The sown "features" are its last
    hidden layer."""

    width: int = 200
    depth: int = 3
    maxout_pieces: int = 5
    kernel_init_std: float = 0.0
    dropout_rate: float = 0.0
    dtype: Dtype = jnp.float32
    example_axis_name: str | None = None  # the data axis: dropout masks follow global example indices

    @nn.compact
    def __call__(self, x: jax.Array, z: jax.Array, *, train: bool) -> jax.Array:
        _check_input("ConcatJointDiscriminator", x)
        if z.ndim != 2 or z.shape[0] != x.shape[0]:
            raise ValueError(
                f"ConcatJointDiscriminator: `z` must be [batch, latent_dim] beside x {x.shape}; got {z.shape}."
            )
        joint = jnp.concatenate([x.reshape(x.shape[0], -1), z.astype(x.dtype)], axis=-1)
        mlp = MLPDiscriminator(
            width=self.width,
            depth=self.depth,
            maxout_pieces=self.maxout_pieces,
            kernel_init_std=self.kernel_init_std,
            dropout_rate=self.dropout_rate,
            dtype=self.dtype,
            example_axis_name=self.example_axis_name,
            name="mlp",
        )
        return mlp(joint, train=train)
