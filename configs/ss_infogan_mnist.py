"""ss-InfoGAN on the bundled MNIST digits (Spurr et al. 2017): `configs/infogan_mnist.py` (Chen et
al.'s networks, codes, optimisers and batch) with its 10-way categorical code supervised by 100
labels, 10 per class (a seeded, stratified subset of the 4,500 training digits:
`config.data.labelled_per_class`, the subset semi_supervised trains on). Q's cross-entropy on the
labelled digits trains Q's head and D's body in D's update; its cross-entropy on (G(z, c), c) takes
the place of InfoGAN's categorical bound; the two continuous codes keep theirs. Code k is to draw
digit k with no matching: `code_consistency` is the bundled classifier's accuracy on G(z, c = k)
against k, `classifier_accuracy` Q's on the 500 held-out digits (results/ss_infogan.md).

    jaxgan train --config=configs/ss_infogan_mnist.py --workdir=/tmp/ss_infogan_mnist
    jaxgan sample --workdir=/tmp/ss_infogan_mnist --out=/tmp/ss_infogan_traversal.png
    jaxgan classify --workdir=/tmp/ss_infogan_mnist --input=digits.npy --out=labels.npy   # Q's classes
"""

import ml_collections

from jaxgan.config import dcgan_mnist_config, model_config
from jaxgan.programs import infogan


def get_config():
    config = dcgan_mnist_config()
    config.program = "ss_infogan"
    config.latent_dim = 62
    config.model.generator = model_config("generator", "infogan28")
    config.model.discriminator = model_config("discriminator", "infogan28")
    config.optimizer.generator = ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-3, "b1": 0.5})
    config.optimizer.discriminator = ml_collections.ConfigDict({"name": "adam", "learning_rate": 2e-4, "b1": 0.5})
    config.batch_size = 128
    config.ss_infogan = infogan.SS_INFOGAN.default_settings()
    config.data.labelled_per_class = 10
    config.data.test_split = "test"
    config.evaluators = "code_consistency,classifier_accuracy"
    config.eval_every = 250
    config.num_eval_samples = 1000
    return config
