"""CoGAN (Liu & Tuzel 2016) on digits2negatives: digits (X) and other digits negated (Y), never
paired; one z draws a pair (G_1(z) | G_2(z)), scored by `pair_agreement`.

Issue 26's task and the paper's digits/negatives experiment: Y's images are the digits' negatives
and nothing else, so both digits of a pair are read by the bundled digit classifier (G_2(z)
negated back) and a perfectly coupled G_2 scores exactly G_1's agreement with itself, 1
(`transform_agreement`). The networks, optimisers and length are `configs/cogan_digits2inverted.py`'s,
whose Y is dilated as well as inverted (CycleGAN's task, read by a classifier of its own): a
harder task, kept beside this one with its figures in results/cogan.md.

Measured (2026-12-07, seeds 0-2, 3,000 steps, 12 min 06 s a seed on 2 cores; results/families.md,
results/cogan.md): pair agreement 0.897, 0.8995, 0.903 on the evaluation's 2,000 pairs (0.8998),
0.903, 0.899, 0.895 on 10,000 other pairs a seed: issue 26's 0.90 is not reached, by a thousandth.
"""

from jaxgan.programs import cogan


def get_config():
    return cogan.base_config("digits2negatives")
