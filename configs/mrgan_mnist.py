"""MRGAN (Che et al. 2017) on the bundled MNIST digits: the seed DCGAN with an encoder and MRGAN's regularisers.

G and D the seed DCGAN's (configs/dcgan_mnist.py: Adam(2e-4, 0.5), batch 64, z ~ N(0, I_100)); E two
strided 5x5 convolutions, Dense 512, Dense 100 (`deterministic_conv`). G and E minimise
T_G = -log D(G(z)) + λ1 ‖x - G(E(x))‖² - λ2 log D(G(E(x))), the squared distance summed over the
784 pixels in [-1, 1]; λ1 = 0.01, λ2 = 0.5; samples from an EMA of G (decay 0.99); 2,400 steps, class shares every 400 (800 steps, the
length before 2026-12-05, left the classes at 3.6-18.1%: results/mrgan.md). Trained on `train[:90%]`: the 500 held-out digits (`test`) are what
`jaxgan sample --reconstruct=test` reconstructs. The target (issue 26): every class between 5% and
15% of 1,000 samples (`class_shares` on `num_eval_samples` = 1,000, the bundled classifier).
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config, model_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "mrgan"
    config.data.split = "train[:90%]"
    config.model.encoder = model_config("encoder", "deterministic_conv")
    config.mrgan = ml_collections.ConfigDict(  # read by jaxgan/programs/mrgan.py
        {"variant": "regularised", "lambda1": 0.01, "lambda2": 0.5, "mode_regulariser": "toward_data"}
    )
    config.ema_decay = 0.99  # see results/mrgan.md: without it the class shares swung by ±5 points between evaluations
    config.num_steps = 2400
    config.checkpoint_every = config.sample_every = config.eval_every = 400
    config.evaluators = "class_shares"
    config.num_eval_samples = 1000
    return config
