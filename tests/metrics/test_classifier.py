"""The MNIST feature classifier: held-out accuracy, caching, determinism, batch independence."""

import jax
import numpy as np
import pytest

from jaxgan import data
from jaxgan.metrics import classifier

# Training the feature network takes ~20 s cold; the metrics computed on its features (FID, KID,
# ...) are tested on their own in the quick tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def test_images():
    test = data.load("mnist", split="test")
    return test.get(np.arange(len(test)))


def test_held_out_accuracy(mnist_classifier, test_images):
    print(f"\nmnist classifier (seed 0) held-out accuracy: {mnist_classifier.test_accuracy:.4f}")
    assert mnist_classifier.test_accuracy >= 0.95
    # The stored number is the accuracy of the returned network on the "test" split.
    predicted = np.argmax(mnist_classifier.probabilities(test_images["x"]), axis=1)
    assert np.mean(predicted == test_images["label"]) == pytest.approx(mnist_classifier.test_accuracy)


def test_outputs_and_label_distribution(mnist_classifier, test_images):
    feats, probs = mnist_classifier.features_and_probabilities(test_images["x"][:20])
    assert feats.shape == (20, 128) and probs.shape == (20, 10)
    assert feats.min() >= 0.0  # ReLU features
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(mnist_classifier.label_distribution, np.full(10, 0.1))  # 450 per class


def test_features_do_not_depend_on_the_batch_size(mnist_classifier, test_images):
    images = test_images["x"][:130]
    reference = mnist_classifier.features(images, batch_size=500)  # one padded batch
    for batch_size in (1, 7):
        np.testing.assert_allclose(
            mnist_classifier.features(images, batch_size=batch_size), reference, rtol=1e-5, atol=1e-5
        )
    # [n, 28, 28] and uint8 inputs are accepted and mean the same images.
    np.testing.assert_allclose(mnist_classifier.features(images[..., 0]), reference, atol=1e-6)
    as_uint8 = np.round((images + 1.0) * 127.5).astype(np.uint8)
    np.testing.assert_allclose(mnist_classifier.features(as_uint8), reference, atol=1e-4)


def test_cached_on_disk_and_reloaded(mnist_classifier, classifier_cache_dir, test_images, monkeypatch):
    files = list((classifier_cache_dir / "classifiers").glob("mnist_0_*.msgpack"))
    assert len(files) == 1
    monkeypatch.setattr(classifier, "_LOADED", {})
    monkeypatch.setattr(classifier, "train_classifier", lambda *a, **k: pytest.fail("retrained despite the cache"))
    reloaded = classifier.get_classifier("mnist", seed=0, cache_dir=str(classifier_cache_dir))
    assert reloaded is not mnist_classifier
    assert reloaded.test_accuracy == mnist_classifier.test_accuracy
    images = test_images["x"][:50]
    np.testing.assert_array_equal(reloaded.features(images), mnist_classifier.features(images))


def test_training_is_deterministic_from_the_seed(test_images):
    # The recipe's batch size of 32, so the step compiled for the session classifier is reused.
    images, labels = test_images["x"][:128], test_images["label"][:128]
    _, first = classifier.train_classifier(images, labels, num_classes=10, seed=3, epochs=1, batch_size=32)
    _, second = classifier.train_classifier(images, labels, num_classes=10, seed=3, epochs=1, batch_size=32)
    _, other = classifier.train_classifier(images, labels, num_classes=10, seed=4, epochs=1, batch_size=32)
    np.testing.assert_array_equal(_flat(first), _flat(second))
    assert not np.allclose(_flat(first), _flat(other))


def _flat(tree):
    return np.concatenate([np.ravel(np.asarray(leaf)) for leaf in jax.tree_util.tree_leaves(tree)])


def test_wrong_image_shape_raises(mnist_classifier):
    with pytest.raises(ValueError, match=r"\[n, 28, 28, 1\]"):
        mnist_classifier.features(np.zeros((4, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match="batch_size"):
        mnist_classifier.features(np.zeros((4, 28, 28, 1), np.float32), batch_size=0)


def test_unknown_dataset_raises(tmp_path):
    with pytest.raises(ValueError, match="config.data.name"):
        classifier.get_classifier("no_such_dataset", cache_dir=tmp_path)


def test_a_digit_domain_is_read_through_its_inverse_transform(mnist_classifier, classifier_cache_dir, test_images):
    """The negatives are read by the digit classifier after negating them back: exactly the digits'
    features and probabilities; a name that is not a digit domain is a labelled dataset's classifier."""
    negatives = classifier.get_domain_classifier("negative_digits", seed=0, cache_dir=classifier_cache_dir)
    x = test_images["x"][:64]
    expected = mnist_classifier.features_and_probabilities(x)
    got = negatives.features_and_probabilities(-x)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(mnist_classifier.probabilities(-x), expected[1])  # the inverse is what makes them equal
    same = classifier.get_domain_classifier("mnist", seed=0, cache_dir=classifier_cache_dir)
    assert same is mnist_classifier
