"""WGAN-GP (2 critic steps, per-example penalty draws) on 1, 2, 4 and 8 devices and under pmap.

Adam turns rounding-level differences of near-zero gradient entries (the order of the
cross-device sum) into steps of up to the learning rate (1e-4); with the critic's linear loss
some entries stay near zero, so the bound with Adam is 1e-3 of the scale, not 2e-5. The same
case with SGD, which does not divide by a gradient's running size, holds to 1e-6: the gap is
Adam's amplification of rounding, not a difference in the step's math. Before the penalty's
interpolation was drawn per example, the gap was 1.7e-3 on every device count.

Runs tests/train/parallel_check.py in a subprocess with 8 CPU devices; one module per config so
that the two test workers share them.
"""

from tests.train.parallel_check import check_invariance, run_in_subprocess


def test_wgan_gp_is_device_count_invariant():
    rows = run_in_subprocess(["wgan_gp", "wgan_gp_sgd"])
    check_invariance(rows["wgan_gp"], tolerance=1e-3)
    check_invariance(rows["wgan_gp_sgd"], tolerance=1e-6)
