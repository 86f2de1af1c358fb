"""Progressive growing (Karras et al. 2018) on the bundled MNIST digits: 7x7 -> 14x14 -> 28x28.

Three stages of 700, 1,500 and 950 steps (`stage_steps`; the last one runs on to `num_steps`), each
new level fading in over the first quarter of its stage (`fade`, the paper's half; the last stage
trains 713 steps at full α instead of 400); equalised learning rate, pixelwise feature
normalisation in G, minibatch standard deviation in D, WGAN-GP (λ = 10, one critic step) with the
drift term ε E[D(x)²] (ε = 0.001), Adam(1e-3, β1 = 0, β2 = 0.99) as in the paper, batch 64,
z ~ N(0, I_128). The steps go where they are cheap: a step at 7x7 or 14x14 costs a fraction of one
at 28x28 (steps/s below), and the digits' shapes are learnt there. FID on the classifier's
features, seeds 0-2 (results/progan.md): 600 / 600 / 1,200 with fade 0.5 (the config until
2026-12-07) 49.8 ± 5.9 at 7 min 07 s a seed; 1,500 / 1,500 / 800 with fade 0.5 32.5 ± 8.2 at 10 min
00 s; these 30.7 ± 6.0 at 9 min 31 s (the last stage was still improving fast at its end: FID
-5 to -20 from step 3,500 to 3,800 of the schedule before). The EMA of G decays at 0.99 rather
than the paper's 0.999: a stage of 950 steps fading in over 237, and an average over ~1,000 steps
would still hold the fresh level's initial weights. Channels per level 64, 32, 16 (the paper's
512 ... 16, scaled down for 28x28 digits on 2 CPU cores; 32, 16, 8 gave FID 73.0 against 30.9 for
these, seed 0, results/progan.md; 96, 48, 16 in the same wall time, 1,950 steps, gave 50.0 on seed 1
against these 37.0, and both rates decayed to 0 over the last 475 steps 43.9: neither kept).

Speed on 2 CPU cores (steps/s at 7x7, 14x14, 28x28, 10 steps a call, XLA's own convolutions): 23,
8.2, 3.9. Until `jaxgan.models.conv`'s input and kernel gradients had loop-safe gradients of their
own (2026-12-06), the gradient penalty's second-order convolutions left XLA:CPU's fast path inside
the loop's scan (0.83 steps/s at 14x14, 0.43 at 28x28, 10 a call), so this config ran one step a
call: 24, 5.4, 2.7 (the patch-matmul convolutions, 10 a call: 1.85 at 28x28).

    jaxgan train --config=configs/progan_mnist.py --workdir=runs/progan
    jaxgan eval --workdir=runs/progan            # FID on the classifier's features (config.evaluators)
"""

import ml_collections

from jaxgan.config import default_config, model_config
from jaxgan.programs import progressive


def get_config():
    config = default_config()
    config.program = "progressive"
    config.data.name = "mnist"
    config.latent_dim = 128
    features = [64, 32, 16]
    # XLA's own convolutions: 3.9 steps/s at 28x28; "patches" 1.85 (its path untouched since)
    convs = {"features": features, "conv_algorithm": "xla"}
    config.model.generator = model_config("generator", "progan", output_shape=[28, 28, 1], **convs)
    config.model.discriminator = model_config("discriminator", "progan", group_size=4, **convs)
    config.progressive = progressive.FAMILY.default_settings(
        stages=[7, 14, 28], stage_steps=[700, 1500, 950], fade=0.25
    )
    config.loss.name = "wasserstein"
    config.penalties.gradient_penalty = 10.0
    config.ema_decay = 0.99
    adam = {"name": "adam", "learning_rate": 1e-3, "b1": 0.0, "b2": 0.99, "eps": 1e-8}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.batch_size = 64
    config.num_steps = 3150
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500  # the loop draws a grid at the end of every stage
    config.keep_checkpoints = 7  # all of them (10 MB each), so `--stage=0` and `--stage=1` find one
    config.sample_every = 0  # a grid at the end of every stage (and of the run)
    config.num_samples = 64
    config.evaluators = "fid"
    return config
