"""ss-InfoGAN on the bundled MNIST digits (Spurr et al. 2017): `configs/infogan_mnist.py` (Chen et
al.'s networks, codes, optimisers and batch) with its 10-way categorical code supervised by 100
labels, 10 per class (a seeded, stratified subset of the 4,500 training digits:
`config.data.labelled_per_class`, the subset semi_supervised trains on). Q's cross-entropy on the
labelled digits trains Q's head and D's body in D's update; its cross-entropy on (G(z, c), c) takes
the place of InfoGAN's categorical bound; the two continuous codes keep theirs. Code k is to draw
digit k with no matching: `code_consistency` is the bundled classifier's accuracy on G(z, c = k)
against k, `classifier_accuracy` Q's on the 500 held-out digits. Q learns the code from the
labels alone, as in Spurr et al.'s code (`config.ss_infogan.q_learns_generated` False). The seed
DCGAN config's 1,500 steps, 3 seeds (results/families.md, results/ss_infogan.md): code consistency
0.972 ± 0.009 (worst 0.963), Q's held-out accuracy 0.848 ± 0.036, 8 min 38 s a seed on 2 cores.

    jaxgan train --config=configs/ss_infogan_mnist.py --workdir=/tmp/ss_infogan_mnist
    jaxgan sample --workdir=/tmp/ss_infogan_mnist --out=/tmp/ss_infogan_traversal.png
    jaxgan classify --workdir=/tmp/ss_infogan_mnist --input=digits.npy --out=labels.npy   # Q's classes
"""

from jaxgan.programs import infogan


def get_config():
    config = infogan.mnist_config("ss_infogan")
    config.data.labelled_per_class = 10
    config.data.test_split = "test"
    config.evaluators = "code_consistency,classifier_accuracy"
    config.eval_every = 250
    return config
