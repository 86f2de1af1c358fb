"""WGAN-GP (Gulrajani et al. 2017) on CIFAR-10 with the DCGAN networks, no batch norm in D:
lambda = 10, 5 critic steps, Adam(1e-4, b1=0.5, b2=0.9)."""

from jaxgan.config import image_config


def get_config():
    config = image_config("cifar10", image_size=32, model="dcgan")
    config.loss.name = "wasserstein"
    config.model.discriminator.use_batch_norm = False
    config.penalties.gradient_penalty = 10.0
    config.num_critic_steps = 5
    for which in ("generator", "discriminator"):
        config.optimizer[which] = {"name": "adam", "learning_rate": 1e-4, "b1": 0.5, "b2": 0.9}
    return config
