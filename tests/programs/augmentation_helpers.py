"""A tiny image config for the augmentation tests: 8x8 digits, MLP G and D (no batch norm)."""

from __future__ import annotations

from jaxgan.config import model_config
from jaxgan.programs import conditional
from jaxgan.train import sweeps
from tests.train.helpers import tiny_ring_config


def image_config(program: str = "gan", **overrides):
    """The bundled 8x8 digits, an MLP G (tanh) and D, batch 16, 4 steps logged and checkpointed
    every 2 (`tiny_ring_config`); `overrides` by dotted path."""
    config = tiny_ring_config()
    config.data.name = "digits"
    config.latent_dim = 4
    config.model.generator = model_config(
        "generator", "mlp", output_shape=[8, 8, 1], width=32, depth=1, use_batch_norm=False, output_activation="tanh"
    )
    config.model.discriminator = model_config("discriminator", "mlp", width=16, depth=1)
    if program != "gan":
        config.program = program
        config.conditional = conditional.FAMILY.default_settings(num_classes=10)
        if program == "acgan":
            config.conditional.discriminator_conditioning = "none"
            config.conditional.class_weight = 1.0
    return sweeps.with_overrides(config, overrides)
