"""A global batch that does not divide over the devices is refused before compiling.

The device-count invariance tests are tests/train/test_parallel_<config>.py.
"""

import pytest

from jaxgan.train import parallel


def test_batch_that_does_not_divide_is_refused_before_compiling():
    with pytest.raises(ValueError, match="batch_size 100 does not divide over 8 devices"):
        parallel.check_global_batch(100, 8)
    with pytest.raises(ValueError, match="pack=4"):
        parallel.check_global_batch(16, 8, pack=4)
