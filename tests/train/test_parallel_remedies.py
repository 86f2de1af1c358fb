"""DRAGAN and minibatch discrimination on 1 and 8 devices: the parameters of the plain-jit step.

Both read whole-batch statistics (DRAGAN's perturbation scale, minibatch similarities), which
are taken over the global batch. Runs tests/train/parallel_check.py in a subprocess.
"""

import pytest

from tests.train.parallel_check import check_invariance, run_in_subprocess


@pytest.mark.slow
def test_dragan_and_minibatch_discrimination_are_device_count_invariant():
    check_invariance(run_in_subprocess(["remedies"])["remedies"])
