"""Minibatch discrimination on the ring (Salimans et al. 2016): 5 kernels of dimension 5."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.model.discriminator.minibatch_discrimination = 5
    config.model.discriminator.minibatch_kernel_dim = 5
    return config
