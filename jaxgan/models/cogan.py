"""CoGAN's coupled networks (Liu & Tuzel 2016): a generator pair sharing its first layers and a
discriminator pair sharing its last layers, each pair one Flax module.

By default both are the survey's seed DCGAN (`dcgan.DCGAN28Generator` / `DCGAN28Discriminator`)
doubled, three layers each; `body` picks others: G InfoGAN's MNIST G (`"infogan"`, four layers), D
Liu & Tuzel's LeNet D (`"lenet"`) or InfoGAN's (`"infogan"`), three layers each:

    G_i: z -> Dense(s/4 · s/4 · 2f) -> up x2, conv5x5(f) ReLU -> up x2, conv5x5(C) tanh
         layers: project, conv_0, conv_1; the first `shared_layers` are one set of weights for both
    G_i (body "infogan", `infogan.InfoGAN28Generator`'s layers): z -> Dense(1024) BN ReLU ->
         Dense(s/4 · s/4 · 2f) BN ReLU -> up-conv 4x4/2 (f) BN ReLU -> up-conv 4x4/2 (C) tanh
         layers: fc_0, fc_1, deconv_0, deconv_1 (N(0, 0.02²) weights, as Chen et al.'s)
    D_i: x -> conv5x5/2(f) LReLU drop -> conv5x5/2(2f) LReLU drop -> flatten -> Dense(1)
         layers: conv_0, conv_1, output; the last `shared_layers` are one set of weights for both

Weights are named `shared_<layer>` or `<domain>_<layer>` (domains `x` and `y`, as the unpaired
dataset's features), so a shared weight is one leaf of the parameter tree and its gradient is
the sum of what the two domains' paths ask of it (autodiff of a weight used twice). The last
layer of G (the image) and the first of D (the image's own filters) are each domain's: with
them shared too, G_1 = G_2 and the pair could only draw one domain.

G returns the pair side by side, `[B, s, 2s, C]` (G_1(z) left, G_2(z) right): a sample is a
pair, drawn, written and pictured as one image. D takes the two domains' images `D(x, y)`, or
one batch of pairs side by side `D(pair)` (G's output), and returns logits `[B, 2]`, column i
D_i's. Batch norm only where asked: in G with `use_batch_norm` (either body; InfoGAN's has it on
every layer but the output), in D in the "infogan" body alone (the seed DCGAN's D has batch norm
on conv_1, the "dcgan" body none; the authors' LeNet D has none either). A shared layer's batch
norm in G normalises the one batch of z both domains decode; in D it is called once per domain,
on that domain's batch. Dropout masks follow global example indices (`layers.ExampleDropout`),
drawn per domain.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.conv import Conv, ConvTranspose, UpsampleConv
from jaxgan.models.dcgan import KERAS_INIT
from jaxgan.models.infogan import INIT as INFOGAN_INIT
from jaxgan.models.infogan import SLOPE as INFOGAN_SLOPE

Dtype = Any
DOMAINS = ("x", "y")
# a generator body -> its layers, nearest z first (the last is each domain's own image layer)
GENERATOR_BODIES = {
    "dcgan": ("project", "conv_0", "conv_1"),
    "infogan": ("fc_0", "fc_1", "deconv_0", "deconv_1"),
}
GENERATOR_LAYERS = GENERATOR_BODIES["dcgan"]
DISCRIMINATOR_LAYERS = ("conv_0", "conv_1", "output")


def check_shared_layers(owner: str, value: Any, num_layers: int) -> None:
    """`shared_layers` in [0, num_layers - 1]: every layer but the one of each domain's own."""
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= num_layers - 1
    if not ok:
        raise ValueError(
            f"{owner}: shared_layers must be an integer in [0, {num_layers - 1}] (the network has {num_layers} "
            f"layers, one of them each domain's own); got {value!r}."
        )


def _layer_name(index: int, names: tuple[str, ...], shared: tuple[int, ...], domain: str) -> str:
    return f"shared_{names[index]}" if index in shared else f"{domain}_{names[index]}"


