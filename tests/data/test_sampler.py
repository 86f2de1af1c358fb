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


@pytest.fixture
def ring():
    return data.load("ring", num_examples=50, seed=1)


@pytest.mark.parametrize("prefetch", [False, True])
def test_iterator_stacks_k_single_step_batches(ring, prefetch):
    with data.BatchIterator(ring, batch_size=8, seed=2, steps_per_call=3, start_step=4, prefetch=prefetch) as batches:
        for chunk_start in (4, 7, 10):
            chunk = next(batches)
            assert chunk["x"].shape == (3, 8, 2) and chunk["label"].shape == (3, 8)
            for k in range(3):
                single = ring.get(data.batch_indices(chunk_start + k, num_examples=50, batch_size=8, seed=2))
                np.testing.assert_array_equal(chunk["x"][k], single["x"])
                np.testing.assert_array_equal(chunk["label"][k], single["label"])
        assert batches.next_step == 13


def test_iterator_resumed_equals_straight(ring):
    straight = data.BatchIterator(ring, batch_size=8, seed=0, steps_per_call=2)
    chunks = [next(straight) for _ in range(6)]  # steps 0..11, crossing epochs (6 steps each)
    resumed = data.BatchIterator(ring, batch_size=8, seed=0, steps_per_call=2, start_step=6)
    for chunk in chunks[3:]:
        np.testing.assert_array_equal(next(resumed)["x"], chunk["x"])
    straight.close()
    resumed.close()


def test_iterators_of_all_processes_cover_the_global_batch_once(ring):
    whole = data.BatchIterator(ring, batch_size=12, seed=4, steps_per_call=2, prefetch=False)
    parts = [
        data.BatchIterator(ring, batch_size=12, seed=4, steps_per_call=2, process_index=p, process_count=3)
        for p in range(3)
    ]
    assert all(part.local_batch_size == 4 for part in parts)
    np.testing.assert_array_equal(np.concatenate([part.indices(0) for part in parts], axis=1), whole.indices(0))
    np.testing.assert_array_equal(
        np.concatenate([next(part)["x"] for part in parts], axis=1), next(whole)["x"]
    )
    for part in parts:
        part.close()


def test_iterator_stops_at_stop_step_with_a_short_last_chunk(ring):
    batches = data.BatchIterator(ring, batch_size=5, seed=0, steps_per_call=4, stop_step=10)
    sizes = [chunk["x"].shape[0] for chunk in batches]
    assert sizes == [4, 4, 2]


def test_iterator_rejects_a_batch_that_does_not_divide_over_processes(ring):
    with pytest.raises(ValueError, match="config.batch_size 10 does not divide over 4 processes"):
        data.BatchIterator(ring, batch_size=10, seed=0, process_count=4)
    with pytest.raises(ValueError, match="config.steps_per_call"):
        data.BatchIterator(ring, batch_size=10, seed=0, steps_per_call=0)
