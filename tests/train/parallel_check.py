"""Run in a subprocess with 8 CPU devices: the same step on 1 and 8 devices (the ring on 2 and 4 and under pmap too).

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.train.parallel_check NAME

Prints one JSON line: the largest parameter difference after 20 steps of each device count
(shard_map over a mesh) and of `jax.pmap` on 4 devices, each against the reference: the
per-device step with no axis name under plain `jax.jit`, which uses neither shard_map nor pmap
(pmap is built on shard_map since JAX 0.9.2, so comparing the two would compare shard_map
with itself). The `bn_mlp_*` configs (batch norm in G and D) run in float64 too (`*_float64`):
in float32 their dynamics amplify rounding far past any useful bound (issue 30,
experiments/bn_invariance.py).
"""

from __future__ import annotations

import json
import sys

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgan import models
from jaxgan.config import dcgan_mnist_config
from jaxgan.programs import parts, registry
from jaxgan.train import build as build_lib
from jaxgan.train import loop, parallel, run_axis, sweeps
from jaxgan.train.step import make_multi_step
from tests import xla_flags
from tests.train.helpers import conditional_ring_config, tiny_ring_config

NUM_STEPS = 20


def config_for(name: str):
    config = _config_for(name)
    config.log_every = config.checkpoint_every = config.sample_every = 0
    return config


def _config_for(name: str):
    if name == "ring":
        return tiny_ring_config(num_steps=NUM_STEPS, steps_per_call=10)
    if name == "wgan_gp":
        config = tiny_ring_config(
            num_steps=NUM_STEPS, steps_per_call=10, num_critic_steps=2, **{"loss.name": "wasserstein"}
        )
        config.penalties.gradient_penalty = 10.0
        return config
    if name == "fisher":
        config = tiny_ring_config(num_steps=NUM_STEPS, steps_per_call=10, **{"loss.name": "fisher"})
        config.loss.params = {"rho": 1e-2}
        return config
    if name == "wgan_gp_sgd":  # the same case with SGD: no near-zero entries amplified
        config = _config_for("wgan_gp")
        for network in ("generator", "discriminator"):
            config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-3})
        return config
    if name == "remedies":
        # DRAGAN (its scale from the global batch's moments), minibatch discrimination
        # (similarities over the global batch) and dropout in a D without batch norm (real and
        # generated examples in one joined call), with SGD as for dcgan_mnist below.
        config = tiny_ring_config(num_steps=NUM_STEPS, steps_per_call=10)
        config.penalties.dragan = 1.0
        config.model.discriminator.dropout_rate = 0.3
        config.model.discriminator.minibatch_discrimination = 3
        config.model.discriminator.minibatch_kernel_dim = 4
        for network in ("generator", "discriminator"):
            config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
        return config
    if name == "dcgan_mnist":
        config = dcgan_mnist_config()
        config.model.generator.features = 8
        config.model.discriminator.features = 8
        config.batch_size = 16
        config.num_steps = NUM_STEPS
        # SGD, not the config's Adam: Adam's g / (sqrt(v) + eps) turns rounding-level differences
        # in near-zero gradient entries into steps of order lr, and 20 steps of GAN dynamics grow
        # them: with Adam, 2 devices differ from 1 by 3e-5 (G's projection kernel), with SGD by
        # 5e-8. SGD keeps the comparison about the step's math. The other configs keep Adam.
        for network in ("generator", "discriminator"):
            config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
        return config
    if name.startswith("bn_mlp"):
        return batch_norm_ring_config(name)
    if name == "conditional":  # CGAN on the ring (mode index = label): G(z, c), D(x, c) by concatenation
        return conditional_ring_config(num_steps=NUM_STEPS, steps_per_call=10)
    raise SystemExit(f"unknown config {name}")


BATCH_NORM_CASES = {  # name -> (loss, steps per call, seed)
    "least_squares": ("least_squares", 1, 0),
    "relativistic": ("relativistic_average", 10, 1),
}


def batch_norm_ring_config(name: str):
    """The ring's MLPs with batch norm in G and in D (statistics over the global batch), SGD.

    `bn_mlp_<case>[_float64]`, a case of `BATCH_NORM_CASES`; `_float64` computes and keeps the
    parameters in float64 (`use_float64`). The relativistic case's G loss reads D(x) too, so G's
    update runs D on real and on generated examples in separate calls, each with its own global
    batch statistics."""
    rest = name.removeprefix("bn_mlp_")
    case, float64 = rest.removesuffix("_float64"), rest.endswith("_float64")
    loss, steps_per_call, seed = BATCH_NORM_CASES[case]
    config = tiny_ring_config(num_steps=NUM_STEPS, steps_per_call=steps_per_call, seed=seed, **{"loss.name": loss})
    config.model.discriminator.use_batch_norm = True
    for network in ("generator", "discriminator"):
        config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
    if float64:
        use_float64()
        config.model.dtype = "float64"
    return config


