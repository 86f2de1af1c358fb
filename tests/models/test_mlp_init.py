"""The MLP models' PacGAN-protocol settings: N(0, std²) kernels with zero biases, and batch norm's
running-average decay and epsilon (fjxmlzn/PacGAN's Blocks code: IsotropicGaussian(0.02),
Constant(0), BatchNormalization updated by 0.05 of the batch statistics, epsilon 1e-4)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import models
from jaxgan.config import pacgan_mixture_config


def _kernels_and_biases(params):
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    kernels = [np.asarray(v) for p, v in flat if p[-1].key == "kernel"]
    biases = [np.asarray(v) for p, v in flat if p[-1].key == "bias"]
    return kernels, biases


@pytest.mark.parametrize("kind", ["generator", "discriminator"])
@pytest.mark.slow
def test_kernels_are_normal_with_the_given_std_and_biases_zero(kind):
    build = models.generator if kind == "generator" else models.discriminator
    shape = (4, 2)
    net = build("mlp", width=64, depth=2, kernel_init_std=0.02)
    variables = net.init(jax.random.PRNGKey(0), jnp.zeros(shape), train=False)
    kernels, biases = _kernels_and_biases(variables["params"])
    assert len(kernels) == 3
    values = np.concatenate([k.ravel() for k in kernels])
    # ~ 2·64 + 64·64(·5) + 64(·5) draws: the sample std within 3% of 0.02, the mean ~0.
    assert abs(values.std() / 0.02 - 1) < 0.03, values.std()
    assert abs(values.mean()) < 0.02 * 4 / np.sqrt(values.size)
    assert all(np.all(b == 0) for b in biases) and biases


def test_zero_std_keeps_flax_defaults():
    """LeCun normal: the first hidden kernel of a 2-D input has std 1/√2, not 0.02."""
    net = models.generator("mlp", width=512, depth=1, use_batch_norm=False)
    kernels, _ = _kernels_and_biases(net.init(jax.random.PRNGKey(0), jnp.zeros((4, 2)), train=False)["params"])
    assert abs(kernels[0].std() * np.sqrt(2) - 1) < 0.1  # 1,024 draws of a truncated normal


def test_batch_norm_momentum_and_epsilon_reach_the_layer():
    """One training call from zero mean / unit variance: r = m·r0 + (1 - m)·batch statistic."""
    net = models.generator("mlp", width=3, depth=1, batch_norm_momentum=0.95, batch_norm_epsilon=1e-4)
    z = jax.random.normal(jax.random.PRNGKey(1), (8, 2))
    variables = net.init(jax.random.PRNGKey(0), z, train=False)
    _, updated = net.apply(variables, z, train=True, mutable=["batch_stats"])
    stats = updated["batch_stats"]["batch_norm_0"]
    h = np.asarray(z @ variables["params"]["hidden_0"]["kernel"])
    np.testing.assert_allclose(stats["mean"], 0.05 * h.mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(stats["var"], 0.95 + 0.05 * h.var(0), rtol=1e-5)
    # In inference at the initial running stats (0, 1), scale 1 and shift 0: h / sqrt(1 + eps).
    _, captured = net.apply(variables, z, train=False, capture_intermediates=True, mutable=["intermediates"])
    normalised = np.asarray(captured["intermediates"]["batch_norm_0"]["__call__"][0])
    np.testing.assert_allclose(normalised, h / np.sqrt(1 + 1e-4), rtol=2e-6)
    assert not np.allclose(normalised, h / np.sqrt(1 + 1e-5), rtol=2e-6)


def test_pacgan_config_uses_the_papers_settings():
    config = pacgan_mixture_config("grid")
    assert config.model.generator.kernel_init_std == 0.02
    assert config.model.discriminator.kernel_init_std == 0.02
    assert config.model.generator.batch_norm_momentum == 0.95
    assert config.model.generator.batch_norm_epsilon == 1e-4


@pytest.mark.parametrize(
    "setting, value, words",
    [
        ("kernel_init_std", -0.1, "`kernel_init_std` must be a finite number >= 0"),
        ("kernel_init_std", float("nan"), "`kernel_init_std` must be a finite number >= 0"),
        ("batch_norm_momentum", 1.0, "`batch_norm_momentum` must be a number in [0, 1)"),
        ("batch_norm_epsilon", 0.0, "`batch_norm_epsilon` must be a finite number > 0"),
    ],
)
@pytest.mark.parametrize("kind", ["generator", "discriminator"])
def test_bad_settings_are_refused_in_one_sentence(kind, setting, value, words):
    build = models.generator if kind == "generator" else models.discriminator
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        build("mlp", **{setting: value})
