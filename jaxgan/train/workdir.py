"""The workdir's config: written once, checked on every launch, never silently replaced.

A launch first calls `check(workdir, config)`, which reads and writes nothing but the
config.json it compares against, then checks and builds everything else, and only then
calls `commit(workdir, config)`, which creates the workdir and writes config.json. So a
refused launch leaves every file on disk as it was.
"""

from __future__ import annotations

import json
import os
import time

import ml_collections
from etils import epath

from jaxgan.train import lease as lease_lib
from jaxgan.train import storage

CONFIG_FILE = "config.json"
# config.json's entry (beside the config's fields) that identifies the data of a file source.
FINGERPRINT_KEY = "data_fingerprint"
# Settings that may change between launches of the same run without changing the experiment.
_LAUNCH_ONLY = (
    "overwrite",
    "accept_changed_data",
    "multihost",
    "num_steps",
    "log_every",
    "checkpoint_every",
    "keep_checkpoints",  # how many are kept on disk, not what the run computes: a longer run may keep more
    "sample_every",
    "eval_every",
    "evaluators",
    "num_eval_samples",
    "lease_timeout",
    "run_devices",  # how the runs share the devices, not what they compute (to float rounding)
    "run_mapping",
    "data.workers",  # how the batches are read, not which: the same examples either way
    "data.prefetch",
)
# What a run writes into its workdir besides config.json; an existing one must be writable.
_WRITTEN = ("checkpoints", "samples", "tensorboard", "metrics.jsonl")


def config_to_dict(config: ml_collections.ConfigDict) -> dict:
    return json.loads(config.to_json_best_effort(sort_keys=True))


def _experiment_fields(values: dict) -> dict:
    """`values` without the launch-only settings (a dotted name is a field of a group)."""
    kept = {k: v for k, v in values.items() if k not in _LAUNCH_ONLY}
    for name in _LAUNCH_ONLY:
        group, _, field = name.partition(".")
        if field and isinstance(kept.get(group), dict):
            kept[group] = {k: v for k, v in kept[group].items() if k != field}
    return kept


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    names = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            names += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            names.append(f"{prefix}{key}")
    return names


