"""Samples and pictures of a stacked state (a run axis of size R >= 1).

Samples are `[R, num, ...]`, every run sampled at the same latent points (common random
numbers: differences between runs are then the runs', not the draw's); pictures of several
runs are a mosaic of one panel per run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.calls import draw_latents, run_call
from jaxgan.models import conv
from jaxgan.program import STEP, Normal
from jaxgan.train import writers
from jaxgan.train.run_axis import over_runs
from jaxgan.train.state import TrainState


class Sampler:
    """Samples of a stacked state: `draw(state, key, num)` gives `{"x": [runs, num, ...], name:
    [runs, num, ...] for each name of program.sample_record}` as host arrays; `sample(...)` gives
    the samples `x` alone.

    The program's sample call in inference mode, at the sampling params (the EMA when kept),
    on latents drawn per example (`calls.draw_latents`: from its index, so a sample does not
    depend on how many are drawn), and on the inputs `given` by the caller (`[num, ...]`
    arrays: the labels to draw for, a translation's sources; a given name replaces a drawn
    latent of that name). Every run is sampled at the same latent points (common random
    numbers: differences between runs are then the runs', not the draw's). Batches of
    `batch_size` go through one compiled program; the last is padded so nothing recompiles.
    `truncation=ψ`: the truncation trick on the normal latents (`truncated`). A sample call that
    reads `step` (`program.STEP`) gets the state's step unless it is given.
    """

    def __init__(self, program, num_runs: int, *, batch_size: int = 500, truncation: float | None = None):
        program = program if truncation is None else truncated(program, truncation)
        self.program = program
        self.num_runs = num_runs
        self.batch_size = batch_size
        call = program.sample
        network = call.network

        def generate(params, variables, inputs):
            values, _ = run_call(program, call, {network: params}, {network: variables}, inputs, jax.random.PRNGKey(0))
            return values[call.output_names[0]]

        self._generate = jax.jit(
            over_runs(generate, num_runs, in_axes=(0, 0, None), out_axes=0), compiler_options=conv.compiler_options()
        )

    def draw(self, state: TrainState, key: jax.Array, num: int, given: dict | None = None) -> dict[str, np.ndarray]:
        given = {name: np.asarray(value) for name, value in (given or {}).items()}
        if STEP in self.program.sample_given and STEP not in given:  # a sample call on a schedule of the step
            given[STEP] = np.full((num,), int(np.asarray(jax.device_get(state.step)).reshape(-1)[0]), np.int32)
        missing = [name for name in self.program.sample_given if name not in given]
        if missing:
            raise ValueError(f"sampling this program needs the input(s) {missing}; give them as [num, ...] arrays.")
        for name, value in given.items():
            if len(value) != num:
                raise ValueError(
                    f"the given input {name!r} has {len(value)} rows for {num} samples; give one per sample."
                )
        network = self.program.sample.network
        params = jax.device_get(state.sampling_params(network))
        variables = jax.device_get(state.variables[network])
        padded = -(-num // self.batch_size) * self.batch_size
        inputs = dict(draw_latents(self.program, self.program.sample_latents, key, padded))
        for name, value in given.items():  # padded with copies of the last row, cut off below
            inputs[name] = jnp.asarray(np.concatenate([value, np.repeat(value[-1:], padded - num, axis=0)]))
        chunks = [
            self._generate(params, variables, jax.tree.map(lambda a, i=i: a[i : i + self.batch_size], inputs))
            for i in range(0, padded, self.batch_size)
        ]
        drawn = {"x": np.asarray(jnp.concatenate(chunks, axis=1)[:, :num], np.float32)}
        for name in self.program.sample_record:
            value = np.asarray(inputs[name][:num])
            drawn[name] = np.broadcast_to(value, (self.num_runs, *value.shape)).copy()
        return drawn

    def sample(self, state: TrainState, key: jax.Array, num: int, given: dict | None = None) -> np.ndarray:
        return self.draw(state, key, num, given)["x"]


def truncated(program, psi: float):
    """`program` with its normal sample latents (`program.Normal`) truncated to [-ψ, ψ] per
    coordinate (BigGAN's truncation trick); its other latents (labels, codes) as they are."""
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not 0 < psi < math.inf:
        raise ValueError(f"--truncation must be a positive number (the bound ψ on |z_i|); got {psi!r}.")
    names = [latent.name for latent in program.latents if isinstance(latent.draw, Normal)]
    if not any(name in program.sample_latents for name in names):
        raise ValueError(
            "--truncation truncates the normal latents samples are drawn from, and this program draws none; leave it out."
        )
    latents = tuple(
        dataclasses.replace(latent, draw=latent.draw.truncated(psi)) if latent.name in names else latent
        for latent in program.latents
    )
    return dataclasses.replace(program, latents=latents)


def runs_samples_picture(
    samples: np.ndarray, metadata: dict | None = None, *, labels: np.ndarray | None = None, columns: int | None = None
) -> np.ndarray:
    """The picture of `[runs, num, ...]` samples (drawn for `labels [runs, num]`, when given): one
    run's picture, or a mosaic of one panel per run."""
    labels = [None] * len(samples) if labels is None else labels
    if len(samples) == 1:
        return writers.samples_picture(np.asarray(samples[0]), metadata, labels[0])
    panels = [writers.samples_picture(np.asarray(s), metadata, y) for s, y in zip(samples, labels)]
    return mosaic(panels, columns=columns)


def balanced_labels(num: int, num_classes: int) -> np.ndarray:
    """`num` labels in class order, as equal in number per class as `num` allows."""
    return np.sort(np.arange(num, dtype=np.int32) % num_classes)


def pictures(sampler: Sampler, state: TrainState, key: jax.Array, num: int, dataset) -> dict[str, np.ndarray]:
    """The loop's pictures of a state: `samples` (one row per class when the program draws a
    label: `num` samples over the classes) and each of the program's named `pictures`."""
    program = sampler.program
    given = None
    if "label" in program.sample_latents and dataset.num_classes:
        given = {"label": balanced_labels(num, dataset.num_classes)}
    drawn = sampler.draw(state, key, num, given=given)
    out = {"samples": runs_samples_picture(drawn["x"], dataset.metadata, labels=drawn.get("label") if given else None)}
    if is_images(drawn["x"]):  # a program's pictures are grids of images (points have their scatter above)
        for name, make in program.pictures.items():
            out[name] = program_picture(sampler, state, key, make)
    return out


def is_images(x: np.ndarray) -> bool:
    """Whether drawn samples `[runs, num, ...]` are images `[runs, num, H, W, C]` (not points)."""
    return np.ndim(x) == 5


def program_picture(sampler: Sampler, state: TrainState, key: jax.Array, make: Callable) -> np.ndarray:
    """One of a program's `pictures` (uint8 `[H, W, C]`; a mosaic of one panel per run).

    `make()` gives `(inputs, columns)` or `(inputs, columns, shown)`: the samples are drawn at the
    given `inputs` and tiled `columns` to a row; each name in `shown` is a given input drawn
    left of its sample (a translation's source; a smaller one enlarged to its size, `writers.enlarged`)."""
    inputs, columns, *rest = make()
    shown = rest[0] if rest else ()
    x = sampler.draw(state, key, len(next(iter(inputs.values()))), given=inputs)["x"]
    tiles = [
        np.stack(
            [writers.enlarged(np.asarray(inputs[name], np.float32), run.shape[1:]) for name in shown] + [run], axis=1
        )
        for run in x
    ]
    panels = [writers.image_grid(run.reshape(-1, *run.shape[2:]), columns=columns) for run in tiles]
    return panels[0] if len(panels) == 1 else mosaic(panels)


def mosaic(panels: Sequence[np.ndarray], *, columns: int | None = None, gap: int = 4) -> np.ndarray:
    """Equal-sized uint8 pictures `[H, W, C]` tiled row by row on a grey background."""
    height, width, channels = panels[0].shape
    columns = columns or math.ceil(math.sqrt(len(panels)))
    rows = math.ceil(len(panels) / columns)
    canvas = np.full((rows * (height + gap) + gap, columns * (width + gap) + gap, channels), 160, np.uint8)
    for i, panel in enumerate(panels):
        r, c = divmod(i, columns)
        top, left = gap + r * (height + gap), gap + c * (width + gap)
        canvas[top : top + height, left : left + width] = panel
    return canvas
