"""PacGAN ring, WGAN-GP (Gulrajani et al. 2017): lambda = 10, 5 critic steps, Adam(1e-4, 0.5, 0.9)."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.loss.name = "wasserstein"
    config.penalties.gradient_penalty = 10.0
    config.num_critic_steps = 5
    for which in ("generator", "discriminator"):
        config.optimizer[which] = {"name": "adam", "learning_rate": 1e-4, "b1": 0.5, "b2": 0.9}
    return config
