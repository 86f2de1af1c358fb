"""The ring config (non-saturating, BN in G) on 1, 2, 4 and 8 devices and under pmap: the parameters of the plain-jit step after 20 steps.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

from tests.train.parallel_check import check_invariance, run_in_subprocess


def test_ring_is_device_count_invariant():
    check_invariance(run_in_subprocess(["ring"])["ring"])
