"""PacGAN ring, f-GAN with the KL divergence (Nowozin et al. 2016)."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.loss.name = "fgan_kl"
    return config
