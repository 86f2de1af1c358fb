"""experiments/mode_collapse_gpu.sh on CPU, on a tiny protocol: one piece (GAN on ring), two
seeds vmapped, 50 steps of networks a few units wide, through the same command a device session
runs; what it leaves in $OUT is read back."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import tempfile

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_the_gpu_command_runs_a_tiny_protocol_and_writes_its_outputs(tmp_path):
    out, root = tmp_path / "out", tmp_path / "runs"
    env = {
        **os.environ,
        "METHODS": "GAN",
        "DATASETS": "ring",
        "STEPS": "50",
        "EVAL_EVERY": "50",
        "SEEDS": "2",
        "BUDGET": "600",
        "TINY": "1",
        "OUT": str(out),
        "ROOT": str(root),
        # the test session's persistent XLA cache (tests/conftest.py), so a second suite run compiles nothing
        "CACHE_DIR": os.environ.get(
            "JAXGAN_TEST_COMPILATION_CACHE", os.path.join(tempfile.gettempdir(), "jaxgan-test-xla-cache")
        ),
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        ["bash", os.path.join(_ROOT, "experiments", "mode_collapse_gpu.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = (out / "log.txt").read_text()
    assert "GAN_ring: step 50" in log and "time budget:" in log
    table = (out / "pacgan_table.md").read_text()
    assert "| GAN | jaxgan | 2 @ 50 |" in table and "one run of experiments/mode_collapse_gpu.sh" in table
    curves = json.loads((out / "pacgan_curves.json").read_text())
    assert [e["step"] for e in curves["GAN_ring"]] == [50] and len(curves["GAN_ring"][0]["modes"]) == 2
    with tarfile.open(out / "metrics.tgz") as archive:
        assert [m.name for m in archive.getmembers()] == ["./GAN_ring/metrics.jsonl"]
    assert sorted(os.listdir(out)) == sorted(
        ["log.txt", "metrics.tgz", "pacgan_table.md", "pacgan_curves.json", "pacgan_curves.png"]
        if os.path.exists(out / "pacgan_curves.png")
        else ["log.txt", "metrics.tgz", "pacgan_table.md", "pacgan_curves.json"]
    )
