"""VAE-GAN's encoder and its discriminator with a feature head (Larsen et al. 2016).

`ConvEncoder`: (x, eps) -> {"mean", "log_variance", "z"}, q(z|x) = N(mean, exp(log_variance)),
z = mean + exp(log_variance / 2) * eps (the reparameterisation, eps ~ N(0, I) drawn by the step).
`FeatureDiscriminator`: x -> {"logit": [B], "features": [B, F]}, the features being D's l-th
layer (here the last convolution, flattened) that the feature-wise reconstruction loss compares.
Both: two strided 5x5 convolutions (f, 2f channels, LeakyReLU 0.2), no batch statistics, so
the data, the reconstructions and the prior samples go through D in one joined call.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv

Dtype = Any


def _convolutions(x: jax.Array, features: int, dtype: Dtype, owner: str) -> jax.Array:
    if x.ndim != 4:
        raise ValueError(f"{owner}: images must be NHWC [batch, height, width, channels]; got shape {x.shape}.")
    h = x.astype(dtype)
    for i, width in enumerate((features, 2 * features)):
        h = Conv(width, (5, 5), strides=(2, 2), dtype=dtype, name=f"conv_{i}")(h)
        h = nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
    return h.reshape(h.shape[0], -1)


class ConvEncoder(nn.Module):
    latent_dim: int = 64
    features: int = 32
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("ConvEncoder", "latent_dim", self.latent_dim)
        layers.check_positive_int("ConvEncoder", "features", self.features)

    @nn.compact
    def __call__(self, x: jax.Array, eps: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        h = _convolutions(x, self.features, self.dtype, "ConvEncoder")
        mean = nn.Dense(self.latent_dim, dtype=self.dtype, name="mean")(h).astype(jnp.float32)
        log_variance = nn.Dense(self.latent_dim, dtype=self.dtype, name="log_variance")(h).astype(jnp.float32)
        return {"mean": mean, "log_variance": log_variance, "z": mean + jnp.exp(0.5 * log_variance) * eps}


class FeatureDiscriminator(nn.Module):
    features: int = 32
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("FeatureDiscriminator", "features", self.features)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        h = _convolutions(x, self.features, self.dtype, "FeatureDiscriminator")
        logit = nn.Dense(1, dtype=self.dtype, name="logit")(h)[:, 0]
        return {"logit": logit.astype(jnp.float32), "features": h.astype(jnp.float32)}
