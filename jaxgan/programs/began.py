"""BEGAN (Berthelot, Schumm & Metz 2017): an autoencoder D, its losses balanced by the state k_t.

    L(v) = mean |v - D(v)|^η                              (per example, η = 1)
    D minimises  L(x) - k_t L(G(z));   G minimises  L(G(z))
    k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z))), 0, 1),   k_0 = 0
    M = L(x) + |γ L(x) - L(G(z))|                         (the convergence measure, logged as `M`)

shared/MATH.md §8. k_t is the D term's state (`TrainState.term_state["began"]["k_t"]`):
checkpointed with the rest, updated after every D step from that step's L(x) and L(G(z)),
which are means over the global batch, so k_t is the same on any number of devices. It is
logged as `began/k_t`.

Against the paper (section 3.4 and 4), with `configs/began_mnist.py`:
- the same: the losses and the k_t control above, γ = 0.5, η = 1, k_0 = 0, Adam(1e-4, b1 = 0.5),
  ELU in D's autoencoder, an embedding h between its encoder and decoder.
- different: (1) the config's networks are `ConvAutoencoder` (two 5x5 strided convolutions, a
  Dense embedding of 64, two upsampling 5x5 convolutions, tanh) and the seed DCGAN's G with
  batch norm; the paper's (3x3 ELU blocks, stride-2 sub-sampling, D's decoder with G's
  architecture, linear output) are the registered `began` G and `began_autoencoder` D
  (`jaxgan.models.began`); (2) λ_k = 0.03, theirs 0.001; (3) no learning-rate decay (theirs
  halves it when M stalls); (4) batch 64 (theirs 16) and 1,500 steps (theirs ~10^5).

Measured with the paper's networks (issue 25; n = 32, h = 64, batch 16, 1,500 steps, one seed
each, the classifier's class shares of 1,000 samples and FID on its features):
- the paper's settings (η = 1, λ_k = 0.001, Adam 1e-4): G stays at a grey texture that D
  reconstructs as well as the digits (L(G) ≈ L(x) ≈ 0.10 > γ L(x)), so k_t never leaves 0 and D
  never pushes back; one class takes 99.9% of the samples. With tanh outputs instead, G and D's
  decoder saturate at a black image (`jaxgan.models.began`'s docstring).
- G's learning rate 1e-3: one image for every z, k_t still 0 at step 800.
- η = 2 (the paper's other choice of L): L(G) falls below γ L(x) from step ~400, k_t rises
  (0.026 at step 1,500) and M falls (0.13 to 0.05), but G draws black all along (FID 1,458): at
  λ_k = 0.001 k_t needs ~10^4 steps to reach the values at which D's push on L(G) matters.
- η = 2 with λ_k = 0.03: k_t at 0 by step 500 (one class 99.9%, FID 1,123); stopped there.
The time k_t takes to reach its operating value scales as 1/λ_k, and the paper's runs are ~100
times longer than 1,500 steps: a short run needs a larger λ_k, which with these networks has
not yet been found to give digits of every class. Issue 25's target (every class 5-15%, FID at
most 1.5x the seed DCGAN's) is not reached: the config's collapse to ones (FID 722) stands.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan.losses import began_autoencoder_loss, began_convergence_measure, began_discriminator_loss, began_update_k
from jaxgan.program import Latent, Program, Term, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Family
from jaxgan.programs.parts import Parts


def init_state() -> dict[str, jax.Array]:
    return {"k_t": jnp.zeros((), jnp.float32)}


# ---------------------------------------------------------------------------- program


@dataclasses.dataclass(frozen=True)
class BeganOptions:
    latent_dim: int
    gamma: float = 0.5
    lambda_k: float = 0.001
    eta: float = 1.0
    num_critic_steps: int = 1
    ema_decay: float = 0.0


AE_READS = ("x", "ae_real.reconstruction", "fake", "ae_fake.reconstruction")


def program(
    *,
    generator: nn.Module,
    autoencoder: nn.Module,
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    options: BeganOptions,
) -> Program:
    gamma, lambda_k, eta = options.gamma, options.lambda_k, options.eta

    def losses(ctx, x, reconstruction_real, fake, reconstruction_fake):
        l_real = terms.gathered_mean(ctx, began_autoencoder_loss(x, reconstruction_real, eta=eta))
        l_fake = terms.gathered_mean(ctx, began_autoencoder_loss(fake, reconstruction_fake, eta=eta))
        return l_real, l_fake

    def began_term(ctx, *values):
        l_real, l_fake = losses(ctx, *values)
        k = ctx.state["k_t"]
        return began_discriminator_loss(l_real, l_fake, k=k), {
            "k_t": began_update_k(k, l_real, l_fake, gamma=gamma, lambda_k=lambda_k)
        }

    def convergence_term(ctx, *values):  # weight 0: logged, not optimised
        return began_convergence_measure(*losses(ctx, *values), gamma=gamma)

    def generator_term(ctx, fake, reconstruction_fake):
        return terms.gathered_mean(ctx, began_autoencoder_loss(fake, reconstruction_fake, eta=eta))

    groups = terms.adversarial_pair(
        d_optimizer=d_tx,
        g_optimizer=g_tx,
        d_terms=(
            Term("began", began_term, AE_READS, init_state=init_state),
            Term("convergence", convergence_term, AE_READS, weight=0.0, lookahead=False, metric="M"),
        ),
        g_terms=(Term("autoencoder", generator_term, ("fake", "ae_fake.reconstruction")),),
        outputs=("ae_real", "ae_fake"),
        repeats=options.num_critic_steps,
        generator_reads_real=False,
    )
    return Program(
        networks={"generator": generator, "discriminator": autoencoder},
        latents=(Latent("z", normal((options.latent_dim,))),),
        features=("x",),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema={"generator": options.ema_decay} if options.ema_decay > 0 else {},
    )


def settings() -> ml_collections.ConfigDict:
    """`config.began`: γ (diversity ratio), λ_k (k_t's learning rate) and η, as in the paper."""
    return ml_collections.ConfigDict({"gamma": 0.5, "lambda_k": 0.001, "eta": 1.0})


def build(parts: Parts) -> Program:
    """BEGAN from `config.began`, `config.model` (G: a registered generator; D: an autoencoder)."""
    config = parts.config
    options = BeganOptions(
        latent_dim=config.latent_dim,
        gamma=parts.number("gamma", 0.0, 1.0),
        lambda_k=parts.number("lambda_k"),
        eta=parts.number("eta"),
        num_critic_steps=config.num_critic_steps,
        ema_decay=float(config.ema_decay),
    )
    return program(
        generator=parts.generator(),
        autoencoder=parts.autoencoder(),
        g_tx=parts.optimizer("generator"),
        d_tx=parts.optimizer("discriminator"),
        options=options,
    )


FAMILY = Family(
    name="began",
    build=build,
    settings=settings,
    reads=("num_critic_steps", "ema_decay"),
    doc="Berthelot et al. 2017: an autoencoder D, its losses balanced by the term state k_t.",
)
