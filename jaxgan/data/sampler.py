"""Which examples each training step reads: deterministic, resumable, sharded over processes.

The batch of step `s` is a pure function of (s, num_examples, batch_size, seed):

    steps_per_epoch = num_examples // batch_size          (the remainder is dropped)
    epoch           = s // steps_per_epoch
    permutation     = np.random.default_rng((seed, epoch)).permutation(num_examples)
    batch           = permutation[(s % steps_per_epoch) * batch_size :][:batch_size]

so a run resumed at step s reads exactly what an unbroken run would have read, with no
iterator state to checkpoint. Every example appears at most once per epoch. Each process reads
its contiguous slice of the global batch (`process_slice`), process 0 first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
    """Full batches in one pass over the data: num_examples // batch_size (at least 1)."""
    if not _is_int(batch_size) or not 1 <= batch_size <= num_examples:
        raise ValueError(
            f"config.batch_size {batch_size!r} is not accepted for a dataset of {num_examples} examples; "
            f"use a positive int no larger than {num_examples}."
        )
    return num_examples // batch_size


@functools.lru_cache(maxsize=4)
def _epoch_permutation(num_examples: int, seed: int, epoch: int) -> np.ndarray:
    permutation = np.random.default_rng((seed, epoch)).permutation(num_examples)
    permutation.flags.writeable = False  # shared by the cache
    return permutation


def batch_indices(step: int, *, num_examples: int, batch_size: int, seed: int) -> np.ndarray:
    """The int64 [batch_size] example indices of the global batch at `step` (see the module doc)."""
    if not _is_int(step) or step < 0:
        raise ValueError(f"step {step!r} is not accepted; use a non-negative int.")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"config.seed {seed!r} is not accepted; use a non-negative int.")
    per_epoch = steps_per_epoch(num_examples, batch_size)
    epoch, position = divmod(int(step), per_epoch)
    start = position * batch_size
    return _epoch_permutation(int(num_examples), int(seed), epoch)[start : start + batch_size].astype(np.int64)


def call_indices(
    start_step: int,
    *,
    num_examples: Sequence[int],
    seeds: Sequence[int],
    batch_size: int,
    batches_per_step: int,
    steps_per_call: int,
) -> np.ndarray:
    """The int64 `[steps_per_call, runs, batches_per_step, batch_size]` global batches of the call that
    starts at `start_step`, for runs r = 0..R-1 (each its `num_examples[r]` and `seeds[r]`).

    Step t of run r reads the sampler's batches t * n .. t * n + n - 1 (n = batches_per_step),
    each `batch_indices(t * n + c, num_examples=num_examples[r], batch_size=batch_size, seed=seeds[r])`:
    a pure function of the step, like every batch here.
    """
    out = np.empty((steps_per_call, len(seeds), batches_per_step, batch_size), np.int64)
    # Run by run: a run's batches come from one or two epochs' permutations, which stay in
    # `_epoch_permutation`'s cache while its batches are cut (step by step across the runs, R > 4
    # runs would recompute a permutation for every batch).
    for r, (n, seed) in enumerate(zip(num_examples, seeds)):
        for k in range(steps_per_call):
            for c in range(batches_per_step):
                step = (start_step + k) * batches_per_step + c
                out[k, r, c] = batch_indices(step, num_examples=n, batch_size=batch_size, seed=seed)
    return out


def check_process_split(batch_size: int, process_count: int, process_index: int = 0) -> int:
    """Checks the global batch divides over the processes; returns the per-process batch size."""
    if not _is_int(process_count) or process_count < 1 or not _is_int(process_index):
        raise ValueError(f"process_count {process_count!r} is not accepted; use a positive int.")
    if not 0 <= process_index < process_count:
        raise ValueError(f"process_index {process_index!r} is not accepted; use an int in [0, {process_count}).")
    if batch_size % process_count:
        raise ValueError(
            f"config.batch_size {batch_size} does not divide over {process_count} processes; "
            f"use a multiple of {process_count}."
        )
    return batch_size // process_count


def process_slice(indices: np.ndarray, *, process_index: int, process_count: int) -> np.ndarray:
    """The contiguous part of the global batch `indices` [batch_size, ...] that process `process_index` reads.

    The leading axis is the batch: process p gets rows [p * b, (p + 1) * b), b = batch_size // process_count.
    """
    indices = np.asarray(indices)
    local = check_process_split(indices.shape[0], process_count, process_index)
    return indices[process_index * local : (process_index + 1) * local]
