"""Inception Score and Mode Score: closed forms, a direct computation, bad inputs."""

import numpy as np
import pytest

from jaxgan.metrics.scores import inception_score, mode_score


def _one_hot_cycle(n, k):
    return np.eye(k)[np.arange(n) % k]


@pytest.mark.parametrize("k", [2, 10])
def test_one_hot_predictions_spread_evenly_give_k(k):
    result = inception_score(_one_hot_cycle(100 * k, k), splits=10)
    assert result.mean == pytest.approx(k, rel=1e-12)
    assert result.std == pytest.approx(0.0, abs=1e-12)


def test_identical_predictions_give_one():
    probs = np.tile([0.7, 0.2, 0.1], (50, 1))
    assert inception_score(probs, splits=5).mean == pytest.approx(1.0, rel=1e-12)


def test_matches_direct_kl_per_split():
    rng = np.random.default_rng(0)
    logits = 3 * rng.standard_normal((90, 7))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    per_split = []
    for part in np.split(probs, 3):  # 90 = 3 x 30: contiguous splits
        marginal = part.mean(0)
        per_split.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
    result = inception_score(probs, splits=3)
    assert result.mean == pytest.approx(np.mean(per_split), rel=1e-12)
    assert result.std == pytest.approx(np.std(per_split), rel=1e-10)
    assert result.std > 0


def test_mode_score_closed_forms():
    uniform = np.full(10, 0.1)
    assert mode_score(_one_hot_cycle(200, 10), uniform) == pytest.approx(10.0, rel=1e-12)
    # All samples on one class: IS = 1 and KL(p(y) || uniform) = log 10.
    assert mode_score(np.eye(10)[np.zeros(50, int)], uniform) == pytest.approx(0.1, rel=1e-12)
    # Even over half the classes: IS = 5, KL(p(y) || uniform) = log 2.
    assert mode_score(_one_hot_cycle(100, 5) @ np.eye(5, 10), uniform) == pytest.approx(2.5, rel=1e-12)


def test_mode_score_is_inception_score_times_marginal_penalty():
    rng = np.random.default_rng(1)
    logits = 2 * rng.standard_normal((60, 4))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    train = np.array([0.1, 0.2, 0.3, 0.4])
    marginal = probs.mean(0)
    penalty = np.exp(-np.sum(marginal * np.log(marginal / train)))
    expected = inception_score(probs, splits=1).mean * penalty
    assert mode_score(probs, train) == pytest.approx(expected, rel=1e-12)


def test_mode_score_is_zero_when_samples_fall_outside_training_labels():
    assert mode_score(np.eye(3)[[0, 2]], np.array([0.5, 0.5, 0.0])) == 0.0
    assert mode_score(np.eye(3)[[0, 1]], np.array([0.5, 0.5, 0.0])) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "probs, options, match",
    [
        (np.full((10, 3), 0.5), {}, "sum to one"),
        (np.array([[1.5, -0.5]] * 10), {}, "non-negative"),
        (np.full((10,), 0.1), {}, r"\[num_examples, num_classes\]"),
        (np.full((10, 2), 0.5), {"splits": 11}, "splits"),
        (np.full((10, 2), 0.5), {"splits": 0}, "splits"),
    ],
)
def test_inception_score_bad_inputs_raise(probs, options, match):
    with pytest.raises(ValueError, match=match):
        inception_score(probs, **options)


def test_mode_score_bad_inputs_raise():
    with pytest.raises(ValueError, match="one vector of 3"):
        mode_score(np.eye(3), np.full(4, 0.25))
    with pytest.raises(ValueError, match="sum to one"):
        mode_score(np.eye(3), np.full(3, 0.5))
