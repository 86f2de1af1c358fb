"""Test-session settings: a persistent XLA compilation cache shared by the test processes.

Many tests build the same small programs; compiling each once per session keeps the suite
fast on 2 CPU cores. Multi-device tests run in subprocesses with their own XLA_FLAGS.
"""

import os
import tempfile

import jax

_CACHE = os.environ.get("JAXGAN_TEST_COMPILATION_CACHE", os.path.join(tempfile.gettempdir(), "jaxgan-test-xla-cache"))
jax.config.update("jax_compilation_cache_dir", _CACHE)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