def use_float64() -> None:
    """Let a config compute in float64: JAX's 64-bit mode and "float64" among the compute dtypes.

    For the checks only (the library's networks compute in float32 or lower; the MLPs keep a
    float64 computation's outputs in float64); `as_float64` casts the initial state, whose
    parameters the networks create in float32. Call it before the config's parts are built."""
    jax.config.update("jax_enable_x64", True)
    parts.DTYPES["float64"] = jnp.float64
    if "float64" not in models._COMPUTE_DTYPES:
        models._COMPUTE_DTYPES = (*models._COMPUTE_DTYPES, "float64")


def as_float64(config, state):
    """`state` with its floating-point leaves in float64 when `config.model.dtype` is float64."""
    if config.model.dtype != "float64":
        return state
    cast = lambda x: x.astype(jnp.float64) if jnp.issubdtype(x.dtype, jnp.floating) else x  # noqa: E731
    return jax.tree.map(cast, state)


def _compared(state) -> dict:
    return jax.device_get({"params": state.params, "term_state": state.term_state})


def _first_step(config, stage: int) -> int:
    """The first step of `stage` of a run in stages (progressive growing), else 0."""
    starts = registry.stage_starts(config)
    return 0 if starts is None else starts[stage]


def run(config, devices, *, stage: int = 0) -> dict:
    """`config.num_steps` steps on `devices`; for a run in stages, of stage `stage`'s program from its first step."""
    r = loop.setup(config, devices=devices, stage=stage)
    begin = _first_step(config, stage)
    state = as_float64(config, r.state).replace(step=jnp.asarray(begin, jnp.int32))
    state = run_axis.place(state, r.mesh)
    for first in range(begin, begin + config.num_steps, config.steps_per_call):
        state, _ = r.call(state, *r.feeder.inputs(first))
    return _compared(run_axis.unstack(state, 0))


def _host_batches(r, first):
    dataset = r.experiment.dataset
    indices = r.feeder.indices(first)[:, 0]  # [K, batches_per_step, B] of the one run
    arrays = dataset.arrays()
    if arrays is None:  # a dataset read by index (an unpaired dataset: x and y drawn apart)
        got = dataset.get(indices.reshape(-1))
        return {name: got[name].reshape(*indices.shape, *got[name].shape[1:]) for name in r.experiment.program.features}
    return {name: arrays[name][indices] for name in r.experiment.program.features}


def run_jit(config, *, stage: int = 0) -> dict:
    """The reference: the step with no axis name, `jax.jit` on one device (no shard_map, no pmap),
    its networks built with no axis either (of stage `stage`, from its first step, for a run in stages)."""
    r = loop.setup(config, devices=jax.devices()[:1], stage=stage)  # for its feeder's batches
    experiment = build_lib.build(config, stage=stage)
    call = jax.jit(make_multi_step(build_lib.train_step(experiment), config.steps_per_call))
    state = as_float64(config, run_axis.unstack(run_axis.initial_state(experiment, sweeps.runs_of(config)), 0))
    begin = _first_step(config, stage)
    state = state.replace(step=jnp.asarray(begin, jnp.int32))
    for first in range(begin, begin + config.num_steps, config.steps_per_call):
        state, _ = call(state, _host_batches(r, first))
    return _compared(state)


def run_pmap(config, devices) -> dict:
    r = loop.setup(config, devices=devices)
    step = build_lib.train_step(r.experiment, axis_name=parallel.AXIS)
    call = parallel.pmap_call(make_multi_step(step, config.steps_per_call))
    single = run_axis.unstack(r.state, 0)
    state = jax.tree.map(lambda x: np.broadcast_to(np.asarray(x), (len(devices), *np.shape(x))), single)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = call(state, parallel.split_for_pmap(_host_batches(r, first), len(devices)))
    return _compared(jax.tree.map(lambda x: x[0], state))


