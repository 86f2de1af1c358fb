"""CoGAN (Liu & Tuzel 2016) on digits2inverted: digits (X) and other digits dilated and inverted (Y),
never paired; one z draws a pair (G_1(z) | G_2(z)), scored by `pair_agreement`.

The authors' digits/negatives experiment, adapted (jaxgan/programs/cogan.py lists every departure):
the seed DCGAN's G and D doubled (`coupled_dcgan28`), G sharing all its layers but the output, D all
but the first (the paper's MNIST pattern), non-saturating loss, Adam(2e-4, b1=0.5) for both, batch
64 of each domain, z ~ N(0, I_100). Trained on `train[:90%]` (2,250 digits per domain); evaluated
at the end on 2,000 pairs.
"""

from jaxgan.config import dcgan_mnist_config, model_config
from jaxgan.programs import cogan


def get_config():
    config = dcgan_mnist_config()
    config.program = "cogan"
    config.data.name = "digits2inverted"
    config.data.split = "train[:90%]"
    config.model.generator = model_config("generator", cogan.NETWORK)
    config.model.discriminator = model_config("discriminator", cogan.NETWORK)
    config.cogan = cogan.FAMILY.default_settings()  # read by jaxgan/programs/cogan.py
    config.num_steps = 1500
    config.checkpoint_every = config.sample_every = 500
    config.evaluators = "pair_agreement"
    config.num_eval_samples = 2000
    return config
