"""`profile_steps` (`jaxgan train --profile_steps=N`): a jax.profiler trace of N steps after the
first compiled call, in <workdir>/profile; a negative value refused before anything is written."""

import gzip
import json
import os

import pytest

from jaxgan.train import train_and_evaluate
from tests.train.helpers import tiny_ring_config


def _traced_calls(trace: dict) -> list[int]:
    """The first steps of the loop's calls in a Perfetto (Chrome JSON) trace, in order."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    steps = [
        int(e["args"]["step_num"]) for e in events if e.get("name") == "jaxgan.call" and "step_num" in e.get("args", {})
    ]
    return sorted(set(steps))


@pytest.mark.slow  # trains 8 steps
def test_a_trace_of_the_steps_after_the_first_call_is_written_into_the_workdir(tmp_path, capfd):
    # 8 steps in calls of 2; the first call (steps 1-2) compiles; 3 steps round up to two calls: steps 3-6.
    state = train_and_evaluate(
        tiny_ring_config(num_steps=8, checkpoint_every=8, log_every=8), str(tmp_path), profile_steps=3
    )
    assert int(state.step) == 8
    sessions = os.listdir(tmp_path / "profile" / "plugins" / "profile")
    assert len(sessions) == 1  # one trace, in TensorBoard's layout
    files = os.listdir(tmp_path / "profile" / "plugins" / "profile" / sessions[0])
    assert any(name.endswith(".xplane.pb") for name in files), files  # TensorBoard's profile plugin
    assert "perfetto_trace.json.gz" in files, files  # ui.perfetto.dev
    with gzip.open(tmp_path / "profile" / "plugins" / "profile" / sessions[0] / "perfetto_trace.json.gz") as f:
        assert _traced_calls(json.load(f)) == [2, 4]  # not the compiling call at step 0, nor step 6
    assert "profiled steps 3-6 (4 steps)" in capfd.readouterr().err


def test_a_negative_count_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"^--profile_steps=-1 is not accepted; use a non-negative int") as error:
        train_and_evaluate(tiny_ring_config(), str(tmp_path / "refused"), profile_steps=-1)
    assert "\n" not in str(error.value) and not os.path.exists(tmp_path / "refused")
