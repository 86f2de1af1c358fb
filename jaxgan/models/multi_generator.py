"""k generators as one module (MAD-GAN, Ghosh et al. 2018), vmapped over a generator axis.

    x = MultiMLPGenerator(num_generators=8).apply(variables, z, generator, train=True)

`generator [B]` (int) names the generator of each example; every generator runs on the whole
batch (`nn.vmap` over a leading generator axis of the parameters) and each example keeps the
output of its own, so a generator's parameters get gradients only from its examples. With
`share_body=True` the hidden layers are one network shared by all generators and only the
output layers are per generator (the paper's shared-parameter variant); with `False` every
generator is a whole MLP of its own.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers

Dtype = Any


class _Body(nn.Module):
    width: int
    depth: int
    dtype: Dtype

    @nn.compact
    def __call__(self, z):
        h = z.astype(self.dtype)
        for i in range(self.depth):
            h = nn.relu(nn.Dense(self.width, dtype=self.dtype, name=f"hidden_{i}")(h))
        return h


def _per_generator(module_class, num: int, in_axes):
    return nn.vmap(
        module_class,
        variable_axes={"params": 0},
        split_rngs={"params": True},
        in_axes=in_axes,
        out_axes=0,
        axis_size=num,
    )


class MultiMLPGenerator(nn.Module):
    """(z [B, latent], generator [B] int) -> x [B, *output_shape] from generator `generator[i]`."""

    num_generators: int = 8
    share_body: bool = True
    output_shape: tuple[int, ...] = (2,)
    width: int = 128
    depth: int = 3
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        owner = "MultiMLPGenerator"
        for field in ("num_generators", "width", "depth"):
            layers.check_positive_int(owner, field, getattr(self, field))
        layers.check_shape(owner, "output_shape", self.output_shape)

    @nn.compact
    def __call__(self, z: jax.Array, generator: jax.Array, *, train: bool) -> jax.Array:
        if z.ndim != 2 or generator.shape != z.shape[:1]:
            raise ValueError(
                f"MultiMLPGenerator: `z` must be [batch, latent_dim] and `generator` [batch]; got {z.shape} and {generator.shape}."
            )
        k, dims = self.num_generators, math.prod(self.output_shape)
        if self.share_body:
            h = _Body(self.width, self.depth, self.dtype, name="body")(z)
            outputs = _per_generator(nn.Dense, k, None)(dims, dtype=self.dtype, name="output")(h)
        else:
            h = _per_generator(_Body, k, None)(self.width, self.depth, self.dtype, name="body")(z)
            outputs = _per_generator(nn.Dense, k, 0)(dims, dtype=self.dtype, name="output")(h)
        # outputs [k, B, dims]: example i keeps the row of its generator.
        x = jnp.take_along_axis(outputs, generator.astype(jnp.int32)[None, :, None], axis=0)[0]
        return x.reshape(z.shape[0], *self.output_shape).astype(jnp.float32)
