"""Conditional generators and discriminators, and the heads the survey's conditional models put on D.

Every network here wraps one of the registered networks (`jaxgan.models.generator(...)`,
`discriminator(...)`), so each conditional model has the same bodies as the unconditional ones:

- `ConditionalGenerator`: G(z, c) with the label concatenated to `z` (one-hot or a learned
  embedding; CGAN, Mirza & Osindero 2014), or through conditional batch norm in the body
  (class-specific γ, β; de Vries et al. 2017, Miyato & Koyama 2018), for the generators that have
  `num_classes`. It also concatenates InfoGAN's codes: every extra input is appended to `z`
  (integer inputs one-hot).
- `ConditionalDiscriminator`: a body built with `features_only=True` (its features φ(x)), an
  adversarial output ψ(φ), and, by setting:
    - `conditioning="concat"`: the label as one-hot (or embedded) channels of the input (CGAN);
    - `conditioning="projection"`: `ψ(φ(x)) + embed(c)ᵀ φ(x)` (Miyato & Koyama 2018), the
      embedding spectrally normalised when the body is;
    - `class_head=K`: K class logits on φ (ACGAN, Odena et al. 2017; with `adversarial=False`
      the K logits of Salimans et al. 2016's K+1 classifier, the fake class at logit 0);
    - `q_head=n`: InfoGAN's Q network on D's body (Chen et al. 2016), a hidden layer and n
      outputs, in the module `q_head` so that a group can train it with G.
  It returns a dict of the heads it has: `adversarial [B]`, `class_logits [B, K]`, `q [B, n]`.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.models import layers

_GENERATOR_CONDITIONING = ("concat", "batch_norm")
_DISCRIMINATOR_CONDITIONING = ("none", "concat", "projection")
_LABEL_INPUTS = ("one_hot", "embedding")


def _label_features(label: jax.Array, num_classes: int, embed_dim: int, name: str) -> jax.Array:
    if embed_dim:
        return nn.Embed(num_classes, embed_dim, name=name)(label)
    return jax.nn.one_hot(label, num_classes)


class ConditionalGenerator(nn.Module):
    """G(z, *conditions) -> x: `conditions` concatenated to z, or the label through conditional BN.

    `num_classes`: the number of values of each integer condition, in order (the label; InfoGAN's
    categorical code); float conditions (continuous codes) are appended as they are.
    `conditioning="batch_norm"` passes the first condition, the label, to the body's
    conditional batch norm (a body with `num_classes` set) and concatenates the others.
    """

    base: nn.Module
    num_classes: tuple[int, ...] = ()
    conditioning: str = "concat"
    embed_dim: int = 0  # 0: one-hot labels; else a learned embedding of this size

    def __post_init__(self):
        super().__post_init__()
        layers.check_choice("ConditionalGenerator", "conditioning", self.conditioning, _GENERATOR_CONDITIONING)
        layers.check_non_negative_int("ConditionalGenerator", "embed_dim", self.embed_dim)
        if self.conditioning == "batch_norm":
            body_classes = getattr(self.base, "num_classes", None)
            if not self.num_classes or body_classes != self.num_classes[0]:
                raise ValueError(
                    f"conditional batch norm needs a generator with num_classes={self.num_classes[:1]}; "
                    f"{type(self.base).__name__} has num_classes={body_classes!r} (only dcgan and sngan_resnet have it)."
                )

    @property
    def output_shape(self):
        return getattr(self.base, "output_shape", None)

    @nn.compact
    def __call__(self, z: jax.Array, *conditions: jax.Array, train: bool) -> jax.Array:
        integer = [c for c in conditions if jnp.issubdtype(c.dtype, jnp.integer)]
        if len(integer) != len(self.num_classes):
            raise ValueError(
                f"ConditionalGenerator: {len(integer)} integer condition(s) for num_classes={self.num_classes}."
            )
        label = None
        parts, sizes = [z.astype(jnp.float32)], iter(self.num_classes)
        for i, condition in enumerate(conditions):
            if jnp.issubdtype(condition.dtype, jnp.integer):
                size = next(sizes)
                if self.conditioning == "batch_norm" and label is None:
                    label = condition
                    continue
                parts.append(_label_features(condition, size, self.embed_dim, f"embed_{i}"))
            else:
                parts.append(condition.reshape(condition.shape[0], -1).astype(jnp.float32))
        h = jnp.concatenate(parts, axis=-1)
        if label is not None:
            return self.base(h, label, train=train)
        return self.base(h, train=train)


def head_init(stddev: float):
    """A head's Dense kernel initialiser: N(0, stddev²) when stddev > 0, else flax's LeCun normal."""
    return nn.initializers.normal(stddev) if stddev > 0 else nn.linear.default_kernel_init


class QHead(nn.Module):
    """InfoGAN's Q on D's features: a hidden layer (batch norm with `batch_norm`, as in Chen et
    al.'s code; leaky ReLU of `slope`) and `num_outputs` outputs."""

    num_outputs: int
    width: int = 128
    batch_norm: bool = False
    slope: float = layers.LEAKY_RELU_SLOPE
    init_stddev: float = 0.0  # > 0: Dense weights N(0, s²) (Chen et al.'s code: 0.02); 0: LeCun normal
    batch_norm_scale_stddev: float = 0.0  # > 0: γ starts at N(1, s²) (theirs: 0.02), else at 1
    batch_norm_axis_name: str | None = None
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, features: jax.Array, *, train: bool = False) -> jax.Array:
        dense = dict(dtype=self.dtype, kernel_init=head_init(self.init_stddev))
        h = nn.Dense(self.width, use_bias=not self.batch_norm, name="hidden", **dense)(features)
        if self.batch_norm:
            h = layers.batch_norm(
                train=train,
                dtype=self.dtype,
                axis_name=self.batch_norm_axis_name,
                name="batch_norm",
                scale_stddev=self.batch_norm_scale_stddev,
            )(h)
        h = nn.leaky_relu(h, self.slope)
        return nn.Dense(self.num_outputs, name="output", **dense)(h).astype(jnp.float32)


