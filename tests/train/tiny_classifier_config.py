"""Tiny runs of the families that export a classifier (ACGAN, InfoGAN, ss-InfoGAN, semi-supervised)
on the 8x8 digits with MLP networks: `--config=tests/train/tiny_classifier_config.py:<family>`."""

from jaxgan.config import default_config, model_config
from jaxgan.programs import registry


def get_config(program="acgan"):
    config = default_config()
    config.program = program
    config.data.name = "digits"
    config.latent_dim = 4
    config.model.generator = model_config(
        "generator", "mlp", output_shape=(8, 8, 1), output_activation="tanh", width=16, depth=1
    )
    config.model.discriminator = model_config("discriminator", "mlp", width=16, depth=1, maxout_pieces=1)
    section = registry.get(program).section
    settings = {
        "acgan": {"discriminator_conditioning": "none", "class_weight": 1.0},
        "infogan": {"q_width": 8},
        "ss_infogan": {"q_width": 8},
        "semi_supervised": {"classifier_ema": 0.5},  # D classifies at its running average
    }
    config[section] = registry.get(program).default_settings(**settings.get(program, {}))
    if program in ("semi_supervised", "ss_infogan"):
        config.data.labelled_per_class = 1
    config.evaluators = "matched_classifier_accuracy" if program == "infogan" else "classifier_accuracy"
    config.batch_size = 8
    config.num_steps = 4
    config.steps_per_call = 2
    config.log_every = 2
    config.checkpoint_every = 4
    config.sample_every = 4
    config.num_samples = 4
    config.num_eval_samples = 16
    return config
