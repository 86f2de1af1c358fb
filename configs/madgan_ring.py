"""MAD-GAN (Ghosh et al. 2018) on PacGAN's ring of 8 Gaussians: k = 4 generators, D with 5 outputs.

Fewer generators than modes, as in the authors' synthetic experiments (vivkul/MAD-GAN_synthetic
`train.py`: 4 separate generators on a mixture of 5 Gaussians; arnabgho/multi-gen-toy: 3 on 18
Gaussians in 3 clusters): with k = 8 = the modes, each generator drew 2-3 modes and each mode
came from about two generators (share 0.66); with k = 4 a mode comes mostly from one generator
(share 0.94, seeds 0-2). Measured: jaxgan/programs/madgan.py's docstring.

Separate generators (`--config.madgan.share_body=True` shares all but their output layers):
MLPs of 3 x 128 ReLU; D is the PacGAN maxout MLP. Adam(1e-3, b1 = 0.8), ten times PacGAN's rate
for a 5,000-step run, held for the first half and decayed linearly to 0 over the second (the
`schedule` of each optimiser); batch 100. Evaluated by mode coverage (modes, HQ fraction,
reverse KL) on 2,500 samples; `jaxgan sample --out=F.npz` writes each sample's `generator`
beside it. Why these settings: jaxgan/programs/madgan.py's docstring.
"""

import ml_collections

from jaxgan.config import decay_over_second_half, model_config, pacgan_mixture_config


def get_config():
    config = pacgan_mixture_config("ring")
    config.program = "madgan"
    config.madgan = ml_collections.ConfigDict(
        {"num_generators": 4, "share_body": False}
    )  # read by jaxgan/programs/madgan.py
    config.model.generator = ml_collections.ConfigDict(
        {"name": "multi_mlp", "width": 128, "depth": 3, "output_shape": (2,)}
    )
    config.model.discriminator = model_config("discriminator", "mlp", width=200, depth=3, maxout_pieces=5)
    adam = {
        "name": "adam",
        "learning_rate": 1e-3,
        "b1": 0.8,
    }  # x10 the paper's, as experiments/mode_collapse.py --quick
    config.num_steps = 5000
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    decay_over_second_half(config, "generator", "discriminator")  # 1 to half-way, then linearly to 0
    config.log_every = 500
    config.checkpoint_every = 1000
    config.sample_every = 1000
    config.eval_every = 0
    return config
