"""InfoGAN on the bundled MNIST digits (Chen et al. 2016): 62 noise dimensions, one 10-way
categorical code and two continuous codes U(-1, 1); Q shares D's body (the seed DCGAN's D), Q's
head trained with G; λ = 1 for the categorical and 0.1 for the continuous bound. With
`--config.infogan.discriminator_learns_codes=True` D's update minimises the bound too (Chen et
al.'s released code): code agreement 0.319 at 1,500 steps against 0.387 without (one seed each).

    jaxgan train --config=configs/infogan_mnist.py --workdir=/tmp/infogan_mnist
    jaxgan sample --workdir=/tmp/infogan_mnist --out=/tmp/infogan_traversal.png
"""

from jaxgan.config import dcgan_mnist_config
from jaxgan.programs import infogan


def get_config():
    config = dcgan_mnist_config()
    config.program = "infogan"
    config.latent_dim = 62
    config.infogan = infogan.FAMILY.default_settings()
    config.evaluators = "code_agreement,fid"
    config.num_eval_samples = 1000
    return config
