"""ALI / BiGAN on PacGAN's grid (25 modes): the ALI row beside configs/grid_ns.py's GAN row.

PacGAN's benchmark setup (MATH.md §7: G 4x400 BN+ReLU, Adam(1e-4, b1=0.8), batch 100, z ~ N(0, I₂),
400 epochs) with ALI's two extra parts: an MLP encoder E (3x400 LeakyReLU, linear to z) and the
`joint` D(x, z) (x and z paths of 2x200 LeakyReLU, two joint layers of 200 with dropout 0.2).
"""

from jaxgan.config import model_config, pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("grid")
    config.program = "ali"
    config.model.encoder = model_config("encoder", "mlp", width=400, depth=3)
    config.model.discriminator = model_config("discriminator", "joint", width=200, depth=2)
    return config
