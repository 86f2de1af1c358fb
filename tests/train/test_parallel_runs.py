"""The runs of one launch (4 seeds of the ring) laid out over 8 devices: all on every device
(vmapped or in turn), or divided over 2 or 4 devices (`config.run_devices`), each run's batch
over the rest; every run's parameters after 20 steps against that seed alone under plain jit.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices.
"""

import os
import subprocess
import sys

import jax
import pytest

from jaxgan.train import parallel, run_axis
from tests.train.parallel_check import RUN_LAYOUTS, check_invariance, run_in_subprocess


@pytest.mark.slow
def test_runs_divided_over_devices_equal_each_run_alone():
    row = run_in_subprocess(["runs"])["runs"]
    assert sorted(row) == sorted(["scale", *(f"{d}x{8 // d}_{m}" for d, m in RUN_LAYOUTS)])
    check_invariance(row)


def test_run_devices_are_chosen_and_checked_before_compiling():
    cpus = jax.devices()[:1] * 8  # the choice reads only the devices' platform and count
    assert parallel.check_run_devices(0, 10, cpus) == 2  # the most that divide both
    assert parallel.check_run_devices(0, 3, cpus) == 1
    assert parallel.check_run_devices(4, 12, cpus) == 4
    with pytest.raises(
        ValueError, match=r"run_devices=3 must divide both the runs \(10\) and the devices \(8\); use one of \[1, 2\]"
    ):
        parallel.check_run_devices(3, 10, cpus)
    with pytest.raises(ValueError, match="run_devices must be a non-negative integer"):
        parallel.check_run_devices(-1, 10, cpus)
    assert run_axis.check_mapping("auto", cpus) is True  # in turn on a CPU
    assert run_axis.check_mapping("vmap", cpus) is False
    with pytest.raises(ValueError, match="run_mapping must be one of 'auto', 'vmap', 'in_turn'; got 'map'"):
        run_axis.check_mapping("map", cpus)


_FRESH_PROCESS = """
import os, sys
import jaxgan.cli, jaxgan.train, jaxgan.metrics, jaxgan.programs  # importing starts no JAX backend
from jaxgan.train import parallel
count = parallel.cpu_devices_for_runs(int(sys.argv[1]), int(sys.argv[2]))
import jax
print(count, jax.device_count())
"""


def _fresh(runs: int, run_devices: int, xla_flags: str = "") -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    if xla_flags:
        env["XLA_FLAGS"] = xla_flags
    command = [sys.executable, "-c", _FRESH_PROCESS, str(runs), str(run_devices)]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


@pytest.mark.slow  # four fresh processes, each importing JAX
@pytest.mark.parametrize("runs", [1, 4])
def test_a_cpu_device_a_core_for_many_runs_when_nothing_set_the_count(runs):
    cores = len(os.sched_getaffinity(0))
    expected = max(d for d in range(1, min(cores, runs) + 1) if runs % d == 0)
    assert _fresh(runs, 0) == ([str(expected), str(expected)] if expected > 1 else ["None", "1"])
    # config.run_devices given: that many devices (one: the runs share one device).
    assert _fresh(runs, 1) == ["None", "1"]
    assert _fresh(runs, 4) == (["4", "4"] if runs > 1 else ["None", "1"])
    # A count the user set is kept.
    assert _fresh(runs, 0, "--xla_force_host_platform_device_count=3") == ["None", "3"]
