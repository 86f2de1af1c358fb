"""The step learns: ring_ns at short settings captures at least 6 of the 8 modes (PacGAN
protocol: 2,500 samples, high quality within 3 std of a mode; shared/MATH.md section 6).

A silent break in the step (a sign, a stop_gradient, a wrong pmean) fails this test.

The training runs in a subprocess at XLA's default settings: the suite compiles fast
(tests/xla_flags.py), and this test's 3,000 steps of small MLPs ran 3x slower at -O0 (121 s against
38 s; 2026-12-06) and 1.4x slower with the older fusion emitters (65 s against 46 s; 2026-12-08).
It is a test of training, and its cost is running, not compiling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import pytest

from jaxgan import metrics
from jaxgan.config import pacgan_mixture_config
from jaxgan.train import build, sampling, train_and_evaluate
from tests import xla_flags


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
def test_ring_ns_captures_most_modes_over_eight_seeds(tmp_path):
    """Eight seeds trained together (one program); the mean over seeds is held to a bound.

    One seed's high-quality rate after 3,000 steps swings with rounding (seed 0 alone: 15%;
    the same seed vmapped beside three others: 51%), so a single run says little. Measured on
    CPU (2026-12-01), means over seeds 0-3: modes 5.0 and high quality 63% with the step before
    the program interpreter, 6.25 and 50% with it. On another host (2026-12-07, the same code)
    seeds 0-3 gave high quality 9, 19, 5 and 78% (mean 28%, under the bound: the rounding of
    another CPU, not the step; the commit before gave the same figures to the digit), seeds 4-7
    63, 66, 53 and 69%: over the eight, modes 6.6 and high quality 45%. Hence eight seeds, whose
    mean swings half as much as four's. A broken step gives ~0% high quality; a collapsed G 1-2
    modes.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    flags = xla_flags.without_fast_compile(os.environ.get("XLA_FLAGS", ""))
    out = subprocess.run(
        [sys.executable, "-m", "tests.train.test_learning", str(tmp_path)],
        cwd=root,
        env={**os.environ, "XLA_FLAGS": flags, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    coverages = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(coverages) == 8, coverages
    assert sum(c["modes"] for c in coverages) / 8 >= 4.5, coverages
    assert sum(c["high_quality_fraction"] for c in coverages) / 8 > 0.3, coverages


def _coverages(workdir: str) -> list[dict]:
    """Trains the eight seeds in `workdir`; each seed's modes and high-quality fraction."""
    config = short_ring_config()
    config.num_seeds = 8
    state = train_and_evaluate(config, workdir)
    experiment = build.build(config)
    centers, std = experiment.dataset.metadata["centers"], experiment.dataset.metadata["std"]
    samples = sampling.Sampler(experiment.program, 8).sample(state, jax.random.PRNGKey(1), 2500)
    coverages = [metrics.mode_coverage(points, centers, std) for points in samples]
    return [{"modes": int(c.modes), "high_quality_fraction": float(c.high_quality_fraction)} for c in coverages]


if __name__ == "__main__":
    print(json.dumps(_coverages(sys.argv[1])), flush=True)
