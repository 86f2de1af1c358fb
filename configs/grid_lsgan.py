"""PacGAN grid, least-squares GAN (Mao et al. 2017) with a=-1, b=1, c=0 (the Pearson setting)."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("grid")
    config.loss.name = "least_squares"
    config.loss.params = {"a": -1.0, "b": 1.0, "c": 0.0}
    return config
