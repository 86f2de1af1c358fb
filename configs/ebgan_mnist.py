"""EBGAN-PT (Zhao et al. 2017) on the bundled MNIST digits: the seed DCGAN's G, an autoencoder D.

Margin m = 1 on the per-pixel mean squared reconstruction error (the data lie in [-1, 1]),
pulling-away weight 0.1, Adam(2e-4, 0.5), batch 64, 1,500 steps (the main job's length).
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "ebgan"
    config.model.discriminator = ml_collections.ConfigDict({"name": "autoencoder", "features": 32, "embedding_dim": 64})
    config.ebgan = ml_collections.ConfigDict(
        {"margin": 1.0, "pulling_away_weight": 0.1}
    )  # read by jaxgan/programs/ebgan.py
    return config
