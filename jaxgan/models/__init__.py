"""Every network of every family (flax.linen), chosen by kind and name from one registry.

    generator = jaxgan.models.generator("dcgan", image_size=32, dtype="bfloat16")
    encoder = jaxgan.models.build("encoder", "conv_encoder", latent_dim=32)
    x = generator.apply(variables, z, train=False)          # z [B, latent] -> [B, 32, 32, 3]
    v = discriminator.apply(variables, x, train=False)      # [B] logits, or [B, num_outputs]

Every generator maps `z [B, latent_dim]` to `x [B, *output_shape]`; every discriminator maps a
batch to one raw logit per example (no sigmoid), or to `[B, num_outputs]` features, and sows
its penultimate representation as `("intermediates", "features")`. Batch norm statistics and
spectral-norm vectors live in the "batch_stats" collection; dropout uses the "dropout" rng.

The kinds: `generator` (the unconditional bodies, MAD-GAN's `multi_mlp`, the translation
generators `unet` and `resnet`, SRGAN's `srresnet`, progressive growing's `progan`, StackGAN's two-stage `stackgan`, CoGAN's `coupled_dcgan28` pair, Triple-GAN's `label_mlp`), `discriminator` (the bodies, the autoencoder Ds of EBGAN and
BEGAN, VAE-GAN's `feature_discriminator`, the `patchgan`, SRGAN's `srgan`, StackGAN's `stackgan` (Stage-I or Stage-II D), ALI's `joint` D(x, z), CoGAN's `coupled_dcgan28` pair and Triple-GAN's `pair_mlp` D(x, y)) and
`encoder` (VAE-GAN's `conv_encoder`, ALI's `deterministic_conv` and `mlp`). A family takes the kinds
and names it can use (`jaxgan.programs.parts`).
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.models.ali import ConcatJointDiscriminator, DeterministicConvEncoder, JointDiscriminator, MLPEncoder
from jaxgan.models.autoencoder import ConvAutoencoder, MLPAutoencoder
from jaxgan.models.began import BeganAutoencoder, BeganGenerator
from jaxgan.models.cogan import CoupledDiscriminator, CoupledGenerator
from jaxgan.models.dcgan import DCGAN28Discriminator, DCGAN28Generator, DCGANDiscriminator, DCGANGenerator
from jaxgan.models.infogan import InfoGAN28Discriminator, InfoGAN28Generator
from jaxgan.models.mlp import MLPDiscriminator, MLPGenerator
from jaxgan.models.multi_generator import MultiMLPGenerator
from jaxgan.models.noisy_mlp import NoisyMLPDiscriminator
from jaxgan.models.progan import ProGANDiscriminator, ProGANGenerator
from jaxgan.models.sngan import SNGANResNetDiscriminator, SNGANResNetGenerator
from jaxgan.models.srgan import SRGANDiscriminator, SRResNetGenerator
from jaxgan.models.stackgan import StackGANDiscriminator, StackGANGenerator
from jaxgan.models.translation import PatchGANDiscriminator, ResNetGenerator, UNetGenerator
from jaxgan.models.triplegan import ConvClassifier, LabelMLPGenerator, PairDiscriminator
from jaxgan.models.vaegan import ConvEncoder, FeatureDiscriminator

_GENERATORS = types.MappingProxyType(
    {
        "mlp": MLPGenerator,
        "dcgan28": DCGAN28Generator,
        "infogan28": InfoGAN28Generator,
        "began": BeganGenerator,
        "dcgan": DCGANGenerator,
        "sngan_resnet": SNGANResNetGenerator,
        "multi_mlp": MultiMLPGenerator,
        "unet": UNetGenerator,
        "resnet": ResNetGenerator,
        "coupled_dcgan28": CoupledGenerator,
        "label_mlp": LabelMLPGenerator,
        "srresnet": SRResNetGenerator,
        "progan": ProGANGenerator,
        "stackgan": StackGANGenerator,
    }
)
_DISCRIMINATORS = types.MappingProxyType(
    {
        "mlp": MLPDiscriminator,
        "noisy_mlp": NoisyMLPDiscriminator,
        "dcgan28": DCGAN28Discriminator,
        "infogan28": InfoGAN28Discriminator,
        "dcgan": DCGANDiscriminator,
        "sngan_resnet": SNGANResNetDiscriminator,
        "autoencoder": ConvAutoencoder,
        "began_autoencoder": BeganAutoencoder,
        "mlp_autoencoder": MLPAutoencoder,
        "feature_discriminator": FeatureDiscriminator,
        "patchgan": PatchGANDiscriminator,
        "joint": JointDiscriminator,
        "joint_mlp": ConcatJointDiscriminator,
        "coupled_dcgan28": CoupledDiscriminator,
        "pair_mlp": PairDiscriminator,
        "triplegan_cnn": ConvClassifier,
        "srgan": SRGANDiscriminator,
        "progan": ProGANDiscriminator,
        "stackgan": StackGANDiscriminator,
    }
)
_ENCODERS = types.MappingProxyType(
    {"conv_encoder": ConvEncoder, "deterministic_conv": DeterministicConvEncoder, "mlp": MLPEncoder}
)
REGISTRY = types.MappingProxyType({"generator": _GENERATORS, "discriminator": _DISCRIMINATORS, "encoder": _ENCODERS})

_COMPUTE_DTYPES = ("float32", "bfloat16", "float16")


def names(kind: str) -> tuple[str, ...]:
    """The registered names of a kind ("generator", "discriminator", "encoder")."""
    return tuple(sorted(_registry(kind)))


def generator_names() -> tuple[str, ...]:
    return names("generator")


def discriminator_names() -> tuple[str, ...]:
    return names("discriminator")


def network_class(kind: str, name: str) -> type[nn.Module]:
    """The class registered as `name` of `kind`, or one sentence naming the accepted names."""
    registry = _registry(kind)
    if name not in registry:
        raise ValueError(f"Unknown {kind} {name!r}; accepted names are {sorted(registry)}.")
    return registry[name]


def _registry(kind: str):
    if kind not in REGISTRY:
        raise ValueError(f"Unknown kind of network {kind!r}; the kinds are {sorted(REGISTRY)}.")
    return REGISTRY[kind]


def module_fields(module_class: type[nn.Module]) -> tuple[str, ...]:
    """The constructor settings of a model class (its dataclass fields but `parent` and `name`)."""
    return tuple(f.name for f in dataclasses.fields(module_class) if f.init and f.name not in ("parent", "name"))


# Set by the family that builds the network, not by the config: the compute dtype, the device
# axis, a conditional body's mode, a translation generator's output channels, CoGAN's shared depth
# (config.cogan), SRResNet's upscaling factor (config.srgan.scale).
_SET_BY_THE_LAUNCHER = (
    "dtype",
    "batch_norm_axis_name",
    "example_axis_name",
    "features_only",
    "out_channels",
    "shared_layers",
    "scale",
    "resolutions",  # progressive growing's stages (config.progressive)
    "stage",
    "fade_start",
    "fade_steps",
)


def default_settings(kind: str, name: str) -> dict[str, Any]:
    """`{"name": name, setting: default, ...}` of a model, for a config that lists every setting
    (so each can be overridden on the command line). `kind` is one of `REGISTRY`'s kinds."""
    module_class = network_class(kind, name)
    fields = {f.name: f for f in dataclasses.fields(module_class)}
    settings = {"name": name}
    for field_name in module_fields(module_class):
        default = fields[field_name].default
        if field_name not in _SET_BY_THE_LAUNCHER and default is not dataclasses.MISSING and default is not None:
            settings[field_name] = list(default) if isinstance(default, tuple) else default
    return settings


