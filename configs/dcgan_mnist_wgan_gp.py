"""The seed DCGAN on offline MNIST as a WGAN-GP: no batch norm in D (it breaks the per-example
penalty), lambda = 10, 5 critic steps, Adam(1e-4, 0.5, 0.9) (Gulrajani et al. 2017)."""

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.loss.name = "wasserstein"
    config.model.discriminator.use_batch_norm = False
    config.penalties.gradient_penalty = 10.0
    config.num_critic_steps = 5
    for which in ("generator", "discriminator"):
        config.optimizer[which] = {"name": "adam", "learning_rate": 1e-4, "b1": 0.5, "b2": 0.9}
    return config
