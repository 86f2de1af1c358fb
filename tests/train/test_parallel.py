"""The same step on 1, 2, 4 and 8 devices, and under pmap: the same parameters after 20 steps.

Runs `tests/train/parallel_check.py` in a subprocess with 8 CPU devices (XLA_FLAGS must be
set before JAX is imported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = ("ring", "wgan_gp", "fisher")  # dcgan_mnist: tests/train/test_parallel_dcgan.py (runs beside this)


def run_parallel_check(configs) -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-m", "tests.train.parallel_check", *configs],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return {row.pop("config"): row for row in rows}


@pytest.fixture(scope="module")
def results():
    return run_parallel_check(CONFIGS)


def check_invariance(row: dict) -> None:
    assert row["scale"] > 0.05  # parameters moved away from zero: the comparison means something
    for count in ("2", "4", "8"):
        assert row[count] <= 2e-5 * max(1.0, row["scale"]), (count, row)
    assert row["pmap_vs_shard_map"] <= 2e-5 * max(1.0, row["scale"]), row


@pytest.mark.parametrize("name", CONFIGS)
def test_device_count_and_pmap_do_not_change_the_parameters(results, name):
    check_invariance(results[name])


def test_batch_that_does_not_divide_is_refused_before_compiling():
    from jaxgan.train import parallel

    with pytest.raises(ValueError, match="batch_size 100 does not divide over 8 devices"):
        parallel.check_global_batch(100, 8)
    with pytest.raises(ValueError, match="pack=4"):
        parallel.check_global_batch(16, 8, pack=4)
