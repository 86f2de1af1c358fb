"""CoGAN (Liu & Tuzel 2016) on digits2inverted: digits (X) and other digits dilated and inverted (Y),
never paired; one z draws a pair (G_1(z) | G_2(z)), scored by `pair_agreement`.

The authors' digits/edges experiment (mingyuliutw/CoGAN, cogan_pytorch), adapted; jaxgan/programs/
cogan.py lists every departure. D is theirs twice as wide (`body="lenet"`, `features=40`: 5x5
convolutions of 40 and 100 with max pooling, Dense 1,000 + PReLU; the first convolution each
domain's, the rest shared); G is InfoGAN's MNIST G (`body="infogan"`: Dense 1,024, Dense 7x7x128,
a 4x4 up-convolution to 64, each with batch norm and ReLU and shared, then each domain's 4x4
up-convolution with tanh; theirs is four transposed convolutions of 1024 ... 128 with batch norm,
all but the output layer shared, as ours); non-saturating loss, Adam(b1=0.5) at 2e-4 for D (theirs)
and 1e-3 for G (InfoGAN's), batch 64 of each domain, z ~ N(0, I_100), 3,000 steps (theirs 5,000 on 30,000 digits a domain). Trained on
`train[:90%]` (2,250 digits per domain); evaluated at the end on 2,000 pairs.
"""

from jaxgan.config import dcgan_mnist_config, model_config
from jaxgan.programs import cogan


def get_config():
    config = dcgan_mnist_config()
    config.program = "cogan"
    config.data.name = "digits2inverted"
    config.data.split = "train[:90%]"
    config.model.generator = model_config("generator", cogan.NETWORK, body="infogan", use_batch_norm=True)
    config.model.discriminator = model_config(
        "discriminator", cogan.NETWORK, body="lenet", features=40, dropout_rate=0.0
    )
    # read by jaxgan/programs/cogan.py; G's first three layers shared (all but the output layer)
    config.cogan = cogan.FAMILY.default_settings(shared_generator_layers=3)
    config.optimizer.generator.learning_rate = 1e-3
    config.num_steps = 3000
    config.checkpoint_every = config.sample_every = 1000
    config.evaluators = "pair_agreement"
    config.num_eval_samples = 2000
    return config
