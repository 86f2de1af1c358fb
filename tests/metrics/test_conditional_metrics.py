"""Metrics of conditional samples against their definitions (jaxgan/metrics/conditional.py)."""

import numpy as np
import pytest

from jaxgan.metrics import conditional, evaluators
from jaxgan.metrics import features as features_lib
from jaxgan.metrics.fid import fid


def _one_hot(labels, k):
    return np.eye(k)[labels]


def test_class_consistency_is_the_accuracy_against_the_drawn_labels():
    labels = np.array([0, 1, 2, 2, 1, 0, 3, 3])
    predicted = np.array([0, 1, 2, 0, 1, 0, 3, 1])
    assert conditional.class_consistency(_one_hot(predicted, 4), labels) == pytest.approx(6 / 8)


def test_code_agreement_is_invariant_to_a_relabelling_of_the_code():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 10, 200)
    permutation = rng.permutation(10)
    codes = permutation[classes]  # the code names each class by another number
    assert conditional.code_agreement(_one_hot(classes, 10), codes, 10) == 1.0
    # 20 of the samples predicted as another class: 180 agree under the best matching.
    wrong = classes.copy()
    wrong[:20] = (wrong[:20] + 1) % 10
    assert conditional.code_agreement(_one_hot(wrong, 10), codes, 10) == pytest.approx(0.9)
    # Matching is one to one: two codes cannot both map to class 0.
    assert conditional.code_agreement(_one_hot(np.zeros(4, int), 10), np.array([0, 0, 1, 1]), 2) == 0.5


def _from_counts(counts):
    """(codes, labels) with `counts[code, label]` examples of each pair."""
    pairs = [(c, y) for c in range(counts.shape[0]) for y in range(counts.shape[1]) for _ in range(counts[c, y])]
    return np.array([c for c, _ in pairs]), np.array([y for _, y in pairs])


def test_matched_accuracy_takes_the_best_one_to_one_matching_of_a_hand_made_confusion_matrix():
    # The greedy matching (code 0 -> class 0: 5, code 1 -> class 1: 0, code 2 -> class 2: 3) scores
    # 8 of 16; the best is code 0 -> 1, code 1 -> 0, code 2 -> 2: 4 + 4 + 3 = 11 of 16.
    counts = np.array([[5, 4, 0], [4, 0, 0], [0, 0, 3]])
    codes, labels = _from_counts(counts)
    assert conditional.matched_accuracy(codes, labels) == 11 / 16
    assert conditional.matched_accuracy(codes, labels, num_codes=3, num_classes=3) == 11 / 16
    # More codes than classes: a fourth code's 6 examples on class 2 displace code 2 (3 + ... < 6).
    counts = np.array([[5, 4, 0], [4, 0, 0], [0, 0, 3], [0, 0, 6]])
    codes, labels = _from_counts(counts)
    assert conditional.matched_accuracy(codes, labels) == (4 + 4 + 6) / 22
    # The same figure as code agreement with the roles of prediction and code swapped.
    assert conditional.matched_accuracy(codes, labels) == conditional.code_agreement(_one_hot(labels, 3), codes)
    with pytest.raises(ValueError, match="must be \\[n\\] of one length"):
        conditional.matched_accuracy(codes[:3], labels)


def test_class_shares_are_the_smallest_and_largest_share_of_predicted_classes():
    predicted = np.array([0] * 6 + [1] * 3 + [2] * 1)  # class 3 drawn by no sample: share 0
    extractor = features_lib.FeatureExtractor(
        kind="classifier",
        fn=lambda x: (x.reshape(len(x), -1), np.eye(4)[predicted[: len(x)]]),
        description={},
        has_probabilities=True,
    )
    evaluation = evaluators.Evaluation(
        ["class_shares"],
        real=np.zeros((4, 8, 8, 1)),
        dataset_name="digits",
        extractors={"classifier": extractor},
        cache_dir=None,
    )
    values = evaluation(np.zeros((10, 8, 8, 1)))
    assert values == {"min_class_share_classifier": 0.0, "max_class_share_classifier": 0.6}


def test_intra_fid_is_the_mean_over_classes_of_the_per_class_fid():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(300, 3)), rng.normal(size=(240, 3)) + 0.3
    real_labels, fake_labels = rng.integers(0, 3, 300), rng.integers(0, 3, 240)
    expected = np.mean([fid(real[real_labels == c], fake[fake_labels == c]) for c in range(3)])
    assert conditional.intra_fid(real, real_labels, fake, fake_labels) == pytest.approx(expected)


def test_evaluators_read_the_conditions_each_sample_was_drawn_for():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(200, 2)), rng.normal(size=(100, 2))
    real_labels = (real[:, 0] > 0).astype(int)
    fake_labels = (fake[:, 0] > 0).astype(int)
    predictions = np.array([0, 1, 1, 1])
    evaluation = evaluators.Evaluation(
        ["intra_fid", "classifier_accuracy", "matched_classifier_accuracy"],
        real=real,
        real_labels=real_labels,
        held_out=(np.zeros((4, 2)), np.array([0, 1, 0, 1])),
        dataset_name="ring",
        extractors={"samples": features_lib.samples_extractor()},
        cache_dir=None,
    )
    values = evaluation(fake, conditions={"label": fake_labels}, predict=lambda x: predictions)
    assert values["intra_fid"] == pytest.approx(conditional.intra_fid(real, real_labels, fake, fake_labels))
    assert values["classifier_accuracy"] == pytest.approx(0.75)
    assert values["matched_classifier_accuracy"] == pytest.approx(0.75)  # code 0 -> class 0, code 1 -> class 1
    swapped = evaluation(fake, conditions={"label": fake_labels}, predict=lambda x: 1 - predictions)
    assert swapped["classifier_accuracy"] == pytest.approx(0.25) and swapped["matched_classifier_accuracy"] == 0.75
    with pytest.raises(ValueError, match="'label' each sample was drawn for"):
        evaluation(fake, predict=lambda x: predictions)
    with pytest.raises(ValueError, match="held_out"):
        evaluators.Evaluation(["classifier_accuracy"], real=real, dataset_name="ring", cache_dir=None)


def test_gaussian_code_label_accuracy_is_the_bayes_accuracy():
    """Two classes at ±a with σ = 1 in one dimension: the Bayes classifier (the sign) is right with
    probability Φ(a); classes far apart are always told apart; equal Gaussians give chance."""
    from scipy.stats import norm

    for a in (0.5, 1.0):
        got = conditional.gaussian_code_label_accuracy(np.array([[-a], [a]]), np.zeros((2, 1)), num_samples=200_000)
        assert abs(got - norm.cdf(a)) < 0.005, (a, got)
    far = conditional.gaussian_code_label_accuracy(10 * np.eye(3), np.zeros((3, 3)), num_samples=3_000)
    assert far == 1.0
    same = conditional.gaussian_code_label_accuracy(np.zeros((4, 2)), np.zeros((4, 2)), num_samples=200_000)
    assert abs(same - 0.25) < 0.005
    with pytest.raises(ValueError, match=r"^gaussian_code_label_accuracy: mean and log_sigma must be"):
        conditional.gaussian_code_label_accuracy(np.zeros((1, 2)), np.zeros((1, 2)))
