"""BEGAN (Berthelot, Schumm & Metz 2017): an autoencoder D, its losses balanced by the state k_t.

    L(v) = mean |v - D(v)|^η                              (per example, η = 1)
    D minimises  L(x) - k_t L(G(z));   G minimises  L(G(z))
    k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z))), 0, 1),   k_0 = 0
    M = L(x) + |γ L(x) - L(G(z))|                         (the convergence measure, logged as `M`)

shared/MATH.md §8. k_t is the D term's state (`TrainState.term_state["began"]["k_t"]`):
checkpointed with the rest, updated after every D step from that step's L(x) and L(G(z)),
which are means over the global batch, so k_t is the same on any number of devices. It is
logged as `began/k_t`.

Against the paper (section 3.4 and 4; its equation 4), with `configs/began_mnist.py`:
- the same: the losses and the k_t control above, η = 1, k_0 = 0, Adam with b1 = 0.5, ELU in
  D's autoencoder, an embedding h between its encoder and decoder.
- different: (1) γ = 1, theirs 0.5 in most figures (it takes γ in [0, 1]; lower γ, less
  diversity); (2) Adam 1.5e-3 for G and 1e-4 for D, theirs 1e-4 for both; (3) the config's
  networks are `ConvAutoencoder` (two 5x5 strided convolutions, a Dense embedding of 16, two
  upsampling 5x5 convolutions, tanh) and the seed DCGAN's G with batch norm; the paper's (3x3
  ELU blocks, stride-2 sub-sampling, D's decoder with G's architecture, linear output) are the
  registered `began` G and `began_autoencoder` D (`jaxgan.models.began`); (4) λ_k = 0.03, theirs
  0.001; (5) both learning rates held for half the run, then decayed linearly to 0 (theirs
  halves them when M stalls); (6) batch 64 (theirs 16)
  and 1,500 steps (theirs ~10^5); (7) one z a step: G's update reuses the samples of D's update,
  and k_t's update reads D's step's L(G(z)) (D's parameters before its update), where equation 4
  writes separate draws z_D, z_G and k_{t+1} from L(G(z_G)); the draws have the same law, so the
  expected increment of k_t differs only by D's one update (not measured separately).

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
not yet been found to give digits of every class.
(Those runs used γ = 0.5, the paper's. With γ = 1 and the config's other settings, λ_k = 0.03,
Adam 4e-4 for G and 1e-4 for D, h = 64, n = 32, seed 0, 2026-12-06: k_t at 0 from step 100 to
350 and 0.01-0.02 after, L(G) ≥ L(x) until step 350; at step 500 FID 1,290 and one class 100%
of the samples; stopped there, 1.55 steps/s, 16 min for the config's 1,500 steps on 2 cores.)

Checked against the paper (issue 25): D minimises L(x) - k_t L(G(z)) (its sign: k_t > 0 raises
D's error on G's samples), G's term reads D's parameters after D's update, k_t is clipped to
[0, 1] and its L's are means over the global batch (tests/losses/test_energy.py has the k_t
sequence by hand); no fault was found there. The digits are in [-1, 1] on a -1 background.

Why γ = 0.5 drew ones (issue 25; seed 0, 500 steps, class shares of 1,000 samples and FID on
the classifier's features): an image's L1 error grows with its ink, and ones have 0.59 of the
digits' mean ink (mean |x + 1|: 0.154 against 0.263; tests/programs/test_began.py), so the
equilibrium L(G) = γ L(x) with γ = 0.5 is met by thin ones and blobs. Measured, each against
the previous config (γ = 0.5, λ_k = 0.03, Adam 1e-4 for both, h = 64, 3 seeds at 1,500 steps:
FID 892 ± 276, largest class share 0.90):
- that config at 500 steps: FID 741, class shares 0.002-0.339, the samples small blobs.
- γ = 1: at 500 steps FID 219, shares 0.032-0.234, digits of many classes; at 1,500 steps FID
  300, shares 0.004-0.398 (thin ones and sevens again); M from 0.25 (step 50) to 0.06, k_t near
  0.24. γ = 1 with λ_k = 0.001 and Adam 2e-4: G drew blank images (L(G) 5e-4, k_t 0.04 at step
  400; FID 1,478, one class 100%).
- γ = 1 with Adam 2e-4: FID 184 at 500 steps (shares 0.005-0.231); with an EMA of G (0.999)
  FID 316 at 1,500; with the EMA and h = 32 (znxlwm's BEGAN's embedding) FID 212, shares
  0.004-0.264 at 1,500 on seed 0, but on seeds 1 and 2 k_t was 0 from step 50 on and G drew
  grey noise (FID 728, 713 at step 500).
- D's Adam 4e-4, G's 1e-4 (h = 32): FID 339 at 500 steps; G without batch norm: k_t at 0
  throughout, FID 1,259 at 500 steps.
- γ = 1 alone on seeds 1 and 2: k_t at 0 from step 20 on, L(G) about 0.3 to step 300 (logged
  every 2 steps: on seed 0 G's L(G) fell from 0.53 to 0.14 by step 16 while D learnt the
  background, on seed 1 it stayed near 0.45, so γ L(x) - L(G) < 0 and k_t fell back to 0,
  after which D never pushes back). G's Adam 4e-4 against D's 1e-4 lets G reach the images D
  reconstructs before D has learnt the background: L(G) 0.09 and 0.13 at step 12, k_t 0.18 and
  0.21 at step 30 on seeds 1 and 2. This is the config's setting.
The config over 3 seeds (0, 1, 2; separate runs, 1,500 steps, 2 min 34 s a seed on 2 free
cores; `experiments/families.py`, results/families.md, 2,500 samples): FID 89.4, 103.5, 186.7
(127 ± 53), smallest class share 0.040, 0.027, 0.015, largest 0.215, 0.220, 0.288, recall
0.65, 0.61, 0.52 (earlier runs of the same seeds, at step 1,000 on 1,000 samples: FID
126, 72, 129, largest share 0.237, 0.174, 0.247); M falls on every seed (0.34, 0.26, 0.29 at step 50 to 0.074, 0.077, 0.080 at 1,500),
k_t 0.45, 0.45, 0.39 at the end; digits of every class, still more ones, sevens and nines.
Issue 25's target (every class 5-15%, FID at most 1.5x the seed DCGAN's, <= 48) is not reached.
The same config with both learning rates decayed linearly to 0 over the second half (the
config's now; the same 3 seeds): FID 71.4, 85.8, 137.7 (98.3 ± 34.9, lower on every seed),
smallest class share 0.043, 0.036, 0.024, largest 0.215, 0.214, 0.267, recall 0.66, 0.63, 0.50:
still not reached.
Two more on seed 0 (2026-12-05; the config as above, 2,500 samples, the loop's evaluation):
- an EMA of G at 0.99 (`--config.ema_decay=0.99`, which lowered EBGAN's FID): FID 71.7, shares
  0.043-0.215, recall 0.64, against 71.4 without: at the end of a decay to 0 the EMA is the last
  parameters.
- twice the steps (3,000, about the seed DCGAN's wall time for 1,500; the decay over the second
  half moves with `num_steps`): FID 84.9, 70.9, 81.1, 93.8, 87.4, 92.5 at 500, 1,000, ..., 3,000,
  smallest class share 0.032, 0.049, 0.038, 0.028, 0.028, 0.022, largest 0.177 ... 0.240: no
  better than 1,500 steps; the classes drift further apart with length (ones, sevens, nines).
- constant rates with an EMA of G at 0.99 (what lowered EBGAN's FID on every seed): FID 135.3,
  72.9, 92.0 at 500, 1,000, 1,500, shares 0.034-0.226 at the end: worse than the decay (71.4).
Three more (stop 64, 2026-12-07; the config otherwise, 1,500 steps, FID and class shares of 2,500
samples at 500 / 1,000 / 1,500):
- η = 2 (squared error, seed 0): FID 60.2, 67.0, 71.7, shares 0.036-0.231 at the end (the config
  71.4): no better.
- InfoGAN's MNIST G (`infogan28`, what made CoGAN's digits readable) in place of the seed DCGAN's
  (seed 0): one class 100% from step 500 on (FID 1,363 ... 1,446).
- D's embedding h = 16 (EBGAN's config's code size) instead of 64: seed 0 **FID 40.1, class
  shares 0.064-0.133** at 1,500 (93.4, 85.6 at 500 and 1,000; k_t 0.30 at step 50, 0.68 at the
  end): the issue's target on that seed; seeds 1 and 2 dead from the start (k_t 0 at every step,
  L(G) > L(x) throughout, so D never pushes back: FID 1,025 and 890, one class 67% and 99%).
- h = 16 with G's Adam at 1e-3 (InfoGAN's G rate; 4e-4 before): k_t leaves 0 at once on every
  seed (0.15, 0.14, 0.05 at step 20); FID 34.3, 25.7, 38.1 (**32.7 ± 6.3**, the seed DCGAN's
  32.1), smallest class share 0.049, 0.071, 0.056, largest 0.137, 0.146, 0.186, recall 0.69,
  0.71, 0.67; k_t 0.99, 0.89, 0.80 at the end. The config since (results/families.md). Issue
  25's FID target (≤ 48) is met on every seed; its class shares (5-15% on every seed) are not,
  by seed 0's fewest class (4.9%) and seed 2's most (18.6%). h = 32 with G's 1e-3 on seed 0: FID
  37.4, shares 0.031-0.156 (stopped there: no better than h = 16 on that seed's fewest class).
  λ_k = 0.01 with h = 16 and G's 1e-3 (seed 2, whose largest class is 18.6%): k_t 0.02 at step 20
  and 0 from step 50 to 500, one class 93% (FID 873): the dead start again; 0.03 kept.
The config on seeds it was not chosen on (3, 4, 5; `jaxgan train --config.seed=S
--config.evaluators=class_shares,fid`, the loop's evaluation at 1,500 on 2,500 samples): FID 30.3,
33.0, 37.5, class shares 0.073-0.133, 0.064-0.140, 0.074-0.144 (every class within 5-15% on all
three); k_t from 0.15-0.16 at step 20 to 0.89-0.97. Over seeds 0-5: FID 33.2 on average, the
shares within 5-15% on four seeds of six (not on 0, 4.9%, and 2, 18.6%).
On another host (stop 65, 2026-12-07: a fresh machine, AMD EPYC, 2 cores, jax 0.10.2; the config
and code unchanged, `jaxgan train --config=configs/began_mnist.py --config.seed=S
--config.evaluators=class_shares,fid`, the loop's evaluation at 1,500 on 2,500 samples) the
figures above do not reproduce: seed 0 FID 36.8, class shares 0.070-0.132; seed 1 32.7,
0.071-0.135 (both within 5-15%); seed 2 **the dead start**: L(G) rose from 0.41 to 0.60 at step 20
while L(x) fell to 0.22, k_t was 0 from step 40 (0.004-0.04 to step 600), D stayed a plain
autoencoder of the digits and G drew eights (99.96% of the samples, FID 1,109). No code BEGAN
runs changed since those runs (commit a8ffc1e); the host did (its CPU, and with it the code XLA:CPU
compiles for it, hence the rounding: not checked further). The race of the first ~20 steps (does G
reach images D reconstructs as well as the digits before D has learnt them?) is that close on
seed 2: the config is not robust to it. Probes against the dead start (seeds 0 and 2 on this host, D's
learning rate warmed up linearly from 1% over the first 200 steps, a probe config outside the
repo; 1,500 steps): with G at 1e-3, D at 1e-4, no dead start (k_t 0.77 and 0.79 at step 50) but
k_t at its clip of 1 from step ~200 (G outruns D), FID 77.0 and 84.5, shares 0.019-0.171 and
0.018-0.190; with G at 4e-4, FID 130 and 101, shares 0.017-0.197 and 0.042-0.182; with both at
2e-4 (the paper's equal rates), both seeds collapsed (one class 99.7% and 98.8%, FID 1,042 and
1,114). None kept.
G's Adam at 2e-3 (stop 66, the same host; D at 1e-4): the first 150 steps of seeds 0-5 (stopped
there) all leave the dead start behind (k_t 0.46-0.67 at step 150; seed 2's 0.575, where the config
has it at 0), but over the whole run G outruns D: seed 0's k_t reaches its clip of 1 by step 1,500
(0.85 at 500), M rises from 0.26 to 0.29, FID 45.2 and class shares 0.064-0.170 against the
config's 36.8 and 0.070-0.132 on that seed (seeds 1 and 2 stopped: not kept).
G's Adam at 1.5e-3 (stop 66, the same host; the config since): no dead start on seeds 0-2 (k_t
0.27-0.31 at step 50), FID 35.2, 27.1, 31.0, class shares 0.066-0.146, 0.069-0.137, 0.052-0.147
(every class within 5-15% on every seed); k_t ends at 1.0, 1.0 and 0.89 (results/families.md).
On seeds 3, 4, 5 (not used to choose it): FID 38.2, 49.4, 29.6, shares 0.072-0.126,
0.060-0.151, 0.068-0.134; seed 4's k_t is at 1 from step ~1,000 and it misses FID ≤ 48 and the
15% (by 0.0012): five seeds of six. Where k_t sits at its clip G's samples are reconstructed
better than the digits whatever D does, and M stops falling (seeds 0, 1: 0.26-0.29 and 0.36-0.45
at the end, against seed 2's 0.16-0.19): not yet addressed.
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