class CoupledGenerator(nn.Module):
    """z [B, latent] -> the pair (G_1(z), G_2(z)) side by side [B, s, 2s, C]; see the module doc.

    `shared_layers`: how many layers nearest z both generators share (0: two independent
    generators; all but the output layer, as Liu & Tuzel's MNIST networks: 2 for the "dcgan"
    body, 3 for "infogan"). `body`: "dcgan" (the seed DCGAN's G) or "infogan" (Chen et al.'s
    MNIST G: a Dense(`hidden`) layer before the projection, 4x4 up-convolutions; theirs has batch
    norm on every layer but the output: `use_batch_norm=True`)."""

    image_size: int = 28
    channels: int = 1
    features: int = 64
    shared_layers: int = 2
    use_batch_norm: bool = False
    body: str = "dcgan"
    hidden: int = 1024  # the "infogan" body's first Dense layer
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        for field in ("image_size", "channels", "features", "hidden"):
            layers.check_positive_int("CoupledGenerator", field, getattr(self, field))
        if self.image_size % 4:
            raise ValueError(f"CoupledGenerator: image_size must be a multiple of 4; got {self.image_size}.")
        layers.check_choice("CoupledGenerator", "body", self.body, tuple(GENERATOR_BODIES))
        check_shared_layers("CoupledGenerator", self.shared_layers, self.num_layers)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return GENERATOR_BODIES[self.body]

    @property
    def num_layers(self) -> int:
        return len(self.layer_names)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.image_size, 2 * self.image_size, self.channels)

    def _layer(self, index: int, domain: str, train: bool):
        name = _layer_name(index, self.layer_names, tuple(range(self.shared_layers)), domain)
        use_bias = index == self.num_layers - 1 or not self.use_batch_norm  # batch norm's offset is the bias
        settings = dict(use_bias=use_bias, dtype=self.dtype, kernel_init=KERAS_INIT, name=name)
        base = self.image_size // 4

        def normalize(h):  # the batch norm of a layer follows its weights: shared or the domain's own
            if not self.use_batch_norm:
                return h
            norm = layers.batch_norm(
                train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name=f"{name}_batch_norm"
            )
            return norm(h)

        if self.body == "infogan":
            return self._infogan_layer(index, use_bias, name, normalize, base)
        if index == 0:
            dense = nn.Dense(base * base * 2 * self.features, **settings)
            if self.use_batch_norm:  # as the seed DCGAN with batch norm: BN + ReLU after the projection
                return lambda h: nn.relu(normalize(dense(h))).reshape(h.shape[0], base, base, 2 * self.features)
            return lambda h: dense(h).reshape(h.shape[0], base, base, 2 * self.features)
        if index == 1:
            conv = UpsampleConv(self.features, (5, 5), **settings)
            return lambda h: nn.relu(normalize(conv(h)))
        conv = UpsampleConv(self.channels, (5, 5), **settings)
        return lambda h: jnp.tanh(conv(h))

    def _infogan_layer(self, index: int, use_bias: bool, name: str, normalize, base: int):
        settings = dict(use_bias=use_bias, dtype=self.dtype, kernel_init=INFOGAN_INIT, name=name)
        if index == 0:
            dense = nn.Dense(self.hidden, **settings)
            return lambda h: nn.relu(normalize(dense(h)))
        if index == 1:
            dense = nn.Dense(base * base * 2 * self.features, **settings)
            return lambda h: nn.relu(normalize(dense(h))).reshape(h.shape[0], base, base, 2 * self.features)
        width = self.features if index == 2 else self.channels
        deconv = ConvTranspose(width, (4, 4), stride=2, **settings)
        if index == 2:
            return lambda h: nn.relu(normalize(deconv(h)))
        return lambda h: jnp.tanh(deconv(h))

    def domain_images(self, z: jax.Array, train: bool = False) -> tuple[jax.Array, jax.Array]:
        """(G_1(z), G_2(z)), each [B, s, s, C]: the shared layers run once, then each domain's own."""
        h = z.astype(self.dtype)
        for index in range(self.shared_layers):
            h = self._layer(index, "shared", train)(h)
        images = []
        for domain in DOMAINS:
            g = h
            for index in range(self.shared_layers, self.num_layers):
                g = self._layer(index, domain, train)(g)
            images.append(g.astype(jnp.float32))
        return tuple(images)

    @nn.compact
    def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
        if z.ndim != 2:
            raise ValueError(f"CoupledGenerator: `z` must be [batch, latent_dim]; got shape {z.shape}.")
        return jnp.concatenate(self.domain_images(z, train), axis=2)


