"""The discriminator's overfitting: its outputs on the examples it trains on against held-out ones.

Karras et al. 2020 (ADA, section 2.1 and figure 1b) measure a discriminator memorising its
training set by its raw outputs on training reals and on a validation set of the same
distribution: with little data the two drift apart over the run. From D's raw outputs (logits)
`d_train` on training examples and `d_held_out` on held-out examples:

    mean        = E[d_train],        E[d_held_out],        gap      = E[d_train] - E[d_held_out]
    mean sign   = E[sign(d_train)],  E[sign(d_held_out)],  sign gap = E[sign(d_train)] - E[sign(d_held_out)]

`E[sign(d_train)]` is ADA's overfitting heuristic r_t (eq. 1: r_t = E[sign(D_train)]).
"""

from __future__ import annotations

import numpy as np

KEYS = ("d_output_train", "d_output_held_out", "d_output_gap", "d_sign_train", "d_sign_held_out", "d_sign_gap")


def discriminator_overfitting(d_train, d_held_out) -> dict[str, float]:
    """D's mean raw output and mean sign on training and held-out examples, and the gaps (see the
    module doc), as float64 means of the flattened outputs; keys `KEYS`."""
    d_train = np.asarray(d_train, np.float64).reshape(-1)
    d_held_out = np.asarray(d_held_out, np.float64).reshape(-1)
    if d_train.size == 0 or d_held_out.size == 0:
        raise ValueError(
            f"discriminator_overfitting needs D's outputs on at least one training and one held-out example; "
            f"got {d_train.size} and {d_held_out.size}."
        )
    train_mean, held_out_mean = float(d_train.mean()), float(d_held_out.mean())
    train_sign, held_out_sign = float(np.sign(d_train).mean()), float(np.sign(d_held_out).mean())
    values = (train_mean, held_out_mean, train_mean - held_out_mean, train_sign, held_out_sign)
    return dict(zip(KEYS, (*values, train_sign - held_out_sign)))
