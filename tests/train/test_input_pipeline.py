"""The loop on a tensorflow-datasets source (mocked) read by Grain workers (`config.data.workers`):
the same training as the in-process path, and a resumed run reads what an unbroken one reads."""

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan.config import dcgan_mnist_config
from jaxgan.train import train_and_evaluate


def _config(workers: int, num_steps: int = 4):
    """A tiny DCGAN on mocked tfds MNIST, read on the host a call (2 steps) at a time."""
    config = dcgan_mnist_config()
    config.data.name = "tfds:mnist"
    config.data.on_device = False
    config.data.workers = workers
    config.latent_dim = 8
    config.model.generator.features = 8
    config.model.discriminator.features = 8
    config.batch_size = 8
    config.num_steps = num_steps
    config.steps_per_call = 2
    config.log_every = 2
    config.checkpoint_every = 2
    config.sample_every = 4
    config.num_samples = 4
    return config


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


@pytest.mark.slow
def test_workers_train_as_the_in_process_path_and_a_resume_reads_the_same_examples(tmp_path):
    # 24 examples, 3 steps an epoch: 4 steps cross an epoch boundary.
    with tfds.testing.mock_data(num_examples=24, policy=tfds.testing.MockPolicy.USE_CODE):
        in_process = train_and_evaluate(_config(workers=0), str(tmp_path / "in_process"))
        two_workers = train_and_evaluate(_config(workers=2), str(tmp_path / "two_workers"))
        # Stopped at step 2 and resumed; the number of workers is a launch-only setting.
        train_and_evaluate(_config(workers=2, num_steps=2), str(tmp_path / "resumed"))
        resumed = train_and_evaluate(_config(workers=1), str(tmp_path / "resumed"))
    assert int(resumed.step) == 4
    for a, b, c in zip(_leaves(in_process), _leaves(two_workers), _leaves(resumed)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
