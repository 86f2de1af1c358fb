"""EBGAN-PT (Zhao et al. 2017) on the bundled MNIST digits: the seed DCGAN's G, an autoencoder D.

Energy = per-pixel mean squared reconstruction error (the data lie in [-1, 1]); margin m = 0.3,
pulling-away weight 0.1, Adam(2e-4, 0.5), batch 64, 3,000 steps, samples from an EMA of G (decay
0.99); D's code has 16 dimensions and G has batch norm. 3,000 steps, not the main job's 1,500: EBGAN
starts later than the DCGAN (D first learns to reconstruct the digits; each seed's G leaves grey
textures between steps 250 and 1,000) and its FID still fell steeply at 1,500 (seeds 0-3 in one
program, FID on the classifier's features every 250 steps: 34.1 mean at 1,500, 26.0 at 1,750,
21.6 at 2,500, 17.4 at 3,000; `jaxgan.programs.ebgan`). The margin is on
the energy's scale (a grey pixel against a reconstructed background of -1 costs exactly 1): with
m = 1, G's energy sat at the margin (0.95-1.0) and its samples stayed grey (FID 941 at step
520; 1,176 at step 1,130 with the 16-dimensional code); with m = 0.1 and a 64-dimensional code D
reconstructed G's grey textures nearly as well as digits (energy 0.12 > m, so D never pushed
back) and G stayed grey too. README, "EBGAN, BEGAN, MAD-GAN, VAE-GAN", has the figures.
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config


def get_config():
    config = dcgan_mnist_config()
    config.program = "ebgan"
    config.model.generator.use_batch_norm = True
    config.model.discriminator = ml_collections.ConfigDict({"name": "autoencoder", "features": 32, "embedding_dim": 16})
    config.ebgan = ml_collections.ConfigDict(
        {"margin": 0.3, "pulling_away_weight": 0.1}
    )  # read by jaxgan/programs/ebgan.py
    # samples from an EMA of G, constant rates (seeds 0-2, FID on the classifier's features: neither
    # 62.9 ± 11.2; the rates decayed to 0 over the second half 45.9, with the EMA too 46.7 ± 17.2; the
    # EMA alone 37.4 ± 10.3: jaxgan/programs/ebgan.py, README "EBGAN, BEGAN, MAD-GAN, VAE-GAN")
    config.ema_decay = 0.99
    config.num_steps = 3000
    return config
