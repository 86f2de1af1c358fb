"""Fully connected generator and discriminator.

The defaults are the networks of the PacGAN 2-D mixture benchmark (Lin et al. 2018, §5.1,
following Metz et al. 2017 / Dumoulin et al. 2017): G has 4 hidden layers of 400 units with
batch norm and ReLU and a linear output of dimension 2; D has 3 maxout layers of 200 units with
5 pieces each and a linear output.

`kernel_init_std > 0` draws every Dense kernel from N(0, kernel_init_std²) with zero biases (the
PacGAN code's `IsotropicGaussian(0.02)` / `Constant(0)`); 0 keeps Flax's defaults (LeCun normal
kernels, zero biases). `batch_norm_momentum` / `batch_norm_epsilon` set the batch-norm layers'
running-average decay and epsilon (PacGAN's Blocks code: 0.95 and 1e-4).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers

Dtype = Any


def dense_init(owner: str, kernel_init_std: float) -> dict[str, Any]:
    """Dense initialisers: N(0, std²) kernels and zero biases when `kernel_init_std > 0`, else Flax's."""
    layers.check_non_negative_float(owner, "kernel_init_std", kernel_init_std)
    if kernel_init_std == 0:
        return {}
    return {"kernel_init": nn.initializers.normal(stddev=kernel_init_std), "bias_init": nn.initializers.zeros}


def _output_dtype(dtype: Dtype) -> Any:
    """Outputs in at least float32: bfloat16/float16 computations return float32, float64 ones
    (under `jax_enable_x64`, as the float64 invariance checks run) stay float64."""
    return jnp.promote_types(dtype, jnp.float32)


def _check_batch_norm(owner: str, momentum: float, epsilon: float) -> None:
    layers.check_rate(owner, "batch_norm_momentum", momentum)
    layers.check_positive_float(owner, "batch_norm_epsilon", epsilon)


def _hidden_widths(owner: str, hidden_widths: tuple[int, ...] | None, width: int, depth: int) -> tuple[int, ...]:
    """`hidden_widths` when given, else `depth` layers of `width` units."""
    if hidden_widths is None:
        layers.check_positive_int(owner, "width", width)
        layers.check_non_negative_int(owner, "depth", depth)
        return (width,) * depth
    if not isinstance(hidden_widths, tuple) or not all(
        isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in hidden_widths
    ):
        raise ValueError(
            f"{owner}: `hidden_widths` must be None or a tuple of positive integers; got {hidden_widths!r}."
        )
    return hidden_widths


class MLPGenerator(nn.Module):
    """z [B, latent] -> x [B, *output_shape]: hidden Dense (+ batch norm) + ReLU, linear output.

    A Dense followed by batch norm has no bias (batch norm's shift replaces it).
    `output_activation="tanh"` is for data scaled to [-1, 1] (e.g. MLP-GAN on images).
    """

    output_shape: tuple[int, ...] = (2,)
    hidden_widths: tuple[int, ...] | None = None
    width: int = 400
    depth: int = 4
    use_batch_norm: bool = True
    output_activation: str = "linear"
    kernel_init_std: float = 0.0
    batch_norm_momentum: float = layers.BATCH_NORM_MOMENTUM
    batch_norm_epsilon: float = layers.BATCH_NORM_EPSILON
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_shape("MLPGenerator", "output_shape", self.output_shape)
        layers.check_choice("MLPGenerator", "output_activation", self.output_activation, ("linear", "tanh"))
        _hidden_widths("MLPGenerator", self.hidden_widths, self.width, self.depth)
        dense_init("MLPGenerator", self.kernel_init_std)
        _check_batch_norm("MLPGenerator", self.batch_norm_momentum, self.batch_norm_epsilon)

    @nn.compact
    def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
        if z.ndim != 2:
            raise ValueError(f"MLPGenerator: `z` must be [batch, latent_dim]; got shape {z.shape}.")
        h = z.astype(self.dtype)
        widths = _hidden_widths("MLPGenerator", self.hidden_widths, self.width, self.depth)
        init = dense_init("MLPGenerator", self.kernel_init_std)
        for i, width in enumerate(widths):
            h = nn.Dense(width, use_bias=not self.use_batch_norm, dtype=self.dtype, name=f"hidden_{i}", **init)(h)
            if self.use_batch_norm:
                h = layers.batch_norm(
                    train=train,
                    dtype=self.dtype,
                    axis_name=self.batch_norm_axis_name,
                    name=f"batch_norm_{i}",
                    momentum=self.batch_norm_momentum,
                    epsilon=self.batch_norm_epsilon,
                )(h)
            h = nn.relu(h)
        x = nn.Dense(math.prod(self.output_shape), dtype=self.dtype, name="output", **init)(h)
        if self.output_activation == "tanh":
            x = jnp.tanh(x)
        return x.reshape(z.shape[0], *self.output_shape).astype(_output_dtype(self.dtype))