def _check_path(workdir: str) -> str:
    """The workdir's absolute path, once it is known to be (or to be creatable as) a writable directory.

    An object-store workdir (`gs://bucket/run`) is checked for not being a file; whether this
    user may write there shows at the first write, in one sentence (`storage.write_failed`)."""
    if not workdir:
        raise ValueError("--workdir is empty; pass the directory of the run, e.g. --workdir=runs/<name>.")
    path = storage.absolute(workdir)
    if storage.is_remote(path):
        if epath.Path(path).is_file():
            raise ValueError(
                f"--workdir {workdir} is a file, not a directory; pass a directory, e.g. gs://<bucket>/<name>."
            )
        return path
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(
            f"--workdir {workdir} is a file, not a directory; pass a directory (it is created if missing), "
            "e.g. --workdir=runs/<name>."
        )
    existing = path
    while not os.path.exists(existing):  # the nearest folder that exists: the workdir is created below it
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        raise ValueError(
            f"--workdir {workdir} lies below {existing}, which is a file, not a directory; pass a workdir "
            "whose parent folders are directories (or do not exist yet)."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "it" if existing == path else f"{existing}, the folder it would be created in,"
        raise ValueError(
            f"--workdir {workdir} is not writable: {where} does not let this user create files; pass a workdir "
            "you may write to, or change the folder's permissions."
        )
    if existing == path:
        for name in _WRITTEN:
            entry = os.path.join(path, name)
            if os.path.exists(entry) and not os.access(entry, os.W_OK | (os.X_OK if os.path.isdir(entry) else 0)):
                raise ValueError(
                    f"--workdir {workdir} holds {entry}, which this user may not write to; change its permissions "
                    "or pass another --workdir."
                )
    return path


def _read_config_json(path: str, workdir: str) -> dict:
    """The dict in a workdir's config.json, or one sentence that names the file and what to do."""
    if epath.Path(path).is_dir():
        raise ValueError(
            f"{path} is a directory, not the run's config file; move it out of --workdir {workdir} or pass "
            "another --workdir."
        )
    try:
        text = epath.Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = "\ufffd"  # not text at all: reported as not valid JSON below
    except OSError as error:
        raise ValueError(
            f"{path} cannot be read ({error.strerror or error}); change its permissions or pass another --workdir."
        ) from None
    try:
        values = json.loads(text)
        what = "does not hold a JSON object"
    except ValueError:  # json.JSONDecodeError
        values = None
        what = "is empty" if not text.strip() else "is not valid JSON"
    if not isinstance(values, dict):
        raise ValueError(  # noqa: TRY004 - a file on disk, not an argument of the wrong type
            f"{path} {what} (a torn or interrupted write?); if this run was launched with the same --config, "
            "delete the file and relaunch `jaxgan train` to write it again (checkpoints are kept), "
            "else pass another --workdir."
        )
    return values


# Config dicts whose keys are a model's, a loss's or an optimiser's arguments: kept as saved.
_FREE_FORM = ("model.generator", "model.discriminator", "loss.params", "optimizer.generator", "optimizer.discriminator")


def with_defaults(saved: dict, defaults: dict | None = None, prefix: str = "") -> dict:
    """A saved config with the fields added to `jaxgan.config.default_config()` since it was
    written filled in with their defaults (which keep the old behaviour), so a workdir of an
    earlier version loads, samples, evaluates and resumes as before."""
    defaults = _default_dict() if defaults is None else defaults
    merged = dict(saved)
    for key, default in defaults.items():
        path = f"{prefix}{key}"
        if key not in merged:
            merged[key] = default
        elif isinstance(default, dict) and isinstance(merged[key], dict) and path not in _FREE_FORM:
            merged[key] = with_defaults(merged[key], default, f"{path}.")
    return merged


def _changed_fields(path: str, workdir: str, new: dict) -> list[str]:
    """The experiment fields in which the workdir's config.json differs from `new` ([] without a file)."""
    if not storage.exists(path):
        return []
    saved = _read_config_json(path, workdir)
    saved.pop(FINGERPRINT_KEY, None)
    old = with_defaults(saved, _present_in(_default_dict(), new))
    return _differences(_experiment_fields(old), _experiment_fields(new))


def _default_dict() -> dict:
    from jaxgan.config import default_config

    return config_to_dict(default_config())


def _present_in(defaults: dict, config: dict) -> dict:
    """The defaults of the fields `config` has (a field missing from an older config.json is
    the same experiment when this launch leaves it at its default)."""
    return {
        key: _present_in(value, config[key]) if isinstance(value, dict) and isinstance(config[key], dict) else value
        for key, value in defaults.items()
        if key in config
    }


def _refuse_different(workdir: str, changed: list[str]) -> None:
    raise ValueError(
        f"workdir {workdir} holds a run of a different config (differs in {', '.join(changed[:5])}"
        f"{', ...' if len(changed) > 5 else ''}); use another --workdir, or pass --config.overwrite=True "
        "to move that run aside into the workdir's replaced_<time>/ folder and start anew."
    )


def check(workdir: str, config: ml_collections.ConfigDict, *, lease: bool = True) -> None:
    """Refuse, with one sentence, a workdir that this launch of `config` cannot use; write nothing.

    Refused: a path that is a file or lies below a file, a folder this user may not write
    to, a config.json that cannot be read as JSON, and a config.json of a different
    experiment unless `config.overwrite` is set, and (with `lease`) a workdir that another
    live launch writes (`jaxgan.train.lease`). Launch-only settings (num_steps, logging,
    checkpointing and evaluation cadence, how many checkpoints are kept) may differ: a longer
    `num_steps` continues the run.
    """
    path = _check_path(workdir)
    changed = _changed_fields(storage.join(path, CONFIG_FILE), workdir, config_to_dict(config))
    if changed and not config.overwrite:
        _refuse_different(path, changed)
    if not changed:
        _check_data(path, config)
    if lease:
        lease_lib.check(workdir, lease_timeout(config), overwrite=bool(changed))


def lease_timeout(config: ml_collections.ConfigDict) -> float:
    return config.get("lease_timeout", lease_lib.DEFAULT_TIMEOUT)


def data_fingerprint(config: ml_collections.ConfigDict) -> dict | None:
    """The fingerprint of `config.data.name`'s files (`jaxgan.data.fingerprint`), None for other data."""
    from jaxgan import data as data_lib  # reads files only; no JAX

    data = config.get("data")
    name = data.get("name") if data is not None else None
    return data_lib.fingerprint(name) if isinstance(name, str) else None


def _describe(fingerprint: dict) -> str:
    if fingerprint.get("source") == "folder":
        return f"{fingerprint['files']} image files, {fingerprint['bytes']:,} bytes"
    return f"{fingerprint.get('bytes', 0):,} bytes, BLAKE2b {str(fingerprint.get('blake2b'))[:12]}"


def _check_data(path: str, config: ml_collections.ConfigDict) -> None:
    """Refuse a resume whose file source changed since config.json recorded its fingerprint."""
    config_path = storage.join(path, CONFIG_FILE)
    if not storage.exists(config_path):
        return
    saved = _read_config_json(config_path, path).get(FINGERPRINT_KEY)
    if not saved:
        return
    now = data_fingerprint(config)
    if now is not None and now != saved and not config.get("accept_changed_data", False):
        raise ValueError(
            f"the data of {config['data']['name']!r} changed since the run in {path} began (then {_describe(saved)}, "
            f"now {_describe(now)}); restore it, use another --workdir, or pass --config.accept_changed_data=True "
            "to resume on the data as it is now."
        )


def commit(workdir: str, config: ml_collections.ConfigDict, *, is_writer: bool = True) -> None:
    """Make `workdir` the run of `config`; call after `check` and after the config is fully built.

    A workdir holding a different experiment (allowed by `config.overwrite`) has its run
    moved aside into `replaced_<time>/`, so nothing on disk is lost. Then the workdir is
    created and config.json written atomically (a temporary file in the workdir, renamed
    over the old one), with the launch-only settings of this launch. Only the writer
    process writes; the others do nothing.
    """
    if not is_writer:
        return
    path = storage.absolute(workdir)
    config_path = storage.join(path, CONFIG_FILE)
    new = config_to_dict(config)
    changed = _changed_fields(config_path, workdir, new)
    if changed and not config.overwrite:
        _refuse_different(path, changed)
    root = epath.Path(path)
    if changed:
        archive = root / time.strftime("replaced_%Y%m%d_%H%M%S")
        suffix = 1
        while archive.exists():  # two replacements within one second
            archive = root / (time.strftime("replaced_%Y%m%d_%H%M%S") + f"_{suffix}")
            suffix += 1
        archive.mkdir(parents=True)
        for entry in list(root.iterdir()):
            if (
                not entry.name.startswith("replaced_") and entry.name != lease_lib.LEASE_FILE
            ):  # the lease: this launch's
                storage.move(entry, archive / entry.name)
    root.mkdir(parents=True, exist_ok=True)
    fingerprint = data_fingerprint(config)
    if fingerprint is not None:
        new = {**new, FINGERPRINT_KEY: fingerprint}
    text = json.dumps(new, indent=2, sort_keys=True)
    if epath.Path(config_path).is_file() and epath.Path(config_path).read_text() == text:
        return  # the same launch again: leave the file as it is
    storage.write_text_atomically(config_path, text)


def prepare(workdir: str, config: ml_collections.ConfigDict, *, is_writer: bool = True) -> None:
    """`check` then `commit`: for a launcher that builds nothing in between that could refuse the config."""
    check(workdir, config)
    commit(workdir, config, is_writer=is_writer)


def load_config(workdir: str) -> ml_collections.ConfigDict:
    """The config of the run in `workdir` (for `jaxgan sample` and `jaxgan eval`)."""
    path = storage.join(storage.absolute(workdir), CONFIG_FILE)
    if not storage.exists(path):
        raise ValueError(
            f"--workdir {workdir} holds no {CONFIG_FILE}; pass the workdir of a run started with `jaxgan train`."
        )
    saved = _read_config_json(path, workdir)
    saved.pop(FINGERPRINT_KEY, None)
    return ml_collections.ConfigDict(with_defaults(saved))
