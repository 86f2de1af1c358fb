"""Two processes on one machine (two CPU devices each, gloo collectives) reach the same
parameters as one process with four devices."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_equal_one_process_with_four_devices(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("XLA_FLAGS", None)
    module = [sys.executable, "-m", "tests.train.multihost_check"]
    port = str(_free_port())
    workers = [
        subprocess.Popen(
            [*module, "worker", port, str(i), str(tmp_path / "two.npz")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    single = subprocess.run(
        [*module, "single", str(tmp_path / "one.npz")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert single.returncode == 0, single.stderr[-3000:]
    for worker in workers:
        _, err = worker.communicate(timeout=900)
        assert worker.returncode == 0, err[-3000:]
    two, one = np.load(tmp_path / "two.npz"), np.load(tmp_path / "one.npz")
    assert len(two.files) == len(one.files) > 0
    scale = max(float(np.max(np.abs(one[k]))) for k in one.files)
    assert scale > 0.05
    for k in one.files:
        np.testing.assert_allclose(two[k], one[k], atol=2e-5 * max(1.0, scale), rtol=0)
