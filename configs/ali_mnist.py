"""ALI / BiGAN (Dumoulin et al. 2017; Donahue et al. 2017) on the bundled MNIST digits, trained on `train[:90%]`.

The 500 held-out digits (`test` = `train[90%:]`) are what `jaxgan sample --reconstruct=test`
encodes and decodes, and what the evaluators score: `encoding_one_nn` (a 1-nearest-neighbour
classifier on E(x), fit on the 4,500 training digits' codes) and `reconstruction_accuracy` (the
bundled classifier's digit of G(E(x)) against the input's label). G: the seed DCGAN's; E: two
strided 5x5 convolutions and a Dense layer to 50 latent dimensions (BiGAN's MNIST latent size);
D: the `joint` D(x, z); Adam(2e-4, 0.5) for D and for G with E; batch 64.
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config, model_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "ali"
    config.data.split = "train[:90%]"
    config.latent_dim = 50
    config.model.encoder = model_config("encoder", "deterministic_conv")
    config.model.discriminator = model_config("discriminator", "joint")
    config.ali = ml_collections.ConfigDict({"generator_loss": "swapped"})  # read by jaxgan/programs/ali.py
    return config
