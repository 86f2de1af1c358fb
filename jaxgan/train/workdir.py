"""The workdir's config: written once, checked on every launch, never silently replaced."""

from __future__ import annotations

import json
import os
import shutil
import time

import ml_collections

CONFIG_FILE = "config.json"
# Settings that may change between launches of the same run without changing the experiment.
_LAUNCH_ONLY = ("overwrite", "multihost", "num_steps", "log_every", "checkpoint_every", "sample_every",
                "eval_every", "evaluators", "num_eval_samples")


def config_to_dict(config: ml_collections.ConfigDict) -> dict:
    return json.loads(config.to_json_best_effort(sort_keys=True))


def _experiment_fields(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in _LAUNCH_ONLY}


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    names = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            names += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            names.append(f"{prefix}{key}")
    return names


def prepare(workdir: str, config: ml_collections.ConfigDict, *, is_writer: bool = True) -> None:
    """Create the workdir and its config.json, or check that it holds a run of this config.

    A workdir holding a different experiment is refused unless `config.overwrite` is set;
    then the earlier run is moved aside into `replaced_<time>/` (nothing on disk is lost)
    and a new run starts. Launch-only settings (num_steps, logging and evaluation cadence)
    may change: a longer `num_steps` continues the run.
    """
    workdir = os.path.abspath(workdir)
    path = os.path.join(workdir, CONFIG_FILE)
    new = config_to_dict(config)
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        changed = _differences(_experiment_fields(old), _experiment_fields(new))
        if changed and not config.overwrite:
            raise ValueError(
                f"workdir {workdir} holds a run of a different config (differs in {', '.join(changed[:5])}"
                f"{', ...' if len(changed) > 5 else ''}); use another --workdir, or pass --config.overwrite=True "
                "to move that run aside into the workdir's replaced_<time>/ folder and start anew."
            )
        if changed and is_writer:
            archive = os.path.join(workdir, time.strftime("replaced_%Y%m%d_%H%M%S"))
            os.makedirs(archive)
            for name in os.listdir(workdir):
                if not name.startswith("replaced_"):
                    shutil.move(os.path.join(workdir, name), os.path.join(archive, name))
    if is_writer:
        os.makedirs(workdir, exist_ok=True)
        with open(path, "w") as f:
            json.dump(new, f, indent=2, sort_keys=True)


def load_config(workdir: str) -> ml_collections.ConfigDict:
    path = os.path.join(os.path.abspath(workdir), CONFIG_FILE)
    if not os.path.exists(path):
        raise ValueError(f"--workdir {workdir} holds no {CONFIG_FILE}; pass the workdir of a run started with `jaxgan train`.")
    with open(path) as f:
        return ml_collections.ConfigDict(json.load(f))
