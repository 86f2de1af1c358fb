"""Tiny pix2pix and CycleGAN configs for the translation tests (8x8 digits-sized networks)."""

from __future__ import annotations

import ml_collections

from jaxgan.programs import translation


def tiny_config(program: str, **overrides) -> ml_collections.ConfigDict:
    """A few steps of width-2 networks on the 28x28 digit tasks, batch 8, SGD (exact references)."""
    if program == "pix2pix":
        config = translation.base_config("pix2pix", "edges2digits")
        config.model.generator = translation.translation_model_config("generator", "unet", features=2, dropout_rate=0.5)
        config.pix2pix = ml_collections.ConfigDict(
            {"l1_weight": 100.0, "adversarial_weight": 1.0, "held_out_split": "test"}
        )
    else:
        config = translation.base_config("cyclegan", "digits2inverted")
        config.model.generator = translation.translation_model_config("generator", "resnet", features=2, num_blocks=1)
        config.cyclegan = ml_collections.ConfigDict(
            {"cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 6, "held_out_split": "test"}
        )
    config.model.discriminator = translation.translation_model_config(
        "discriminator", "patchgan", features=2, num_downsamplings=1
    )
    for network in ("generator", "discriminator"):
        config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 0.05})
    config.batch_size = 8
    config.num_samples = 8
    config.num_steps = 4
    config.steps_per_call = 2
    config.log_every = 2
    config.checkpoint_every = 2
    config.sample_every = 4
    config.eval_every = 0
    for key, value in overrides.items():
        target = config
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        target[last] = value
    return config
