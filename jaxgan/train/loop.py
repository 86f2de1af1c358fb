"""`train_and_evaluate(config, workdir)`: the training loop around the jitted step.

The loop resumes from the workdir's latest checkpoint without being asked, feeds K steps
per host call, logs, checkpoints, draws samples, runs the configured evaluators, and stops
with one sentence on the first non-finite measurement, keeping the last good checkpoint.
Metrics of call i are read after call i+1 is dispatched, so the host never stalls the
device to look at them.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import sys
import threading
import time
from typing import Any

import jax
import ml_collections
import numpy as np
import tqdm
from etils import epath

from jaxgan.data import pipeline
from jaxgan.programs import registry
from jaxgan.programs.family import Stages
from jaxgan.train import build as build_lib
from jaxgan.train import checkpoint as checkpoint_lib
from jaxgan.train import evaluation, feeding, parallel, profile, run_axis, sampling, storage, sweeps
from jaxgan.train import lease as lease_lib
from jaxgan.train import workdir as workdir_lib
from jaxgan.train import writers as writer_lib
from jaxgan.train.checkpoint import Checkpointer
from jaxgan.train.state import TrainState
from jaxgan.train.step import make_multi_step
from jaxgan.train.writers import MetricWriter

EVALUATION_FILE = "evaluation.json"  # what the run's evaluations use: feature network, weights' hash, data


class NonFiniteError(FloatingPointError):
    """A measurement of the step became NaN or infinite."""


class Interrupted(Exception):
    """SIGTERM or SIGINT stopped the run after it saved a checkpoint of its current step."""

    def __init__(self, signal_number: int, step: int, directory: str):
        self.signal_number = signal_number
        name = signal.Signals(signal_number).name
        super().__init__(
            f"stopped by {name} at step {step}; its checkpoint is in {directory}, and the same command continues "
            "the run from there."
        )


class _StopRequests:
    """SIGTERM and SIGINT (a preemption, Ctrl-C) noted, not acted on, while installed: the loop
    looks between calls, so a checkpoint is saved at a step boundary. With several processes
    they agree on it, so that all of them save the same step."""

    def __init__(self):
        self.signal_number = None
        self._previous = {}

    def install(self) -> _StopRequests:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self._previous[number] = signal.signal(number, self._note)
        return self

    def _note(self, number, frame):
        del frame
        self.signal_number = number

    def requested(self) -> int | None:
        if jax.process_count() == 1:
            return self.signal_number
        from jax.experimental import multihost_utils

        numbers = multihost_utils.process_allgather(np.asarray(self.signal_number or 0, np.int32))
        return int(np.max(numbers)) or None

    def restore(self) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)


@dataclasses.dataclass
class Run:
    """Everything built for a config's runs: the parts, the mesh, the compiled call, the
    stacked state (a run axis of size R >= 1), the feeder and the sampler."""

    config: ml_collections.ConfigDict
    runs: sweeps.Runs
    experiment: build_lib.Experiment
    mesh: Any
    state: TrainState
    call: Any
    feeder: feeding.Feeder
    sampler: sampling.Sampler
    stage: int = 0  # the stage of a run in stages (`family.Stages`); 0 for any other run


def setup(
    config: ml_collections.ConfigDict,
    *,
    devices: list | None = None,
    experiment: build_lib.Experiment | None = None,
    stage: int = 0,
) -> Run:
    """Build the parts, the mesh over `devices` (default: all), the state and the compiled call.

    Everything a config can get wrong is checked here, before anything is compiled or written.
    `experiment`: parts built by the caller (a program of one's own, `build.Experiment(dataset,
    program, build.feature_specs(dataset, program))`) instead of the config's; the config then
    gives the loop's settings (batch size, steps, seeds, cadence). `stage`: the program of that
    stage of a run in stages (`stage_run` moves a run on to the next).
    """
    workers, prefetch = pipeline.check_settings(config.data.get("workers", 0), config.data.get("prefetch", 2))
    runs = sweeps.runs_of(config)
    devices = jax.devices() if devices is None else list(devices)
    run_devices = parallel.check_run_devices(config.get("run_devices", 0), len(runs), devices)
    mesh = parallel.make_mesh(devices, run_devices)
    if experiment is None:
        experiment = sweeps.build_experiment(
            config, runs=runs, num_devices=parallel.data_size(mesh), axis_name=parallel.AXIS, stage=stage
        )
    else:
        parallel.check_global_batch(config.batch_size, parallel.data_size(mesh))
    feeder = _feeder(config, runs, experiment, mesh, workers=workers, prefetch=prefetch)
    state, call, sampler = _compiled(config, runs, experiment, mesh, feeder)
    return Run(config, runs, experiment, mesh, state, call, feeder, sampler, stage)


def stage_run(run: Run, stage: int) -> Run:
    """`run` at stage `stage` of a run in stages: that stage's program, a fresh state of it, its
    compiled call and sampler; the mesh and the feeder (the batches do not change) kept."""
    experiment = sweeps.build_experiment(
        run.config, runs=run.runs, num_devices=parallel.data_size(run.mesh), axis_name=parallel.AXIS, stage=stage
    )
    state, call, sampler = _compiled(run.config, run.runs, experiment, run.mesh, run.feeder)
    return dataclasses.replace(run, experiment=experiment, state=state, call=call, sampler=sampler, stage=stage)


def _compiled(config, runs, experiment, mesh, feeder):
    """The initial state, the (lazily compiled) call and the sampler of an experiment."""
    step = build_lib.train_step(experiment, axis_name=parallel.AXIS)
    state = run_axis.initial_state(experiment, runs)
    in_turn = run_axis.check_mapping(config.get("run_mapping", "auto"), list(mesh.devices.flat))
    per_device = run_axis.runs_call(
        make_multi_step(step, config.steps_per_call), state, len(runs) // mesh.shape[parallel.RUNS], in_turn=in_turn
    )
    call = feeding.make_call(
        per_device,
        mesh,
        state_specs=run_axis.state_specs(state),
        labels=runs.labels,
        gather=feeder.device_arrays is not None,
        shared=feeder.shared,
    )
    return state, call, sampling.Sampler(experiment.program, len(runs))


def _feeder(config, runs, experiment, mesh, *, workers, prefetch) -> feeding.Feeder:
    return feeding.Feeder(
        feeding.run_datasets(config, runs, experiment.dataset),
        mesh,
        seeds=runs.seeds,
        features=experiment.program.features,
        batch_size=config.batch_size,
        batches_per_step=experiment.program.batches_per_step,
        steps_per_call=config.steps_per_call,
        on_device=config.data.on_device,
        workers=workers,
        prefetch=prefetch,
        stop=config.num_steps,
    )


def _first_non_finite(metrics: dict[str, np.ndarray], first_step: int) -> str | None:
    for name, values in sorted(metrics.items()):
        values = np.asarray(values)
        bad = ~np.isfinite(values)
        if bad.any():
            return f"{name} became {values[bad][0]} at step {first_step + int(np.argmax(bad)) + 1}"
    return None


def train_and_evaluate(
    config: ml_collections.ConfigDict,
    workdir: str,
    *,
    experiment: build_lib.Experiment | None = None,
    profile_steps: int = 0,
) -> TrainState:
    """Train `config` in `workdir` (resuming if it holds a checkpoint); return the final state.

    `experiment`: parts of one's own instead of the config's (see `setup`). `profile_steps` > 0:
    a `jax.profiler` trace of that many steps after the first (compiling) call, in `workdir`/profile
    (`jaxgan.train.profile`)."""
    profile_steps = profile.check_profile_steps(profile_steps)
    is_writer = jax.process_index() == 0
    # Nothing is written before every setting is checked and every part built: a refused
    # launch leaves the workdir as it was, and the corrected relaunch is not refused for it.
    workdir_lib.check(workdir, config, lease=is_writer)  # the other processes do not write: no lease of theirs
    starts = registry.stage_starts(config) if experiment is None else None
    run = setup(config, experiment=experiment, stage=_resume_stage(starts, workdir))
    evaluate = evaluation.evaluator(config, run.experiment.dataset, run.sampler, run.runs)
    # One writer per workdir: the lease is taken (or refused) before anything else is written.
    lease = None
    try:
        if is_writer:
            lease = lease_lib.Lease(workdir, workdir_lib.lease_timeout(config)).acquire()
        return _train(
            config, workdir, run, evaluate, lease, is_writer=is_writer, profile_steps=profile_steps, starts=starts
        )
    except Exception as error:
        failure = _write_failure(error, workdir)
        if failure is None:
            raise
        raise failure from error
    finally:
        if lease is not None:
            lease.release()


def _layout(run: Run) -> str:
    """How the runs and their batches lie on the devices, when there is more than one of either."""
    num_runs, run_devices, data_devices = len(run.runs), run.mesh.shape[parallel.RUNS], run.mesh.shape[parallel.AXIS]
    if num_runs == 1 and run.mesh.size == 1:
        return ""
    platform = run.mesh.devices.flat[0].platform.upper()
    if num_runs == 1:
        return f", its batch over {data_devices} {platform} devices"
    in_turn = run_axis.check_mapping(run.config.get("run_mapping", "auto"), list(run.mesh.devices.flat))
    devices = f"{run_devices} {platform} device{'s' if run_devices > 1 else ''}"
    batch = f", each run's batch over {data_devices} devices" if data_devices > 1 else ""
    return f", {num_runs} runs over {devices} ({num_runs // run_devices} a device, {'in turn' if in_turn else 'vmapped'}){batch}"


def _resume_stage(starts: tuple[int, ...] | None, workdir: str) -> int:
    """The stage whose structure the workdir's latest checkpoint has (0 without one, or for a run of one program)."""
    if starts is None:
        return 0
    steps = checkpoint_lib.committed_steps(storage.join(storage.absolute(workdir), "checkpoints"))
    return Stages.state_stage(starts, steps[-1]) if steps else 0


def _train(
    config, workdir, run, evaluate, lease, *, is_writer: bool, profile_steps: int = 0, starts=None
) -> TrainState:
    workdir_lib.commit(workdir, config, is_writer=is_writer)
    if evaluate is not None and is_writer:
        writer_lib.write_json(storage.join(workdir, EVALUATION_FILE), evaluate.record())
    checkpointer = Checkpointer(
        storage.join(workdir, "checkpoints"), max_to_keep=config.keep_checkpoints, is_writer=is_writer
    )
    state = run.state
    if checkpointer.latest_step() is not None:
        state = checkpointer.restore(state)
    state = run_axis.place(state, run.mesh)
    start = int(jax.device_get(state.step))
    if is_writer:
        doing = f"resuming at step {start}" if start else "starting"
        print(
            f"jaxgan: {doing} in {storage.absolute(workdir)} (to step {config.num_steps}){_layout(run)}",
            file=sys.stderr,
            flush=True,
        )
    writer = MetricWriter(
        workdir, enabled=is_writer, resume_step=start if checkpointer.latest_step() is not None else None
    )

    num_steps, per_call = config.num_steps, config.steps_per_call
    bar = tqdm.tqdm(total=num_steps, initial=start, disable=not is_writer, dynamic_ncols=True, unit="step")
    pending = None  # (first step of the call, its metrics on device)
    last_time, last_step = time.perf_counter(), start

    def renew() -> None:
        if lease is not None:
            lease.renew()

    def settle(first_step, metrics, state_after) -> None:
        """Look at a finished call's metrics: stop on non-finite, log, save, sample (a grid at each stage's end)."""
        nonlocal last_time, last_step
        metrics = jax.device_get(metrics)
        problem = _first_non_finite(metrics, first_step)
        if problem:
            kept = _kept(checkpointer, start)
            raise NonFiniteError(f"Training stopped: {problem}; {kept}.")
        end = first_step + per_call
        last = {k: float(np.asarray(v)[-1]) for k, v in metrics.items()}
        bar.set_postfix({k: f"{last[k]:.3g}" for k in ("d_loss", "g_loss") if k in last}, refresh=False)
        if config.log_every and end % config.log_every == 0:
            now = time.perf_counter()
            last["steps_per_second"] = (end - last_step) / max(now - last_time, 1e-9)
            last_time, last_step = now, end
            writer.scalars(end, last)
            renew()
        if state_after is not None:
            if (config.checkpoint_every and end % config.checkpoint_every == 0) or end == num_steps:
                checkpointer.save(state_after)
                renew()
            if (config.sample_every and end % config.sample_every == 0) or end == num_steps or end in stage_ends:
                key = jax.random.PRNGKey(config.seed + 1)
                drawn = sampling.pictures(run.sampler, state_after, key, config.num_samples, run.experiment.dataset)
                for name, picture in drawn.items():
                    writer.picture(end, picture, name=name if starts is None else f"{name}_stage{run.stage}")
            if evaluate is not None and ((config.eval_every and end % config.eval_every == 0) or end == num_steps):
                writer.scalars(end, {f"eval/{k}": v for k, v in evaluate(state_after).items()})

    stage_ends = set(starts[1:]) if starts is not None else set()
    trace = profile.StepTrace(workdir, profile_steps=profile_steps, steps_per_call=per_call, enabled=is_writer)
    stops = _StopRequests().install()
    try:
        for first in range(start, num_steps, per_call):
            number = stops.requested()
            if number is not None:
                if pending is not None:
                    settle(*pending, None)  # the state is checked before it is saved
                checkpointer.save(state)
                checkpointer.wait()
                raise Interrupted(number, first, checkpointer.directory)
            # after the stop check: a state saved at a boundary keeps its stage's structure (`Stages.state_stage`)
            if starts is not None and Stages.stage_of(starts, first) != run.stage:
                if pending is not None:
                    settle(*pending, None)
                    pending = None
                run, state = _next_stage(run, Stages.stage_of(starts, first), state)
                if evaluate is not None:
                    evaluate.use_sampler(run.sampler)
            trace.before(first)
            with profile.annotate_call(first):
                state, metrics = run.call(state, *run.feeder.inputs(first))
            trace.after(first, (state, metrics))
            needs_state = _needs_state(config, first + per_call, num_steps) or first + per_call in stage_ends
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
        trace.close(state)
        if start >= num_steps:
            checkpointer.save(state)
        checkpointer.wait()
        kept_steps = checkpointer.steps()
    finally:
        trace.close()
        run.feeder.close()
        stops.restore()
        bar.close()
        checkpointer.close()
        writer.close()
    if is_writer:
        print(f"jaxgan: {_written(workdir, kept_steps)}", file=sys.stderr, flush=True)
        if trace.summary():
            print(f"jaxgan: {trace.summary()}", file=sys.stderr, flush=True)
    return state


def _next_stage(run: Run, stage: int, state: TrainState) -> tuple[Run, TrainState]:
    """The run moved on to `stage`, and the state carried into it (`family.Stages.carry`: the
    continuing layers' parameters, optimiser moments and EMA kept, the new ones initialised)."""
    staged = stage_run(run, stage)
    carry = registry.get(run.config.program).stages.carry
    return staged, run_axis.place(carry(state, staged.state), staged.mesh)


def _write_failure(error: Exception, workdir: str) -> storage.WriteFailed | None:
    """A full disk, a read-only or vanished workdir met while writing the run's files, as one sentence."""
    if isinstance(error, storage.WriteFailed):
        return None  # said already
    root = storage.absolute(workdir)
    directory = storage.join(root, "checkpoints")
    if isinstance(error, OSError):
        path = error.filename or root
        if not storage.absolute(path).startswith(root):
            return None  # not a file of the run (e.g. an evaluator's weights)
    else:  # orbax's and TensorStore's words for a failed write of a checkpoint, which name the file
        named = re.search(r'(?:file|writing) "([^"]+)"', str(error))
        path = named.group(1) if named else directory
    steps = checkpoint_lib.committed_steps(directory)
    if not steps:
        kept = "no checkpoint had been saved yet"
    elif len(steps) == 1:
        kept = f"the checkpoint of step {steps[0]} is kept in {directory}"
    else:
        kept = f"the checkpoints of steps {', '.join(map(str, steps))} are kept in {directory}"
    return storage.write_failed(error, path, kept=kept)


def _kept(checkpointer: Checkpointer, start: int) -> str:
    """Which checkpoint a stopped run keeps: the one it last saved (checked finite first) or the
    one it restored and verified against its checksums."""
    verified = checkpointer.verified_step
    if verified is None:
        latest = checkpointer.latest_step()
        if latest is None:
            return "no checkpoint had been saved yet"
        return f"the last checkpoint (step {latest}, not verified) is kept in {checkpointer.directory}"
    how = "restored and verified at launch" if verified == start else "saved by this launch"
    return f"the last good checkpoint (step {verified}, {how}) is kept in {checkpointer.directory}"


def _written(workdir: str, checkpoint_steps: list[int]) -> str:
    """What a finished run leaves in its workdir, in one sentence."""
    samples = epath.Path(workdir, "samples")
    grids = len(list(samples.iterdir())) if samples.is_dir() else 0
    kept = ", ".join(str(step) for step in checkpoint_steps) or "none"
    return (
        f"wrote {storage.absolute(workdir)}: checkpoints/ (steps {kept}), metrics.jsonl, tensorboard/, "
        f"samples/ ({grids} grid{'s' if grids != 1 else ''})."
    )


def _needs_state(config, end: int, num_steps: int) -> bool:
    """Whether the state after step `end` is saved, sampled or evaluated (so is checked first)."""
    everies = (config.checkpoint_every, config.sample_every, config.eval_every)
    return end == num_steps or any(every and end % every == 0 for every in everies)