class ConditionalDiscriminator(nn.Module):
    """D(x[, label]) -> {"adversarial": [B], "class_logits": [B, K], "q": [B, n]} (the heads it has).

    `base`: a registered discriminator built with `features_only=True`. `num_classes`: the
    label's values (for `conditioning` "concat"/"projection"). `label_input`: "one_hot" or
    "embedding" (`embed_dim` wide) for concatenation. `spectral_norm`: on the heads and the
    projection embedding (set it as the body's).
    """

    base: nn.Module
    num_classes: int = 0
    conditioning: str = "none"
    label_input: str = "one_hot"
    embed_dim: int = 16
    adversarial: bool = True
    class_head: int = 0
    q_head: int = 0
    q_width: int = 128
    q_batch_norm: bool = False  # batch norm in Q's hidden layer (Chen et al.'s code)
    q_slope: float = layers.LEAKY_RELU_SLOPE
    # > 0: the heads' Dense weights N(0, s²) (Chen et al.'s InfoGAN code: 0.02); 0: LeCun normal
    head_init_stddev: float = 0.0
    q_batch_norm_scale_stddev: float = 0.0  # > 0: γ of Q's batch norm starts at N(1, s²), else at 1
    spectral_norm: bool = False

    def __post_init__(self):
        super().__post_init__()
        owner = "ConditionalDiscriminator"
        layers.check_choice(owner, "conditioning", self.conditioning, _DISCRIMINATOR_CONDITIONING)
        layers.check_choice(owner, "label_input", self.label_input, _LABEL_INPUTS)
        layers.check_non_negative_int(owner, "class_head", self.class_head)
        layers.check_non_negative_int(owner, "q_head", self.q_head)
        for name in ("head_init_stddev", "q_batch_norm_scale_stddev"):
            layers.check_non_negative_float(owner, name, getattr(self, name))
        if not getattr(self.base, "features_only", False):
            raise ValueError(f"{owner}: its body must be built with features_only=True.")
        if self.conditioning != "none" and self.num_classes < 1:
            raise ValueError(f"{owner}: conditioning={self.conditioning!r} needs num_classes >= 1.")
        if not (self.adversarial or self.class_head or self.q_head):
            raise ValueError(f"{owner}: it has no output; set adversarial, class_head or q_head.")

    def _dense(self, features: int, name: str, train: bool):
        dense = nn.Dense(features, kernel_init=head_init(self.head_init_stddev), name=name)
        return layers.spectral_normalized(dense, enabled=self.spectral_norm, train=train)

    @nn.compact
    def __call__(self, x: jax.Array, label: jax.Array | None = None, *, train: bool) -> dict[str, jax.Array]:
        if self.conditioning != "none" and label is None:
            raise ValueError(f"ConditionalDiscriminator: conditioning={self.conditioning!r} needs a label per example.")
        if self.conditioning == "concat":
            if self.label_input == "one_hot":
                y = jax.nn.one_hot(label, self.num_classes, dtype=x.dtype)
            else:
                y = nn.Embed(self.num_classes, self.embed_dim, name="label_embedding")(label).astype(x.dtype)
            y = y.reshape(y.shape[0], *([1] * (x.ndim - 2)), y.shape[-1])
            x = jnp.concatenate([x, jnp.broadcast_to(y, (*x.shape[:-1], y.shape[-1]))], axis=-1)
        features = self.base(x, train=train)
        out = {}
        if self.adversarial:
            v = self._dense(1, "output", train)(features)[:, 0]
            if self.conditioning == "projection":
                embed = nn.Embed(self.num_classes, features.shape[-1], name="projection")
                if self.spectral_norm:  # the paper's SNEmbedID: the embedding matrix normalised
                    embedded = nn.SpectralNorm(embed, name="projection_spectral_norm")(label, update_stats=train)
                else:
                    embedded = embed(label)
                v = v + jnp.sum(embedded * features, axis=-1)
            out["adversarial"] = v.astype(jnp.float32)
        if self.class_head:
            out["class_logits"] = self._dense(self.class_head, "class_head", train)(features).astype(jnp.float32)
        if self.q_head:
            out["q"] = QHead(
                self.q_head,
                self.q_width,
                batch_norm=self.q_batch_norm,
                slope=self.q_slope,
                init_stddev=self.head_init_stddev,
                batch_norm_scale_stddev=self.q_batch_norm_scale_stddev,
                batch_norm_axis_name=getattr(self.base, "batch_norm_axis_name", None),
                name="q_head",
            )(features, train=train)
        return out