class MLPDiscriminator(nn.Module):
    """x [B, ...] -> one logit per example [B] (or features [B, num_outputs]).

    Every non-batch axis is flattened, so packed inputs (PacGAN) need nothing special. A hidden
    layer is Dense(width * maxout_pieces) -> optional batch norm -> maxout over the pieces, or,
    with `maxout_pieces=1`, LeakyReLU(0.2) (Radford et al. 2016) -> optional dropout. With
    `minibatch_discrimination=B > 0`, B minibatch-discrimination features (Salimans et al. 2016)
    of dimension `minibatch_kernel_dim` are appended before the output layer. The sown
    "features" are the last hidden layer, before the minibatch features (which describe the
    batch, not the example).
    """

    hidden_widths: tuple[int, ...] | None = None
    width: int = 200
    depth: int = 3
    maxout_pieces: int = 5
    use_batch_norm: bool = False
    dropout_rate: float = 0.0
    minibatch_discrimination: int = 0
    minibatch_kernel_dim: int = 5
    spectral_norm: bool = False
    num_outputs: int | None = None
    features_only: bool = False  # return the features (no output layer), for a head on top
    kernel_init_std: float = 0.0
    batch_norm_momentum: float = layers.BATCH_NORM_MOMENTUM
    batch_norm_epsilon: float = layers.BATCH_NORM_EPSILON
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None
    example_axis_name: str | None = None  # the data axis: dropout masks and minibatch features follow the global batch

    def __post_init__(self):
        super().__post_init__()
        owner = "MLPDiscriminator"
        _hidden_widths(owner, self.hidden_widths, self.width, self.depth)
        layers.check_positive_int(owner, "maxout_pieces", self.maxout_pieces)
        layers.check_rate(owner, "dropout_rate", self.dropout_rate)
        layers.check_non_negative_int(owner, "minibatch_discrimination", self.minibatch_discrimination)
        layers.check_positive_int(owner, "minibatch_kernel_dim", self.minibatch_kernel_dim)
        layers.check_num_outputs(owner, self.num_outputs)
        dense_init(owner, self.kernel_init_std)
        _check_batch_norm(owner, self.batch_norm_momentum, self.batch_norm_epsilon)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        h = x.reshape(x.shape[0], -1).astype(self.dtype)
        widths = _hidden_widths("MLPDiscriminator", self.hidden_widths, self.width, self.depth)
        init = dense_init("MLPDiscriminator", self.kernel_init_std)
        for i, width in enumerate(widths):
            dense = nn.Dense(
                width * self.maxout_pieces,
                use_bias=not self.use_batch_norm,
                dtype=self.dtype,
                name=f"hidden_{i}",
                **init,
            )
            h = layers.spectral_normalized(dense, enabled=self.spectral_norm, train=train)(h)
            if self.use_batch_norm:
                h = layers.batch_norm(
                    train=train,
                    dtype=self.dtype,
                    axis_name=self.batch_norm_axis_name,
                    name=f"batch_norm_{i}",
                    momentum=self.batch_norm_momentum,
                    epsilon=self.batch_norm_epsilon,
                )(h)
            if self.maxout_pieces > 1:
                h = layers.maxout(h, self.maxout_pieces)
            else:
                h = nn.leaky_relu(h, layers.LEAKY_RELU_SLOPE)
            if self.dropout_rate > 0:
                h = layers.ExampleDropout(self.dropout_rate, axis_name=self.example_axis_name)(
                    h, deterministic=not train
                )
        self.sow("intermediates", "features", h.astype(_output_dtype(self.dtype)))
        if self.minibatch_discrimination > 0:
            h = layers.MinibatchDiscrimination(
                self.minibatch_discrimination,
                self.minibatch_kernel_dim,
                spectral_norm=self.spectral_norm,
                dtype=self.dtype,
                axis_name=self.example_axis_name,
                name="minibatch_discrimination",
            )(h, train=train)
        if self.features_only:
            return h.astype(_output_dtype(self.dtype))
        output = nn.Dense(self.num_outputs or 1, dtype=self.dtype, name="output", **init)
        v = layers.spectral_normalized(output, enabled=self.spectral_norm, train=train)(h)
        if self.num_outputs is None:
            v = v[:, 0]
        return v.astype(_output_dtype(self.dtype))
