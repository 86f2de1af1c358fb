"""`jaxgan train --profile_steps=N`: a `jax.profiler` trace of N training steps, in the workdir.

The first call of a launch compiles the step, so the trace starts at the launch's second call and
covers the calls that hold the next N steps (N rounded up to whole calls of `steps_per_call`
steps), waiting for the last of them to finish on the device before it stops. It is written to
`<workdir>/profile/plugins/profile/<time>/`: `<host>.xplane.pb`, which TensorBoard's profile plugin
reads (`tensorboard --logdir <workdir>/profile`), and `perfetto_trace.json.gz`, which
ui.perfetto.dev opens. Each call of the loop is a step in it (`jaxgan.call`, with its first step
as the step number); the host's wait for a call's batches is `jaxgan.host_batches`. With several
processes, process 0 (the one that writes the workdir) traces.
"""

from __future__ import annotations

import jax
import numpy as np

from jaxgan.train import storage

PROFILE_DIR = "profile"


def check_profile_steps(profile_steps) -> int:
    """Refuses anything but a non-negative int in one sentence; returns it."""
    if not isinstance(profile_steps, (int, np.integer)) or isinstance(profile_steps, bool) or profile_steps < 0:
        raise ValueError(
            f"--profile_steps={profile_steps!r} is not accepted; use a non-negative int: 0 (the default) traces "
            f"nothing, N traces N steps after the first compiled call."
        )
    return int(profile_steps)


class StepTrace:
    """Starts and stops the trace around the loop's calls (see the module doc).

    The loop calls `before(first_step)` before each call, `after(first_step, outputs)` after it
    (dispatched, not finished) and `close()` at the end, whatever happened.
    """

    def __init__(self, workdir: str, *, profile_steps: int, steps_per_call: int, enabled: bool = True):
        self.directory = storage.join(workdir, PROFILE_DIR)
        self.profile_steps = check_profile_steps(profile_steps)
        self.steps_per_call = steps_per_call
        self.enabled = enabled and self.profile_steps > 0
        self.calls_seen = 0
        self.first_traced = None  # the first step of the trace once it has started
        self.traced_to = None  # the step after the last one traced, once it has stopped
        self.last_end = None  # the step after the last call's

    @property
    def tracing(self) -> bool:
        return self.first_traced is not None and self.traced_to is None

    def before(self, first_step: int) -> None:
        self.calls_seen += 1
        if self.enabled and self.calls_seen == 2 and self.first_traced is None:
            jax.profiler.start_trace(self.directory, create_perfetto_trace=True)
            self.first_traced = first_step

    def after(self, first_step: int, outputs) -> None:
        end = self.last_end = first_step + self.steps_per_call
        if self.tracing and end - self.first_traced >= self.profile_steps:
            self._stop(outputs, end)

    def close(self, outputs=None) -> None:
        """Stops a trace still running (the run ended before N steps were traced), after `outputs`
        (the last call's, if still valid) are ready."""
        if self.tracing:
            self._stop(outputs, self.last_end)

    def _stop(self, outputs, end: int) -> None:
        if outputs is not None:
            jax.block_until_ready(outputs)  # the traced calls' device work belongs in the trace
        jax.profiler.stop_trace()
        self.traced_to = end

    def summary(self) -> str | None:
        """What was traced, in one sentence for the user, or None when no trace was asked for."""
        if not self.enabled:
            return None
        if self.first_traced is None:
            return (
                f"no profile written: --profile_steps traces the calls after the first (compiling) one, and this "
                f"launch made {self.calls_seen} call{'s' if self.calls_seen != 1 else ''}."
            )
        traced = self.traced_to - self.first_traced
        short = f" (the run ended before {self.profile_steps})" if traced < self.profile_steps else ""
        return (
            f"profiled steps {self.first_traced + 1}-{self.traced_to} ({traced} steps{short}) into "
            f"{storage.absolute(self.directory)}: tensorboard --logdir {storage.absolute(self.directory)} (Profile tab) "
            f"or its perfetto_trace.json.gz in ui.perfetto.dev."
        )


def annotate_call(first_step: int):
    """The trace's step marker for the loop's call that starts at `first_step`."""
    return jax.profiler.StepTraceAnnotation("jaxgan.call", step_num=first_step)
