"""StackGAN's networks (Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis with
Stacked Generative Adversarial Networks"), conditioned on a class label instead of a text embedding.

    ConditioningAugmentation   e = one_hot(label) -> Dense(2d), leaky ReLU 0.2 -> (μ, log σ);
                               ĉ = μ + σ ⊙ ε, ε ~ N(0, I_d) given per example (a latent of the program)
    Stage-I G  (stage_one)     (z, ĉ_1) -> Dense to b x b x 2f, [BN], ReLU -> [nearest x2 + 5x5 conv f, [BN], ReLU]
                               up to the low resolution r -> 3x3 conv to C channels, tanh
    Stage-II G (stage_two)     (Stage-I image at r, ĉ_2) -> 3x3 conv f, ReLU -> [4x4 stride-2 conv 2f,
                               BN, ReLU] down to b x b -> concat ĉ_2 tiled -> 3x3 conv 2f, BN, ReLU ->
                               `num_residual_blocks` x [h + BN(conv(ReLU(BN(conv(h))))), ReLU] ->
                               [nearest x2 + 5x5 conv f, BN, ReLU] up to the data's size -> 3x3 conv C, tanh
    D (stage_one / stage_two)  x -> [4x4 stride-2 conv, leaky ReLU 0.2] down to at most 4x4, channels
                               f, 2f, 4f, ... -> concat Dense(label one-hot) (leaky ReLU) tiled ->
                               1x1 conv, leaky ReLU (its features sown) -> Dense 1: the logit

b = r / 2 for an even r, else r (`base_size`): r = 14 for the 28x28 digits, b = 7. Batch norm (BN, the
statistics of the global batch with `batch_norm_axis_name`) is in Stage-II G (without it its ten layers
lost to its D within 100 steps, results/stackgan.md) and, with `stage_one_batch_norm`, after Stage-I G's
dense layer and upsampling convolutions (the paper's; its samples' FID at 3,000 steps 66 against 113);
Stage II runs the fixed Stage-I G on its running averages. The Ds have none.
`StackGANGenerator(stage=0)` is Stage-I G with its CA, its r x r image nearest-upsampled to the data's
size (so the loop's grids, `jaxgan sample` and the evaluators see data-sized images; average pooling
gives the r x r image back exactly). `stage=1` holds the same Stage-I submodule (`stage_one`: carried
from stage 0 by name, `jaxgan.programs.family.carry_by_path`, and not trained) and Stage-II G with its
own CA (`stage_two`): Stage-I's image, under `stop_gradient`, refined to the data's size. Each
generator sows its CA's per-example KL term (`losses.conditioning_augmentation_kl`) as its features.
`StackGANDiscriminator(stage=k)` is Stage-I D on r x r images (`stage_one`) or Stage-II D on the
data's (`stage_two`): no parameter is shared between them, as none is in the paper.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan import losses
from jaxgan.models import layers
from jaxgan.models.conv import Conv, UpsampleConv

Dtype = Any
LEAK = 0.2


def _leaky(x: jax.Array) -> jax.Array:
    return nn.leaky_relu(x, LEAK)


def doublings(low: int, high: int) -> int | None:
    """k with `low * 2**k == high`, or None."""
    k = 0
    while low * 2**k < high:
        k += 1
    return k if low * 2**k == high else None


def base_size(resolution: int) -> int:
    """Where Stage-I G starts and Stage-II G refines: half the Stage-I resolution r when r is even
    (14 -> 7), else r itself (7)."""
    return resolution // 2 if resolution % 2 == 0 else resolution


class ConditioningAugmentation(nn.Module):
    """`(label, ε) -> (ĉ, μ, log σ²)`: the label's one-hot embedding through one dense layer with a
    leaky ReLU (the released code's `generate_condition`), split into μ and log σ; ĉ = μ + σ ⊙ ε."""

    num_classes: int
    features: int
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, label: jax.Array, eps: jax.Array):
        e = jax.nn.one_hot(label, self.num_classes, dtype=self.dtype)
        h = _leaky(nn.Dense(2 * self.features, dtype=self.dtype, name="dense")(e)).astype(jnp.float32)
        mean, log_sigma = h[:, : self.features], h[:, self.features :]
        return mean + jnp.exp(log_sigma) * eps.astype(jnp.float32), mean, 2.0 * log_sigma


