"""CGAN on the bundled MNIST digits (Mirza & Osindero 2014): the seed DCGAN with the label
one-hot concatenated to z in G and as 10 one-hot channels of D's input; non-saturating loss.

    jaxgan train --config=configs/cgan_mnist.py --workdir=/tmp/cgan_mnist
    jaxgan sample --workdir=/tmp/cgan_mnist --labels=all --num=100 --out=/tmp/cgan.png
"""

from jaxgan.config import dcgan_mnist_config
from jaxgan.programs import conditional


def get_config():
    config = dcgan_mnist_config()
    config.program = "conditional"
    config.conditional = conditional.FAMILY.default_settings(
        generator_conditioning="concat", discriminator_conditioning="concat", label_input="one_hot"
    )
    config.evaluators = "class_consistency,intra_fid,fid"
    config.num_eval_samples = 1000
    return config
