"""pix2pix on edges2digits (edge maps of the bundled digits -> the digits): a U-Net of width 16
and a PatchGAN with one downsampling (16x16 patches), L1 weight 100, Adam(2e-4, b1=0.5).

Sized to train in at most 10 minutes on 2 CPU cores; held out: the 500 "test" digits.
"""

import ml_collections

from jaxgan.programs import translation


def get_config():
    config = translation.base_config("pix2pix", "edges2digits")
    config.model.generator = translation.translation_model_config("generator", "unet", features=16)
    config.model.discriminator = translation.translation_model_config(
        "discriminator", "patchgan", features=16, num_downsamplings=1
    )
    config.pix2pix = ml_collections.ConfigDict(
        {"l1_weight": 100.0, "adversarial_weight": 1.0, "held_out_split": "test"}
    )
    config.batch_size = 32
    config.num_steps = 2000
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500
    config.sample_every = 1000
    return config
