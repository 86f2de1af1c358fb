"""PacGAN grid (25 modes), non-saturating GAN: the GAN row of PacGAN's Table 1."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    return pacgan_mixture_config("grid")
