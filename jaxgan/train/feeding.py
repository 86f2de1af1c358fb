"""What each call of the loop is fed: every run's batches for K steps, and the call that takes them.

Run r reads its own training set (`run_datasets`: its own points when the dataset's points
depend on the seed, as the 2-D mixtures' do; otherwise one dataset shared by every run) in its
own order (`batch_indices(..., seed=its seed)`). A dataset that fits is kept on the devices and
gathered inside the compiled call (`make_call(..., gather=True)`); otherwise each process reads
its own slice of each global batch on the host (`jaxgan.data.pipeline`: in the training process,
or ahead of the step in Grain worker processes) and sends it to its devices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import PartitionSpec as P

from jaxgan.data import pipeline
from jaxgan.models import conv
from jaxgan.train import build as build_lib
from jaxgan.train import parallel, run_axis
from jaxgan.train.sweeps import Runs


def run_datasets(config: ml_collections.ConfigDict, runs: Runs, dataset) -> list:
    """Each run's training set: `data.load(..., seed=its seed)`, or the one dataset when the
    data do not depend on the seed (checked on the first examples of two seeds)."""
    distinct = sorted(set(runs.seeds))
    if len(distinct) == 1:
        return [dataset] * len(runs)

    def load(seed):
        return build_lib.load_dataset(config, seed=seed)

    probe = np.arange(min(len(dataset), 256))
    other = load(distinct[1])
    first, second = dataset.get(probe), other.get(probe)
    if all(np.array_equal(first[name], second[name]) for name in first):
        return [dataset] * len(runs)
    loaded = {runs.seeds[0]: dataset, distinct[1]: other}
    for seed in distinct:
        if seed not in loaded:
            loaded[seed] = load(seed)
    return [loaded[seed] for seed in runs.seeds]


class Feeder:
    """Batches for steps [s, s+K) of every run: indices `[K, runs, batches_per_step, B]`, each
    run in its own order (`batch_indices` with its seed), every feature the program reads.

    A dataset that fits is kept on the devices (on every device when shared by the runs,
    stacked `[runs, N, ...]` on its run's devices otherwise) and gathered inside the program;
    otherwise this process reads its own slice of each global batch (`data.pipeline.CallReader`)
    and sends it to its devices: in this thread (`workers` = 0) or ahead of the step in `workers`
    Grain processes, each `prefetch` calls ahead (`data.pipeline.Loader`; `stop`: the run's last
    step, exclusive).
    Call `close()` when done, to stop the workers.
    """

    def __init__(
        self,
        datasets,
        mesh,
        *,
        seeds,
        features,
        batch_size,
        batches_per_step,
        steps_per_call,
        on_device,
        workers: int = 0,
        prefetch: int = 2,
        stop: int | None = None,
    ):
        workers, prefetch = pipeline.check_settings(workers, prefetch)
        self.datasets = list(datasets)
        self.mesh = mesh
        self.seeds = tuple(seeds)
        self.features = tuple(features)
        self.batch_size = batch_size
        self.batches_per_step = batches_per_step
        self.steps_per_call = steps_per_call
        self.shared = all(d is self.datasets[0] for d in self.datasets)
        self.reader = pipeline.CallReader(
            self.datasets,
            seeds=self.seeds,
            features=self.features,
            batch_size=batch_size,
            batches_per_step=batches_per_step,
            steps_per_call=steps_per_call,
            process_index=jax.process_index(),
            process_count=jax.process_count(),
        )
        self.device_arrays = None
        if on_device:
            owners = self.datasets[:1] if self.shared else self.datasets
            arrays = [d.arrays() for d in owners]
            if all(a is not None for a in arrays):
                picked = [{name: a[name] for name in self.features} for a in arrays]
                if self.shared:  # one dataset on every device
                    self.device_arrays = parallel.replicate(picked[0], mesh)
                else:  # a dataset per run, on its run's devices
                    tree = jax.tree.map(lambda *xs: np.stack(xs), *picked)
                    self.device_arrays = parallel.place_runs(
                        tree, mesh, jax.tree.map(lambda _: parallel.RUN_SPEC, tree)
                    )
        self.loader = None
        if workers and self.device_arrays is None:
            self.loader = pipeline.Loader(self.reader, workers=workers, prefetch=prefetch, stop=stop)

    def indices(self, start_step: int) -> np.ndarray:
        return self.reader.indices(start_step)

    def host_batches(self, start_step: int) -> dict[str, np.ndarray]:
        """This process's examples of the call at `start_step`, `[K, runs, batches_per_step, B / processes, ...]`."""
        with jax.profiler.TraceAnnotation("jaxgan.host_batches"):
            return self.loader.get(start_step) if self.loader is not None else self.reader(start_step)

    def inputs(self, start_step: int) -> tuple:
        if self.device_arrays is not None:
            local = self.reader.local_indices(start_step)  # [K, runs, batches_per_step, B / processes]
            return (self.device_arrays, parallel.shard_batch(local.astype(np.int32), self.mesh, parallel.BATCH_SPEC))
        return (parallel.shard_batch(self.host_batches(start_step), self.mesh, parallel.BATCH_SPEC),)

    def close(self) -> None:
        if self.loader is not None:
            self.loader.close()


def _gather(arrays, indices, shared: bool):
    if shared:
        return jax.tree.map(lambda a: jnp.take(a, indices, axis=0), arrays)
    take = jax.vmap(lambda a, i: jnp.take(a, i, axis=0), in_axes=(0, 1), out_axes=1)
    return jax.tree.map(lambda a: take(a, indices), arrays)


def make_call(
    per_device_fn: Callable,
    mesh,
    *,
    state_specs,
    labels: Sequence[str],
    gather: bool,
    shared: bool,
    donate: bool = True,
) -> Callable:
    """`jit(shard_map(fn))` for `fn(state, batches) -> (state, metrics [K, runs])`, run by each
    device on its runs (`state_specs`: `run_axis.state_specs`) and its slice of their examples;
    the metrics come back one series per run, by `labels` (`run_axis.per_run_metrics`).

    With `gather`, the call takes `(state, arrays, indices)` and each device gathers its own
    examples from the arrays kept on the devices (`shared`: one dataset on every device; else one
    per run, with its run) inside the program. The state's buffers are donated (`donate`): the
    caller must not reuse the state it passed.
    """
    # check_vma=False: the step pmeans local gradients (as under pmap); checked, grad would psum them first (n x).
    metrics_spec = P(None, parallel.RUNS)
    if gather:

        def gathered(state, arrays, indices):
            batches = _gather(arrays, indices, shared)
            # Materialise the batch: fused into D's first convolution, the gather would turn
            # it into a naive loop on CPU (50x slower for the seed DCGAN).
            batches = jax.lax.optimization_barrier(batches)
            return per_device_fn(state, batches)

        arrays_spec = P() if shared else parallel.RUN_SPEC
        mapped = jax.shard_map(
            gathered,
            mesh=mesh,
            in_specs=(state_specs, arrays_spec, parallel.BATCH_SPEC),
            out_specs=(state_specs, metrics_spec),
            check_vma=False,
        )
    else:
        mapped = jax.shard_map(
            per_device_fn,
            mesh=mesh,
            in_specs=(state_specs, parallel.BATCH_SPEC),
            out_specs=(state_specs, metrics_spec),
            check_vma=False,
        )

    def call(state, *inputs):
        state, metrics = mapped(state, *inputs)
        return state, run_axis.per_run_metrics(metrics, labels)

    return jax.jit(call, donate_argnums=(0,) if donate else (), compiler_options=conv.compiler_options())
