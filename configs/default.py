"""The defaults themselves (the PacGAN ring setup), as a runnable config."""

from jaxgan.config import default_config


def get_config():
    return default_config()
