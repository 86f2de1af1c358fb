"""Triple-GAN's networks (Li et al. 2017): D on (x, y) pairs, and the wrapper that makes a
registered network the classifier C.

`PairDiscriminator` ("pair_mlp") follows the authors' MNIST D (zhenxuan00/triple-gan,
`x2y_yz2x_xy2p_ssl_mnist.py`): x flattened, Gaussian noise on the input, then Dense layers
1000-500-250-250-250 with the label's one-hot concatenated to every layer's input (their
`MLPConcatLayer`) and Gaussian noise on every hidden layer's input, and one logit. As their
`nn.DenseLayer`: weight-normalised Dense layers whose weight vector per unit has norm 1 (their
scale is fixed at 1; `train_scale` trains it), ReLU. The noise is drawn per example from its
global index (as `noisy_mlp`: the same draws on any number of devices), none in inference mode. No
batch statistics, so the data's, C's and G's pairs go through D in one joined call.

`ConvClassifier` ("triplegan_cnn") is the authors' MNIST C (the same script's `cla_layers`):
conv 5x5 (32, 'valid') -> BN ReLU -> 2x2 max pool -> dropout ½ -> conv 3x3 (64, 'same') -> BN ReLU
-> conv 3x3 (64, 'valid') -> BN ReLU -> 2x2 max pool -> dropout ½ -> conv 3x3 (128, 'same') -> BN
ReLU -> conv 3x3 (128, 'same') -> BN ReLU -> global mean pool -> Dense(K); convolutions N(0, 0.05²)
without bias (Lasagne's `batch_norm` takes the layer's bias away), the last layer N(0, 0.01²).
Dropout masks from each example's global index, batch statistics over the data axis.

`Classifier` wraps a registered network built with `num_outputs=K` (its K logits) and returns
`{"logits": [B, K], "label": [B]}`, `label` the argmax: the label of C's pair `(x, ŷ)` that D
sees (the authors' "argmax" approximation).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, check_algorithm
from jaxgan.models.noisy_mlp import check_noise_settings, layer_noise

Dtype = Any


class PairDiscriminator(nn.Module):
    """D(x, y) -> [B] logits: `hidden_widths` weight-normalised ReLU layers, the one-hot label
    concatenated to each layer's input, Gaussian noise (`input_noise` on x, `hidden_noise` on
    each hidden layer's input) in training mode. `num_classes` is set by the family."""

    num_classes: int = 10
    hidden_widths: tuple[int, ...] = (1000, 500, 250, 250, 250)
    input_noise: float = 0.3
    hidden_noise: float = 0.5
    weight_norm: bool = True
    train_scale: bool = False  # the weight norm's scale g: fixed at 1 (their `train_scale=False`) or trained
    dtype: Dtype = jnp.float32
    example_axis_name: str | None = None  # the data axis: noise follows global example indices

    def __post_init__(self):
        super().__post_init__()
        owner = "PairDiscriminator"
        layers.check_positive_int(owner, "num_classes", self.num_classes)
        check_noise_settings(owner, self.hidden_widths, self.input_noise, self.hidden_noise)

    def _dense(self, features: int, name: str):
        dense = nn.Dense(features, dtype=self.dtype, name=name)
        if not self.weight_norm:
            return dense
        return nn.WeightNorm(dense, use_scale=self.train_scale, name=f"{name}_weight_norm")

    def _noise(self, h: jax.Array, train: bool) -> list[jax.Array | None]:
        """Every layer's input noise from one hash per example (as `noisy_mlp`)."""
        sigmas = [self.input_noise, *([self.hidden_noise] * (len(self.hidden_widths) - 1))]
        widths = [h.shape[1], *self.hidden_widths[:-1]]
        if not train or not any(sigmas):
            return [None] * len(sigmas)
        return layer_noise(self.make_rng("dropout"), sigmas, widths, h.shape[0], self.example_axis_name)

    @nn.compact
    def __call__(self, x: jax.Array, label: jax.Array, *, train: bool) -> jax.Array:
        h = x.reshape(x.shape[0], -1).astype(jnp.float32)
        y = jax.nn.one_hot(label, self.num_classes, dtype=jnp.float32)
        noise = iter(self._noise(h, train))
        for i, width in enumerate(self.hidden_widths):
            n = next(noise)
            h = h if n is None else h + n
            h = jnp.concatenate([h, y], axis=-1).astype(self.dtype)
            h = nn.relu(self._dense(width, f"hidden_{i}")(h)).astype(jnp.float32)
        self.sow("intermediates", "features", h)
        h = jnp.concatenate([h, y], axis=-1).astype(self.dtype)
        return self._dense(1, "output")(h)[:, 0].astype(jnp.float32)


