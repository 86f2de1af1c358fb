"""ALI / BiGAN (Dumoulin et al. 2017; Donahue et al. 2017) on the bundled MNIST digits, trained on `train[:90%]`.

The 500 held-out digits (`test` = `train[90%:]`) are what `jaxgan sample --reconstruct=test`
encodes and decodes, and what the evaluators score: `encoding_one_nn` (a 1-nearest-neighbour
classifier on E(x), fit on the 4,500 training digits' codes) and `reconstruction_accuracy` (the
bundled classifier's digit of G(E(x)) against the input's label). G: the seed DCGAN's; E: two
strided 5x5 convolutions and a Dense layer to 50 latent dimensions (BiGAN's MNIST latent size);
D: the `joint` D(x, z); Adam(1e-4, 0.5) for D and Adam(2e-4, 0.5) for G with E; batch 64; 1,800 steps; samples,
codes and reconstructions from the EMAs of E and G (decay 0.99). The
evaluations use 4,500 real samples, so the 1-NN classifier is fit on every training digit.
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
    config.optimizer.discriminator.learning_rate = 1e-4  # G and E 2e-4: D led the game at 2e-4 (results/ali.md)
    config.ali = ml_collections.ConfigDict({"generator_loss": "swapped"})  # read by jaxgan/programs/ali.py
    config.num_steps = 1800
    config.ema_decay = 0.99  # E's and G's averages (issue 26: seed 1's reconstructions 0.374 -> 0.816)
    config.checkpoint_every = config.sample_every = 600
    config.evaluators = "encoding_one_nn,reconstruction_accuracy"
    config.num_eval_samples = 4500
    return config
