"""BEGAN's networks (Berthelot, Schumm & Metz 2017, section 3.5 and figure 1), for square images.

The decoder (G, and the second half of D) maps an embedding `h` to an image:

    h -> FC to s0 x s0 x n -> [3x3 conv, ELU, 3x3 conv, ELU, nearest upsampling x2] per scale
      -> 3x3 conv, ELU, 3x3 conv, ELU -> 3x3 conv to C channels

and the encoder (D's first half) mirrors it:

    x -> 3x3 conv n, ELU -> [3x3 conv, ELU, 3x3 conv, ELU, 3x3 conv stride 2 (sub-sampling),
      ELU] per scale, the filters growing by n at each sub-sampling (n, 2n, 3n, ...)
      -> 3x3 conv, ELU, 3x3 conv, ELU -> FC to h (no non-linearity).

No batch norm anywhere, ELU throughout (as in the paper). Each nearest upsampling and the
convolution after it are one `UpsampleConv` (the same function, fewer FLOPs). `s0` is the image
side over 2^`num_scales` (7 for 28x28 with two scales, 8 for 32x32 with two).

The output is linear, as in the paper (`output_activation="tanh"` squashes it into the data's
[-1, 1]). Linear matters here: with tanh, G and D's decoder can both saturate at a constant
image (all -1, the digits' background) that D reconstructs exactly, where tanh's derivative and
the L1 loss's gradient both vanish, and BEGAN's k_t cannot pull either out (measured: G drew
black from step 100 to 400 with k_t still at 0.03). Where it departs from the paper: no skip
connections (the paper's optional "vanishing residuals" of section 3.5).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, UpsampleConv

Dtype = Any


def _check_side(owner: str, side: int, num_scales: int) -> None:
    if side % (2**num_scales):
        raise ValueError(
            f"{owner}: the image side ({side}) must be a multiple of 2**num_scales = {2**num_scales}; "
            "set num_scales or the image size to match."
        )


ACTIVATIONS = {"linear": lambda x: x, "tanh": jnp.tanh}


def began_decoder(
    h: jax.Array, *, side: int, channels: int, features: int, num_scales: int, output_activation: str, dtype
) -> jax.Array:
    """The paper's decoder (module doc) from `h` [B, d] to images [B, side, side, channels];
    call inside an `nn.compact` method (its layers take the caller's scope)."""
    base = side // 2**num_scales
    n = features
    x = nn.Dense(base * base * n, dtype=dtype, name="decoder_project")(h.astype(dtype))
    x = x.reshape(h.shape[0], base, base, n)
    for scale in range(num_scales + 1):
        first = UpsampleConv if scale else Conv
        x = nn.elu(first(n, (3, 3), dtype=dtype, name=f"decoder_{scale}_0")(x))
        x = nn.elu(Conv(n, (3, 3), dtype=dtype, name=f"decoder_{scale}_1")(x))
    return ACTIVATIONS[output_activation](Conv(channels, (3, 3), dtype=dtype, name="decoder_out")(x))


class BeganGenerator(nn.Module):
    """z -> the paper's decoder -> [B, S, S, C] (module doc); `features = n`, `num_scales`."""

    image_size: int = 28
    channels: int = 1
    features: int = 32
    num_scales: int = 2
    output_activation: str = "linear"
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        for name in ("image_size", "channels", "features", "num_scales"):
            layers.check_positive_int("BeganGenerator", name, getattr(self, name))
        layers.check_choice("BeganGenerator", "output_activation", self.output_activation, tuple(ACTIVATIONS))
        _check_side("BeganGenerator", self.image_size, self.num_scales)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    @nn.compact
    def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
        if z.ndim != 2:
            raise ValueError(f"BeganGenerator: `z` must be [batch, latent_dim]; got shape {z.shape}.")
        x = began_decoder(
            z,
            side=self.image_size,
            channels=self.channels,
            features=self.features,
            num_scales=self.num_scales,
            output_activation=self.output_activation,
            dtype=self.dtype,
        )
        return x.astype(jnp.float32)


class BeganAutoencoder(nn.Module):
    """x [B, S, S, C] -> {"reconstruction": Dec(Enc(x)), "embedding": h = Enc(x)} (module doc).

    `features = n` (filters of the first scale), `embedding_dim = h`, `num_scales` sub-samplings.
    The decoder has G's architecture (`BeganGenerator` with the same n and scales)."""

    features: int = 32
    embedding_dim: int = 64
    num_scales: int = 2
    output_activation: str = "linear"
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        for name in ("features", "embedding_dim", "num_scales"):
            layers.check_positive_int("BeganAutoencoder", name, getattr(self, name))
        layers.check_choice("BeganAutoencoder", "output_activation", self.output_activation, tuple(ACTIVATIONS))

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        if x.ndim != 4 or x.shape[1] != x.shape[2]:
            raise ValueError(f"BeganAutoencoder: images must be NHWC squares; got shape {x.shape}.")
        side, channels = x.shape[1], x.shape[3]
        _check_side("BeganAutoencoder", side, self.num_scales)
        n, dtype = self.features, self.dtype
        h = nn.elu(Conv(n, (3, 3), dtype=dtype, name="encoder_in")(x.astype(dtype)))
        for scale in range(self.num_scales + 1):
            width = n * (scale + 1)
            h = nn.elu(Conv(width, (3, 3), dtype=dtype, name=f"encoder_{scale}_0")(h))
            h = nn.elu(Conv(width, (3, 3), dtype=dtype, name=f"encoder_{scale}_1")(h))
            if scale < self.num_scales:  # sub-sampling, the filters growing by n
                h = nn.elu(Conv(width + n, (3, 3), strides=(2, 2), dtype=dtype, name=f"encoder_{scale}_down")(h))
        embedding = nn.Dense(self.embedding_dim, dtype=dtype, name="embedding")(h.reshape(h.shape[0], -1))
        reconstruction = began_decoder(
            embedding,
            side=side,
            channels=channels,
            features=n,
            num_scales=self.num_scales,
            output_activation=self.output_activation,
            dtype=dtype,
        )
        return {"reconstruction": reconstruction.astype(jnp.float32), "embedding": embedding.astype(jnp.float32)}
