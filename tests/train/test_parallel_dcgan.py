"""The seed DCGAN (batch norm, dropout) on 1, 2, 4 and 8 devices and under pmap: same parameters.

A module of its own so that it runs beside tests/train/test_parallel.py on the other test worker.
"""

from tests.train.test_parallel import check_invariance, run_parallel_check


def test_dcgan_mnist_is_device_count_invariant():
    check_invariance(run_parallel_check(["dcgan_mnist"])["dcgan_mnist"])
