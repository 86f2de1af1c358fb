"""The ring config (non-saturating, BN in G) on 1, 2, 4 and 8 devices and under pmap, and its CGAN (program "conditional") on 1 and 8: the parameters of the plain-jit step after 20 steps.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_ring_and_its_conditional_gan_are_device_count_invariant():
    rows = run_in_subprocess(["ring", "conditional"])
    check_invariance(rows["ring"])
    check_invariance(rows["conditional"])
