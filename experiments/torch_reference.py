"""The benchmark's PyTorch side: the same networks, losses, optimisers and batches in eager mode.

Each workload of `experiments/benchmark.py` has a twin here:

- `dcgan_mnist`: jaxgan's `dcgan28` G and D (a Dense without activation, then nearest
  upsampling + 5x5 convolutions in G; two strided 5x5 convolutions with LeakyReLU(0.2), dropout 0.3 and batch norm in D), the
  non-saturating loss, Adam(2e-4, b1=0.5) for both, batch 64, z ~ N(0, I_100).
- `pacgan_mlp`: G 4x400 Dense (no bias) + batch norm + ReLU -> Dense(2); D 3x200 maxout-5
  -> Dense(1); non-saturating loss; Adam(1e-4, b1=0.8); batch 100, z ~ N(0, I_2).
- `sngan_cifar10`: Miyato et al.'s ResNet G (256 features) and D (128 features, spectral norm
  on every layer, one power iteration per call); hinge loss; Adam(2e-4, b1=0, b2=0.9);
  batch 64, z ~ N(0, I_128).

One step is the standard pattern: `fake = G(z)`; one D update on `D(real)` and
`D(fake.detach())`; one G update on `D(fake)`, which reuses G's forward pass. Data are a
tensor in memory indexed per step (jaxgan keeps its dataset on the device the same way).
Padding of the strided convolutions is symmetric here and (1, 2) in XLA's "SAME"; the work
is the same.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LEAKY_SLOPE = 0.2
BATCH_NORM_MOMENTUM = 0.1  # PyTorch's convention; jaxgan's 0.9 is the same decay
BATCH_NORM_EPSILON = 1e-5


# ---------------------------------------------------------------------------------------------
# dcgan28


class DCGAN28Generator(nn.Module):
    def __init__(self, latent_dim=100, features=64, channels=1):
        super().__init__()
        self.features = features
        self.project = nn.Linear(latent_dim, 7 * 7 * 2 * features)
        self.conv_0 = nn.Conv2d(2 * features, features, 5, padding=2)
        self.conv_1 = nn.Conv2d(features, channels, 5, padding=2)

    def forward(self, z):
        h = self.project(z).view(-1, 2 * self.features, 7, 7)  # no activation, as in jaxgan and the Keras code
        h = F.relu(self.conv_0(F.interpolate(h, scale_factor=2, mode="nearest")))
        return torch.tanh(self.conv_1(F.interpolate(h, scale_factor=2, mode="nearest")))


class DCGAN28Discriminator(nn.Module):
    def __init__(self, features=64, channels=1, dropout=0.3):
        super().__init__()
        self.conv_0 = nn.Conv2d(channels, features, 5, stride=2, padding=2)
        self.conv_1 = nn.Conv2d(features, 2 * features, 5, stride=2, padding=2, bias=False)
        self.batch_norm_1 = nn.BatchNorm2d(2 * features, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(7 * 7 * 2 * features, 1)

    def forward(self, x):
        h = self.dropout(F.leaky_relu(self.conv_0(x), LEAKY_SLOPE))
        h = self.dropout(F.leaky_relu(self.batch_norm_1(self.conv_1(h)), LEAKY_SLOPE))
        return self.output(h.flatten(1))[:, 0]


# ---------------------------------------------------------------------------------------------
# PacGAN MLPs


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim=2, width=400, depth=4, out=2):
        super().__init__()
        layers, fan_in = [], latent_dim
        for _ in range(depth):
            layers += [
                nn.Linear(fan_in, width, bias=False),
                nn.BatchNorm1d(width, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM),
                nn.ReLU(),
            ]
            fan_in = width
        layers.append(nn.Linear(fan_in, out))
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


class MaxoutMLPDiscriminator(nn.Module):
    def __init__(self, in_features=2, width=200, depth=3, pieces=5):
        super().__init__()
        self.width, self.pieces = width, pieces
        fans = [in_features] + [width] * depth
        self.hidden = nn.ModuleList(nn.Linear(fans[i], width * pieces) for i in range(depth))
        self.output = nn.Linear(width, 1)

    def forward(self, x):
        h = x.flatten(1)
        for layer in self.hidden:
            h = layer(h).view(h.shape[0], self.width, self.pieces).amax(-1)
        return self.output(h)[:, 0]


# ---------------------------------------------------------------------------------------------
# SNGAN ResNet (Miyato et al. 2018, Table 4)


def _sn(module):
    return nn.utils.parametrizations.spectral_norm(module, n_power_iterations=1)


class GeneratorBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.batch_norm_0 = nn.BatchNorm2d(channels, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)
        self.conv_0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.batch_norm_1 = nn.BatchNorm2d(channels, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)
        self.conv_1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.shortcut = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.batch_norm_0(x)), scale_factor=2, mode="nearest")
        h = self.conv_1(F.relu(self.batch_norm_1(self.conv_0(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class SNGANGenerator(nn.Module):
    def __init__(self, latent_dim=128, features=256, channels=3):
        super().__init__()
        self.features = features
        self.project = nn.Linear(latent_dim, 4 * 4 * features)
        self.blocks = nn.Sequential(*(GeneratorBlock(features) for _ in range(3)))
        self.batch_norm_output = nn.BatchNorm2d(features, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)
        self.conv_output = nn.Conv2d(features, channels, 3, padding=1)

    def forward(self, z):
        h = self.blocks(self.project(z).view(-1, self.features, 4, 4))
        return torch.tanh(self.conv_output(F.relu(self.batch_norm_output(h))))


class DiscriminatorBlock(nn.Module):
    def __init__(self, in_channels, channels, downsample, first=False):
        super().__init__()
        self.downsample, self.first = downsample, first
        self.conv_0 = _sn(nn.Conv2d(in_channels, channels, 3, padding=1))
        self.conv_1 = _sn(nn.Conv2d(channels, channels, 3, padding=1))
        self.has_shortcut = first or downsample or in_channels != channels
        if self.has_shortcut:
            self.shortcut = _sn(nn.Conv2d(in_channels, channels, 1))

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = self.conv_1(F.relu(self.conv_0(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.first:
            s = self.shortcut(F.avg_pool2d(x, 2))
        elif self.has_shortcut:
            s = self.shortcut(x)
            if self.downsample:
                s = F.avg_pool2d(s, 2)
        else:
            s = x
        return h + s


class SNGANDiscriminator(nn.Module):
    def __init__(self, features=128, channels=3):
        super().__init__()
        self.blocks = nn.Sequential(
            DiscriminatorBlock(channels, features, True, first=True),
            DiscriminatorBlock(features, features, True),
            DiscriminatorBlock(features, features, False),
            DiscriminatorBlock(features, features, False),
        )
        self.output = _sn(nn.Linear(features, 1))

    def forward(self, x):
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.output(h)[:, 0]


# ---------------------------------------------------------------------------------------------
# Losses


def non_saturating_d(d_real, d_fake):
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def non_saturating_g(d_fake):
    return F.softplus(-d_fake).mean()


def hinge_d(d_real, d_fake):
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def hinge_g(d_fake):
    return -d_fake.mean()


@dataclasses.dataclass(frozen=True)
class Workload:
    """What both sides train: networks, losses, Adam's settings, batch and data shape."""

    make_generator: Callable[[], nn.Module]
    make_discriminator: Callable[[], nn.Module]
    d_loss: Callable
    g_loss: Callable
    latent_dim: int
    batch_size: int
    data_shape: tuple[int, ...]  # NCHW / features, without the batch
    adam: dict  # lr, betas


