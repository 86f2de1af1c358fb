"""Small building blocks shared by the generators and discriminators.

- `maxout`: the max over groups of linear pieces (Goodfellow et al. 2013, "Maxout Networks").
- `MinibatchDiscrimination`: the batch-similarity features of Salimans et al. 2016,
  "Improved Techniques for Training GANs", §3.2.
- `spectral_normalized`: wraps a layer in `flax.linen.SpectralNorm` (Miyato et al. 2018).
- `max_pool`: non-overlapping max pooling, nn.max_pool's values and gradients, fast on XLA:CPU.
- `batch_norm`, `upsample_nearest`, `downsample_average`: the house settings for batch norm
  and the resampling used by the ResNet and Keras-style DCGAN blocks.
- `check_*`: the one-sentence `ValueError`s for bad settings, raised when a module is built.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Dtype = Any

# LeakyReLU slope of Radford et al. 2016 (DCGAN), used by every discriminator here.
LEAKY_RELU_SLOPE = 0.2

# Batch-norm settings of the Flax ImageNet example (and of PyTorch's defaults).
BATCH_NORM_MOMENTUM = 0.9
BATCH_NORM_EPSILON = 1e-5


# ---------------------------------------------------------------------------------------------
# Validation: one sentence naming the setting and what is accepted.


def check_positive_int(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: `{field}` must be a positive integer; got {value!r}.")


def check_non_negative_int(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{owner}: `{field}` must be a non-negative integer; got {value!r}.")


def check_rate(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: `{field}` must be a number in [0, 1); got {value!r}.")


def check_non_negative_float(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{owner}: `{field}` must be a finite number >= 0; got {value!r}.")


def check_positive_float(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{owner}: `{field}` must be a finite number > 0; got {value!r}.")


def check_num_outputs(owner: str, value: Any) -> None:
    if value is not None:
        check_positive_int(owner, "num_outputs", value)


def check_shape(owner: str, field: str, value: Any) -> None:
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value)
    ):
        raise ValueError(f"{owner}: `{field}` must be a non-empty tuple of positive integers; got {value!r}.")


def check_choice(owner: str, field: str, value: Any, accepted: tuple[Any, ...]) -> None:
    if value not in accepted:
        raise ValueError(f"{owner}: `{field}` must be one of {accepted}; got {value!r}.")


# ---------------------------------------------------------------------------------------------
# Layers.


def maxout(x: jax.Array, num_pieces: int) -> jax.Array:
    """Maxout over the last axis (Goodfellow et al. 2013): `h_k = max_p x[..., k * num_pieces + p]`.

    `x` holds `features * num_pieces` linear responses; unit `k` owns the `num_pieces`
    consecutive entries starting at `k * num_pieces`. Returns `[..., features]`. The gradient
    is `jnp.max`'s (split equally among tied pieces), written with elementwise operations
    only: XLA:CPU's library fusion of a reduction over a minor axis of length 5 ran the
    backward pass ~10x slower (see `_maxout`).
    """
    if x.shape[-1] % num_pieces:
        raise ValueError(f"maxout: the last axis ({x.shape[-1]}) must be a multiple of `num_pieces` ({num_pieces}).")
    if num_pieces == 1:
        return x
    return _maxout(x, num_pieces)


def _maxout_pieces(x: jax.Array, num_pieces: int) -> list[jax.Array]:
    grouped = x.reshape(*x.shape[:-1], x.shape[-1] // num_pieces, num_pieces)
    return [grouped[..., p] for p in range(num_pieces)]


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _maxout(x: jax.Array, num_pieces: int) -> jax.Array:
    return functools.reduce(jnp.maximum, _maxout_pieces(x, num_pieces))


def _maxout_fwd(x, num_pieces):
    h = _maxout(x, num_pieces)
    return h, (x, h)


def _maxout_bwd(num_pieces, residuals, g):
    x, h = residuals
    hits = [(piece == h).astype(g.dtype) for piece in _maxout_pieces(x, num_pieces)]
    share = g / functools.reduce(jnp.add, hits)  # jnp.max's rule: ties share the gradient
    return (jnp.stack([hit * share for hit in hits], axis=-1).reshape(x.shape),)


_maxout.defvjp(_maxout_fwd, _maxout_bwd)


def spectral_normalized(layer: nn.Module, *, enabled: bool, train: bool) -> Callable[[jax.Array], jax.Array]:
    """`layer` itself, or `layer` with spectrally normalised weights (Miyato et al. 2018).

    Uses `flax.linen.SpectralNorm` with one power iteration per call, as in the paper. Its `u`
    and `sigma` live in the "batch_stats" collection and are updated only when `train` is True.
    Conv kernels `[kh, kw, in, out]` are normalised as the matrix `[kh * kw * in, out]`, the
    convention of the paper. Must be called inside a compact method; `layer`'s params stay
    where they would be without spectral norm.
    """
    if not enabled:
        return layer
    wrapper = nn.SpectralNorm(layer, name=f"{layer.name}_spectral_norm" if layer.name else None)
    return functools.partial(wrapper, update_stats=train)


def batch_norm(
    *,
    train: bool,
    dtype: Dtype,
    axis_name: str | None,
    name: str | None = None,
    momentum: float = BATCH_NORM_MOMENTUM,
    epsilon: float = BATCH_NORM_EPSILON,
    scale_stddev: float = 0.0,
) -> nn.BatchNorm:
    """`nn.BatchNorm` with the house settings (or the given `momentum`/`epsilon`); `axis_name`
    averages statistics across devices. Running averages: `r <- momentum * r + (1 - momentum) * batch`.
    `scale_stddev` > 0: γ starts at N(1, scale_stddev²) (Chen et al.'s InfoGAN code: 0.02), else at 1."""
    return nn.BatchNorm(
        scale_init=normal_around_one(scale_stddev) if scale_stddev > 0 else nn.initializers.ones,
        use_running_average=not train,
        momentum=momentum,
        epsilon=epsilon,
        dtype=dtype,
        param_dtype=jnp.float32,
        axis_name=axis_name,
        name=name,
    )


def normal_around_one(stddev: float):
    """An initialiser drawing N(1, stddev²) per entry (batch norm's γ in Chen et al.'s InfoGAN code)."""

    def init(key, shape, dtype=jnp.float32):
        return (1.0 + stddev * jax.random.normal(key, shape)).astype(dtype)

    return init


def max_pool(x: jax.Array, window: int) -> jax.Array:
    """`nn.max_pool(x, (window, window), strides=(window, window), padding="VALID")` of NHWC x,
    the same values and the same gradient bit for bit (a window's whole cotangent goes to its
    first maximum in row-major order, as XLA's select-and-scatter with `>=` gives it), written
    with elementwise operations only: XLA:CPU's select-and-scatter, the gradient of
    `reduce_window`, took 28 ms for a 2x2 pool of [128, 24, 24, 40] where these take 1 ms."""
    check_positive_int("max_pool", "window", window)
    if x.ndim != 4:
        raise ValueError(f"max_pool: inputs must be NHWC [batch, height, width, channels]; got shape {x.shape}.")
    return _max_pool(x, window)


def _pool_taps(x: jax.Array, window: int) -> list[jax.Array]:
    """The window's taps in row-major order, each [B, H // window, W // window, C] ('VALID')."""
    b, h, w, c = x.shape
    h, w = h // window, w // window
    tiles = x[:, : h * window, : w * window].reshape(b, h, window, w, window, c)
    return [tiles[:, :, i, :, j] for i in range(window) for j in range(window)]


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _max_pool(x: jax.Array, window: int) -> jax.Array:
    return functools.reduce(jnp.maximum, _pool_taps(x, window))


def _max_pool_fwd(x, window):
    pooled = _max_pool(x, window)
    return pooled, (x, pooled)


def _max_pool_bwd(window, residuals, g):
    x, pooled = residuals
    grads, taken = [], jnp.zeros(pooled.shape, bool)
    for tap in _pool_taps(x, window):  # the first tap equal to the maximum takes the cotangent
        hit = (tap == pooled) & ~taken
        grads.append(jnp.where(hit, g, jnp.zeros_like(g)))
        taken = taken | hit
    b, h, w, c = pooled.shape
    tiles = jnp.stack(grads, axis=3).reshape(b, h, w, window, window, c)
    grad = jnp.transpose(tiles, (0, 1, 3, 2, 4, 5)).reshape(b, h * window, w * window, c)
    return (jnp.pad(grad, ((0, 0), (0, x.shape[1] - h * window), (0, x.shape[2] - w * window), (0, 0))),)


_max_pool.defvjp(_max_pool_fwd, _max_pool_bwd)


def upsample_nearest(x: jax.Array, factor: int = 2) -> jax.Array:
    """Nearest-neighbour upsampling of NHWC images (Keras `UpSampling2D`, Chainer `unpooling_2d`)."""
    return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


def downsample_average(x: jax.Array) -> jax.Array:
    """2x2 average pooling with stride 2 of NHWC images."""
    return nn.avg_pool(x, window_shape=(2, 2), strides=(2, 2))


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, §3.2), appended to per-example features.

    With `f(x_i) ∈ R^A` and a learned tensor `T ∈ R^{A×B×C}` (`B = num_kernels`,
    `C = kernel_dim`), `M_i = f(x_i)·T ∈ R^{B×C}` and

        o_b(x_i) = Σ_j exp(-‖M_{i,b} - M_{j,b}‖₁),

    summed over the whole batch including `j = i` (which contributes 1). Returns
    `concat([f(x), o(x)], -1)` of width `A + B`. With `axis_name` (the data axis) the batch
    in training is the global one: each example is compared with every device's examples
    (all-gathered), so the features do not depend on the device count. In inference mode
    (penalties, which call D one example at a time; evaluation) the batch is the local one.
    """

    num_kernels: int
    kernel_dim: int = 5
    spectral_norm: bool = False
    dtype: Dtype = jnp.float32
    axis_name: str | None = None

    @nn.compact
    def __call__(self, features: jax.Array, *, train: bool) -> jax.Array:
        projection = nn.Dense(
            self.num_kernels * self.kernel_dim,
            use_bias=False,
            dtype=self.dtype,
            param_dtype=jnp.float32,
            kernel_init=nn.initializers.normal(0.05),
            name="tensor",
        )
        m = spectral_normalized(projection, enabled=self.spectral_norm, train=train)(features)
        # float32 for the distances: exp(-L1) of bfloat16 differences loses the small ones.
        m = m.astype(jnp.float32).reshape(features.shape[0], self.num_kernels, self.kernel_dim)
        others = m if self.axis_name is None or not train else jax.lax.all_gather(m, self.axis_name, tiled=True)
        l1 = jnp.sum(jnp.abs(m[:, None, :, :] - others[None, :, :, :]), axis=-1)  # [N, N_global, B]
        similarity = jnp.sum(jnp.exp(-l1), axis=1)  # [N, B]
        return jnp.concatenate([features, similarity.astype(features.dtype)], axis=-1)


# Threefry-2x32's rotation constants, rounds 1-4 and 5-8 (Salmon et al. 2011), and
# the key schedule's parity constant: the values of `jax.random`'s Threefry.
_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_THREEFRY_PARITY = 0x1BD11BDA


def threefry_2x32(key: jax.Array, x0: jax.Array, x1: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Threefry-2x32, 20 rounds (Salmon et al. 2011), of the counter words `(x0, x1)` under
    the two key words `key` [2]: `jax.extend.random.threefry_2x32`'s values, bit for bit.

    Written out round by round, so that XLA fuses the whole hash into one elementwise
    operation (and broadcasts `x0` against `x1` inside it). JAX lowers its own Threefry on the
    CPU as a loop of 5 iterations, each reading and writing both words of every counter: for
    the seed DCGAN's dropout (1.2 M counters a call of D) 5.4 ms against 1.1 ms here, three
    calls a step (`tests/models/test_layers.py` holds the two equal).
    """
    key = key.astype(jnp.uint32)
    k0, k1 = key[0], key[1]
    schedule = (k0, k1, k0 ^ k1 ^ jnp.uint32(_THREEFRY_PARITY))
    x0, x1 = jnp.asarray(x0, jnp.uint32) + k0, jnp.asarray(x1, jnp.uint32) + k1
    for block in range(5):
        for rotation in _THREEFRY_ROTATIONS[block % 2]:
            x0 = x0 + x1
            x1 = (x1 << jnp.uint32(rotation)) | (x1 >> jnp.uint32(32 - rotation))
            x1 = x0 ^ x1
        x0 = x0 + schedule[(block + 1) % 3]
        x1 = x1 + schedule[(block + 2) % 3] + jnp.uint32(block + 1)
    return x0, x1