def build(kind: str, name: str, **kwargs: Any) -> nn.Module:
    """The network of `kind` registered as `name`, built with `kwargs` (see `module_fields`)."""
    module_class = network_class(kind, name)
    accepted = module_fields(module_class)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(f"{kind} {name!r} got unknown settings {unknown}; accepted settings are {list(accepted)}.")
    settings = {}
    for key, value in kwargs.items():
        if isinstance(value, list):  # configs and command lines give lists; fields are tuples
            value = tuple(value)
        if key == "dtype":
            value = _compute_dtype(kind, name, value)
        settings[key] = value
    return module_class(**settings)


def _compute_dtype(kind: str, name: str, value: Any) -> Any:
    """A dtype given by name ("bfloat16") or by object (jnp.bfloat16), as a jnp dtype."""
    try:
        dtype = jnp.dtype(value)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in _COMPUTE_DTYPES:
        raise ValueError(f"{kind} {name!r}: `dtype` must be one of {list(_COMPUTE_DTYPES)}; got {value!r}.")
    return dtype.type


def generator(name: str, **kwargs: Any) -> nn.Module:
    """The generator registered as `name`, built with `kwargs` (see `module_fields`)."""
    return build("generator", name, **kwargs)


def discriminator(name: str, **kwargs: Any) -> nn.Module:
    """The discriminator registered as `name`, built with `kwargs` (see `module_fields`)."""
    return build("discriminator", name, **kwargs)


__all__ = [
    "REGISTRY",
    "ConvAutoencoder",
    "ConvEncoder",
    "FeatureDiscriminator",
    "MLPAutoencoder",
    "MultiMLPGenerator",
    "PatchGANDiscriminator",
    "ResNetGenerator",
    "UNetGenerator",
    "build",
    "names",
    "network_class",
    "DCGAN28Discriminator",
    "DCGAN28Generator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "SNGANResNetDiscriminator",
    "SNGANResNetGenerator",
    "discriminator",
    "discriminator_names",
    "generator",
    "generator_names",
    "module_fields",
]
