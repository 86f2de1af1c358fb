"""Semi-supervised MNIST (Salimans et al. 2016): 100 labels (10 per class, a seeded subset of the
4,500 bundled training digits), D the K+1 classifier on the seed DCGAN's D, G trained by feature
matching; the classifier is tested on the 500 held-out bundled digits.

    jaxgan train --config=configs/semi_supervised_mnist.py --workdir=/tmp/semi_supervised_mnist
"""

from jaxgan.config import dcgan_mnist_config
from jaxgan.programs import semi_supervised


def get_config():
    config = dcgan_mnist_config()
    config.program = "semi_supervised"
    config.semi_supervised = semi_supervised.FAMILY.default_settings()
    config.data.labelled_per_class = 10
    config.data.test_split = "test"
    config.evaluators = "classifier_accuracy,fid"
    config.eval_every = 500
    config.num_eval_samples = 1000
    return config