def split_pair(pair: jax.Array) -> tuple[jax.Array, jax.Array]:
    """A batch of pairs side by side [B, s, 2s, C] -> (left [B, s, s, C], right [B, s, s, C])."""
    if pair.ndim != 4 or pair.shape[2] % 2:
        raise ValueError(f"a batch of pairs side by side must be [batch, H, 2W, C]; got shape {pair.shape}.")
    width = pair.shape[2] // 2
    return pair[:, :, :width], pair[:, :, width:]


BODIES = ("dcgan", "lenet", "infogan")
# the authors' init of every layer of their D (cogan_pytorch/src/init.py): Xavier uniform with gain sqrt(2), bias 0.1
XAVIER = dict(
    kernel_init=nn.initializers.variance_scaling(2.0, "fan_avg", "uniform"), bias_init=nn.initializers.constant(0.1)
)


class _LeNetHead(nn.Module):
    """The LeNet D's last layers: Dense(width) -> PReLU -> Dense(1); returns (hidden, logit)."""

    width: int
    dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, h: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = nn.Dense(self.width, dtype=self.dtype, **XAVIER, name="hidden")(h)
        h = nn.PReLU(param_dtype=jnp.float32, name="prelu")(h)
        return h, nn.Dense(1, dtype=self.dtype, **XAVIER, name="logit")(h)[:, 0]


class _InfoGANConv(nn.Module):
    """InfoGAN's D layer: a 4x4/2 convolution (N(0, 0.02²)), batch norm when `normalize`, leaky ReLU 0.01."""

    width: int
    normalize: bool
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, h: jax.Array, train: bool) -> jax.Array:
        h = Conv(
            self.width,
            (4, 4),
            strides=(2, 2),
            use_bias=not self.normalize,
            dtype=self.dtype,
            kernel_init=INFOGAN_INIT,
            name="conv",
        )(h)
        if self.normalize:
            h = layers.batch_norm(
                train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name="batch_norm"
            )(h)
        return nn.leaky_relu(h, INFOGAN_SLOPE)


class _InfoGANHead(nn.Module):
    """InfoGAN's D head: Dense(width) (N(0, 0.02²)) -> batch norm -> leaky ReLU 0.01 -> Dense(1); returns (hidden, logit)."""

    width: int
    dtype: Dtype = jnp.float32
    batch_norm_axis_name: str | None = None

    @nn.compact
    def __call__(self, h: jax.Array, train: bool) -> tuple[jax.Array, jax.Array]:
        h = nn.Dense(self.width, use_bias=False, dtype=self.dtype, kernel_init=INFOGAN_INIT, name="hidden")(h)
        h = layers.batch_norm(train=train, dtype=self.dtype, axis_name=self.batch_norm_axis_name, name="batch_norm")(h)
        h = nn.leaky_relu(h, INFOGAN_SLOPE)
        return h, nn.Dense(1, dtype=self.dtype, kernel_init=INFOGAN_INIT, name="logit")(h)[:, 0]


