"""The MNIST feature classifier, trained once per test session into a temporary cache."""

import pytest

from jaxgan.metrics import classifier


@pytest.fixture(scope="session")
def classifier_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jaxgan_cache")


@pytest.fixture(scope="session")
def mnist_classifier(classifier_cache_dir):
    return classifier.get_classifier("mnist", seed=0, cache_dir=classifier_cache_dir)
