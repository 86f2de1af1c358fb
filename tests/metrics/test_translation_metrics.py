"""The translation metrics against closed forms, and a multi-run workdir's evaluation per run (SRGAN's
feature distance and PSNR on [0, 1]: tests/programs/test_srgan.py)."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from jaxgan.metrics import translation as metrics
from jaxgan.programs import registry
from jaxgan.train import build, run_axis, sweeps
from tests.programs.translation_helpers import tiny_config


def test_l1_psnr_and_accuracy_closed_forms():
    target = np.zeros((2, 4, 4, 1), np.float32)
    output = target.copy()
    output[0] += 0.1  # MSE 0.01: 10 log10(4 / 0.01) = 26.0206 dB
    output[1] -= 0.2  # MSE 0.04: 10 log10(4 / 0.04) = 20 dB
    assert metrics.l1(output, target) == pytest.approx(0.15)
    assert metrics.psnr(output, target) == pytest.approx((10 * math.log10(400) + 20.0) / 2)
    assert metrics.psnr(target, target) == pytest.approx(10 * math.log10(4 / 1e-12))  # an exact image is finite
    probabilities = np.array([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]])
    assert metrics.accuracy(probabilities, np.array([0, 0, 0])) == pytest.approx(2 / 3)


class _Judge:
    """A stand-in for the target domain's digit classifier: a class from each output's pixels."""

    test_accuracy = 1.0

    def probabilities(self, images):
        classes = np.floor(np.abs(np.asarray(images).reshape(len(images), -1).sum(axis=1)) * 100) % 10
        return np.eye(10)[classes.astype(int)]

    def features(self, images):
        return np.asarray(images).reshape(len(images), -1)[:, :4]

    def features_and_probabilities(self, images):
        return self.features(images), self.probabilities(images)


@pytest.mark.slow
@pytest.mark.parametrize("program", ["pix2pix", "cyclegan"])
def test_a_multi_run_workdir_is_evaluated_run_by_run(program, monkeypatch):
    monkeypatch.setattr(metrics.classifier_lib, "get_domain_classifier", lambda domain: _Judge())
    config = tiny_config(program, num_seeds=2)
    experiment = sweeps.build_experiment(config)
    family = registry.get(program)
    both = metrics.evaluate(
        config, experiment, run_axis.initial_state(experiment, sweeps.runs_of(config)), family, max_examples=40
    )
    labels = sweeps.runs_of(config).labels
    for run, seed in enumerate(sweeps.runs_of(config).seeds):
        alone = tiny_config(program, seed=seed)
        state = run_axis.stack(build.new_state(experiment, jax.random.PRNGKey(seed)))
        single = metrics.evaluate(alone, experiment, state, family, max_examples=40)
        for name in ("l1", "psnr", "feature_distance") if program == "pix2pix" else ("cycle_l1",):
            assert both[f"{name}/{labels[run]}"] == pytest.approx(single[name], rel=1e-6)
        assert both[f"digit_accuracy/{labels[run]}"] == single["digit_accuracy"]
    key = "l1" if program == "pix2pix" else "cycle_l1"
    assert both[f"{key}/{labels[0]}"] != both[f"{key}/{labels[1]}"]  # two inits, two translations
    assert both[f"{key}/mean"] == pytest.approx(np.mean([both[f"{key}/{label}"] for label in labels]))
    assert both["num_held_out"] == 40
