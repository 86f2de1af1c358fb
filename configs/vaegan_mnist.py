"""VAE-GAN (Larsen et al. 2016) on the bundled MNIST digits, trained on `train[:90%]`.

The 500 held-out digits (`test` = `train[90%:]`) are what `jaxgan reconstruct` encodes and
decodes. Encoder and D: two strided 5x5 convolutions; G: the seed DCGAN's; 32 latent
dimensions; the feature-wise reconstruction at D's last convolution, γ = 1; Adam(2e-4, 0.5)
for the three groups; batch 64.
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "vaegan"
    config.data.split = "train[:90%]"
    config.latent_dim = 32
    config.model.encoder = ml_collections.ConfigDict({"name": "conv_encoder", "features": 32})
    config.model.discriminator = ml_collections.ConfigDict({"name": "feature_discriminator", "features": 32})
    config.optimizer.encoder = ml_collections.ConfigDict({"name": "adam", "learning_rate": 2e-4, "b1": 0.5})
    config.vaegan = ml_collections.ConfigDict({"gamma": 1.0})  # read by jaxgan/programs/vaegan.py
    return config
