"""Deterministic, resumable batch indices; per-process slices; the stacked batch iterator."""

import numpy as np
import pytest

from jaxgan import data


def _indices(step, num_examples=103, batch_size=10, seed=0):
    return data.batch_indices(step, num_examples=num_examples, batch_size=batch_size, seed=seed)


def test_batch_indices_follow_the_documented_formula():
    # 103 // 10 = 10 steps per epoch; step 23 is epoch 2, position 3.
    expected = np.random.default_rng((5, 2)).permutation(103)[30:40]
    np.testing.assert_array_equal(_indices(23, seed=5), expected)
    assert data.steps_per_epoch(103, 10) == 10


def test_each_epoch_is_a_permutation_without_repeats():
    for epoch in range(3):
        seen = np.concatenate([_indices(epoch * 10 + k) for k in range(10)])
        assert seen.shape == (100,)
        assert len(np.unique(seen)) == 100  # no repeats within an epoch
        assert seen.min() >= 0 and seen.max() < 103
    # The order changes from epoch to epoch.
    assert not np.array_equal(_indices(0), _indices(10))


def test_batch_indices_are_a_pure_function_of_step():
    straight = [_indices(s) for s in range(35)]
    resumed = [_indices(s) for s in range(17, 35)]  # a fresh start at step 17
    for a, b in zip(straight[17:], resumed):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_indices(12), _indices(12))


def test_different_seeds_give_different_batches():
    assert not np.array_equal(_indices(0, seed=0), _indices(0, seed=1))


def test_process_slices_concatenate_to_the_global_batch():
    global_batch = _indices(4, batch_size=12)
    for count in (1, 2, 3, 4):
        parts = [data.process_slice(global_batch, process_index=p, process_count=count) for p in range(count)]
        assert all(part.shape == (12 // count,) for part in parts)
        np.testing.assert_array_equal(np.concatenate(parts), global_batch)


def test_process_slice_cuts_the_leading_axis():
    rows = np.arange(24).reshape(8, 3)
    np.testing.assert_array_equal(data.process_slice(rows, process_index=1, process_count=4), rows[2:4])


@pytest.mark.parametrize(
    "call, setting",
    [
        (lambda: _indices(0, batch_size=104), "config.batch_size"),
        (lambda: _indices(0, batch_size=0), "config.batch_size"),
        (lambda: _indices(-1), "step"),
        (lambda: _indices(0, seed=-3), "config.seed"),
        (lambda: data.process_slice(np.arange(10), process_index=0, process_count=4), "config.batch_size"),
        (lambda: data.process_slice(np.arange(8), process_index=4, process_count=4), "process_index"),
    ],
)
def test_bad_settings_raise(call, setting):
    with pytest.raises(ValueError, match=setting) as error:
        call()
    assert ". " not in str(error.value)
