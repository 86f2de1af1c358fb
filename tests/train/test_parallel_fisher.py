"""Fisher GAN (its constraint over the global batch) on 1 and 8 devices: same parameters.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_fisher_is_device_count_invariant():
    check_invariance(run_in_subprocess(["fisher"])["fisher"])
