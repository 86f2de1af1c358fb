"""PacGAN ring, Fisher GAN (Mroueh & Sercu 2017): rho = 1e-6, lambda kept in the state."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.loss.name = "fisher"
    config.loss.params = {"rho": 1e-6}
    config.num_critic_steps = 2
    return config