class StageOneGenerator(nn.Module):
    """Stage-I G with its CA: `(z, label, ε) -> (r x r image, μ, log σ²)`; `batch_norm`: BN after the
    dense layer and each upsampling convolution (the paper's Stage-I G)."""

    num_classes: int
    features: int
    condition_dim: int
    resolution: int
    channels: int
    dtype: Dtype = jnp.float32
    batch_norm: bool = False
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, z: jax.Array, label: jax.Array, eps: jax.Array, train: bool = False):
        c, mean, log_variance = ConditioningAugmentation(self.num_classes, self.condition_dim, self.dtype, name="ca")(
            label, eps
        )
        f, base = self.features, base_size(self.resolution)

        def normalise(h, name):
            if not self.batch_norm:
                return h
            return layers.batch_norm(train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=name)(h)

        bias = not self.batch_norm
        h = jnp.concatenate([z.astype(self.dtype), c.astype(self.dtype)], axis=-1)
        h = nn.Dense(base * base * 2 * f, use_bias=bias, dtype=self.dtype, name="dense")(h)
        h = nn.relu(normalise(h, "dense_bn")).reshape(-1, base, base, 2 * f)
        for i in range(doublings(base, self.resolution)):
            h = UpsampleConv(f, (5, 5), use_bias=bias, dtype=self.dtype, name=f"up_{i}")(h)
            h = nn.relu(normalise(h, f"up_{i}_bn"))
        image = jnp.tanh(Conv(self.channels, (3, 3), dtype=self.dtype, name="to_image")(h))
        return image.astype(jnp.float32), mean, log_variance


class StageTwoGenerator(nn.Module):
    """Stage-II G with its own CA: `(Stage-I image at r, label, ε) -> (image at size, μ, log σ²)`."""

    num_classes: int
    features: int
    condition_dim: int
    num_residual_blocks: int
    size: int
    channels: int
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, low: jax.Array, label: jax.Array, eps: jax.Array, train: bool):
        c, mean, log_variance = ConditioningAugmentation(self.num_classes, self.condition_dim, self.dtype, name="ca")(
            label, eps
        )
        f, base = self.features, base_size(low.shape[1])

        def conv_bn_relu(h, features, kernel, name, strides=(1, 1)):
            h = Conv(features, kernel, strides=strides, use_bias=False, dtype=self.dtype, name=name)(h)
            return nn.relu(self._bn(train, f"{name}_bn")(h))

        h = nn.relu(Conv(f, (3, 3), dtype=self.dtype, name="encode_in")(low.astype(self.dtype)))
        for i in range(doublings(base, low.shape[1])):
            h = conv_bn_relu(h, 2 * f, (4, 4), f"encode_down_{i}", strides=(2, 2))
        tiled = jnp.broadcast_to(c.astype(self.dtype)[:, None, None, :], (*h.shape[:3], c.shape[-1]))
        h = conv_bn_relu(jnp.concatenate([h, tiled], axis=-1), 2 * f, (3, 3), "joint")
        for i in range(self.num_residual_blocks):
            r = conv_bn_relu(h, 2 * f, (3, 3), f"residual_{i}_0")
            r = Conv(2 * f, (3, 3), use_bias=False, dtype=self.dtype, name=f"residual_{i}_1")(r)
            h = nn.relu(h + self._bn(train, f"residual_{i}_1_bn")(r))
        for i in range(doublings(base, self.size)):
            h = UpsampleConv(f, (5, 5), use_bias=False, dtype=self.dtype, name=f"up_{i}")(h)
            h = nn.relu(self._bn(train, f"up_{i}_bn")(h))
        image = jnp.tanh(Conv(self.channels, (3, 3), dtype=self.dtype, name="to_image")(h))
        return image.astype(jnp.float32), mean, log_variance

    def _bn(self, train: bool, name: str):
        return layers.batch_norm(train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=name)


