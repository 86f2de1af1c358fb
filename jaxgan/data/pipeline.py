"""The host side of the data path: what each call of the loop reads, read in this process or ahead
of the step by Grain's worker processes.

A call of the loop trains steps [s, s + K) of R runs. Its examples are a pure function of s
(`CallReader`): the global batches `call_indices(s, ...)` `[K, R, n, B]` of the sampler
(`sampler.py`), cut to this process's contiguous slice `[K, R, n, B / P]` (`process_slice`, process
p of P), read with each run's `Dataset.get`. Nothing depends on what was read before.

With `workers` = 0 the loop calls the reader in its own thread when it needs a call's batches
(decoding and resizing there, between steps). With `workers` > 0 (`Loader`) the same reader runs in
Grain (github.com/google/grain) worker processes:

    grain.MapDataset.range(s, stop, K).map(reader).to_iter_dataset().mp_prefetch(workers, prefetch)

Element i is the call that starts at step s + i * K; worker w computes elements w, w + W, ...
(each up to `prefetch` calls ahead) and Grain hands them back in element order, so the stream is
`[reader(t) for t in range(s, stop, K)]` whatever the number of workers. The loader's position is
therefore the step alone: a resumed run opens it at its checkpoint's step and reads what an unbroken
run would have read, and nothing beyond the step goes into the checkpoint.
"""

from __future__ import annotations

import numpy as np

from jaxgan.data.sampler import call_indices, check_process_split, process_slice

# A stream bounded by nothing the caller knows: past any step a run reaches.
_UNBOUNDED = 2**62


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_settings(workers, prefetch) -> tuple[int, int]:
    """Refuses `config.data.workers` / `config.data.prefetch` values in one sentence; returns them."""
    if not _is_int(workers) or workers < 0:
        raise ValueError(
            f"config.data.workers {workers!r} is not accepted; use a non-negative int: 0 reads the batches in the "
            f"training process, N > 0 decodes them ahead of the step in N worker processes."
        )
    if not _is_int(prefetch) or prefetch < 1:
        raise ValueError(
            f"config.data.prefetch {prefetch!r} is not accepted; use a positive int, the calls of batches each "
            f"worker prepares ahead of the step."
        )
    return int(workers), int(prefetch)


class CallReader:
    """`reader(step)`: this process's examples of the call that starts at `step`, as numpy arrays
    `{feature: [steps_per_call, runs, batches_per_step, batch_size / process_count, ...]}`.

    Picklable and free of JAX (Grain's workers import it): the process's index and count are given.
    """

    def __init__(
        self,
        datasets,
        *,
        seeds,
        features,
        batch_size: int,
        batches_per_step: int,
        steps_per_call: int,
        process_index: int = 0,
        process_count: int = 1,
    ):
        if len(datasets) != len(seeds):
            raise ValueError(f"{len(datasets)} datasets for {len(seeds)} seeds; give one dataset per run.")
        check_process_split(batch_size, process_count, process_index)
        self.datasets = list(datasets)
        self.seeds = tuple(int(seed) for seed in seeds)
        self.features = tuple(features)
        self.batch_size = batch_size
        self.batches_per_step = batches_per_step
        self.steps_per_call = steps_per_call
        self.process_index = process_index
        self.process_count = process_count

    def indices(self, step: int) -> np.ndarray:
        """The global batches `[K, runs, batches_per_step, batch_size]` of the call at `step`."""
        return call_indices(
            step,
            num_examples=[len(d) for d in self.datasets],
            seeds=self.seeds,
            batch_size=self.batch_size,
            batches_per_step=self.batches_per_step,
            steps_per_call=self.steps_per_call,
        )

    def local_indices(self, step: int) -> np.ndarray:
        """This process's slice of `indices(step)`: `[K, runs, batches_per_step, batch_size / process_count]`."""
        batch_first = np.moveaxis(self.indices(step), 3, 0)
        local = process_slice(batch_first, process_index=self.process_index, process_count=self.process_count)
        return np.moveaxis(local, 0, 3)

    def __call__(self, step) -> dict[str, np.ndarray]:
        local = self.local_indices(int(step))
        per_run = []
        for r, dataset in enumerate(self.datasets):
            got = dataset.get(local[:, r].reshape(-1))
            per_run.append(
                {name: got[name].reshape(*local[:, r].shape, *got[name].shape[1:]) for name in self.features}
            )
        return {name: np.stack([run[name] for run in per_run], axis=1) for name in self.features}


def _grain_flags_parsed() -> None:
    """Grain reads its absl flags (--grain_*) when it starts workers; outside an absl app (a library
    call, a test) nothing has parsed them, so they are taken at their defaults."""
    from absl import flags

    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()


class Loader:
    """The calls `reader(s)`, `reader(s + K)`, ... read ahead by `workers` Grain processes, each
    up to `prefetch` calls ahead (see the module doc).

    `get(step)` returns `reader(step)`; asked for the step after the last one it returned, it
    takes the next element of its stream, otherwise it (re)opens the stream at `step`. `stop`
    (exclusive) bounds the stream, so the workers read nothing past the run's last step.
    """

    def __init__(self, reader: CallReader, *, workers: int, prefetch: int, stop: int | None = None):
        workers, prefetch = check_settings(workers, prefetch)
        if workers == 0:
            raise ValueError("config.data.workers 0 reads in the training process; a Loader needs workers > 0.")
        self.reader = reader
        self.workers = workers
        self.prefetch = prefetch
        self.stop = _UNBOUNDED if stop is None else int(stop)
        self._iterator = None
        self._next_step = None

    def _open(self, step: int) -> None:
        import grain

        self.close()
        _grain_flags_parsed()
        stop = max(self.stop, step + self.reader.steps_per_call)
        dataset = (
            grain.MapDataset.range(step, stop, self.reader.steps_per_call)
            .map(self.reader)
            # In each worker: read in its main thread, nothing ahead but the worker's own buffer.
            .to_iter_dataset(grain.ReadOptions(num_threads=0, prefetch_buffer_size=0))
            .mp_prefetch(grain.MultiprocessingOptions(num_workers=self.workers, per_worker_buffer_size=self.prefetch))
        )
        self._iterator = iter(dataset)
        self._next_step = step

    def get(self, step: int) -> dict[str, np.ndarray]:
        if self._iterator is None or step != self._next_step:
            self._open(int(step))
        batches = next(self._iterator)
        self._next_step = step + self.reader.steps_per_call
        return batches

    def close(self) -> None:
        """Stops the workers and frees their shared memory (also when garbage collected, but not in a known order)."""
        if self._iterator is not None:
            self._iterator.close()
        self._iterator, self._next_step = None, None