class ConvClassifier(nn.Module):
    """x [B, H, W, C] -> [B, num_outputs] logits: the Triple-GAN authors' MNIST classifier (module doc).
    `widths` are the five convolutions' features; `num_outputs` is set by the family (K)."""

    num_outputs: int | None = None
    widths: tuple[int, ...] = (32, 64, 64, 128, 128)
    dropout_rate: float = 0.5
    conv_algorithm: str = "xla"  # `jaxgan.models.conv.Conv`'s algorithm
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None
    example_axis_name: str | None = None  # the data axis: dropout masks follow global example indices

    def __post_init__(self):
        super().__post_init__()
        owner = "ConvClassifier"
        check_algorithm(owner, self.conv_algorithm)
        layers.check_num_outputs(owner, self.num_outputs)
        layers.check_rate(owner, "dropout_rate", self.dropout_rate)
        if len(self.widths) != 5:
            raise ValueError(f"{owner}: `widths` must be five positive integers; got {self.widths!r}.")
        for width in self.widths:
            layers.check_positive_int(owner, "widths", width)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        if x.ndim != 4 or min(x.shape[1:3]) < 12:
            raise ValueError(f"ConvClassifier: images must be NHWC, at least 12x12; got shape {x.shape}.")
        init = nn.initializers.normal(0.05)
        dropout = layers.ExampleDropout(self.dropout_rate, axis_name=self.example_axis_name)
        # both dropout layers' bits from one hash per example (as DCGAN28Discriminator)
        first = ((x.shape[1] - 4) // 2, (x.shape[2] - 4) // 2, self.widths[0])
        second = ((first[0] - 2) // 2, (first[1] - 2) // 2, self.widths[2])
        shapes = (first, second)
        bits = [None, None]
        if train and self.dropout_rate > 0:
            sizes = [s[0] * s[1] * s[2] for s in shapes]
            flat = layers.per_example_bits(self.make_rng("dropout"), dropout.example_index(x.shape[0]), (sum(sizes),))
            bits = [flat[:, : sizes[0]].reshape(-1, *shapes[0]), flat[:, sizes[0] :].reshape(-1, *shapes[1])]
        plan = ((5, "VALID", True), (3, "SAME", False), (3, "VALID", True), (3, "SAME", False), (3, "SAME", False))
        h = x.astype(self.dtype)
        drops = iter(bits)
        for i, ((size, padding, pool), width) in enumerate(zip(plan, self.widths)):
            h = Conv(
                width,
                (size, size),
                algorithm=self.conv_algorithm,
                padding=padding,
                use_bias=False,
                dtype=self.dtype,
                kernel_init=init,
                name=f"conv_{i}",
            )(h)
            h = layers.batch_norm(
                train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=f"batch_norm_{i}"
            )(h)
            h = nn.relu(h)
            if pool:
                h = layers.max_pool(h, 2)
                h = dropout(h, deterministic=not train, bits=next(drops))
        h = jnp.mean(h.astype(jnp.float32), axis=(1, 2))
        self.sow("intermediates", "features", h)
        output = nn.Dense(
            self.num_outputs or 1, dtype=self.dtype, kernel_init=nn.initializers.normal(0.01), name="output"
        )
        v = output(h.astype(self.dtype)).astype(jnp.float32)
        return v[:, 0] if self.num_outputs is None else v


class Classifier(nn.Module):
    """C(x) -> {"logits": [B, K], "label": [B] int32, the argmax}: `base` is a registered network
    built with `num_outputs=K`."""

    base: nn.Module

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> dict[str, jax.Array]:
        logits = self.base(x, train=train).astype(jnp.float32)
        return {"logits": logits, "label": jnp.argmax(logits, axis=-1).astype(jnp.int32)}


class LabelMLPGenerator(nn.Module):
    """G(z, y) -> x [B, *output_shape]: the authors' MNIST G (their `MLPConcatLayer` before every
    Dense): [h, one-hot y] -> Dense(width) -> batch norm -> softplus, per hidden width, then
    [h, one-hot y] -> Dense -> tanh (our data in [-1, 1]; theirs a sigmoid for [0, 1]).
    `num_classes` is set by the family."""

    output_shape: tuple[int, ...] = (28, 28, 1)
    num_classes: int = 10
    hidden_widths: tuple[int, ...] = (500, 500)
    use_batch_norm: bool = True
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("LabelMLPGenerator", "num_classes", self.num_classes)
        if not self.hidden_widths or any(
            isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in self.hidden_widths
        ):
            raise ValueError(
                f"LabelMLPGenerator: `hidden_widths` must be positive integers; got {self.hidden_widths!r}."
            )

    @nn.compact
    def __call__(self, z: jax.Array, label: jax.Array, *, train: bool) -> jax.Array:
        y = jax.nn.one_hot(label, self.num_classes, dtype=jnp.float32)
        h = z.astype(jnp.float32)
        for i, width in enumerate(self.hidden_widths):
            h = jnp.concatenate([h, y], axis=-1).astype(self.dtype)
            h = nn.Dense(width, use_bias=not self.use_batch_norm, dtype=self.dtype, name=f"hidden_{i}")(h)
            if self.use_batch_norm:
                h = layers.batch_norm(
                    train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=f"batch_norm_{i}"
                )(h)
            h = nn.softplus(h).astype(jnp.float32)
        h = jnp.concatenate([h, y], axis=-1).astype(self.dtype)
        size = 1
        for d in self.output_shape:
            size *= d
        x = jnp.tanh(nn.Dense(size, dtype=self.dtype, name="output")(h).astype(jnp.float32))
        return x.reshape(x.shape[0], *self.output_shape)
