"""Salimans et al. 2016's MNIST discriminator for semi-supervised learning: an MLP with Gaussian
noise on every layer's input and weight-normalised dense layers.

openai/improved-gan, `mnist_svhn_cifar10/train_mnist_feature_matching.py` and `nn.py`:
x -> noise σ=0.3 -> 1000 -> noise 0.5 -> 500 -> noise 0.5 -> 250 -> noise 0.5 -> 250 -> noise
0.5 -> 250 (ReLU each; the last hidden layer is the feature matching's f(x)) -> noise 0.5 -> 10
logits. Their `DenseLayer` is weight normalisation (Salimans & Kingma 2016): `W = g · V / ‖V‖`
per output unit, with the scale g fixed after a data-dependent initialisation in the hidden
layers and trained in the output layer. Here g is a parameter of every layer, trained
(`flax.linen.WeightNorm`), starting at 1; no data-dependent initialisation. The noise is drawn
per example from its global index (`layers.per_example_bits`), so one batch split over devices
draws the same noise; none at evaluation (`train=False`).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers

Dtype = Any


def normal_from_bits(bits: jax.Array) -> jax.Array:
    """Standard normal values from uint32 bits: the top 23 bits as a uniform u in (0, 1), then
    the inverse normal CDF √2 erf⁻¹(2u - 1). (With 24 bits, `2^24 - 1 + 0.5` rounds to 2^24 in
    float32: u = 1 and an infinite draw.)"""
    u = ((bits >> 9).astype(jnp.float32) + 0.5) * (1.0 / (1 << 23))
    return jnp.sqrt(2.0) * jax.scipy.special.erfinv(2.0 * u - 1.0)


def check_noise_settings(owner: str, hidden_widths, input_noise, hidden_noise) -> None:
    """The settings a noisy MLP shares: positive integer widths and standard deviations >= 0."""
    if not hidden_widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in hidden_widths):
        raise ValueError(f"{owner}: `hidden_widths` must be positive integers; got {hidden_widths!r}.")
    for name, value in (("input_noise", input_noise), ("hidden_noise", hidden_noise)):
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0):
            raise ValueError(f"{owner}: `{name}` must be a standard deviation >= 0; got {value!r}.")


def layer_noise(key: jax.Array, sigmas, widths, batch: int, example_axis_name: str | None) -> list[jax.Array | None]:
    """`sigmas[l] · N(0, 1)` of shape `[batch, widths[l]]` for each layer l (None where σ = 0), all
    from one hash of each example's global index (its index within the batch plus this device's
    offset on `example_axis_name`), so a batch split over devices draws the same noise."""
    offset = 0 if example_axis_name is None else jax.lax.axis_index(example_axis_name) * batch
    index = offset + jnp.arange(batch)
    normals = normal_from_bits(layers.per_example_bits(key, index, (sum(widths),)))
    noise, start = [], 0
    for sigma, width in zip(sigmas, widths):
        noise.append(sigma * normals[:, start : start + width] if sigma else None)
        start += width
    return noise


class NoisyMLPDiscriminator(nn.Module):
    """x [B, ...] -> noise -> (weight-normalised Dense, ReLU, noise) per hidden width -> Dense.

    `hidden_widths` (Salimans et al.: 1000, 500, 250, 250, 250), `input_noise` (σ on the input,
    0.3) and `hidden_noise` (σ on each later layer's input, 0.5); `weight_norm` on every Dense.
    The sown "features" are the last hidden layer (feature matching's f), before its noise.
    """

    hidden_widths: tuple[int, ...] = (1000, 500, 250, 250, 250)
    input_noise: float = 0.3
    hidden_noise: float = 0.5
    weight_norm: bool = True
    num_outputs: int | None = None
    features_only: bool = False
    dtype: Dtype = jnp.float32
    example_axis_name: str | None = None  # the data axis: noise follows global example indices

    def __post_init__(self):
        super().__post_init__()
        owner = "NoisyMLPDiscriminator"
        check_noise_settings(owner, self.hidden_widths, self.input_noise, self.hidden_noise)
        layers.check_num_outputs(owner, self.num_outputs)

    def _dense(self, features: int, name: str):
        dense = nn.Dense(features, dtype=self.dtype, name=name)
        return nn.WeightNorm(dense, name=f"{name}_weight_norm") if self.weight_norm else dense

    def _noise(self, x: jax.Array, train: bool) -> list[jax.Array | None]:
        """The noise of every layer's input from one hash: per example, the layers in order."""
        sigmas = [self.input_noise, *([self.hidden_noise] * len(self.hidden_widths))]
        widths = [math.prod(x.shape[1:]), *self.hidden_widths]
        if not train or not any(sigmas):
            return [None] * len(sigmas)
        return layer_noise(self.make_rng("dropout"), sigmas, widths, x.shape[0], self.example_axis_name)

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        h = x.reshape(x.shape[0], -1).astype(jnp.float32)
        noise = iter(self._noise(h, train))

        def noisy(h):
            n = next(noise)
            return h if n is None else h + n.astype(h.dtype)

        for i, width in enumerate(self.hidden_widths):
            h = nn.relu(self._dense(width, f"hidden_{i}")(noisy(h).astype(self.dtype)))
        self.sow("intermediates", "features", h.astype(jnp.float32))
        h = noisy(h)
        if self.features_only:
            return h.astype(jnp.float32)
        v = self._dense(self.num_outputs or 1, "output")(h)
        return (v[:, 0] if self.num_outputs is None else v).astype(jnp.float32)