def per_example_bits(key: jax.Array, index: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """uint32 random bits [len(index), *shape]: row r is a function of (key, index[r]) only.

    One Threefry-2x32 hash (Salmon et al. 2011) of the counter pair (example index, element
    index) under `key` (`threefry_2x32` above; its first word): the same bits for an example
    however the batch is split over devices, and a single fused hash for the whole batch
    (per-example `fold_in` + `bernoulli` made two of XLA:CPU's hash loops).
    Keys of another PRNG implementation (rbg) key the hash with two words of their own bits
    (vmapped rbg bits depend on the batch, so they cannot be drawn per example).
    """
    size = math.prod(shape)
    index = jnp.asarray(index, jnp.uint32)
    data = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    threefry = not jnp.issubdtype(key.dtype, jax.dtypes.prng_key) or "threefry" in str(jax.random.key_impl(key))
    if not (threefry and data.shape == (2,)):  # another PRNG (rbg keys): two words of its bits key the hash
        data = jax.random.bits(key, (2,), jnp.uint32)
    bits, _ = threefry_2x32(data, index[:, None], jnp.arange(size, dtype=jnp.uint32)[None, :])
    return bits.reshape(index.shape[0], *shape)


class ExampleDropout(nn.Module):
    """Dropout whose mask for an example is drawn from that example's global index.

    `nn.Dropout` draws one mask for the local batch, so the same global batch split over a
    different number of devices would drop different units. Here the mask of example i of the
    global batch is `per_example_bits(rng, i)`; with `axis_name` (the data axis of a mesh or
    pmap) the local examples are numbered from `axis_index · local_batch`. Rate and scaling as
    `nn.Dropout` (kept units scaled by 1 / (1 - rate)); a unit is kept when its 32 random bits
    are below (1 - rate) · 2^32.
    """

    rate: float
    axis_name: str | None = None

    def example_index(self, local_batch: int) -> jax.Array:
        """Global indices of the local examples."""
        offset = 0 if self.axis_name is None else jax.lax.axis_index(self.axis_name) * local_batch
        return offset + jnp.arange(local_batch)

    @nn.compact
    def __call__(self, x: jax.Array, *, deterministic: bool, bits: jax.Array | None = None) -> jax.Array:
        """`bits`: the layer's random bits, `x.shape` uint32 from `per_example_bits`, when a network
        draws the bits of all its dropout layers in one hash; by default the layer draws its own."""
        if deterministic or self.rate == 0.0:
            return x
        if self.rate == 1.0:
            return jnp.zeros_like(x)
        if bits is None:
            bits = per_example_bits(self.make_rng("dropout"), self.example_index(x.shape[0]), x.shape[1:])
        elif bits.shape != x.shape:
            raise ValueError(f"ExampleDropout: `bits` must have the input's shape {x.shape}; got {bits.shape}.")
        threshold = min(round((1.0 - self.rate) * 2.0**32), 2**32 - 1)
        if threshold == 0:  # a rate within 2^-33 of 1 keeps nothing
            return jnp.zeros_like(x)
        # `bits < threshold`, written as an integer division: XLA fuses a cheap elementwise
        # producer into each of its consumers (here the mask's select in the forward pass and in
        # the backward pass), so the comparison would hash the bits once per consumer; a division
        # is an expensive producer that XLA does not duplicate, so each layer's bits are hashed
        # once (the seed DCGAN's step: 12 hashes of D's dropout bits -> 6, 116 -> 108 ms on 2 cores).
        keep = bits // jnp.uint32(threshold) == 0
        return jnp.where(keep, x / (1.0 - self.rate), jnp.zeros_like(x)).astype(x.dtype)


class ConditionalBatchNorm(nn.Module):
    """Batch norm with class-specific scale and shift (de Vries et al. 2017; the conditional
    generators of Miyato & Koyama 2018): `γ[label] · BN(h) + β[label]`, γ initialised to 1 and
    β to 0, so an untrained layer is plain batch norm. `h [B, ..., C]`, `label [B]` int."""

    num_classes: int
    dtype: Dtype = jnp.float32
    axis_name: str | None = None

    @nn.compact
    def __call__(self, h: jax.Array, label: jax.Array, *, train: bool) -> jax.Array:
        channels = h.shape[-1]
        normalized = nn.BatchNorm(
            use_running_average=not train,
            momentum=BATCH_NORM_MOMENTUM,
            epsilon=BATCH_NORM_EPSILON,
            use_scale=False,
            use_bias=False,
            dtype=self.dtype,
            axis_name=self.axis_name,
            name="batch_norm",
        )(h)
        gamma = nn.Embed(self.num_classes, channels, embedding_init=nn.initializers.ones, name="scale")(label)
        beta = nn.Embed(self.num_classes, channels, embedding_init=nn.initializers.zeros, name="shift")(label)
        shape = (h.shape[0],) + (1,) * (h.ndim - 2) + (channels,)
        return normalized * gamma.reshape(shape).astype(normalized.dtype) + beta.reshape(shape).astype(normalized.dtype)


def normalize(h, *, train, dtype, axis_name, name, num_classes: int = 0, label=None):
    """Batch norm of a generator: conditional on `label` when `num_classes` > 0, else plain."""
    if num_classes:
        if label is None:
            raise ValueError(f"{name}: a generator with num_classes={num_classes} needs a `label` for each example.")
        return ConditionalBatchNorm(num_classes, dtype=dtype, axis_name=axis_name, name=name)(h, label, train=train)
    return batch_norm(train=train, dtype=dtype, axis_name=axis_name, name=name)(h)
