"""Regularisers and schedules for training with little data: pure, jit-able functions.

    lecam_update(state, mean_real, mean_fake, decay=0.99)   the anchors α_R, α_F (EMAs of D's means)
    lecam_regulariser(d_real, d_fake, anchor_real, anchor_fake)
                        E‖D(x) - α_F‖² + E‖D(G(z)) - α_R‖²                       Tseng et al. 2021, eq. 3
    top_k_count(step, batch, fraction=, decay=, decay_every=)
                        k = max(⌊ν·B⌋, ⌊γ^⌊step / decay_every⌋ · B⌋)          Sinha et al. 2020, sec. 3
    top_k_weights(scores, k)   1 on the k largest scores, 0 elsewhere (a mask by rank)
    orthogonal_regulariser(params)
                        Σ_W ‖WᵀW ⊙ (1 - I)‖²_F over the weight matrices          Brock et al. 2019, eq. 3
    ema_decay(step, decay=, rampup=)
                        β_t = min(β, 0.5^(1 / (rampup·t)))                      Karras et al. 2020 (ADA)

The train step's terms that use them are in `jaxgan.programs.regularise`; the formulas and their
sources are in each docstring.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.losses._base import as_float

PyTree = Any


# ---------------------------------------------------------------------------- LeCam


def lecam_init_state() -> dict[str, jax.Array]:
    """No update yet: anchors 0 (never read: the first update replaces them) and a count of 0."""
    zero = jnp.zeros((), jnp.float32)
    return {"anchor_real": zero, "anchor_fake": zero, "updates": zero}


def lecam_update(
    state: dict[str, jax.Array], mean_real: jax.Array, mean_fake: jax.Array, *, decay: float
) -> dict[str, jax.Array]:
    """The anchors after one more D update: zero-debiased EMAs of D's mean outputs.

    With `e_t = d·e_{t-1} + (1 - d)·m_t`, `e_0 = 0`, the anchor is `α_t = e_t / (1 - d^t)`
    (TensorFlow's `assign_moving_average(..., zero_debias=True)`, as the authors' StyleGAN2 code,
    google/lecam-gan stylegan2/lecam_loss.py, with decay 0.99), so the first anchor is the first
    batch's mean rather than a pull towards 0. Kept as the anchor itself:
    `α_t = (d (1 - d^{t-1}) α_{t-1} + (1 - d) m_t) / (1 - d^t)`.
    """
    updates = state["updates"] + 1.0
    previous = decay * (1.0 - decay ** state["updates"])
    normaliser = 1.0 - decay**updates

    def step(anchor, mean):
        return (previous * anchor + (1.0 - decay) * lax.stop_gradient(as_float(mean))) / normaliser

    return {
        "anchor_real": step(state["anchor_real"], mean_real),
        "anchor_fake": step(state["anchor_fake"], mean_fake),
        "updates": updates,
    }


def lecam_regulariser(
    d_real: jax.typing.ArrayLike,
    d_fake: jax.typing.ArrayLike,
    anchor_real: jax.typing.ArrayLike,
    anchor_fake: jax.typing.ArrayLike,
) -> jax.Array:
    """LeCam regularisation `R_LC = E_x ‖D(x) - α_F‖² + E_z ‖D(G(z)) - α_R‖²` (Tseng et al. 2021,
    eq. 3): D's outputs on real examples held near the anchor of its generated ones and the other
    way round. Means over all elements; the anchors carry no gradient.

    The authors' released code (google/lecam-gan, biggan_cifar/losses.py and stylegan2/lecam_loss.py)
    squares `relu(D(x) - α_F)` and `relu(α_R - D(G(z)))` instead: it leaves alone a real output
    below the fake anchor and a generated one above the real anchor. This is the paper's form.
    """
    anchor_real, anchor_fake = lax.stop_gradient(as_float(anchor_real)), lax.stop_gradient(as_float(anchor_fake))
    return jnp.mean(jnp.square(as_float(d_real) - anchor_fake)) + jnp.mean(jnp.square(as_float(d_fake) - anchor_real))


# ---------------------------------------------------------------------------- top-k


def top_k_count(
    step: jax.typing.ArrayLike, batch: int, *, fraction: float, decay: float, decay_every: int
) -> jax.Array:
    """How many generated examples G's loss keeps at `step`: `k = max(⌊ν·B⌋, ⌊γ^e · B⌋)`,
    `e = ⌊step / decay_every⌋` (Sinha et al. 2020, "Top-k Training of GANs", sec. 3: k starts at
    the batch size B and is multiplied by γ = 0.99 every epoch, down to the floor ν·B with ν in
    [0.5, 0.75]). An int32 scalar in [⌊ν·B⌋, B]; `step` may be traced."""
    epochs = (jnp.asarray(step) // decay_every).astype(jnp.float32)
    # + 1e-3: float32's γ^e·B falls just short of exact products (0.9² · 100 = 81 is 80.99999).
    annealed = jnp.floor(jnp.power(jnp.float32(decay), epochs) * batch + 1e-3).astype(jnp.int32)
    return jnp.maximum(jnp.int32(math.floor(fraction * batch + 1e-9)), jnp.minimum(annealed, batch))


def top_k_weights(scores: jax.typing.ArrayLike, k: jax.typing.ArrayLike) -> jax.Array:
    """`[B]` float32 weights: 1 on the `k` largest `scores` (ties: the lower index first), else 0.

    `k` may be traced: the mask is by rank (`lax.top_k` sorts the whole batch), so the shapes do
    not depend on it. Scores of more than one axis (a patch D's outputs) are ranked by their
    mean over the non-batch axes."""
    scores = as_float(scores)
    scores = scores.reshape(scores.shape[0], -1).mean(axis=1)
    batch = scores.shape[0]
    _, order = lax.top_k(lax.stop_gradient(scores), batch)
    rank = jnp.zeros((batch,), jnp.int32).at[order].set(jnp.arange(batch, dtype=jnp.int32))
    return (rank < k).astype(jnp.float32)


# ---------------------------------------------------------------------------- orthogonality


def weight_matrices(params: PyTree) -> list[jax.Array]:
    """Every parameter of two or more axes as a matrix `[fan_in, out]`: the last axis is the
    output features (flax's Dense `[in, out]`, Conv `[kh, kw, in, out]` -> `[kh·kw·in, out]`)."""
    return [leaf.reshape(-1, leaf.shape[-1]) for leaf in jax.tree.leaves(params) if jnp.ndim(leaf) >= 2]


def orthogonal_regulariser(params: PyTree) -> jax.Array:
    """BigGAN's orthogonal regularisation `Σ_W ‖WᵀW ⊙ (1 - I)‖²_F` (Brock et al. 2019, eq. 3, used
    with β = 1e-4): the filters (columns of each weight matrix, `weight_matrices`) pushed towards
    mutual orthogonality, their norms left free. (BigGAN-PyTorch's `utils.ortho` adds
    `2·(WWᵀ ⊙ (1 - I))W` to the gradient, half the gradient of this sum: its strength β is this
    weight's 2β.) Float32, 0 for a network with no matrix."""
    total = jnp.zeros((), jnp.float32)
    for matrix in weight_matrices(params):
        matrix = as_float(matrix)
        gram = matrix.T @ matrix
        off_diagonal = gram * (1.0 - jnp.eye(gram.shape[0], dtype=gram.dtype))
        total = total + jnp.sum(jnp.square(off_diagonal))
    return total


# ---------------------------------------------------------------------------- EMA ramp-up


def ema_decay(step: jax.typing.ArrayLike, *, decay: float, rampup: float) -> jax.Array:
    """The EMA decay of the update after `step` steps, with StyleGAN2-ADA's ramp-up.

    ADA's training loop (Karras et al. 2020, NVlabs/stylegan2-ada-pytorch training_loop.py,
    `ema_rampup=0.05` in its `auto` and `cifar` configurations) sets the EMA's half-life in
    images to `min(ema_nimg, rampup · cur_nimg)` and `β = 0.5^(batch / half-life)`. With the
    decay per step β (half-life `ln 0.5 / ln β` steps) and t steps taken (`cur_nimg = t·batch`),
    the batch cancels: `β_t = min(β, 0.5^(1 / (rampup·t)))`, so β_0 = 0 (the EMA starts at the
    trained weights) and the average covers about the last `rampup` of the run until it reaches
    β. `rampup = 0`: β at every step. (TensorFlow's `ExponentialMovingAverage(num_updates=t)`
    ramps up as `min(β, (1 + t)/(10 + t))` instead; this is ADA's.)"""
    if rampup <= 0:
        return jnp.float32(decay)
    images = jnp.float32(rampup) * jnp.asarray(step, jnp.float32)
    ramp = jnp.where(images > 0, jnp.power(jnp.float32(0.5), 1.0 / jnp.where(images > 0, images, 1.0)), 0.0)
    return jnp.minimum(jnp.float32(decay), ramp)
