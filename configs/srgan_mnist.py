"""SRGAN on lowres2digits: x4 super-resolution of the bundled digits (7x7 area-downsampled -> 28x28).

An SRResNet of width 32 with 4 residual blocks and the paper's D at two stages (16-16-32-32, Dense
64), G's content loss on the feature maps of the frozen bundled digit classifier plus 10⁻³ x the
non-saturating adversarial loss (Ledig et al. 2017), Adam(1e-4) for both, batch 16.

The SRResNet-MSE baseline is the same config with the pixel MSE as content and no adversarial term
(D still trains, and no longer reaches G: trained exactly as long):

    jaxgan train --config=configs/srgan_mnist.py --workdir=runs/srresnet \\
        --config.srgan.content=mse --config.srgan.adversarial_weight=0

Held out: the 500 "test" digits (`jaxgan eval`: PSNR, digit accuracy and feature distance of the
outputs, and the same for bicubic upsampling).
"""

from jaxgan.config import model_config
from jaxgan.programs import srgan


def get_config():
    config = srgan.base_config("lowres2digits")
    config.model.generator = model_config("generator", "srresnet", features=32, num_blocks=4)
    config.model.discriminator = model_config("discriminator", "srgan", features=16, num_stages=2, dense_features=64)
    config.srgan.adversarial_weight = 1e-3
    config.srgan.content = "features"
    config.batch_size = 16
    config.num_steps = 2000
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500
    config.sample_every = 1000
    return config
