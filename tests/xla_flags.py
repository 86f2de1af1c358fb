"""The XLA flags of every test process: compile fast, since a test compares values, never speed.

Imports no JAX (a subprocess sets XLA_FLAGS before its own import of JAX). `fast_compile()` is what
tests/conftest.py adds to the suite's XLA_FLAGS and what the multi-device, several-host and
learning subprocesses pass on:

- `--xla_backend_optimization_level=0`: LLVM at -O0 (test_conv: 112 of its 135 s in XLA's backend
  compile at the default level, 59 of 84 s at level 0; 2026-12-06).
- `--xla_cpu_use_fusion_emitters=false`: XLA:CPU's older LLVM-IR fusion emitters in place of the
  MLIR ones, which cost most of a compile at -O0 (`python -m tests.programs.invariance_check cogan
  ebgan`, no cache: 22.2 s wall and 26.9 CPU-seconds with them, 16.8 s and 17.6 with this flag;
  jax 0.10.2, 2026-12-08). XLA aborts a process on a flag it does not know, so the flag is used
  only where one probe process (a few seconds, once a session: its answer is kept in the
  environment for the processes that follow) shows that this jaxlib accepts it.
"""

from __future__ import annotations

import os
import subprocess
import sys

OPTIMIZATION_LEVEL = "--xla_backend_optimization_level=0"
FUSION_EMITTERS_OFF = "--xla_cpu_use_fusion_emitters=false"
_ENV = "JAXGAN_TEST_FAST_COMPILE"  # the probe's answer, for the processes that follow


def _accepted(flag: str) -> bool:
    """Whether a JAX process with `flag` in XLA_FLAGS starts its CPU backend and runs."""
    probe = "import jax.numpy as jnp; jnp.zeros(2).block_until_ready()"
    env = {**os.environ, "XLA_FLAGS": flag, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=300)
    return done.returncode == 0


def fast_compile() -> str:
    """The flags, space separated (the fusion-emitter one only if this jaxlib knows it)."""
    if _ENV not in os.environ:
        flags = [OPTIMIZATION_LEVEL] + ([FUSION_EMITTERS_OFF] if _accepted(FUSION_EMITTERS_OFF) else [])
        os.environ[_ENV] = " ".join(flags)
    return os.environ[_ENV]


def without_fast_compile(flags: str) -> str:
    """`flags` with this module's flags taken out (for a test whose cost is running, not compiling)."""
    for flag in (OPTIMIZATION_LEVEL, FUSION_EMITTERS_OFF):
        flags = flags.replace(flag, "")
    return " ".join(flags.split())
