"""The projection discriminator on CIFAR-10 (Miyato & Koyama 2018): the SNGAN ResNet G with
conditional batch norm (class-specific γ, β) and the spectrally normalised ResNet D with the
projection `ψ(φ(x)) + embed(c)ᵀ φ(x)` (the embedding spectrally normalised too), hinge loss,
Adam(2e-4, b1=0, b2=0.9), 5 D steps per G step, batch 64. Needs tfds's cifar10 prepared on disk.

    jaxgan train --config=configs/sngan_projection_cifar10.py --workdir=/tmp/sngan_projection
"""

from jaxgan.config import image_config
from jaxgan.programs import conditional


def get_config():
    config = image_config("cifar10", image_size=32, model="sngan_resnet")
    config.program = "conditional"
    config.conditional = conditional.FAMILY.default_settings(
        generator_conditioning="batch_norm", discriminator_conditioning="projection"
    )
    config.loss.name = "hinge"
    config.num_critic_steps = 5
    for which in ("generator", "discriminator"):
        config.optimizer[which] = {"name": "adam", "learning_rate": 2e-4, "b1": 0.0, "b2": 0.9}
    config.evaluators = "fid,intra_fid,inception_score"
    return config
