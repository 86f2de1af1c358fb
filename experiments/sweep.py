"""Run the product of a config's `get_sweep()`, one workdir each, seeds vmapped within each.

    python experiments/sweep.py --config=configs/mode_collapse.py --workdir=runs/mode_collapse
    python experiments/sweep.py --config=configs/mode_collapse.py --workdir=runs/mc --dry_run
    python experiments/sweep.py --config=... --workdir=... --only=ring/GAN --config.num_steps=2000

`get_sweep()` returns discrete choices (an objective, an architecture, a dataset: whatever
needs its own compiled program) as a list of override dicts, or as a list of such lists (axes)
whose product is swept. An override dict maps dotted config paths to values, e.g.
`{"loss.name": "hinge", "pack": 2}`; its optional "label" names the point's folder (else its
scalar values do). The points are the product of the axes;
point `ring/GAN` trains in `<workdir>/ring/GAN` through `jaxgan.train.train_and_evaluate`,
which trains the config's `num_seeds` seeds (and `sweep_values`) together in one program.
Workdirs resume, so an interrupted sweep continues where it stopped.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import sys

from absl import app, flags
from ml_collections import config_flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CONFIG = config_flags.DEFINE_config_file("config", None, "A config file with get_config() and get_sweep().")
_WORKDIR = flags.DEFINE_string("workdir", None, "The sweep's root; each point trains in <workdir>/<point>.")
_ONLY = flags.DEFINE_list("only", [], "Run only these points (e.g. ring/GAN); default: all.")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "List the points and their overrides; train nothing.")


def _label(overrides: dict) -> str:
    """A point's folder name: its "label", else its scalar overrides (e.g. `loss.name=hinge,pack=2`)."""
    if "label" in overrides:
        return str(overrides["label"])
    parts = [f"{k}={v}" for k, v in overrides.items() if isinstance(v, (str, int, float, bool))]
    return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", ",".join(parts)) or "default"


def axes_of(sweep) -> list[list[dict]]:
    """`get_sweep()` as a list of axes; a list of override dicts is one axis."""
    if isinstance(sweep, (list, tuple)) and sweep and all(isinstance(o, dict) for o in sweep):
        return [list(sweep)]
    if (
        isinstance(sweep, (list, tuple))
        and sweep
        and all(isinstance(axis, (list, tuple)) and axis and all(isinstance(o, dict) for o in axis) for axis in sweep)
    ):
        return [list(axis) for axis in sweep]
    raise ValueError(
        "get_sweep() must return a list of override dicts (one axis) or a list of such lists (axes whose "
        f"product is swept); got {sweep!r}."
    )


def points(sweep) -> list[tuple[str, dict]]:
    """The product of the axes: (`label/label/...`, merged overrides) per point."""
    result = []
    for combination in itertools.product(*axes_of(sweep)):
        label = "/".join(_label(overrides) for overrides in combination)
        merged = {}
        for overrides in combination:
            merged.update({k: v for k, v in overrides.items() if k != "label"})
        result.append((label, merged))
    return result


def load_sweep(config_path: str):
    spec = importlib.util.spec_from_file_location("sweep_config", config_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "get_sweep"):
        raise app.UsageError(
            f"{config_path} has no get_sweep(); it must return the sweep's axes (see this script's doc)."
        )
    return module.get_sweep()


def main(argv) -> None:
    del argv
    from jaxgan.train import sweeps

    if _CONFIG.value is None or _WORKDIR.value is None:
        raise app.UsageError("sweep.py needs --config=configs/<sweep>.py and --workdir=<dir>.")
    config_path = config_flags.get_config_filename(flags.FLAGS["config"])
    todo = points(load_sweep(config_path))
    unknown = sorted(set(_ONLY.value) - {label for label, _ in todo})
    if unknown:
        raise app.UsageError(f"--only names unknown points {unknown}; the points are {[label for label, _ in todo]}.")
    todo = [(label, o) for label, o in todo if not _ONLY.value or label in _ONLY.value]
    # Check every point's config before training any (a bad override stops the sweep at once).
    configs = [(label, sweeps.with_overrides(_CONFIG.value, overrides)) for label, overrides in todo]
    for label, config in configs:
        runs = sweeps.num_runs(config)
        print(f"{label}: {runs} run(s) in one program -> {os.path.join(_WORKDIR.value, label)}")
    if _DRY_RUN.value:
        return
    from jaxgan.train import parallel, train_and_evaluate

    counts = {sweeps.num_runs(config) for _, config in configs}
    if len(counts) == 1:  # as `jaxgan train` does, when every point has as many runs (before JAX starts)
        parallel.cpu_devices_for_runs(counts.pop())

    for label, config in configs:
        train_and_evaluate(config, os.path.join(_WORKDIR.value, label))


if __name__ == "__main__":
    app.run(main)
