"""BEGAN (Berthelot et al. 2017) on the bundled MNIST digits: the seed DCGAN's G, an autoencoder D.

γ = 0.5, η = 1 (L1), k_0 = 0, Adam(1e-4, 0.5) as in the paper; batch 64; 1,500 steps (the main
job's length). `M` and `began/k_t` are logged every 50 steps. Two departures, both for the
short run (README, "EBGAN, BEGAN, ..."): λ_k = 0.03 rather than the paper's 0.001, and batch
norm in G. With λ_k = 0.001 and G without batch norm, k_t rose to 0.0017 and fell back to 0
by step 150 (D learns the digits faster than G's images get easier), so D never pushed
back and G settled on a flat grey its autoencoder reconstructs better than digits (FID 1,524
at step 1,500). λ_k = 0.03 alone still let k_t fall to 0 by step 150; with batch norm G's
images first get easy fast, k_t rises (0.08 at step 100) and stays positive, as in the paper.
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "began"
    config.model.generator.use_batch_norm = True
    config.model.discriminator = ml_collections.ConfigDict({"name": "autoencoder", "features": 32, "embedding_dim": 64})
    adam = {"name": "adam", "learning_rate": 1e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.log_every = 50
    config.began = ml_collections.ConfigDict(
        {"gamma": 0.5, "lambda_k": 0.03, "eta": 1.0}
    )  # read by jaxgan/programs/began.py
    return config
