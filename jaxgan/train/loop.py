"""`train_and_evaluate(config, workdir)`: the training loop around the jitted step.

The loop resumes from the workdir's latest checkpoint without being asked, feeds K steps
per host call, logs, checkpoints, draws samples, runs the configured evaluators, and stops
with one sentence on the first non-finite measurement, keeping the last good checkpoint.
Metrics of call i are read after call i+1 is dispatched, so the host never stalls the
device to look at them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import jax
import ml_collections
import numpy as np
import tqdm

from jaxgan import data as data_lib
from jaxgan.train import build as build_lib
from jaxgan.train import multirun, parallel, workdir as workdir_lib
from jaxgan.train.checkpoint import Checkpointer
from jaxgan.train.state import GANState
from jaxgan.train.step import make_multi_step
from jaxgan.train.writers import MetricWriter


class NonFiniteError(FloatingPointError):
    """A measurement of the step became NaN or infinite."""


@dataclasses.dataclass
class Run:
    """Everything built for a run: the parts, the mesh, the compiled call and the state."""

    config: ml_collections.ConfigDict
    experiment: build_lib.Experiment
    mesh: Any
    state: GANState
    call: Any
    feeder: Any


def initial_state(config: ml_collections.ConfigDict, experiment: build_lib.Experiment) -> GANState:
    return build_lib.new_state(config, experiment, jax.random.PRNGKey(config.seed))


class Feeder:
    """Batches for steps [s, s+K): index arrays `[K, n_critic, B]` drawn from the step alone.

    A dataset that fits is kept on the devices and gathered inside the program; otherwise
    this process reads its own slice of each global batch and sends it to its devices.
    """

    def __init__(self, dataset, mesh, *, batch_size, num_critic_steps, steps_per_call, seed, on_device):
        self.dataset = dataset
        self.mesh = mesh
        self.batch_size = batch_size
        self.num_critic_steps = num_critic_steps
        self.steps_per_call = steps_per_call
        self.seed = seed
        arrays = dataset.arrays() if on_device else None
        self.device_arrays = None if arrays is None else parallel.replicate({"x": arrays["x"]}, mesh)

    def indices(self, start_step: int) -> np.ndarray:
        rows = [
            data_lib.batch_indices(
                (start_step + k) * self.num_critic_steps + c,
                num_examples=len(self.dataset),
                batch_size=self.batch_size,
                seed=self.seed,
            )
            for k in range(self.steps_per_call)
            for c in range(self.num_critic_steps)
        ]
        return np.stack(rows).reshape(self.steps_per_call, self.num_critic_steps, self.batch_size)

    def inputs(self, start_step: int) -> tuple:
        """This process's part of the batches of steps [s, s+K), assembled into global arrays."""
        indices = self.indices(start_step)
        rows = data_lib.process_slice(
            np.moveaxis(indices, 2, 0), process_index=jax.process_index(), process_count=jax.process_count()
        )
        local = np.moveaxis(rows, 0, 2)  # [K, n_critic, B / processes]
        if self.device_arrays is not None:
            return (self.device_arrays, parallel.shard_batch(local.astype(np.int32), self.mesh))
        x = self.dataset.get(local.reshape(-1))["x"]
        x = x.reshape(*local.shape, *x.shape[1:])
        return (parallel.shard_batch({"x": x}, self.mesh),)


def setup(config: ml_collections.ConfigDict, *, devices: list | None = None) -> Run:
    """Build the parts, the mesh over `devices` (default: all) and the compiled call."""
    if multirun.num_runs(config) > 1:  # num_seeds / sweep_values: every run in one program
        return multirun.setup(config, devices=devices)
    mesh = parallel.make_mesh(devices)
    experiment = build_lib.build(config, num_devices=mesh.size, axis_name=parallel.AXIS)
    step = build_lib.train_step(experiment, axis_name=parallel.AXIS)
    multi_step = make_multi_step(step, config.steps_per_call)
    feeder = Feeder(
        experiment.dataset,
        mesh,
        batch_size=config.batch_size,
        num_critic_steps=config.num_critic_steps,
        steps_per_call=config.steps_per_call,
        seed=config.seed,
        on_device=config.data.on_device,
    )
    if feeder.device_arrays is not None:
        call = parallel.shard_map_gather_call(multi_step, mesh)
    else:
        call = parallel.shard_map_call(multi_step, mesh)
    state = initial_state(config, experiment)
    return Run(config, experiment, mesh, state, call, feeder)


