"""Radford et al.'s DCGAN on CelebA faces, centre-cropped and resized to 64x64 (tfds `celeb_a` prepared on disk)."""

from jaxgan.config import image_config


def get_config():
    return image_config("celeb_a", image_size=64, model="dcgan")
