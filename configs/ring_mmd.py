"""PacGAN ring, MMD-GAN (Li et al. 2017): D outputs 16 features, RBF kernels sigma in {1,2,4,8,16}."""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.loss.name = "mmd"
    config.model.discriminator.num_outputs = 16
    config.clip_weights = 0.01  # MMD-GAN keeps D's features bounded by clipping (Li et al. 2017)
    config.optimizer.generator = {"name": "rmsprop", "learning_rate": 5e-5}
    config.optimizer.discriminator = {"name": "rmsprop", "learning_rate": 5e-5}
    config.num_critic_steps = 5
    return config
