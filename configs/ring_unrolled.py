"""Unrolled GAN on the ring (Metz et al. 2017): G's loss at D after 5 differentiable D steps.

Differentiating through Adam needs eps_root > 0 (d sqrt(v)/dv is infinite where v = 0).
"""

from jaxgan.config import pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.unroll_steps = 5
    config.optimizer.discriminator.eps_root = 1e-8
    return config
