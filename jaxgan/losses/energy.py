"""Autoencoder discriminators: EBGAN's energy and BEGAN's balanced reconstruction losses (MATH.md §8).

In both families D is an autoencoder and its output on an example is a reconstruction error.

- EBGAN (Zhao, Mathieu & LeCun 2017): the energy `e(x) = mean ‖Dec(Enc(x)) - x‖²`;
  D minimises `E_p e(x) + E_q [m - e(G(z))]⁺`, G minimises `E_q e(G(z)) + λ_PT f_PT` with the
  pulling-away term `f_PT(S) = Σ_{i≠j} cos²(s_i, s_j) / (N(N-1))` over G's encoder embeddings.
- BEGAN (Berthelot, Schumm & Metz 2017): `L(v) = mean |v - D(v)|^η`; D minimises
  `L(x) - k_t L(G(z))`, G minimises `L(G(z))`; `k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z))), 0, 1)`
  and the convergence measure is `M = L(x) + |γ L(x) - L(G(z))|`.

The per-example errors (`ebgan_energy`, `began_autoencoder_loss`) map `[B, ...] -> [B]`; the
caller averages them (over the global batch, in the programs).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def ebgan_energy(x: ArrayLike, reconstruction: ArrayLike) -> jax.Array:
    """EBGAN's energy `e(x) = mean ‖Dec(Enc(x)) - x‖²` per example, `[B, ...] -> [B]` (Zhao et al. 2017).

    The mean is over each example's elements (pixels); `reconstruction` is `Dec(Enc(x))`.
    """
    x, reconstruction = as_float(x), as_float(reconstruction)
    return jnp.mean(jnp.square(reconstruction - x).reshape(x.shape[0], -1), axis=1)


def ebgan_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    margin: float,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """EBGAN's margin loss for D: `E_p e(x) + E_q [m - e(G(z))]⁺` (Zhao et al. 2017).

    `d_real`, `d_fake` are D's outputs, the energies `e` (`ebgan_energy`) of real and generated
    examples; a generated example whose energy is at or past the margin `m` gets no gradient.
    """
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    return weighted_mean(d_real, real_weights, setting="real_weights") + weighted_mean(
        jax.nn.relu(margin - d_fake), fake_weights, setting="fake_weights"
    )


def ebgan_generator_loss(d_fake: ArrayLike, *, fake_weights: ArrayLike | None = None) -> jax.Array:
    """EBGAN's G loss `E_q e(G(z))`: the mean energy of generated examples (Zhao et al. 2017).

    The pulling-away term (`ebgan_pulling_away_loss`) is added to it with its own weight.
    """
    return weighted_mean(d_fake, fake_weights, setting="fake_weights")


def ebgan_pulling_away_loss(embeddings: ArrayLike) -> jax.Array:
    """EBGAN-PT's `f_PT(S) = Σ_{i≠j} cos²(s_i, s_j) / (N(N-1))` of encoder embeddings `S [N, ...]`.

    0 for mutually orthogonal embeddings, 1 for identical ones (Zhao et al. 2017, eq. 6); scale-
    free and sign-blind. Needs N ≥ 2.
    """
    embeddings = as_float(embeddings)
    s = embeddings.reshape(embeddings.shape[0], -1)
    n = s.shape[0]
    unit = s * jax.lax.rsqrt(jnp.sum(jnp.square(s), axis=1, keepdims=True) + 1e-12)
    cosines = unit @ unit.T
    off_diagonal = jnp.sum(jnp.square(cosines)) - jnp.sum(jnp.square(jnp.diagonal(cosines)))
    return off_diagonal / (n * (n - 1))


def began_autoencoder_loss(v: ArrayLike, reconstruction: ArrayLike, *, eta: float = 1.0) -> jax.Array:
    """BEGAN's autoencoder loss `L(v) = mean |v - D(v)|^η` per example, `[B, ...] -> [B]`.

    `reconstruction` is `D(v)`; η = 1 in Berthelot et al. 2017.
    """
    v, reconstruction = as_float(v), as_float(reconstruction)
    error = jnp.abs(reconstruction - v).reshape(v.shape[0], -1)
    return jnp.mean(error if eta == 1.0 else error**eta, axis=1)


def began_discriminator_loss(real_loss: ArrayLike, fake_loss: ArrayLike, *, k: ArrayLike) -> jax.Array:
    """BEGAN's D loss `L(x) - k_t L(G(z))` (Berthelot et al. 2017); `k_t` is not differentiated.

    `real_loss` is `L(x)`, `fake_loss` is `L(G(z))` (batch means of `began_autoencoder_loss`).
    G's loss is `L(G(z))` itself.
    """
    return real_loss - jax.lax.stop_gradient(k) * fake_loss


def began_update_k(
    k: ArrayLike, real_loss: ArrayLike, fake_loss: ArrayLike, *, gamma: float, lambda_k: float
) -> jax.Array:
    """BEGAN's equilibrium control `k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z))), 0, 1)` (k_0 = 0).

    From k = 0 with (L(x), L(G(z))) = (0.3, 0.1), (0.2, 0.3), (0.25, 0.05) and γ = 0.5,
    λ_k = 0.001: k = 5e-5, 0, 7.5e-5.
    """
    balance = jax.lax.stop_gradient(gamma * real_loss - fake_loss)
    return jnp.clip(k + lambda_k * balance, 0.0, 1.0)


def began_convergence_measure(real_loss: ArrayLike, fake_loss: ArrayLike, *, gamma: float) -> jax.Array:
    """BEGAN's convergence measure `M = L(x) + |γ L(x) - L(G(z))|` (Berthelot et al. 2017; not differentiated)."""
    return jax.lax.stop_gradient(real_loss + jnp.abs(gamma * real_loss - fake_loss))
