"""StackGAN (Zhang et al. 2017) on the bundled MNIST digits, conditioned on the label: Stage I at 14x14,
then Stage II refining it to 28x28 with Stage I fixed, in one staged run.

Stage I trains for `stackgan.stage_one_steps` steps (6,000: its samples follow their labels more with
every 1,000 steps, 0.70 at 3,000 and 0.93 at 6,000 on seed 0, results/stackgan.md), Stage II for the rest of
`num_steps` (1,000); batch norm in Stage-I G as in the paper (FID of Stage I at 3,000 steps 66 against 113 without);
conditioning augmentation (d = 16) with its KL term in each stage's G loss at λ = 0.01 (at 0.1 the
CA named the class to a Bayes classifier 0.89 of the time and class consistency stopped at 0.81; at
the paper's λ = 1 it starved the CA of the label, 0.23; results/stackgan.md), the matching-aware D (real
images with mismatched labels, weighted ½ with the fakes), Adam(2e-4, β1 = 0.5) for both networks,
batch 64, z ~ N(0, I_64). Checkpoints every 500 steps and 10 kept, so Stage I's last one (step 6,000)
stays for `--stage=0`. The differences from the paper are in jaxgan/programs/stackgan.py.

    jaxgan train --config=configs/stackgan_mnist.py --workdir=runs/stackgan
    jaxgan eval --workdir=runs/stackgan              # Stage II: class consistency, FID (classifier features)
    jaxgan eval --workdir=runs/stackgan --stage=0    # Stage I's images, nearest-upsampled to 28x28
    jaxgan sample --workdir=runs/stackgan --labels=all --num=100 --out=stage2.png
    jaxgan sample --workdir=runs/stackgan --stage=0 --labels=all --num=100 --out=stage1.png
"""

import ml_collections

from jaxgan.config import default_config, model_config
from jaxgan.programs import stackgan


def get_config():
    config = default_config()
    config.program = "stackgan"
    config.data.name = "mnist"
    config.latent_dim = 64
    config.model.generator = model_config(
        "generator",
        "stackgan",
        output_shape=[28, 28, 1],
        low_resolution=14,
        features=32,
        refine_features=32,
        num_residual_blocks=2,
        condition_dim=16,
        stage_one_batch_norm=True,
    )
    config.model.discriminator = model_config("discriminator", "stackgan", features=32, condition_dim=16)
    config.stackgan = stackgan.FAMILY.default_settings(stage_one_steps=6000, kl_weight=0.01, mismatch=True)
    adam = {"name": "adam", "learning_rate": 2e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.batch_size = 64
    config.num_steps = 7000
    config.steps_per_call = 10
    config.log_every = 100
    config.checkpoint_every = 500
    config.keep_checkpoints = 10
    config.sample_every = 0  # a grid at the end of each stage (and of the run)
    config.num_samples = 100
    config.evaluators = "class_consistency,fid"
    return config
