"""Batch norm in G and in D (statistics over the global batch) under SGD, in float64: the ring's
MLPs with the relativistic average loss on 2 and 8 devices give the plain-jit step's parameters.

In float32 the same runs differ from one device by 4-5e-2 of the parameters' scale after 20
steps: with D's batch norm on generated batches whose variances are at or below its epsilon,
the dynamics amplify any difference about 2x a step, float32's rounding as much as float64's
(`experiments/bn_invariance.py`). In float64 that growth starts from 1e-16 and ends near 3e-11,
so a bound of 1e-8 passes rounding with room, while a real error in how the statistics are
reduced fails it by orders of magnitude: per-device statistics in G's update alone (its calls of
D on real and on generated examples) differ by 5.6e-2, per-device statistics everywhere by
0.12.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices, at -O0 but with XLA:CPU's
default fusion emitters: with the older ones the suite's other checks use (`tests/xla_flags.py`),
this check's 8 devices ended 0.09 from one device (2 devices: 8.6e-12; jax 0.10.2, 2026-12-08), a
difference that, halved for each of the 20 steps, starts near 1e-7, float32's rounding rather
than float64's: the older emitters do not keep float64 throughout this program, and a bound held
to float64's rounding needs them to.
"""

import pytest

from tests import xla_flags
from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_batch_norm_in_g_and_d_is_device_count_invariant_in_float64():
    name = "bn_mlp_relativistic_float64"
    row = run_in_subprocess([name], flags=xla_flags.OPTIMIZATION_LEVEL)[name]
    assert set(row) == {"scale", "2", "8"}, row
    check_invariance(row, tolerance=1e-8)
