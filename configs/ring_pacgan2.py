"""PacGAN2 on the ring (Lin et al. 2018): D sees packs of 2 samples, 100 packs per batch."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.pack = 2
    config.batch_size = 200  # 100 packs of 2
    return config
