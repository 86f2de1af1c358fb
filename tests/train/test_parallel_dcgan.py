"""The seed DCGAN (batch norm, dropout) on 1 and 8 devices: same parameters.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_dcgan_mnist_is_device_count_invariant():
    check_invariance(run_in_subprocess(["dcgan_mnist"])["dcgan_mnist"])
