"""SNGAN (Miyato et al. 2018) on CIFAR-10: ResNet G and spectrally normalised ResNet D, hinge loss,
Adam(2e-4, b1=0, b2=0.9), 5 D steps per G step, batch 64 (the paper's Table 3 setting for ResNets)."""

from jaxgan.config import image_config


def get_config():
    config = image_config("cifar10", image_size=32, model="sngan_resnet")
    config.loss.name = "hinge"
    config.num_critic_steps = 5
    for which in ("generator", "discriminator"):
        config.optimizer[which] = {"name": "adam", "learning_rate": 2e-4, "b1": 0.0, "b2": 0.9}
    return config