def _first_non_finite(metrics: dict[str, np.ndarray], first_step: int) -> str | None:
    for name, values in sorted(metrics.items()):
        values = np.asarray(values)
        bad = ~np.isfinite(values)
        if bad.any():
            return f"{name} became {values[bad][0]} at step {first_step + int(np.argmax(bad)) + 1}"
    return None


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> GANState:
    """Train `config` in `workdir` (resuming if it holds a checkpoint); return the final state."""
    is_writer = jax.process_index() == 0
    workdir_lib.prepare(workdir, config, is_writer=is_writer)
    run = setup(config)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), max_to_keep=config.keep_checkpoints)
    state = run.state
    if checkpointer.latest_step() is not None:
        state = checkpointer.restore(state)
    state = parallel.replicate(state, run.mesh)
    writer = MetricWriter(workdir, enabled=is_writer)
    sampler = multirun.sampler(config, run.experiment.generator)
    evaluate = multirun.evaluator(config, run.experiment.dataset, sampler)

    start = int(jax.device_get(state.step))
    num_steps, per_call = config.num_steps, config.steps_per_call
    bar = tqdm.tqdm(total=num_steps, initial=start, disable=not is_writer, dynamic_ncols=True, unit="step")
    pending = None  # (first step of the call, its metrics on device)
    last_time, last_step = time.perf_counter(), start

    def settle(first_step, metrics, state_after) -> None:
        """Look at a finished call's metrics: stop on non-finite, log, save, sample."""
        nonlocal last_time, last_step
        metrics = jax.device_get(metrics)
        problem = _first_non_finite(metrics, first_step)
        if problem:
            latest = checkpointer.latest_step()
            kept = (f"the last good checkpoint (step {latest}) is kept in {checkpointer.directory}"
                    if latest is not None else "no checkpoint had been saved yet")
            raise NonFiniteError(f"Training stopped: {problem}; {kept}.")
        end = first_step + per_call
        last = {k: float(np.asarray(v)[-1]) for k, v in metrics.items()}
        bar.set_postfix({k: f"{last[k]:.3g}" for k in ("d_loss", "g_loss") if k in last}, refresh=False)
        if config.log_every and end % config.log_every == 0:
            now = time.perf_counter()
            last["steps_per_second"] = (end - last_step) / max(now - last_time, 1e-9)
            last_time, last_step = now, end
            writer.scalars(end, last)
        if state_after is not None:
            if (config.checkpoint_every and end % config.checkpoint_every == 0) or end == num_steps:
                checkpointer.save(state_after)
            if (config.sample_every and end % config.sample_every == 0) or end == num_steps:
                samples = sampler.sample(state_after, jax.random.PRNGKey(config.seed + 1), config.num_samples)
                writer.picture(end, multirun.samples_picture(samples, run.experiment.dataset.metadata))
            if evaluate is not None and ((config.eval_every and end % config.eval_every == 0) or end == num_steps):
                writer.scalars(end, {f"eval/{k}": v for k, v in evaluate(state_after).items()})

    try:
        for first in range(start, num_steps, per_call):
            state, metrics = run.call(state, *run.feeder.inputs(first))
            needs_state = _needs_state(config, first + per_call, num_steps)
            if pending is not None:
                settle(*pending, None)
            if needs_state:
                settle(first, metrics, state)
                pending = None
            else:
                pending = (first, metrics)
            bar.update(per_call)
        if pending is not None:
            settle(*pending, None)
        if start >= num_steps:
            checkpointer.save(state)
    finally:
        bar.close()
        checkpointer.close()
        writer.close()
    return state


def _needs_state(config, end: int, num_steps: int) -> bool:
    """Whether the state after step `end` is saved, sampled or evaluated (so is checked first)."""
    everies = (config.checkpoint_every, config.sample_every, config.eval_every)
    return end == num_steps or any(every and end % every == 0 for every in everies)