WORKLOADS = {
    "dcgan_mnist": Workload(
        DCGAN28Generator,
        DCGAN28Discriminator,
        non_saturating_d,
        non_saturating_g,
        100,
        64,
        (1, 28, 28),
        dict(lr=2e-4, betas=(0.5, 0.999)),
    ),
    "pacgan_mlp": Workload(
        MLPGenerator,
        MaxoutMLPDiscriminator,
        non_saturating_d,
        non_saturating_g,
        2,
        100,
        (2,),
        dict(lr=1e-4, betas=(0.8, 0.999)),
    ),
    "sngan_cifar10": Workload(
        SNGANGenerator, SNGANDiscriminator, hinge_d, hinge_g, 128, 64, (3, 32, 32), dict(lr=2e-4, betas=(0.0, 0.9))
    ),
}


class Trainer:
    """One full GAN step (one D update, one G update) in PyTorch, eager or `torch.compile`d."""

    def __init__(
        self,
        name: str,
        *,
        compiled: bool = False,
        num_examples: int = 2048,
        seed: int = 0,
        device: str = "cpu",
        fused_adam: bool = False,
        cuda_graphs: bool = False,
    ):
        torch.manual_seed(seed)
        self.spec = spec = WORKLOADS[name]
        self.device = torch.device(device)
        self.generator = spec.make_generator().to(self.device)
        self.discriminator = spec.make_discriminator().to(self.device)
        # fused=None is PyTorch's default (the foreach kernels on a GPU); fused=True: one kernel per step.
        fused = True if fused_adam else None
        self.g_opt = torch.optim.Adam(self.generator.parameters(), eps=1e-8, fused=fused, **spec.adam)
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), eps=1e-8, fused=fused, **spec.adam)
        self.data = (torch.rand(num_examples, *spec.data_shape) * 2 - 1).to(self.device)
        self.generator.train()
        self.discriminator.train()
        self.g_forward, self.d_forward = self.generator, self.discriminator
        self.cuda_graphs = compiled and cuda_graphs
        if compiled:
            mode = "reduce-overhead" if self.cuda_graphs else None  # reduce-overhead: CUDA graphs
            self.g_forward = torch.compile(self.generator, mode=mode)
            self.d_forward = torch.compile(self.discriminator, mode=mode)
        self._rng = np.random.default_rng(seed)

    def step(self) -> tuple[float, float] | None:
        spec = self.spec
        if self.cuda_graphs:  # a new iteration: the graphs' outputs of the last one may be overwritten
            torch.compiler.cudagraph_mark_step_begin()
        index = torch.from_numpy(self._rng.integers(0, len(self.data), spec.batch_size)).to(self.device)
        real = self.data[index]
        z = torch.randn(spec.batch_size, spec.latent_dim, device=self.device)
        fake = self.g_forward(z)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss = spec.d_loss(self.d_forward(real), self.d_forward(fake.detach()))
        d_loss.backward()
        self.d_opt.step()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss = spec.g_loss(self.d_forward(fake))
        g_loss.backward()
        self.g_opt.step()
        return d_loss, g_loss

    def run(self, num_steps: int) -> float:
        """Seconds for `num_steps` steps (the losses are read once at the end, as a loop logs)."""
        start = time.perf_counter()
        for _ in range(num_steps):
            losses = self.step()
        float(losses[0].detach())
        return time.perf_counter() - start