class CoupledDiscriminator(nn.Module):
    """(x [B, s, s, C], y [B, s, s, C]) or a pair side by side [B, s, 2s, C] -> logits [B, 2] (D_1's, D_2's).

    `shared_layers`: how many layers nearest the output both discriminators share (0: two
    independent discriminators; 2, the default: all but the first, as Liu & Tuzel's MNIST D).
    `body`: "dcgan" (the seed DCGAN's: two strided 5x5 convolutions of f and 2f, leaky ReLU, then
    Dense(1)) or "lenet" (the authors' released MNIST D, `CoDis28x28` in mingyuliutw/CoGAN's
    cogan_pytorch: 5x5 'VALID' convolutions of f and 5f/2 each followed by 2x2 max pooling and no
    activation, then Dense(25 f) + PReLU + Dense(1) as its one "output" layer; f = 20 gives theirs,
    20, 50, 500) or "infogan" (Chen et al.'s MNIST D, `infogan.InfoGAN28Discriminator`: 4x4/2
    convolutions of f, leaky ReLU 0.01, and 2f, batch norm, leaky ReLU, then Dense(`hidden`) + batch
    norm + leaky ReLU + Dense(1) as the "output" layer; N(0, 0.02²) weights). A shared layer's batch
    norm normalises each domain's batch on its own statistics (it is called once per domain)."""

    features: int = 64
    shared_layers: int = 2
    dropout_rate: float = 0.3
    body: str = "dcgan"
    hidden: int = 1024  # the "infogan" body's Dense layer
    dtype: Dtype = jnp.float32
    example_axis_name: str | None = None  # the data axis: dropout masks follow global example indices
    batch_norm_axis_name: str | None = None  # the "infogan" body's batch norm

    num_layers = len(DISCRIMINATOR_LAYERS)

    def __post_init__(self):
        super().__post_init__()
        layers.check_positive_int("CoupledDiscriminator", "features", self.features)
        layers.check_positive_int("CoupledDiscriminator", "hidden", self.hidden)
        layers.check_rate("CoupledDiscriminator", "dropout_rate", self.dropout_rate)
        check_shared_layers("CoupledDiscriminator", self.shared_layers, self.num_layers)
        if self.body not in BODIES:
            raise ValueError(f"CoupledDiscriminator: body must be one of {list(BODIES)}; got {self.body!r}.")

    def _module(self, modules: dict, name: str, make):
        if name not in modules:  # a shared layer is built once and applied to both domains
            modules[name] = make(name)
        return modules[name]

    def _path(self, h: jax.Array, domain: str, train: bool, modules: dict) -> tuple[jax.Array, jax.Array]:
        shared = tuple(range(self.num_layers - self.shared_layers, self.num_layers))
        h = h.astype(self.dtype)
        lenet = self.body == "lenet"
        widths = (self.features, self.features * 5 // 2) if lenet else (self.features, 2 * self.features)
        for index, width in enumerate(widths):
            name = _layer_name(index, DISCRIMINATOR_LAYERS, shared, domain)
            if self.body == "infogan":  # 4x4/2 convolution (batch norm on the second), leaky ReLU
                layer = self._module(
                    modules,
                    name,
                    lambda n, w=width, i=index: _InfoGANConv(w, i == 1, self.dtype, self.batch_norm_axis_name, name=n),
                )
                h = layer(h, train)
            elif lenet:  # 5x5 'VALID' convolution, 2x2 max pooling, no activation (the pooling is the non-linearity)
                conv = self._module(
                    modules,
                    name,
                    lambda n, w=width: Conv(w, (5, 5), padding="VALID", dtype=self.dtype, **XAVIER, name=n),
                )
                h = layers.max_pool(conv(h), 2)
            else:
                conv = self._module(
                    modules,
                    name,
                    lambda n, w=width: Conv(
                        w, (5, 5), strides=(2, 2), dtype=self.dtype, kernel_init=KERAS_INIT, name=n
                    ),
                )
                h = nn.leaky_relu(conv(h), layers.LEAKY_RELU_SLOPE)
            drop = layers.ExampleDropout(
                self.dropout_rate, axis_name=self.example_axis_name, name=f"dropout_{domain}_{index}"
            )
            h = drop(h, deterministic=not train)
        h = h.reshape(h.shape[0], -1)
        name = _layer_name(2, DISCRIMINATOR_LAYERS, shared, domain)
        if self.body == "infogan":  # the output layer: Dense(hidden) -> BN -> leaky ReLU -> Dense(1)
            head = self._module(
                modules, name, lambda n: _InfoGANHead(self.hidden, self.dtype, self.batch_norm_axis_name, name=n)
            )
            h, logit = head(h, train)
            return logit.astype(jnp.float32), h
        if lenet:  # the output layer: Dense(25 f) -> PReLU -> Dense(1), one layer of the sharing pattern
            head = self._module(modules, name, lambda n: _LeNetHead(25 * self.features, self.dtype, name=n))
            h, logit = head(h)
            return logit.astype(jnp.float32), h
        output = self._module(modules, name, lambda n: nn.Dense(1, dtype=self.dtype, kernel_init=KERAS_INIT, name=n))
        return output(h)[:, 0].astype(jnp.float32), h

    @nn.compact
    def __call__(self, x: jax.Array, y: jax.Array | None = None, *, train: bool) -> jax.Array:
        if y is None:
            x, y = split_pair(x)
        if x.ndim != 4 or x.shape != y.shape:
            raise ValueError(
                f"CoupledDiscriminator: the two domains' images must be NHWC of one shape; got {x.shape} and {y.shape}."
            )
        modules: dict = {}  # a shared layer is built once and applied to both domains
        (v_x, h_x), (v_y, h_y) = (self._path(images, domain, train, modules) for images, domain in zip((x, y), DOMAINS))
        self.sow("intermediates", "features", jnp.concatenate([h_x, h_y], axis=-1).astype(jnp.float32))
        return jnp.stack([v_x, v_y], axis=1)
