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

import concurrent.futures
import functools
from typing import Iterator

import numpy as np

from jaxgan.data.dataset import Dataset


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


class BatchIterator:
    """Yields host batches for `steps_per_call` steps at a time, from `start_step` on.

    Each item is the dict of `dataset.get` stacked to [K, local_batch_size, ...] for the steps
    [s, s + K), where K = steps_per_call and local_batch_size = batch_size // process_count;
    then s advances by K. `next_step` is the first step of the next item. With `stop_step` the
    iteration ends there and the last item may hold fewer than K steps; without it, it never
    ends. With `prefetch` a background thread reads the next item while the caller trains on
    this one; the items are the same either way.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        seed: int,
        start_step: int = 0,
        steps_per_call: int = 1,
        process_index: int = 0,
        process_count: int = 1,
        stop_step: int | None = None,
        prefetch: bool = True,
    ):
        if not _is_int(steps_per_call) or steps_per_call < 1:
            raise ValueError(f"config.steps_per_call {steps_per_call!r} is not accepted; use a positive int.")
        if not _is_int(start_step) or start_step < 0:
            raise ValueError(f"start_step {start_step!r} is not accepted; use a non-negative int.")
        steps_per_epoch(len(dataset), batch_size)  # checks batch_size
        self.local_batch_size = check_process_split(batch_size, process_count, process_index)
        batch_indices(0, num_examples=len(dataset), batch_size=batch_size, seed=seed)  # checks seed
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.start_step = int(start_step)
        self.steps_per_call = int(steps_per_call)
        self.process_index = int(process_index)
        self.process_count = int(process_count)
        self.stop_step = stop_step
        self.next_step = self.start_step
        self._prefetch = prefetch
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: tuple[int, concurrent.futures.Future] | None = None

    def indices(self, step: int, num_steps: int | None = None) -> np.ndarray:
        """int64 [num_steps, local_batch_size]: this process's indices for steps [step, step + num_steps)."""
        num_steps = self.steps_per_call if num_steps is None else num_steps
        global_batches = np.stack(
            [
                batch_indices(s, num_examples=len(self.dataset), batch_size=self.batch_size, seed=self.seed)
                for s in range(step, step + num_steps)
            ]
        )
        # process_slice cuts the leading (batch) axis: put the batch first, then back.
        return process_slice(global_batches.T, process_index=self.process_index, process_count=self.process_count).T

    def chunk(self, step: int, num_steps: int | None = None) -> dict[str, np.ndarray]:
        """The stacked batches [num_steps, local_batch_size, ...] for steps [step, step + num_steps)."""
        indices = self.indices(step, num_steps)
        flat = self.dataset.get(indices.reshape(-1))  # one read for all the steps
        return {key: value.reshape(*indices.shape, *value.shape[1:]) for key, value in flat.items()}

    def _steps_from(self, step: int) -> int:
        return self.steps_per_call if self.stop_step is None else min(self.steps_per_call, self.stop_step - step)

    def _submit(self, step: int) -> None:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="jaxgan-data")
        self._pending = (step, self._executor.submit(self.chunk, step, self._steps_from(step)))

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        step = self.next_step
        if self.stop_step is not None and step >= self.stop_step:
            raise StopIteration
        if self._pending is not None and self._pending[0] == step:
            item = self._pending[1].result()
        else:
            item = self.chunk(step, self._steps_from(step))
        self._pending = None
        self.next_step = step + self._steps_from(step)
        if self._prefetch and (self.stop_step is None or self.next_step < self.stop_step):
            self._submit(self.next_step)
        return item

    def close(self) -> None:
        """Stops the prefetch thread (a pending read is dropped)."""
        if getattr(self, "_executor", None) is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._pending = None

    def __enter__(self) -> BatchIterator:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
