"""The survey's seed DCGAN on offline MNIST, non-saturating loss, Adam(2e-4, 0.5): the README's main job."""

from jaxgan.config import dcgan_mnist_config


def get_config():
    return dcgan_mnist_config()
