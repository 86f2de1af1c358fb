"""jaxgan: GAN experiments in JAX/Flax: every objective, one step, many devices."""

__version__ = "0.1.0"
