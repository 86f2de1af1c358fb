"""MRGAN (Che et al. 2017) on PacGAN's grid (25 modes): the MRGAN row beside configs/grid_ns.py's GAN row.

PacGAN's benchmark setup (MATH.md §7: G 4x400 BN+ReLU, D 3x200 maxout-5, Adam(1e-4, b1=0.8), batch 100,
z ~ N(0, I₂), 400 epochs) with MRGAN's encoder E (3x400 LeakyReLU, linear to z), trained with G on
T_G = -log D(G(z)) + λ1 ‖x - G(E(x))‖² - λ2 log D(G(E(x))). `--config.mrgan.variant=manifold_diffusion`
trains MDGAN instead (it needs config.model.diffusion_discriminator and config.optimizer.diffusion_discriminator:
`METHODS["MDGAN"]` in configs/mode_collapse.py has them).
"""

import ml_collections

from jaxgan.config import model_config, pacgan_mixture_config

MRGAN_SETTINGS = {"variant": "regularised", "lambda1": 1.0, "lambda2": 1.0, "mode_regulariser": "toward_data"}


def get_config():
    config = pacgan_mixture_config("grid")
    config.program = "mrgan"
    config.model.encoder = model_config("encoder", "mlp", width=400, depth=3)
    config.mrgan = ml_collections.ConfigDict(MRGAN_SETTINGS)  # read by jaxgan/programs/mrgan.py
    return config
