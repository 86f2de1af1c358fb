"""Mode coverage (PacGAN protocol) on hand-made samples and on the true ring mixture."""

import numpy as np
import pytest

from jaxgan import data
from jaxgan.metrics.mode_coverage import mode_coverage

CENTERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def test_hand_made_samples():
    std = 0.1  # HQ: within 0.3 of a centre
    samples = np.array(
        [
            [0.0, 0.0],
            [0.1, 0.0],
            [0.0, -0.2],  # mode 0: 3 HQ
            [1.0, 0.05],  # mode 1: 1 HQ
            [0.5, 0.5],
            [0.0, 0.31],
            [3.0, 3.0],  # not HQ: 7.1, 3.1 and 28 std from the nearest
            [0.05, 0.95],  # mode 2: 1 HQ
        ]
    )
    result = mode_coverage(samples, CENTERS, std)
    assert result.modes == 3
    assert result.high_quality_fraction == 5 / 8
    p = np.array([3, 1, 1]) / 5
    assert result.reverse_kl == pytest.approx(np.sum(p * np.log(4 * p)), rel=1e-12)
    assert result.reverse_kl == pytest.approx(0.6 * np.log(2.4) + 2 * 0.2 * np.log(0.8), rel=1e-12)


def test_uniform_over_all_modes_has_zero_reverse_kl_and_threshold_is_strict():
    samples = np.repeat(CENTERS, 5, axis=0) + 0.01
    result = mode_coverage(samples, CENTERS, 0.05)
    assert result == (4, 1.0, 0.0)
    # Exactly `threshold` std away (1.5 / 0.5 = 3, exact in binary) is not HQ: distance < 3 std.
    assert mode_coverage(np.array([[1.5, 0.0]]), CENTERS[:1], 0.5).modes == 0
    assert mode_coverage(np.array([[1.5, 0.0]]), CENTERS[:1], 0.5, threshold=3.001).modes == 1


def test_per_mode_std_and_no_high_quality_sample():
    samples = np.array([[0.5, 0.0], [0.0, 0.2]])
    # Mode 0 is wide (std 1): both samples are HQ there; mode 1 and 2 are narrow.
    result = mode_coverage(samples, CENTERS[:3], np.array([1.0, 0.01, 0.01]))
    assert result.modes == 1 and result.high_quality_fraction == 1.0
    assert result.reverse_kl == pytest.approx(np.log(3))
    nothing = mode_coverage(samples + 10.0, CENTERS, 0.1)
    assert nothing.modes == 0 and nothing.high_quality_fraction == 0.0 and nothing.reverse_kl == np.inf


def test_true_ring_samples_cover_every_mode():
    ring = data.load("ring", split="test", num_examples=2500)
    samples = ring.get(np.arange(len(ring)))["x"]
    result = mode_coverage(samples, ring.metadata["centers"], ring.metadata["std"])
    assert result.modes == 8
    assert result.high_quality_fraction > 0.98  # 1 - P(χ²₂ > 9) = 0.989
    assert result.reverse_kl < 0.01


@pytest.mark.parametrize(
    "samples, centers, std, match",
    [
        (np.zeros((5, 3)), CENTERS, 0.1, r"\[num_samples, 2\]"),
        (np.zeros((5, 2)), CENTERS[0], 0.1, "num_modes, dims"),
        (np.zeros((5, 2)), CENTERS, 0.0, "positive float"),
        (np.zeros((5, 2)), CENTERS, np.ones(3), "positive float"),
        (np.full((5, 2), np.nan), CENTERS, 0.1, "NaN"),
    ],
)
def test_bad_inputs_raise(samples, centers, std, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, centers, std)
