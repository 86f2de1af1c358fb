"""CycleGAN on digits2inverted (digits <-> other digits dilated and inverted, never paired):
ResNet generators of width 8 with 2 residual blocks, PatchGANs with one downsampling,
least-squares losses, cycle weight 10, no identity term, pools of 50 images, Adam(2e-4, b1=0.5).

No identity term: Zhu et al. use it to keep a painting's colours; here Y is X inverted, so
G(y) = y pulls G towards the identity on a task whose answer inverts every pixel (with the
paper's 0.5 x 10 the digit accuracy of G(x) was 0.076 at 800 steps; without it 0.644 at 1,000).
3,000 steps: at 2,000 one seed of three still read 0.740 (0.968 and 0.968 the others), 0.912 at
3,000 (results/families.md). Held out: the 500 "test" digits.
"""

import ml_collections

from jaxgan.config import model_config
from jaxgan.programs import translation


def get_config():
    config = translation.base_config("cyclegan", "digits2inverted")
    config.model.generator = model_config("generator", "resnet", features=8, num_blocks=2)
    config.model.discriminator = model_config("discriminator", "patchgan", features=16, num_downsamplings=1)
    config.cyclegan = ml_collections.ConfigDict(
        {"cycle_weight": 10.0, "identity_weight": 0.0, "pool_size": 50, "held_out_split": "test"}
    )
    config.batch_size = 16
    config.num_steps = 3000
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500
    config.sample_every = 1000
    return config
