"""Consistency regularisation: D's outputs on an example and a transformed copy held together.

    consistency_loss(d, d_transformed)      E_i ‖D(x_i) - D(T(x_i))‖²     Zhang et al. 2020 (CR, eq. 1);
                                            Zhao et al. 2021 (bCR on real and generated; zCR's
                                            D term with T(G(z)) = G(z + Δz), Δz ~ N(0, σ² I))
    latent_diversity_loss(fake, fake_near)  -E_i mean_j (G(z_i) - G(z_i + Δz_i))_j²
                                            zCR's G term, Zhao et al. 2021 (Algorithm 2, L_G)

D's outputs are `[B]` or `[B, ...]`: the squared difference is summed over each example's
output elements and averaged over examples. G's diversity term averages over the pixels of an
example as well (the paper's ‖·‖² divided by the example's size), so its weight means the same
for any image size.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def consistency_loss(d: jax.typing.ArrayLike, d_transformed: jax.typing.ArrayLike) -> jax.Array:
    """`E_i ‖d_i - d_transformed_i‖²` (sum over each example's elements, mean over examples)."""
    d = jnp.asarray(d, jnp.float32)
    difference = d - jnp.asarray(d_transformed, jnp.float32)
    return jnp.mean(jnp.sum(jnp.square(difference).reshape(d.shape[0], -1), axis=1))


def latent_diversity_loss(fake: jax.typing.ArrayLike, fake_near: jax.typing.ArrayLike) -> jax.Array:
    """`-E_i mean_j (fake_ij - fake_near_ij)²`: minimised, it pushes G(z) and G(z + Δz) apart."""
    difference = jnp.asarray(fake, jnp.float32) - jnp.asarray(fake_near, jnp.float32)
    return -jnp.mean(jnp.square(difference))
