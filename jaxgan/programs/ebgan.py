"""EBGAN (Zhao, Mathieu & LeCun 2017): D is an autoencoder whose reconstruction error is an energy.

    e(x) = mean ‖Dec(Enc(x)) - x‖²                       (per example, over its pixels)
    D minimises  E_p e(x) + E_q [m - e(G(z))]⁺           (the margin loss, margin m > 0)
    G minimises  E_q e(G(z)) + λ_PT f_PT(Enc(G(z)))
    f_PT(S) = Σ_{i≠j} cos²(s_i, s_j) / (N(N-1))           (the pulling-away term, EBGAN-PT)

shared/MATH.md §8. The means are over the global batch (the values are gathered over the
device axis), so the step gives the same parameters on any number of devices.

    D group: fake = G(z); ae_real, ae_fake = D(x), D(fake)  (one joined call)
    G group: reuses `fake`; ae_fake = D(fake); energy + λ_PT · pulling away

Against the paper (Zhao et al. 2017, §2 and the MNIST and CelebA experiments), with
`configs/ebgan_mnist.py`: the same: the margin loss, the autoencoder D, the pulling-away term on
the encoder's code with weight 0.1, Adam. Different: (1) the energy: the paper writes the norm
‖Dec(Enc(x)) - x‖; here it is the per-pixel mean of the square (MATH.md §8), so the margin is on
another scale (0.3 here; the paper's is tuned per experiment, m = 20 on CelebA 64x64); (2) the
networks: the seed DCGAN's G with batch norm and a two-convolution autoencoder with a 16-d code,
not the paper's grid-searched MNIST ones; (3) 3,000 steps (1,500 before 2026-12-06), batch 64; (4) samples from an EMA of
G (0.99), not in the paper. FID on the classifier's features, seeds 0, 1, 2 (each a separate
run; 2026-12-05): constant rates, no EMA 62.9, 74.1, 51.7 (62.9 ± 11.2); both rates decayed
linearly to 0 over the second half 26.6, 49.2, 61.9 (45.9); the decay and the EMA 27.9, 50.6,
61.6 (46.7 ± 17.2); the EMA alone (the config) 30.3, 32.6, 49.3 (37.4 ± 10.3); the seed DCGAN's
32.1 ± 1.5. The decay helps two seeds and hurts the third (51.7 to 61.9); the EMA alone helps every seed.

Run length (2026-12-06): 1,500 steps stopped EBGAN while its FID still fell steeply. Seeds 0-3 in
one program (`--config.num_seeds=4`, FID on the classifier's features every 250 steps, 2,500
samples), mean over the seeds: 496, 332, 127, 61.6, 43.0, 34.1 at 250 ... 1,500 (G leaves grey
textures between steps 250 and 1,000, seed by seed: 224, 582, 596, 583 at 250; 45.5, 116, 89.1,
257 at 750), then 26.0, 25.5, 23.6, 21.6, 18.3, 17.4 at 1,750 ... 3,000 (17.9, 16.9, 14.9, 20.0).
The seed DCGAN (`configs/dcgan_mnist.py`, no EMA) trained the same way to 3,000 steps: 47.2 mean
at 1,500 (34.8, 40.4, 31.0, 82.5) and 31.2 at 3,000 (24.4, 24.8, 43.0, 32.6), between 29.7 and
39.9 from 1,750 on: above EBGAN's on every seed at 3,000. The config trains 3,000 steps;
`experiments/families.py` (seeds 0, 1, 2, separate runs, 6 min 06 s a seed on 2 cores): FID 17.9,
19.7, 15.3 (17.6 ± 2.2), below the seed DCGAN's 32.1 ± 1.5 (its 1,500 steps): issue 25's target.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import ml_collections
import optax

from jaxgan.losses import ebgan_discriminator_loss, ebgan_energy, ebgan_generator_loss, ebgan_pulling_away_loss
from jaxgan.program import Latent, Program, Term, normal
from jaxgan.programs import terms
from jaxgan.programs.family import Family
from jaxgan.programs.parts import Parts

# ---------------------------------------------------------------------------- program


@dataclasses.dataclass(frozen=True)
class EbganOptions:
    latent_dim: int
    margin: float
    pulling_away_weight: float = 0.1
    num_critic_steps: int = 1
    ema_decay: float = 0.0


def program(
    *,
    generator: nn.Module,
    autoencoder: nn.Module,
    g_tx: optax.GradientTransformation,
    d_tx: optax.GradientTransformation,
    options: EbganOptions,
) -> Program:
    margin = options.margin

    def margin_term(ctx, x, reconstruction_real, fake, reconstruction_fake):
        e_real = ctx.gather(ebgan_energy(x, reconstruction_real))
        e_fake = ctx.gather(ebgan_energy(fake, reconstruction_fake))
        return ebgan_discriminator_loss(e_real, e_fake, margin=margin)

    def energy_term(ctx, fake, reconstruction_fake):
        return ebgan_generator_loss(ctx.gather(ebgan_energy(fake, reconstruction_fake)))

    def pulling_away_term(ctx, embedding):
        return ebgan_pulling_away_loss(ctx.gather(embedding))

    g_terms = (Term("energy", energy_term, ("fake", "ae_fake.reconstruction")),)
    if options.pulling_away_weight > 0:
        g_terms += (
            Term("pulling_away", pulling_away_term, ("ae_fake.embedding",), weight=options.pulling_away_weight),
        )
    groups = terms.adversarial_pair(
        d_optimizer=d_tx,
        g_optimizer=g_tx,
        d_terms=(Term("margin", margin_term, ("x", "ae_real.reconstruction", "fake", "ae_fake.reconstruction")),),
        g_terms=g_terms,
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
    """`config.ebgan`: the margin m and the pulling-away weight λ_PT (Zhao et al. use 0.1)."""
    return ml_collections.ConfigDict({"margin": 1.0, "pulling_away_weight": 0.1})


def build(parts: Parts) -> Program:
    """EBGAN from `config.ebgan`, `config.model` (G: a registered generator; D: an autoencoder)."""
    config = parts.config
    options = EbganOptions(
        latent_dim=config.latent_dim,
        margin=parts.number("margin"),
        pulling_away_weight=parts.number("pulling_away_weight", closed_low=True),
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
    name="ebgan",
    build=build,
    settings=settings,
    reads=("num_critic_steps", "ema_decay"),
    doc="Zhao et al. 2017: an autoencoder D whose reconstruction error is an energy, a margin, pulling away.",
)
