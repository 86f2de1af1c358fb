"""The step learns: ring_ns at short settings captures at least 6 of the 8 modes (PacGAN
protocol: 2,500 samples, high quality within 3 std of a mode; shared/MATH.md section 6).

A silent break in the step (a sign, a stop_gradient, a wrong pmean) fails this test.
"""

from __future__ import annotations

import jax
import pytest

from jaxgan import metrics
from jaxgan.config import pacgan_mixture_config
from jaxgan.train import build, sampling, train_and_evaluate


def short_ring_config():
    config = pacgan_mixture_config("ring")
    config.model.generator.width = 128
    config.model.discriminator.width = 64
    for which in ("generator", "discriminator"):
        config.optimizer[which].learning_rate = 1e-3
    config.num_steps = 3000
    config.steps_per_call = 100
    config.log_every = config.sample_every = config.checkpoint_every = 0
    config.evaluators = ""
    return config


@pytest.mark.slow
def test_ring_ns_captures_most_modes_over_four_seeds(tmp_path):
    """Four seeds trained together (one program); the mean over seeds is held to a bound.

    One seed's high-quality rate after 3,000 steps swings with rounding (seed 0 alone: 15%;
    the same seed vmapped beside three others: 51%), so a single run says little. Measured on
    CPU (2026-12-01), means over seeds 0-3: modes 5.0 and high quality 63% with the step before
    the program interpreter, 6.25 and 50% with it. A broken step gives ~0% high quality; a
    collapsed G 1-2 modes.
    """
    config = short_ring_config()
    config.num_seeds = 4
    state = train_and_evaluate(config, str(tmp_path))
    experiment = build.build(config)
    centers, std = experiment.dataset.metadata["centers"], experiment.dataset.metadata["std"]
    samples = sampling.Sampler(experiment.program, 4).sample(state, jax.random.PRNGKey(1), 2500)
    coverages = [metrics.mode_coverage(points, centers, std) for points in samples]
    assert sum(c.modes for c in coverages) / 4 >= 4.5, coverages
    assert sum(c.high_quality_fraction for c in coverages) / 4 > 0.3, coverages