def versions() -> dict[str, str]:
    return {"torch": torch.__version__, "torch_threads": str(torch.get_num_threads())}


# ---------------------------------------------------------------------------------------------
# One launch of the benchmark's PyTorch side (`experiments/benchmark.py` runs it in a fresh
# process per round and setting: `python experiments/torch_reference.py '<spec JSON>'`, with
# `OMP_WAIT_POLICY` set or not in the process's environment).

# Operation classes of the profile, by the ATen operator's name.
_CLASSES = (
    ("convolution", ("conv", "convolution", "mkldnn_convolution", "convolution_backward")),
    ("matmul (dot)", ("addmm", "mm", "bmm", "linear", "matmul", "baddbmm")),
    ("optimizer (Adam)", ("_foreach", "adam", "lerp", "addcdiv", "addcmul")),
    ("batch norm", ("batch_norm", "native_batch_norm", "native_batch_norm_backward")),
    ("random bits", ("randn", "normal", "uniform", "bernoulli", "random", "dropout")),
    ("reduction", ("sum", "mean", "amax", "max", "norm", "avg_pool")),
    ("copy / transpose / index", ("copy", "index", "cat", "clone", "contiguous", "to", "view", "reshape", "permute")),
)


def op_class(name: str) -> str:
    """The profile's class of an ATen operator name ('aten::addmm' -> 'matmul (dot)')."""
    if name.startswith("Optimizer."):  # the optimizer's own record_function scope
        return "optimizer (Adam)"
    bare = name.split("::")[-1].lower()
    for label, keys in _CLASSES:
        if any(bare == key or bare.startswith(key + "_") or bare.endswith("_" + key) for key in keys):
            return label
    return "elementwise / other"


def _sync(trainer: Trainer) -> None:
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()


def launch(spec: dict) -> dict:
    """Build the workload, warm up, time `repeats` x `steps` steps; optionally profile."""
    torch.set_num_threads(spec["threads"])
    device = spec.get("device", "cpu")
    start = time.perf_counter()
    trainer = Trainer(
        spec["workload"],
        compiled=spec["compiled"],
        device=device,
        fused_adam=spec.get("fused_adam", False),
        cuda_graphs=spec.get("cuda_graphs", False),
    )
    trainer.run(2 if spec["compiled"] else 1)  # warm-up (and torch.compile's compilation)
    _sync(trainer)
    warm_up = time.perf_counter() - start
    seconds = []
    for _ in range(spec["repeats"]):
        _sync(trainer)
        begin = time.perf_counter()
        trainer.run(spec["steps"])
        _sync(trainer)
        seconds.append((time.perf_counter() - begin) / spec["steps"])
    result = {"warm_up_seconds": warm_up, "seconds_per_step": seconds, **versions()}
    if spec.get("profile"):
        result["profile"] = profile(trainer, spec["steps"])
    return result


def profile(trainer: Trainer, steps: int) -> dict:
    """Self CPU time of every ATen operator over `steps` steps, per step, summed per class."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    begin = time.perf_counter()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        trainer.run(steps)
    wall = (time.perf_counter() - begin) / steps
    per_class: dict[str, float] = {}
    ops = []
    for entry in prof.key_averages():
        seconds = entry.self_cpu_time_total * 1e-6 / steps
        if seconds <= 0:
            continue
        label = op_class(entry.key)
        per_class[label] = per_class.get(label, 0.0) + seconds
        ops.append({"name": entry.key, "class": label, "seconds_per_step": seconds})
    ops.sort(key=lambda op: -op["seconds_per_step"])
    return {
        "wall_seconds_per_step": wall,
        "thread_seconds_per_step": sum(per_class.values()),
        "op_classes": dict(sorted(per_class.items(), key=lambda item: -item[1])),
        "top_ops": ops[:12],
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(launch(json.loads(sys.argv[1]))))