def run_each(config, devices) -> list[dict]:
    """Every run of `config` (many seeds), trained together on `devices` as `config.run_devices`
    and `config.run_mapping` say: each run's parameters."""
    r = loop.setup(config, devices=devices)
    state = run_axis.place(r.state, r.mesh)
    for first in range(0, config.num_steps, config.steps_per_call):
        state, _ = r.call(state, *r.feeder.inputs(first))
    return [_compared(run_axis.unstack(state, i)) for i in range(len(r.runs))]


# The runs of one launch laid out over 8 devices: (run_devices, run_mapping), each run's batch
# divided over the remaining 8 / run_devices devices.
RUN_LAYOUTS = ((1, "vmap"), (1, "in_turn"), (2, "in_turn"), (4, "vmap"), (4, "in_turn"))


def main_runs() -> None:
    """4 seeds of the ring in one launch on 8 devices, in every layout of `RUN_LAYOUTS`, against
    each seed alone under plain jit: the largest parameter difference of any run per layout."""
    config = config_for("ring")
    config.num_seeds = 4
    references = [run_jit(single) for single in sweeps.runs_of(config).configs(config)]
    result = {"scale": min(max(float(np.max(np.abs(x))) for x in jax.tree.leaves(ref)) for ref in references)}
    for run_devices, mapping in RUN_LAYOUTS:
        config.run_devices, config.run_mapping = run_devices, mapping
        runs = run_each(config, jax.devices())
        result[f"{run_devices}x{8 // run_devices}_{mapping}"] = max(map(max_difference, references, runs))
    print(json.dumps({"config": "runs", **result}), flush=True)


def max_difference(a, b) -> float:
    return max(
        float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))
    )


# Device counts compared with the plain-jit reference, and whether pmap on 4 devices is too. Each
# count is one compile of the step, most of a check's cost. The cheapest config (the ring) covers
# 2, 4 and 8 devices and pmap; the others take 8 devices only (2 examples per device, the most
# cross-device work), since 2 and 4 devices run the same shard_map code path over a smaller axis.
# Batch norm in G and D (float64) takes 2 devices as well: 8 examples a device for its statistics.
PLANS = {
    "ring": ((2, 4, 8), True),
    "wgan_gp": ((8,), False),
    "fisher": ((8,), False),
    "dcgan_mnist": ((8,), False),
    "remedies": ((8,), False),
    "wgan_gp_sgd": ((8,), False),
    "conditional": ((8,), False),
    "bn_mlp_relativistic_float64": ((2, 8), False),
}


def main(name: str) -> None:
    config = config_for(name)
    counts, with_pmap = PLANS[name]
    devices = jax.devices()
    reference = run_jit(config)
    result = {"scale": max(float(np.max(np.abs(x))) for x in jax.tree.leaves(reference))}
    for count in counts:
        result[str(count)] = max_difference(reference, run(config, devices[:count]))
    if with_pmap:
        result["pmap_4"] = max_difference(reference, run_pmap(config, devices[:4]))
    print(json.dumps({"config": name, **result}), flush=True)


# Fast compiling for the checks' programs (`tests/xla_flags.py`): on CPU their cost is compiling (20
# steps of tiny networks run in well under a second). Every program a check compares (the plain-jit
# reference, each device count, pmap) is compiled with the same flags in the same process, so a check
# compares one compiler's numerics with themselves (fisher: 3.1e-7 / 9.1e-7 on 4 / 8 devices at -O0
# or -O2). A check held to float64's rounding passes `flags=` without the older fusion emitters
# (tests/train/test_parallel_batch_norm.py says why).
FAST_COMPILE = xla_flags.fast_compile()


def run_in_subprocess(configs, module: str = "tests.train.parallel_check", *, flags: str = FAST_COMPILE) -> dict:
    """Run `module` (this one by default) with 8 CPU devices (XLA_FLAGS must precede JAX's
    import) and the XLA flags `flags` (fast compiling by default); its JSON rows by config."""
    import os
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count=8 {flags}", "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, "-m", module, *configs],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return {row.pop("config"): row for row in rows}


def check_invariance(row: dict, *, tolerance: float = 2e-5) -> None:
    """Every device count run, and pmap, within `tolerance` x the parameters' scale of one device."""
    assert row["scale"] > 0.05, row  # parameters moved away from zero: the comparison means something
    bound = tolerance * max(1.0, row["scale"])
    compared = [key for key in row if key != "scale"]
    assert compared, row
    for key in compared:
        assert row[key] <= bound, (key, row)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        main_runs() if name == "runs" else main(name)