class StackGANGenerator(nn.Module):
    """G(z, label, ε_1[, ε_2]) -> images `[N, *output_shape]` (see the module doc). `features`: Stage-I
    G's width f; `refine_features`: Stage-II G's; `condition_dim`: d of each CA (the paper's 128);
    `low_resolution`: r, Stage I's image size (7 · 2^k, at most the data's). `stage`, `num_classes`:
    set by the family."""

    output_shape: tuple[int, ...] = (28, 28, 1)
    low_resolution: int = 14
    features: int = 32
    refine_features: int = 32
    num_residual_blocks: int = 2
    condition_dim: int = 16
    stage_one_batch_norm: bool = False
    num_classes: int = 10
    stage: int = 0
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        for field in ("features", "refine_features", "condition_dim", "num_classes", "low_resolution"):
            layers.check_positive_int("StackGANGenerator", field, getattr(self, field))
        if not isinstance(self.stage_one_batch_norm, bool):
            raise ValueError(
                f"StackGANGenerator: `stage_one_batch_norm` must be True or False; got {self.stage_one_batch_norm!r}."
            )
        layers.check_non_negative_int("StackGANGenerator", "num_residual_blocks", self.num_residual_blocks)
        size = tuple(self.output_shape)[0]
        if self.low_resolution >= size or doublings(self.low_resolution, size) is None:
            raise ValueError(
                f"StackGANGenerator: low_resolution={self.low_resolution!r} (Stage I's image size) must be the image "
                f"size {size} divided by a power of two, at least 2 (e.g. 7 or 14 for 28x28 images)."
            )
        if self.stage not in (0, 1):
            raise ValueError(f"StackGANGenerator: stage must be 0 (Stage I) or 1 (Stage II); got {self.stage!r}.")

    @nn.compact
    def __call__(
        self, z: jax.Array, label: jax.Array, eps_one: jax.Array, eps_two: jax.Array | None = None, *, train=False
    ) -> jax.Array:
        size, channels = self.output_shape[0], self.output_shape[-1]
        low, mean, log_variance = StageOneGenerator(
            self.num_classes,
            self.features,
            self.condition_dim,
            self.low_resolution,
            channels,
            self.dtype,
            self.stage_one_batch_norm,
            self.batch_norm_axis_name,
            name="stage_one",
        )(z, label, eps_one, train and self.stage == 0)  # in Stage II, Stage I is fixed: its running averages
        if self.stage == 0:
            self.sow("intermediates", "features", losses.conditioning_augmentation_kl(mean, log_variance))
            return layers.upsample_nearest(low, size // self.low_resolution)
        image, mean, log_variance = StageTwoGenerator(
            self.num_classes,
            self.refine_features,
            self.condition_dim,
            self.num_residual_blocks,
            size,
            channels,
            self.dtype,
            self.batch_norm_axis_name,
            name="stage_two",
        )(jax.lax.stop_gradient(low), label, eps_two, train)
        self.sow("intermediates", "features", losses.conditioning_augmentation_kl(mean, log_variance))
        return image


class StackGANDiscriminator(nn.Module):
    """D(x, label) -> `[N]` logits (see the module doc): Stage-I D (`stage=0`, on the low-resolution
    images) or Stage-II D (`stage=1`). `features`: the first convolution's channels (doubled at each
    downsampling); `condition_dim`: the width of the label's embedding (the paper's 128); `input_label`:
    also the one-hot label as input channels (not in the paper: D then sees the label from its first layer)."""

    features: int = 32
    condition_dim: int = 16
    input_label: bool = False
    num_classes: int = 10
    stage: int = 0
    dtype: Dtype = jnp.float32

    def __post_init__(self):
        super().__post_init__()
        for field in ("features", "condition_dim", "num_classes"):
            layers.check_positive_int("StackGANDiscriminator", field, getattr(self, field))
        if not isinstance(self.input_label, bool):
            raise ValueError(f"StackGANDiscriminator: `input_label` must be True or False; got {self.input_label!r}.")

    @nn.compact
    def __call__(self, x: jax.Array, label: jax.Array, *, train: bool = False) -> jax.Array:
        del train
        name = ("stage_one", "stage_two")[self.stage]
        return _Discriminator(
            self.features, self.condition_dim, self.num_classes, self.input_label, self.dtype, name=name
        )(x, label)


class _Discriminator(nn.Module):
    features: int
    condition_dim: int
    num_classes: int
    input_label: bool
    dtype: Dtype

    @nn.compact
    def __call__(self, x: jax.Array, label: jax.Array) -> jax.Array:
        h, width, i = x.astype(self.dtype), self.features, 0
        if self.input_label:  # the one-hot label as input channels too (CGAN's D), beside the joint layer's
            one_hot = jax.nn.one_hot(label, self.num_classes, dtype=self.dtype)
            h = jnp.concatenate([h, jnp.broadcast_to(one_hot[:, None, None, :], (*h.shape[:3], self.num_classes))], -1)
        while h.shape[1] > 4 or i == 0:
            h = _leaky(Conv(width, (4, 4), strides=(2, 2), dtype=self.dtype, name=f"down_{i}")(h))
            width, i = 2 * width, i + 1
        e = jax.nn.one_hot(label, self.num_classes, dtype=self.dtype)
        c = _leaky(nn.Dense(self.condition_dim, dtype=self.dtype, name="context")(e))
        tiled = jnp.broadcast_to(c[:, None, None, :], (*h.shape[:3], c.shape[-1]))
        h = _leaky(Conv(width // 2, (1, 1), dtype=self.dtype, name="joint")(jnp.concatenate([h, tiled], axis=-1)))
        h = h.reshape(h.shape[0], -1)
        self.sow("intermediates", "features", h)
        return nn.Dense(1, dtype=self.dtype, name="output")(h)[:, 0].astype(jnp.float32)


class MismatchedLabels(nn.Module):
    """`(label, shift) -> (label + 1 + shift) mod K` (no parameters): with `shift` uniform on
    {0, ..., K-2}, a label drawn uniformly from the classes other than the example's own (the
    matching-aware D's mismatched pairs)."""

    num_classes: int

    def __call__(self, label: jax.Array, shift: jax.Array, *, train: bool = False) -> jax.Array:
        del train
        return (label + 1 + shift) % self.num_classes
