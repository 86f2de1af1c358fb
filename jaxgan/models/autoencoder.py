"""Autoencoder discriminators (EBGAN, BEGAN): x -> {"reconstruction": Dec(Enc(x)), "embedding": Enc(x)}.

`ConvAutoencoder` for square images whose side is a multiple of 4 (28x28, 32x32): two strided
5x5 convolutions (f, 2f channels, ELU, as in Berthelot et al. 2017) and a Dense to the
embedding; the decoder mirrors it (Dense to S/4 x S/4 x 2f, two nearest-upsampling 5x5
convolutions, tanh, since the data lie in [-1, 1]). `MLPAutoencoder` for the 2-D mixtures.
Neither keeps batch statistics, so real and generated batches go through one joined call.
The energy of an example (EBGAN) or its L (BEGAN) is computed from the reconstruction by the
program's terms (`jaxgan.programs.ebgan`, `jaxgan.programs.began`).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, UpsampleConv

Dtype = Any


class ConvAutoencoder(nn.Module):
    """x [B, S, S, C] -> reconstruction [B, S, S, C] (tanh) and embedding [B, embedding_dim]."""

    features: int = 32
    embedding_dim: int = 64
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("ConvAutoencoder", "features", self.features)
        layers.check_positive_int("ConvAutoencoder", "embedding_dim", self.embedding_dim)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        if x.ndim != 4 or x.shape[1] != x.shape[2] or x.shape[1] % 4:
            raise ValueError(
                f"ConvAutoencoder: images must be NHWC squares whose side is a multiple of 4; got shape {x.shape}."
            )
        size, channels = x.shape[1], x.shape[3]
        f, dtype = self.features, self.dtype
        h = x.astype(dtype)
        h = nn.elu(Conv(f, (5, 5), strides=(2, 2), dtype=dtype, name="encoder_0")(h))
        h = nn.elu(Conv(2 * f, (5, 5), strides=(2, 2), dtype=dtype, name="encoder_1")(h))
        embedding = nn.Dense(self.embedding_dim, dtype=dtype, name="embedding")(h.reshape(h.shape[0], -1))
        quarter = size // 4
        h = nn.Dense(quarter * quarter * 2 * f, dtype=dtype, name="decoder_project")(embedding)
        h = nn.elu(h.reshape(h.shape[0], quarter, quarter, 2 * f))
        h = nn.elu(UpsampleConv(f, (5, 5), dtype=dtype, name="decoder_0")(h))
        reconstruction = jnp.tanh(UpsampleConv(channels, (5, 5), dtype=dtype, name="decoder_1")(h))
        return {"reconstruction": reconstruction.astype(jnp.float32), "embedding": embedding.astype(jnp.float32)}


class MLPAutoencoder(nn.Module):
    """x [B, d] -> reconstruction [B, d] (linear) and embedding [B, embedding_dim]; `depth` ReLU
    layers of `width` on each side."""

    width: int = 128
    depth: int = 2
    embedding_dim: int = 16
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        for field in ("width", "depth", "embedding_dim"):
            layers.check_positive_int("MLPAutoencoder", field, getattr(self, field))

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        shape = x.shape[1:]
        h = x.reshape(x.shape[0], -1).astype(self.dtype)
        for i in range(self.depth):
            h = nn.relu(nn.Dense(self.width, dtype=self.dtype, name=f"encoder_{i}")(h))
        embedding = nn.Dense(self.embedding_dim, dtype=self.dtype, name="embedding")(h)
        h = embedding
        for i in range(self.depth):
            h = nn.relu(nn.Dense(self.width, dtype=self.dtype, name=f"decoder_{i}")(h))
        reconstruction = nn.Dense(math.prod(shape), dtype=self.dtype, name="output")(h).reshape(x.shape[0], *shape)
        return {"reconstruction": reconstruction.astype(jnp.float32), "embedding": embedding.astype(jnp.float32)}
