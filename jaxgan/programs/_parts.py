"""What the EBGAN, BEGAN, MAD-GAN and VAE-GAN builders share: their config checks and parts.

Each of these families brings its own losses, so the unconditional GAN's tricks (`pack`,
`unroll_steps`, `feature_matching`, `clip_weights`, penalties, `loss.name`) are refused when
set rather than silently ignored; `check_family_section` checks the family's own section.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp
import ml_collections

from jaxgan import models as models_lib
from jaxgan.models.autoencoder import ConvAutoencoder, MLPAutoencoder

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
AUTOENCODERS = {"autoencoder": ConvAutoencoder, "mlp_autoencoder": MLPAutoencoder}


def refuse_gan_tricks(config: ml_collections.ConfigDict, family: str, *, critic_steps: bool = True) -> None:
    """One sentence for a shared setting this family does not read."""
    unused = [
        (name, value, default)
        for name, value, default in (
            ("pack", config.pack, 1),
            ("unroll_steps", config.unroll_steps, 0),
            ("feature_matching", config.feature_matching, 0.0),
            ("clip_weights", config.clip_weights, 0.0),
            ("loss.name", config.loss.name, "non_saturating"),
            *(() if critic_steps else (("num_critic_steps", config.num_critic_steps, 1),)),
        )
        if value != default
    ]
    unused += [(f"penalties.{name}", weight, 0.0) for name, weight in config.penalties.items() if weight]
    if unused:
        name, value, default = unused[0]
        raise ValueError(
            f"config.{name}={value!r} is not read by program {family!r}, which has its own losses; leave it at {default!r}."
        )


def number_in(config: ml_collections.ConfigDict, path: str, low: float, high: float, *, closed_low=False) -> float:
    """`config.<path>` as a float in (low, high] ([low, high] with `closed_low`), or one sentence."""
    value = config
    for part in path.split("."):
        value = value[part]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low <= value if closed_low else low < value) and value <= high
    if not ok:
        bounds = f"{'[' if closed_low else '('}{low:g}, {high:g}]".replace("inf]", "inf)")
        raise ValueError(f"config.{path} must be a number in {bounds}; got {value!r}.")
    return float(value)


def integer_at_least(config: ml_collections.ConfigDict, path: str, low: int) -> int:
    value = config
    for part in path.split("."):
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"config.{path} must be an integer >= {low}; got {value!r}.")
    return value


def dtype(config: ml_collections.ConfigDict):
    return DTYPES[config.model.dtype]  # the name is checked by build()


def generator(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None, **settings) -> nn.Module:
    """`config.model.generator` (a registered generator) making samples of the dataset's shape;
    `settings` are a family's own (a conditional G's number of classes)."""
    name, kwargs = module_spec(config.model.generator)
    batch_norm_axis = axis_name if config.model.cross_device_batch_norm else None
    module = models_lib.generator(
        name, **{"dtype": dtype(config), "batch_norm_axis_name": batch_norm_axis, **kwargs, **settings}
    )
    shape = getattr(module, "output_shape", None)
    if shape is not None and tuple(shape) != tuple(dataset.element_shape):
        raise ValueError(
            f"the generator makes samples of shape {tuple(shape)} but dataset {config.data.name!r} has "
            f"{tuple(dataset.element_shape)}; set config.model.generator.output_shape (or its image size) to match."
        )
    return module


def discriminator(config: ml_collections.ConfigDict, *, axis_name: str | None, **settings) -> nn.Module:
    """`config.model.discriminator` (a registered discriminator); one that compares examples
    (minibatch discrimination) does so over the global batch (`example_axis_name`)."""
    name, kwargs = module_spec(config.model.discriminator)
    batch_norm_axis = axis_name if config.model.cross_device_batch_norm else None
    if "example_axis_name" in models_lib.module_fields(type(models_lib.discriminator(name))):
        kwargs["example_axis_name"] = axis_name
    return models_lib.discriminator(
        name, **{"dtype": dtype(config), "batch_norm_axis_name": batch_norm_axis, **kwargs, **settings}
    )


def autoencoder(config: ml_collections.ConfigDict, dataset) -> nn.Module:
    """`config.model.discriminator` as an autoencoder D: "autoencoder" (images) or "mlp_autoencoder"."""
    name, kwargs = module_spec(config.model.discriminator)
    if name not in AUTOENCODERS:
        raise ValueError(
            f"config.model.discriminator.name={name!r} is not an autoencoder discriminator; use one of {sorted(AUTOENCODERS)}."
        )
    images = len(dataset.element_shape) == 3
    if images != (name == "autoencoder"):
        wanted = "autoencoder" if images else "mlp_autoencoder"
        raise ValueError(
            f"config.model.discriminator.name={name!r} does not fit dataset {config.data.name!r} of shape "
            f"{tuple(dataset.element_shape)}; use {wanted!r}."
        )
    return build_module(AUTOENCODERS[name], "config.model.discriminator", kwargs, dtype=dtype(config))


def build_module(module_class, where: str, kwargs: dict, **fixed) -> nn.Module:
    accepted = models_lib.module_fields(module_class)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(
            f"{where} has unknown setting(s) {unknown}; accepted: {[a for a in accepted if a != 'dtype']}."
        )
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return module_class(**settings, **fixed)


def module_spec(spec: ml_collections.ConfigDict) -> tuple[str, dict]:
    """A `config.model.<network>` entry as its registered name and its settings."""
    kwargs = spec.to_dict()
    return kwargs.pop("name"), kwargs


def gathered_mean(ctx, per_example):
    """The mean of a per-example value over the global batch (the same on every device)."""
    return jnp.mean(ctx.gather(per_example))
