"""f-GAN objectives (Nowozin, Cseke & Tomioka 2016): variational bounds on f-divergences.

D maximises `F(v) = E_p[g_f(v)] - E_q[f*(g_f(v))]`, a lower bound on
`D_f(p||q) = Σ q f(p/q)` that is tight at `g_f(v*) = f'(p/q)`. So

    D loss                            -E_p[g_f(v)] + E_q[f*(g_f(v))]
    G loss (generator_form="minimax")         -E_q[f*(g_f(v))]          (G minimises F)
    G loss (generator_form="non_saturating")  -E_q[g_f(v)]              (the paper's alternative)

`g_f` is the output activation that maps the raw output `v` into the domain of `f*`. The
composition `f*(g_f(v))` is written out in closed form, so no `log` of a value that may
round to 0 and no `exp` is taken where a `softplus` does (MATH.md §2):

| divergence        | g_f(v)                 | f*(g_f(v))           |
|-------------------|------------------------|----------------------|
| kl                | v                      | exp(v - 1)           |
| reverse_kl        | -exp(-v)               | v - 1                |
| pearson           | v                      | v²/4 + v             |
| neyman            | 1 - exp(v)             | 2 - 2 exp(v/2)       |
| squared_hellinger | 1 - exp(v)             | exp(-v) - 1          |
| jensen_shannon    | log 2 - softplus(-v)   | softplus(v) - log 2  |
| gan               | -softplus(-v)          | softplus(v)          |
| total_variation   | ½ tanh(v)              | ½ tanh(v)            |

The kl, reverse_kl, neyman and squared_hellinger terms are exponential in `v` by definition.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike

GENERATOR_FORMS = ("minimax", "non_saturating")


@dataclasses.dataclass(frozen=True)
class _Divergence:
    activation: Callable[[jax.Array], jax.Array]  # g_f(v)
    conjugate_of_activation: Callable[[jax.Array], jax.Array]  # f*(g_f(v))
    generator: str  # f(u), for the docstrings


_LOG_2 = math.log(2.0)

DIVERGENCES: dict[str, _Divergence] = {
    "kl": _Divergence(lambda v: v, lambda v: jnp.exp(v - 1.0), "u log u"),
    "reverse_kl": _Divergence(lambda v: -jnp.exp(-v), lambda v: v - 1.0, "-log u"),
    "pearson": _Divergence(lambda v: v, lambda v: 0.25 * v * v + v, "(u - 1)²"),
    "neyman": _Divergence(lambda v: -jnp.expm1(v), lambda v: 2.0 - 2.0 * jnp.exp(0.5 * v), "(1 - u)²/u"),
    "squared_hellinger": _Divergence(lambda v: -jnp.expm1(v), lambda v: jnp.expm1(-v), "(√u - 1)²"),
    "jensen_shannon": _Divergence(
        lambda v: _LOG_2 - jax.nn.softplus(-v),
        lambda v: jax.nn.softplus(v) - _LOG_2,
        "u log u - (u + 1) log((1 + u)/2)",
    ),
    "gan": _Divergence(lambda v: -jax.nn.softplus(-v), jax.nn.softplus, "u log u - (u + 1) log(u + 1)"),
    "total_variation": _Divergence(lambda v: 0.5 * jnp.tanh(v), lambda v: 0.5 * jnp.tanh(v), "½|u - 1|"),
}


def _divergence(divergence: str) -> _Divergence:
    if divergence not in DIVERGENCES:
        raise ValueError(f"`divergence` must be one of {sorted(DIVERGENCES)}; got {divergence!r}.")
    return DIVERGENCES[divergence]


def check_generator_form(generator_form: str) -> None:
    if generator_form not in GENERATOR_FORMS:
        raise ValueError(f"`generator_form` must be one of {list(GENERATOR_FORMS)}; got {generator_form!r}.")


def fgan_discriminator_loss(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    divergence: str,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """f-GAN D loss `-E_p[g_f(v)] + E_q[f*(g_f(v))]` for the named `divergence` (Nowozin et al. 2016)."""
    spec = _divergence(divergence)
    d_real, d_fake = as_float(d_real), as_float(d_fake)
    return weighted_mean(spec.conjugate_of_activation(d_fake), fake_weights, setting="fake_weights") - weighted_mean(
        spec.activation(d_real), real_weights, setting="real_weights"
    )


def fgan_generator_loss(
    d_fake: ArrayLike,
    *,
    divergence: str,
    generator_form: str = "minimax",
    d_real: ArrayLike | None = None,
    real_weights: ArrayLike | None = None,
    fake_weights: ArrayLike | None = None,
) -> jax.Array:
    """f-GAN G loss: `-E_q[f*(g_f(v))]` ("minimax") or `-E_q[g_f(v)]` ("non_saturating")."""
    del d_real, real_weights
    spec = _divergence(divergence)
    check_generator_form(generator_form)
    d_fake = as_float(d_fake)
    term = spec.conjugate_of_activation(d_fake) if generator_form == "minimax" else spec.activation(d_fake)
    return -weighted_mean(term, fake_weights, setting="fake_weights")


def _named_discriminator_loss(divergence: str) -> Callable[..., jax.Array]:
    def loss(d_real, d_fake, *, real_weights=None, fake_weights=None):
        return fgan_discriminator_loss(
            d_real, d_fake, divergence=divergence, real_weights=real_weights, fake_weights=fake_weights
        )

    loss.__name__ = loss.__qualname__ = f"fgan_{divergence}_discriminator_loss"
    loss.__doc__ = (
        f"f-GAN D loss for f(u) = {DIVERGENCES[divergence].generator}: `-E_p[g_f(v)] + E_q[f*(g_f(v))]` "
        "(Nowozin et al. 2016; see `jaxgan.losses.fgan`)."
    )
    return loss


def _named_generator_loss(divergence: str) -> Callable[..., jax.Array]:
    def loss(d_fake, *, generator_form="minimax", d_real=None, real_weights=None, fake_weights=None):
        return fgan_generator_loss(
            d_fake,
            divergence=divergence,
            generator_form=generator_form,
            d_real=d_real,
            real_weights=real_weights,
            fake_weights=fake_weights,
        )

    loss.__name__ = loss.__qualname__ = f"fgan_{divergence}_generator_loss"
    loss.__doc__ = (
        f"f-GAN G loss for f(u) = {DIVERGENCES[divergence].generator}: `-E_q[f*(g_f(v))]`, or "
        "`-E_q[g_f(v)]` with generator_form='non_saturating' (Nowozin et al. 2016)."
    )
    return loss


fgan_kl_discriminator_loss = _named_discriminator_loss("kl")
fgan_kl_generator_loss = _named_generator_loss("kl")
fgan_reverse_kl_discriminator_loss = _named_discriminator_loss("reverse_kl")
fgan_reverse_kl_generator_loss = _named_generator_loss("reverse_kl")
fgan_pearson_discriminator_loss = _named_discriminator_loss("pearson")
fgan_pearson_generator_loss = _named_generator_loss("pearson")
fgan_neyman_discriminator_loss = _named_discriminator_loss("neyman")
fgan_neyman_generator_loss = _named_generator_loss("neyman")
fgan_squared_hellinger_discriminator_loss = _named_discriminator_loss("squared_hellinger")
fgan_squared_hellinger_generator_loss = _named_generator_loss("squared_hellinger")
fgan_jensen_shannon_discriminator_loss = _named_discriminator_loss("jensen_shannon")
fgan_jensen_shannon_generator_loss = _named_generator_loss("jensen_shannon")
fgan_gan_discriminator_loss = _named_discriminator_loss("gan")
fgan_gan_generator_loss = _named_generator_loss("gan")
fgan_total_variation_discriminator_loss = _named_discriminator_loss("total_variation")
fgan_total_variation_generator_loss = _named_generator_loss("total_variation")
