"""BEGAN (Berthelot et al. 2017) on the bundled MNIST digits: the seed DCGAN's G, an autoencoder D.

γ = 0.5, λ_k = 0.001, η = 1 (L1), k_0 = 0; Adam(1e-4, 0.5) as in the paper; batch 64;
1,500 steps (the main job's length). `M` and `began/k_t` are logged every 100 steps.
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "began"
    config.model.discriminator = ml_collections.ConfigDict({"name": "autoencoder", "features": 32, "embedding_dim": 64})
    adam = {"name": "adam", "learning_rate": 1e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.log_every = 50
    config.began = ml_collections.ConfigDict(
        {"gamma": 0.5, "lambda_k": 0.001, "eta": 1.0}
    )  # read by jaxgan/programs/began.py
    return config
