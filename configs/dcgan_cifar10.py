"""Radford et al.'s DCGAN on CIFAR-10 (32x32, tfds `cifar10` prepared on disk), non-saturating loss."""

from jaxgan.config import image_config


def get_config():
    return image_config("cifar10", image_size=32, model="dcgan")
