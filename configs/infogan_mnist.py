"""InfoGAN on the bundled MNIST digits (Chen et al. 2016): 62 noise dimensions, one 10-way
categorical code and two continuous codes U(-1, 1); Q shares D's body (the seed DCGAN's D); Q's
head is trained with G, and D's update minimises the same bound (`discriminator_learns_codes`, as
Chen et al.'s released code does); λ = 1 for the categorical and 0.1 for the continuous bound.

    jaxgan train --config=configs/infogan_mnist.py --workdir=/tmp/infogan_mnist
    jaxgan sample --workdir=/tmp/infogan_mnist --out=/tmp/infogan_traversal.png
"""

from jaxgan.config import dcgan_mnist_config
from jaxgan.programs import infogan


def get_config():
    config = dcgan_mnist_config()
    config.program = "infogan"
    config.latent_dim = 62
    config.infogan = infogan.default_settings(discriminator_learns_codes=True)
    config.evaluators = "code_agreement,fid"
    config.num_eval_samples = 1000
    return config
