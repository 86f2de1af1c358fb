"""Metrics by name: features chosen by sample shape, real features cached, clear errors."""

import math

import numpy as np
import pytest

from jaxgan import data
from jaxgan.metrics import classifier, evaluators
from jaxgan.metrics.distances import sliced_wasserstein
from jaxgan.metrics.fid import fid, kid
from jaxgan.metrics.mode_coverage import mode_coverage
from jaxgan.metrics.neighbours import one_nn_accuracy, precision_recall

TWO_D = ["fid", "kid", "precision_recall", "density_coverage", "one_nn", "mmd", "sliced_wasserstein", "mode_coverage"]


@pytest.fixture(scope="module")
def ring():
    real = data.load("ring", split="test", num_examples=600, seed=0)
    fake = data.load("ring", split="test", num_examples=600, seed=1)
    return real.get(np.arange(600))["x"], fake.get(np.arange(600))["x"], real.metadata


@pytest.fixture(scope="module")
def digits():
    train, test = data.load("mnist", split="train[:500]"), data.load("mnist", split="test")
    return train.get(np.arange(500))["x"], test.get(np.arange(500))["x"]


def test_two_d_samples_are_their_own_features(ring):
    real, fake, metadata = ring
    results = evaluators.evaluate(TWO_D, real=real, fake=fake, dataset_name="ring", metadata=metadata, seed=1)
    assert set(results) == {key for name in TWO_D for key in evaluators.OUTPUTS[name]}
    assert all(isinstance(v, float) for v in results.values())
    assert results["fid"] == pytest.approx(fid(real, fake))
    assert (results["kid"], results["kid_std"]) == pytest.approx(tuple(kid(real, fake, seed=1)))
    assert (results["precision"], results["recall"]) == pytest.approx(tuple(precision_recall(real, fake)))
    assert results["one_nn_accuracy"] == pytest.approx(one_nn_accuracy(real, fake))
    assert results["sliced_wasserstein"] == pytest.approx(sliced_wasserstein(real, fake, 50, key=1))
    coverage = mode_coverage(fake, metadata["centers"], metadata["std"])
    assert (results["modes"], results["high_quality_fraction"], results["reverse_kl"]) == tuple(coverage)
    # Two draws of one mixture: every mode, nearly indistinguishable.
    assert results["modes"] == 8 and abs(results["one_nn_accuracy"] - 0.5) < 0.06 and results["fid"] < 0.01


def test_collapsed_generator_scores_badly(ring):
    real, _, metadata = ring
    collapsed = np.tile(metadata["centers"][:1], (600, 1)) + 0.01 * np.random.default_rng(0).standard_normal((600, 2))
    results = evaluators.evaluate("mode_coverage,precision_recall", real=real, fake=collapsed, dataset_name="ring", metadata=metadata)
    assert results["modes"] == 1 and results["reverse_kl"] == pytest.approx(math.log(8))
    assert results["precision"] > 0.9 and results["recall"] < 0.2


# Some of the 128 ReLU features are never active on digits, so the covariances are singular.
@pytest.mark.filterwarnings("ignore:fid. a feature covariance is singular")
def test_mnist_uses_the_classifier_and_caches_real_features(mnist_classifier, classifier_cache_dir, digits, monkeypatch):
    real, other_real = digits
    calls = []
    original = classifier.FeatureClassifier.features_and_probabilities
    monkeypatch.setattr(
        classifier.FeatureClassifier, "features_and_probabilities", lambda self, x, **k: calls.append(len(x)) or original(self, x, **k)
    )
    names = ["fid", "inception_score", "mode_score", "precision_recall"]
    options = dict(real=real, dataset_name="mnist", cache_dir=classifier_cache_dir)
    good = evaluators.evaluate(names, fake=other_real, **options)
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype(np.float32)
    bad = evaluators.evaluate(names, fake=noise, **options)
    assert calls == [500, 500, 500]  # real once, then each fake set
    real_feats, _ = mnist_classifier.features_and_probabilities(real)
    fake_feats, fake_probs = mnist_classifier.features_and_probabilities(other_real)
    assert good["fid"] == pytest.approx(fid(real_feats, fake_feats))
    # Real digits against held-out real digits versus uniform noise.
    assert good["fid"] < 0.1 * bad["fid"]
    assert good["inception_score"] > 7.0 and bad["inception_score"] < 3.0
    assert good["mode_score"] > 7.0 and bad["mode_score"] < 1.0
    assert good["precision"] > 0.6 and bad["precision"] < 0.1


def test_diverged_generator_gives_nan(ring):
    real, fake, metadata = ring
    fake = fake.copy()
    fake[3, 0] = np.nan
    results = evaluators.evaluate(["fid", "mode_coverage"], real=real, fake=fake, dataset_name="ring", metadata=metadata)
    assert set(results) == {"fid", "modes", "high_quality_fraction", "reverse_kl"}
    assert all(math.isnan(v) for v in results.values())


@pytest.mark.parametrize(
    "names, real_shape, metadata, error, match",
    [
        (["fid", "nope"], (10, 2), {}, ValueError, r"\['nope'\] are unknown"),
        (["inception_score"], (10, 2), {}, ValueError, "need class probabilities"),
        (["mode_coverage"], (10, 2), {}, ValueError, r'metadata\["centers"\]'),
        (["fid"], (10, 16, 16, 1), {}, ValueError, "no feature network for samples of shape"),
        (["fid"], (10, 32, 32, 3), {}, FileNotFoundError, "JAXGAN_INCEPTION_WEIGHTS"),
    ],
)
def test_bad_requests_raise(names, real_shape, metadata, error, match, monkeypatch):
    monkeypatch.delenv("JAXGAN_INCEPTION_WEIGHTS", raising=False)
    samples = np.zeros(real_shape, np.float32)
    with pytest.raises(error, match=match):
        evaluators.evaluate(names, real=samples, fake=samples, dataset_name="x", metadata=metadata)


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="one element shape"):
        evaluators.evaluate(["fid"], real=np.zeros((10, 2)), fake=np.zeros((10, 3)), dataset_name="ring")


def test_names():
    assert evaluators.names() == [
        "fid", "kid", "inception_score", "mode_score", "precision_recall", "density_coverage",
        "one_nn", "mmd", "sliced_wasserstein", "mode_coverage",
    ]
