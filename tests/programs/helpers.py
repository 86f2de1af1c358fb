"""Tiny configs of the EBGAN, BEGAN, MAD-GAN, VAE-GAN, ALI, MRGAN, CoGAN, Triple-GAN and SRGAN programs for the tests."""

from __future__ import annotations

import json
import os

import jax
import ml_collections
import numpy as np

from jaxgan.config import model_config
from jaxgan.programs import (
    ali,
    began,
    cogan,
    ebgan,
    infogan,
    madgan,
    mrgan,
    progressive,
    srgan,
    stackgan,
    triplegan,
    vaegan,
)
from jaxgan.train import train_and_evaluate
from tests.train.helpers import tiny_ring_config

FAMILIES = ("ebgan", "began", "madgan", "vaegan", "ali", "cogan", "triplegan")


def tiny_config(family: str, **overrides) -> ml_collections.ConfigDict:
    """A few steps of small networks: the ring for EBGAN, BEGAN, MAD-GAN, ALI, MRGAN, Triple-GAN and
        ss-InfoGAN (its 8 modes are the classes, 2 labelled points each), 8x8 digits for VAE-GAN, digits2inverted at 8x8 for CoGAN,
        lowres2digits at 16x16 (4x4 sources) for SRGAN,
        8x8 digits grown from 2x2 in stages of 4 steps for progressive growing, 8x8 digits from a 4x4 Stage I
    (4 steps) for StackGAN.

        "mdgan" is MRGAN's manifold-diffusion variant (`config.program` "mrgan", a second D)."""
    config = tiny_ring_config()
    config.program = family
    if family in ("ebgan", "began"):
        config.model.discriminator = ml_collections.ConfigDict(
            {"name": "mlp_autoencoder", "width": 16, "depth": 1, "embedding_dim": 4}
        )
        config[family] = {"ebgan": ebgan, "began": began}[family].FAMILY.default_settings()
        if family == "began":
            config.began.lambda_k = 0.01  # k_t moves visibly within a few steps
    elif family == "madgan":
        config.madgan = madgan.FAMILY.default_settings()
        config.madgan.num_generators = 3
        config.model.generator = ml_collections.ConfigDict(
            {"name": "multi_mlp", "width": 16, "depth": 2, "output_shape": [2]}
        )
    elif family == "vaegan":
        config.data.name = "digits"
        config.latent_dim = 4
        config.model.generator = model_config(
            "generator",
            "mlp",
            output_shape=[8, 8, 1],
            width=32,
            depth=1,
            use_batch_norm=False,
            output_activation="tanh",
        )
        config.model.encoder = ml_collections.ConfigDict({"name": "conv_encoder", "features": 2})
        config.model.discriminator = ml_collections.ConfigDict({"name": "feature_discriminator", "features": 2})
        config.optimizer.encoder = ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-4, "b1": 0.8})
        config.vaegan = vaegan.FAMILY.default_settings()
        config.evaluators = ""
    elif family == "ali":
        config.model.encoder = ml_collections.ConfigDict({"name": "mlp", "width": 16, "depth": 1})
        config.model.discriminator = ml_collections.ConfigDict(
            {"name": "joint", "width": 16, "depth": 1, "dropout_rate": 0.2}
        )
        config.ali = ali.FAMILY.default_settings()
    elif family in ("mrgan", "mdgan"):
        config.program = "mrgan"
        config.model.encoder = ml_collections.ConfigDict({"name": "mlp", "width": 16, "depth": 1})
        config.mrgan = mrgan.FAMILY.default_settings(lambda1=0.5, lambda2=0.5)
        if family == "mdgan":
            config.mrgan.variant = "manifold_diffusion"
            config.mrgan.lambda2 = mrgan.settings().lambda2
            config.model.diffusion_discriminator = ml_collections.ConfigDict(config.model.discriminator.to_dict())
            config.optimizer.diffusion_discriminator = ml_collections.ConfigDict(
                config.optimizer.discriminator.to_dict()
            )
    elif family == "cogan":
        config.data.name = "digits2inverted"
        config.data.image_size = 8
        config.latent_dim = 4
        config.model.generator = model_config("generator", cogan.NETWORK, image_size=8, features=2)
        config.model.discriminator = model_config("discriminator", cogan.NETWORK, features=2)
        config.cogan = cogan.FAMILY.default_settings()
        config.num_samples = 16
    elif family == "triplegan":
        config.data.labelled_per_class = 2
        config.model.generator.use_batch_norm = False
        config.model.discriminator = model_config("discriminator", "pair_mlp", hidden_widths=[16, 8], num_classes=8)
        config.model.classifier = model_config("discriminator", "noisy_mlp", hidden_widths=[16, 8])
        config.optimizer.classifier = ml_collections.ConfigDict(config.optimizer.discriminator.to_dict())
        config.triplegan = triplegan.FAMILY.default_settings(num_classes=8, classifier_ema=0.9)
    elif family == "ss_infogan":  # the ring's 8 modes are the code's classes, 2 labelled points each
        config.data.labelled_per_class = 2
        config.latent_dim = 3
        config.ss_infogan = infogan.SS_INFOGAN.default_settings(num_categories=8, num_continuous=1, q_width=8)
    elif family == "srgan":
        config.data.name = "lowres2digits"
        config.data.split = "train[:90%]"
        config.data.image_size = 16
        config.model.generator = model_config("generator", "srresnet", features=4, num_blocks=1)
        config.model.discriminator = model_config("discriminator", "srgan", features=2, num_stages=1, dense_features=8)
        config.srgan = srgan.settings()
        config.num_samples = 8
    elif family == "progressive":
        config.data.name = "digits"
        config.data.image_size = 8
        config.latent_dim = 4
        config.model.generator = model_config("generator", "progan", output_shape=[8, 8, 1], features=[8, 4, 4])
        config.model.discriminator = model_config("discriminator", "progan", features=[8, 4, 4], group_size=4)
        config.loss.name = "wasserstein"
        config.penalties.gradient_penalty = 10.0
        config.ema_decay = 0.9
        config.progressive = progressive.FAMILY.default_settings(stages=[2, 4, 8], steps_per_stage=4)
        config.num_samples = 16
    elif family == "stackgan":
        config.data.name = "digits"
        config.data.image_size = 8
        config.latent_dim = 4
        small = dict(features=4, refine_features=4, num_residual_blocks=1, condition_dim=3)
        config.model.generator = model_config(
            "generator", "stackgan", output_shape=[8, 8, 1], low_resolution=4, stage_one_batch_norm=True, **small
        )
        config.model.discriminator = model_config("discriminator", "stackgan", features=4, condition_dim=3)
        config.stackgan = stackgan.FAMILY.default_settings(stage_one_steps=4)
        config.evaluators = ""
        config.num_samples = 20
    else:
        raise ValueError(family)
    for key, value in overrides.items():
        target = config
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        target[last] = value
    return config


def leaves(state) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


def train_straight_and_resumed(family: str, root, *, logged: tuple[str, ...] = ("d_loss", "g_loss")):
    """`family`'s tiny config trained to 8 steps straight (`root/straight`) and to 4 then resumed to 8
    (`root/resumed`); asserts that the two end states are equal leaf for leaf, bit for bit, and that
    the resumed run's log has a row every 2 steps with the finite measurements `logged`.
    Returns `(straight, resumed)`."""
    straight = train_and_evaluate(tiny_config(family, num_steps=8), os.path.join(root, "straight"))
    train_and_evaluate(tiny_config(family, num_steps=4), os.path.join(root, "resumed"))
    resumed = train_and_evaluate(tiny_config(family, num_steps=8), os.path.join(root, "resumed"))
    assert int(resumed.step) == 8
    for a, b in zip(leaves(straight), leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    with open(os.path.join(root, "resumed", "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    assert [r["step"] for r in rows] == [2, 4, 6, 8]
    assert all(np.isfinite(r[key]) for r in rows for key in logged), logged
    return straight, resumed
