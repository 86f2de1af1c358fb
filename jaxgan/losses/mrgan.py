"""MRGAN and MDGAN (Che et al. 2017, "Mode Regularized Generative Adversarial Networks"; MATH.md §9).

An encoder E maps data to codes, so `G(E(x))` reconstructs x; d is the squared distance in pixel
(or point) space, `d(x, y) = Σ_i (x_i - y_i)²` per example.

**Regularised training** (Che et al. 2017, §3.1-3.2), D the usual GAN discriminator of x against G(z):

    T_G = -E_z log D(G(z)) + E_x[λ1 d(x, G(E(x))) - λ2 log D(G(E(x)))]
    T_E =                    E_x[λ1 d(x, G(E(x))) - λ2 log D(G(E(x)))]

**The sign of the λ2 term.** The paper prints `+ λ2 log D(G∘E(x))` in both T_G and T_E (as
MATH.md §9 transcribes it), which, minimised, pushes D(G(E(x))) toward 0: G(E(x)) away from what
D takes for data. The term's stated purpose is the opposite (MATH.md §9: it "is meant to keep
G(E(x)) on the data manifold"), and the paper's own manifold-diffusion training writes the same
quantity with the other sign, `- log D_M(G∘E(x))`, in its manifold step (§3.3, below). Read as a
sign slip, the default here is `- λ2 log D(G(E(x)))` (`as_printed=False`); `as_printed=True`
trains the printed `+ λ2 log D`, so the two can be compared (results/mrgan.md). The authors'
released code could not be checked: no repository of theirs is in the stored copies of GitHub
this project can search (searched by name and by content: MRGAN, MDGAN, "mode regularized",
the first author), and the stored web copies of the paper return only its opening. Two
third-party implementations were found, and both copy the printed sign:
wiseodd/generative-models (GAN/mode_regularized_gan: `E_loss = mean(lam1 * mse + lam2 * D_reg)`,
D_reg the probability D(G(E(X))), not its log) and kozistr/Awesome-GANs (MRGAN/mrgan_model.py:
`e_loss = λ2 mean(log D(G(E(x)))) + λ1 mse`); neither is the authors' or compares the signs.
Measured here (results/mrgan.md, the grid, 3 seeds): the two signs do about as well after 800-1,000
steps (20.3 and 16.0 modes on the quick protocol, 18.7 and 15.0 on PacGAN's networks; the reverse
KL lower for one or the other by evaluation), so the measurement does not decide between them.

**Manifold-diffusion training (MDGAN)** (Che et al. 2017, §3.3), two discriminators:

    manifold step:  D_m: x (real) against G(E(x)) (fake);  G and E minimise λ1 d(x, G(E(x))) - log D_m(G(E(x)))
    diffusion step: D_d: G(E(x)) (real) against G(z) (fake);  G minimises -log D_d(G(z))

The diffusion D's optimum is `D_d* = p_GE / (p_GE + p_G)` and its value there `-log 4 + 2 JSD(p_GE, p_G)`
(Goodfellow et al. 2014, Prop. 1 with G(E(x)) as the data), which the tests check on discrete distributions.
Everything is a function of D's logits `v`: `log D = -softplus(-v)`, `log(1 - D) = -softplus(v)`; means
over the batch (weights make them exact expectations).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, static_float, weighted_mean
from jaxgan.losses.separable import non_saturating_discriminator_loss, non_saturating_generator_loss

ArrayLike = jax.typing.ArrayLike


def _check_weight(owner: str, name: str, value) -> None:
    number = static_float(value, name)
    if number is not None and not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{owner}: `{name}` must be a finite number >= 0; got {number!r}.")


def mrgan_squared_distance(x: ArrayLike, reconstruction: ArrayLike) -> jax.Array:
    """`d(x, G(E(x))) = Σ_i (x_i - G(E(x))_i)²` per example, `[B, ...] -> [B]` (Che et al. 2017's d, squared L2)."""
    x, reconstruction = as_float(x), as_float(reconstruction)
    if x.shape != reconstruction.shape:
        raise ValueError(f"mrgan_squared_distance: shapes {x.shape} and {reconstruction.shape} differ.")
    return jnp.sum(jnp.square(x - reconstruction).reshape(x.shape[0], -1), axis=1)


def mrgan_encoder_loss(
    x: ArrayLike,
    reconstruction: ArrayLike,
    d_reconstruction: ArrayLike,
    *,
    lambda1: float,
    lambda2: float,
    as_printed: bool = False,
    weights: ArrayLike | None = None,
) -> jax.Array:
    """`T_E = E_x[λ1 d(x, G(E(x))) - λ2 log D(G(E(x)))]` (`+ λ2 log D` with `as_printed`; module doc).

    `d_reconstruction`: D's logits on `reconstruction = G(E(x))`.
    """
    _check_weight("mrgan_encoder_loss", "lambda1", lambda1)
    _check_weight("mrgan_encoder_loss", "lambda2", lambda2)
    log_d = -jax.nn.softplus(-as_float(d_reconstruction))
    sign = 1.0 if as_printed else -1.0
    per_example = lambda1 * mrgan_squared_distance(x, reconstruction) + sign * lambda2 * log_d
    return weighted_mean(per_example, weights)


def mrgan_generator_loss(
    d_fake: ArrayLike,
    x: ArrayLike,
    reconstruction: ArrayLike,
    d_reconstruction: ArrayLike,
    *,
    lambda1: float,
    lambda2: float,
    as_printed: bool = False,
) -> jax.Array:
    """`T_G = -E_z log D(G(z)) + T_E`: the non-saturating G loss plus the regularisers (module doc)."""
    _check_weight("mrgan_generator_loss", "lambda1", lambda1)
    _check_weight("mrgan_generator_loss", "lambda2", lambda2)
    regularisers = mrgan_encoder_loss(
        x, reconstruction, d_reconstruction, lambda1=lambda1, lambda2=lambda2, as_printed=as_printed
    )
    return non_saturating_generator_loss(d_fake) + regularisers


def mdgan_manifold_discriminator_loss(
    d_real: ArrayLike,
    d_reconstruction: ArrayLike,
    *,
    real_weights: ArrayLike | None = None,
    reconstruction_weights: ArrayLike | None = None,
) -> jax.Array:
    """D_m's cross-entropy: `-E log D_m(x) - E log(1 - D_m(G(E(x))))` (MDGAN's manifold step)."""
    return non_saturating_discriminator_loss(
        d_real, d_reconstruction, real_weights=real_weights, fake_weights=reconstruction_weights
    )


def mdgan_manifold_generator_loss(
    x: ArrayLike, reconstruction: ArrayLike, d_reconstruction: ArrayLike, *, lambda1: float
) -> jax.Array:
    """G and E's manifold-step loss `E_x[λ1 d(x, G(E(x))) - log D_m(G(E(x)))]` (Che et al. 2017, §3.3)."""
    _check_weight("mdgan_manifold_generator_loss", "lambda1", lambda1)
    return mrgan_encoder_loss(x, reconstruction, d_reconstruction, lambda1=lambda1, lambda2=1.0)


def mdgan_diffusion_discriminator_loss(
    d_reconstruction: ArrayLike,
    d_fake: ArrayLike,
    *,
    reconstruction_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """D_d's cross-entropy with G(E(x)) as the real side: `-E log D_d(G(E(x))) - E log(1 - D_d(G(z)))`."""
    return non_saturating_discriminator_loss(
        d_reconstruction, d_fake, real_weights=reconstruction_weights, fake_weights=fake_weights
    )


def mdgan_diffusion_generator_loss(d_fake: ArrayLike) -> jax.Array:
    """G's diffusion-step loss `-E_z log D_d(G(z))` (non-saturating, toward the reconstructions' distribution)."""
    return non_saturating_generator_loss(d_fake)
