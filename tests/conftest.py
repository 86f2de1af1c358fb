"""Test-session settings: a persistent XLA compilation cache shared by the test processes.

Many tests build the same small programs (and a multi-device check builds the same init on
every device count); compiling each once per session keeps the suite fast on 2 CPU cores.
The settings go into the environment too, so that the subprocesses the tests start (multi-device
checks with their own XLA_FLAGS, several hosts, the CLI) share the cache: JAX reads its
`JAX_*` options from the environment at import.

XLA compiles fast in every test process, the subprocesses included (`tests/xla_flags.py`: LLVM at
-O0 and XLA:CPU's older fusion emitters): the suite is compile-bound, and a test compares values,
never speed. XLA_FLAGS is read when the first backend starts, after this file; a user's own
XLA_FLAGS are kept (an optimisation level set there wins).
"""

import os
import tempfile

from tests import xla_flags

if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {xla_flags.fast_compile()}".strip()

import jax  # noqa: E402 - after XLA_FLAGS

_CACHE = os.environ.get("JAXGAN_TEST_COMPILATION_CACHE", os.path.join(tempfile.gettempdir(), "jaxgan-test-xla-cache"))
_SETTINGS = {
    "jax_compilation_cache_dir": _CACHE,
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": 0,
}
for _name, _value in _SETTINGS.items():
    jax.config.update(_name, _value)
    os.environ.setdefault(_name.upper(), str(_value))
