"""jaxgan.data.pipeline: each call's examples as a function of the step, read in this process or by
Grain's worker processes (mocked tensorflow-datasets data: decoded and resized in the workers)."""

import multiprocessing

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan import data
from jaxgan.data import pipeline

NUM_MOCK = 24
SEEDS = (0, 5)  # two runs, each in its own order


@pytest.fixture
def cifar():
    with tfds.testing.mock_data(num_examples=NUM_MOCK, policy=tfds.testing.MockPolicy.USE_CODE):
        yield data.load("cifar10", image_size=16)


def _reader(dataset, **changes):
    settings = dict(
        seeds=SEEDS,
        features=("x", "label"),
        batch_size=4,
        batches_per_step=2,
        steps_per_call=2,
        process_index=0,
        process_count=1,
    )
    settings.update(changes)
    return pipeline.CallReader([dataset] * len(settings["seeds"]), **settings)


def test_call_indices_are_the_sampler_batches_of_each_step():
    """Call at step s, step k, run r, batch c: the sampler's batch (s + k) * n + c of run r."""
    got = data.sampler.call_indices(
        7, num_examples=(40, 30), seeds=SEEDS, batch_size=4, batches_per_step=3, steps_per_call=2
    )
    assert got.shape == (2, 2, 3, 4) and got.dtype == np.int64
    for k in range(2):
        for r, (n, seed) in enumerate(zip((40, 30), SEEDS)):
            for c in range(3):
                step = (7 + k) * 3 + c
                expected = np.random.default_rng((seed, step // (n // 4))).permutation(n)
                start = (step % (n // 4)) * 4
                np.testing.assert_array_equal(got[k, r, c], expected[start : start + 4])


def test_the_reader_returns_each_runs_examples_and_each_process_its_slice(cifar):
    whole = _reader(cifar)(6)
    assert whole["x"].shape == (2, 2, 2, 4, 16, 16, 3) and whole["label"].shape == (2, 2, 2, 4)
    for k in range(2):
        for r, seed in enumerate(SEEDS):
            for c in range(2):
                expected = cifar.get(
                    data.batch_indices((6 + k) * 2 + c, num_examples=NUM_MOCK, batch_size=4, seed=seed)
                )
                np.testing.assert_array_equal(whole["x"][k, r, c], expected["x"])
                np.testing.assert_array_equal(whole["label"][k, r, c], expected["label"])
    # Process p of 2 reads rows [2p, 2p + 2) of every global batch, and only those.
    parts = [_reader(cifar, process_index=p, process_count=2)(6) for p in range(2)]
    for name in ("x", "label"):
        assert parts[0][name].shape[3] == 2
        np.testing.assert_array_equal(np.concatenate([part[name] for part in parts], axis=3), whole[name])


def _grain_children() -> list:
    return [child for child in multiprocessing.active_children() if child.is_alive()]


@pytest.mark.slow  # three starts of worker processes, ~5 s each on 2 busy cores
def test_grain_workers_deliver_the_in_process_batches_and_resume_at_any_step(cifar):
    """Two workers read the calls at steps 0, 2, ..., 10 (across two epochs of 3 steps) equal to the
    reader in this process; a loader opened at step 6 (a resumed run) reads what the unbroken one
    read from there; a jump reopens the stream at the asked step."""
    reader = _reader(cifar)
    before = len(_grain_children())
    loader = pipeline.Loader(reader, workers=2, prefetch=2, stop=12)
    try:
        unbroken = {step: loader.get(step) for step in range(0, 12, 2)}
        assert len(_grain_children()) - before >= 2  # the batches came from worker processes
        for step, got in unbroken.items():
            expected = reader(step)
            for name in ("x", "label"):
                assert got[name].dtype == expected[name].dtype
                np.testing.assert_array_equal(got[name], expected[name])
        np.testing.assert_array_equal(loader.get(4)["x"], unbroken[4]["x"])  # reopened behind the stream
    finally:
        loader.close()
    assert len(_grain_children()) == before  # close() stops the workers

    resumed = pipeline.Loader(reader, workers=1, prefetch=1, stop=12)
    try:
        for step in range(6, 12, 2):
            got = resumed.get(step)
            for name in ("x", "label"):
                np.testing.assert_array_equal(got[name], unbroken[step][name])
    finally:
        resumed.close()


def test_each_process_loader_reads_only_its_slice(cifar):
    """Process 1 of 2, through a worker: half of every global batch, rows [2, 4), as in this process."""
    reader = _reader(cifar, process_index=1, process_count=2)
    loader = pipeline.Loader(reader, workers=1, prefetch=1)
    try:
        for step in (2, 4):
            got, whole = loader.get(step), _reader(cifar)(step)
            np.testing.assert_array_equal(got["x"], whole["x"][:, :, :, 2:4])
            np.testing.assert_array_equal(got["label"], whole["label"][:, :, :, 2:4])
    finally:
        loader.close()


@pytest.mark.parametrize(
    "workers, prefetch, field",
    [
        (-1, 2, "config.data.workers"),
        (1.5, 2, "config.data.workers"),
        (True, 2, "config.data.workers"),
        (2, 0, "config.data.prefetch"),
        (2, "4", "config.data.prefetch"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(workers, prefetch, field):
    with pytest.raises(ValueError, match=rf"^{field} .* is not accepted; use a") as error:
        pipeline.check_settings(workers, prefetch)
    message = str(error.value)
    assert "\n" not in message and message.endswith(".") and ". " not in message
