"""ALI / BiGAN (Dumoulin et al. 2017; Donahue et al. 2017): D on joint pairs (MATH.md §9).

    q(x, z) = p_data(x) E(z|x)      (the encoder's joint: pairs (x, E(x)))
    p(x, z) = p(z) G(x|z)           (the generator's joint: pairs (G(z), z))
    V(D, G, E) = E_q log D(x, z) + E_p log(1 - D(x, z))
    D maximises V; at D* = q / (q + p), V = -log 4 + 2 JSD(q, p) (Dumoulin et al. 2017, Prop. 1 /
    Donahue et al. 2017, Prop. 2), minimised by G and E when q = p (then E inverts G).

From D's logits `v`: `log D = -softplus(-v)`, `log(1 - D) = -softplus(v)`. `d_encoder` holds D's
logits on encoder pairs, `d_generator` on generator pairs; weights make the means exact
expectations over discrete joints (the closed-form test).
"""

from __future__ import annotations

import jax

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def ali_value(
    d_encoder: ArrayLike,
    d_generator: ArrayLike,
    *,
    encoder_weights: ArrayLike | None = None,
    generator_weights: ArrayLike | None = None,
) -> jax.Array:
    """`V = E_q log D(x, E(x)) + E_p log(1 - D(G(z), z))` from D's logits (MATH.md §9)."""
    log_d = -jax.nn.softplus(-as_float(d_encoder))
    log_one_minus_d = -jax.nn.softplus(as_float(d_generator))
    return weighted_mean(log_d, encoder_weights, setting="encoder_weights") + weighted_mean(
        log_one_minus_d, generator_weights, setting="generator_weights"
    )


def ali_discriminator_loss(
    d_encoder: ArrayLike,
    d_generator: ArrayLike,
    *,
    encoder_weights: ArrayLike | None = None,
    generator_weights: ArrayLike | None = None,
) -> jax.Array:
    """D's loss `-V`: the cross-entropy with encoder pairs labelled 1 and generator pairs 0."""
    return -ali_value(d_encoder, d_generator, encoder_weights=encoder_weights, generator_weights=generator_weights)


def ali_generator_loss(
    d_encoder: ArrayLike,
    d_generator: ArrayLike,
    *,
    encoder_weights: ArrayLike | None = None,
    generator_weights: ArrayLike | None = None,
) -> jax.Array:
    """G and E's loss with the labels swapped: `-E_q log(1 - D(x, E(x))) - E_p log D(G(z), z)`.

    ALI's Algorithm 1 (Dumoulin et al. 2017) writes this `L_g`; Donahue et al. 2017 (§3.4) train G
    and E with this "inverse" objective too: the same fixed point as minimising V, with strong
    gradients where D rejects a pair confidently.
    """
    swapped_encoder = weighted_mean(jax.nn.softplus(as_float(d_encoder)), encoder_weights, setting="encoder_weights")
    swapped_generator = weighted_mean(
        jax.nn.softplus(-as_float(d_generator)), generator_weights, setting="generator_weights"
    )
    return swapped_encoder + swapped_generator
