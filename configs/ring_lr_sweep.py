"""The ring GAN at three discriminator learning rates x 3 seeds: 9 runs in one compiled program."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.num_seeds = 3
    config.sweep_values = "optimizer.discriminator.learning_rate=1e-4,2e-4,4e-4"
    return config
