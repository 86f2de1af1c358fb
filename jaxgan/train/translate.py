"""`jaxgan sample` for a run whose family translates images (its record exports a `Translation`).

    jaxgan sample --workdir=W --num=N --out=F.npz     # source, output (and target for pix2pix)
    jaxgan sample --workdir=W --out=F.png             # columns source | output | target
    jaxgan sample --workdir=W --input=mine.npy --out=F.npz     # the user's own images

Without `--input` the sources are the first N examples of the run's held-out split
(`config.<section>.held_out_split`: the "test" digits, never trained on); with it, the images
of an `.npy` file (`[n, H, W, C]`, `[n, H, W]` or one `[H, W, C]`; floats in [-1, 1] or uint8)
or of a `.png`, which must have the size and channels of the run's sources. The translation
is the program's sample call (`runs.Sampler.draw` with the sources given as its input
`Translation.given`), at the sampling params.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from jaxgan.data import translation as data_translation
from jaxgan.programs import family as family_lib
from jaxgan.programs import registry
from jaxgan.train import inputs, sampling, sweeps, writers
from jaxgan.train import workdir as workdir_lib

TRIPLETS_PER_ROW = 4
MAX_SHOWN = 32


def translates(workdir: str) -> bool:
    """Whether the workdir's family translates images (its record exports a `Translation`)."""
    return registry.get(workdir_lib.load_config(workdir).program).exports.translation is not None


def translating_families() -> list[str]:
    return [name for name, family in registry.FAMILIES.items() if family.exports.translation is not None]


def read_images(path: str, shape: tuple[int, ...]) -> np.ndarray:
    """The images of `--input` as float32 `[n, *shape]` in [-1, 1], refused in one sentence unless they fit."""
    return inputs.read_examples(path, shape, use="this run translates sources")


def picture(columns: list[np.ndarray]) -> np.ndarray:
    """Rows of `TRIPLETS_PER_ROW` examples, each `source | output | target` side by side (uint8); a
    source smaller than the output (super-resolution) enlarged to its size by pixel repetition."""
    shown = min(len(columns[0]), MAX_SHOWN)
    columns = [writers.enlarged(column, columns[1].shape[1:]) for column in columns]  # a low-resolution source
    tiles = [column[i] for i in range(shown) for column in columns]  # example-major: one example's columns together
    per_row = len(columns) * min(TRIPLETS_PER_ROW, shown)
    return writers.image_grid(np.stack(tiles), columns=per_row)


def write_translations(workdir: str, *, num: int | None, out: str, input_path: str | None = None) -> tuple[str, int]:
    """Translate held-out (or `input_path`'s) images from the latest checkpoint; see the module doc."""
    from jaxgan.metrics import translation as metrics_lib
    from jaxgan.train import restore

    restore.check_out_and_num(out, num, npz="source, output, target", npy="outputs")
    config = workdir_lib.load_config(workdir)
    family = registry.get(config.program)
    translation = family.exports.translation
    if translation is None:
        raise ValueError(
            f"--input is for a run that translates images ({', '.join(translating_families())}); this workdir's "
            f"program is {config.program!r}."
        )
    experiment = sweeps.build_experiment(config)
    spec = experiment.feature_specs[translation.source]
    columns: dict[str, np.ndarray] = {}
    if input_path is not None:  # checked before the checkpoint is read
        columns["source"] = read_images(input_path, tuple(spec.shape))[:num]
    config, experiment, state = restore.load_latest(workdir, experiment)
    if input_path is None:
        split = family_lib.settings_of(config, family).held_out_split
        got = data_translation.held_out_sources(metrics_lib.held_out(config, split), 64 if num is None else num)
        columns["source"] = got["source"]
        if "target" in got:
            columns["target"] = got["target"]
    count = len(columns["source"])
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
    drawn = sampler.draw(state, jax.random.PRNGKey(0), count, given={translation.given: columns["source"]})
    output = drawn["x"][0] if len(drawn["x"]) == 1 else drawn["x"]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(".npz"):
        np.savez(
            out,
            source=columns["source"],
            output=output,
            **({"target": columns["target"]} if "target" in columns else {}),
        )
    elif out.endswith(".npy"):
        np.save(out, output)
    else:
        first = drawn["x"][0]
        shown = [columns["source"], first] + ([columns["target"]] if "target" in columns else [])
        writers.save_png(picture(shown), out)
    return out, count
