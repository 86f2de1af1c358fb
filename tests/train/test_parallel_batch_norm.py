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

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_batch_norm_in_g_and_d_is_device_count_invariant_in_float64():
    row = run_in_subprocess(["bn_mlp_relativistic_float64"])["bn_mlp_relativistic_float64"]
    assert set(row) == {"scale", "2", "8"}, row
    check_invariance(row, tolerance=1e-8)
