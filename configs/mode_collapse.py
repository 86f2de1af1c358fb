"""The mode-collapse study (PacGAN protocol, MATH.md §7): every objective and remedy on ring and
grid, 10 seeds each, trained together (`num_seeds`).

    python experiments/sweep.py --config=configs/mode_collapse.py --workdir=runs/mode_collapse
    python experiments/mode_collapse.py --methods=all --root=runs/pacgan   # PacGAN's Table 1, resumable pieces

`METHODS` holds each method's overrides of the PacGAN mixture config (the same settings as the
single-method configs, e.g. configs/ring_wgan_gp.py, configs/ring_mmd.py); `get_sweep()` is the
product datasets x methods.
"""

from jaxgan.config import pacgan_mixture_config


def _adam(learning_rate, b1, b2=0.999, **extra):
    return {"name": "adam", "learning_rate": learning_rate, "b1": b1, "b2": b2, **extra}


# PacGAN's own ALI code on the mixtures (fjxmlzn/PacGAN, synthetic_data_experiments/2DGrid_ALI/
# pacgan_task.py): its D (the registered `joint_mlp`) and its stochastic E (`COVConditional`).
_PACGAN_ALI_D = {"name": "joint_mlp", "width": 200, "depth": 3, "maxout_pieces": 5, "kernel_init_std": 0.02}
_PACGAN_ALI_E = {
    "name": "mlp",
    "width": 400,
    "depth": 2,
    "noise_dim": 2,
    "use_batch_norm": True,
    "activation": "relu",
    "kernel_init_std": 0.02,
}

METHODS = {
    "GAN": {},  # non-saturating: the GAN row of PacGAN's Table 1
    "minimax": {"loss.name": "minimax"},
    "least_squares": {"loss.name": "least_squares", "loss.params": {"a": -1.0, "b": 1.0, "c": 0.0}},
    "WGAN-GP": {
        "loss.name": "wasserstein",
        "penalties.gradient_penalty": 10.0,
        "num_critic_steps": 5,
        "optimizer.generator": _adam(1e-4, 0.5, 0.9),
        "optimizer.discriminator": _adam(1e-4, 0.5, 0.9),
    },
    "hinge": {"loss.name": "hinge"},
    "fgan_kl": {"loss.name": "fgan_kl"},
    "fgan_reverse_kl": {"loss.name": "fgan_reverse_kl"},
    "fisher": {"loss.name": "fisher", "loss.params": {"rho": 1e-6}, "num_critic_steps": 2},
    "mmd": {
        "loss.name": "mmd",
        "model.discriminator.num_outputs": 16,
        "clip_weights": 0.01,
        "num_critic_steps": 5,
        "optimizer.generator": {"name": "rmsprop", "learning_rate": 5e-5},
        "optimizer.discriminator": {"name": "rmsprop", "learning_rate": 5e-5},
    },
    # Metz et al. 2017: G's loss at D after 5 differentiable D steps (Adam needs eps_root > 0).
    "unrolled": {"unroll_steps": 5, "optimizer.discriminator": _adam(1e-4, 0.8, eps_root=1e-8)},
    # PacGAN: D sees 100 packs of m samples (G draws 100·m samples per step).
    "PacGAN2": {"pack": 2, "batch_size": 200},
    "PacGAN3": {"pack": 3, "batch_size": 300},
    "PacGAN4": {"pack": 4, "batch_size": 400},
    # Salimans et al. 2016: 5 kernels of dimension 5 appended to D's last hidden layer.
    "minibatch_discrimination": {
        "model.discriminator.minibatch_discrimination": 5,
        "model.discriminator.minibatch_kernel_dim": 5,
    },
    # Dumoulin et al. 2017 / Donahue et al. 2017 (the ALI row of PacGAN's Table 1): an MLP encoder
    # beside G and the joint D(x, z) (configs/grid_ali.py), G and E trained together against it.
    "ALI": {
        "program": "ali",
        "model.encoder": {"name": "mlp", "width": 400, "depth": 3},
        "model.discriminator": {"name": "joint", "width": 200, "depth": 2, "dropout_rate": 0.2},
    },
    # Che et al. 2017 (configs/grid_mrgan.py): an MLP encoder beside G; G and E on T_G with
    # λ1 ‖x - G(E(x))‖² and -λ2 log D(G(E(x))); D as the GAN row's.
    # The D of PacGAN's own ALI code (identity x and z paths, the GAN row's maxout D on [x, z], no
    # dropout) and their E's depth (2x400), E deterministic with LeakyReLU (results/ali.md).
    "ALI_pacgan_code": {
        "program": "ali",
        "model.encoder": {"name": "mlp", "width": 400, "depth": 2},
        "model.discriminator": _PACGAN_ALI_D,
    },
    # ... and their E as well: stochastic, E(x, ε) = MLP([x, ε]) with ε ~ N(0, I₂) (`COVConditional`),
    # 2x400 with batch norm and ReLU, N(0, 0.02²) kernels: PacGAN's ALI code point by point.
    "ALI_pacgan_code_stochastic": {
        "program": "ali",
        "model.encoder": _PACGAN_ALI_E,
        "model.discriminator": _PACGAN_ALI_D,
    },
    # ... and their updates: D's and G/E's gradients at the same parameters, one update of all
    # three (`ali_algorithm` of the ALI code that theirs imports), where jaxgan alternates.
    "ALI_pacgan_code_simultaneous": {
        "program": "ali",
        "ali": {"generator_loss": "swapped", "updates": "simultaneous"},
        "model.encoder": _PACGAN_ALI_E,
        "model.discriminator": _PACGAN_ALI_D,
    },
    "MRGAN": {
        "program": "mrgan",
        "model.encoder": {"name": "mlp", "width": 400, "depth": 3},
        "mrgan": {"variant": "regularised", "lambda1": 1.0, "lambda2": 1.0, "mode_regulariser": "toward_data"},
    },
    # The same with the λ2 term's sign as printed in the paper (+λ2 log D(G(E(x)))).
    "MRGAN_as_printed": {
        "program": "mrgan",
        "model.encoder": {"name": "mlp", "width": 400, "depth": 3},
        "mrgan": {"variant": "regularised", "lambda1": 1.0, "lambda2": 1.0, "mode_regulariser": "as_printed"},
    },
    # MDGAN: the manifold step (D_m, the GAN row's D) and the diffusion step with a second D of the same shape.
    "MDGAN": {
        "program": "mrgan",
        "model.encoder": {"name": "mlp", "width": 400, "depth": 3},
        "model.diffusion_discriminator": {
            "name": "mlp",
            "width": 200,
            "depth": 3,
            "maxout_pieces": 5,
            "kernel_init_std": 0.02,
        },
        "optimizer.diffusion_discriminator": _adam(1e-4, 0.8),
        "mrgan": {"variant": "manifold_diffusion", "lambda1": 1.0, "lambda2": 1.0, "mode_regulariser": "toward_data"},
    },
}
DATASETS = ("ring", "grid")


def get_config():
    config = pacgan_mixture_config("ring")
    config.num_seeds = 10
    return config


def get_sweep():
    datasets = [{"label": name, "data.name": name} for name in DATASETS]
    methods = [{"label": name, **overrides} for name, overrides in METHODS.items()]
    return [datasets, methods]
