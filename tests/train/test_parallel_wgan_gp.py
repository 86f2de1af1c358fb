"""WGAN-GP (2 critic steps, per-example penalty draws) on 1 and 8 devices, with Adam and SGD.

Adam divides by a gradient's running size, so it can turn rounding-level differences of
near-zero gradient entries (the order of a cross-device sum) into steps of up to the learning
rate; SGD cannot. Measured here (2026-12-01, against the plain-jit step): Adam 3.0e-8 on 2
devices and 6.0e-8 on 8, SGD 1.2e-7 on both. Both are held to the default bound (2e-5 of the
scale), SGD to 1e-6 as well. Before the penalty's interpolation was drawn per example, the gap
was 1.7e-3 on every device count.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_wgan_gp_is_device_count_invariant():
    rows = run_in_subprocess(["wgan_gp", "wgan_gp_sgd"])
    check_invariance(rows["wgan_gp"])
    check_invariance(rows["wgan_gp_sgd"], tolerance=1e-6)
