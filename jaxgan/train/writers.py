"""What a run writes to its workdir: metrics.jsonl, TensorBoard events and PNG sample grids.

Only process 0 writes; the other processes get a writer that does nothing.
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np
from PIL import Image, ImageDraw


def image_grid(images: np.ndarray, *, columns: int | None = None) -> np.ndarray:
    """`[N, H, W, C]` in [-1, 1] -> one uint8 `[rows·H, cols·W, C]` grid (C 1 or 3)."""
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2, c), -1.0, np.float32)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[2 + r * (h + 2) : 2 + r * (h + 2) + h, 2 + col * (w + 2) : 2 + col * (w + 2) + w] = image
    return np.clip(np.round((grid + 1.0) * 127.5), 0, 255).astype(np.uint8)


def scatter_plot(points: np.ndarray, *, centers: np.ndarray | None = None, size: int = 400) -> np.ndarray:
    """2-D samples as an RGB uint8 image: generated points (blue) over the mode centres (red)."""
    points = np.asarray(points, np.float32)
    reference = points if centers is None else np.concatenate([points, centers])
    finite = reference[np.all(np.isfinite(reference), axis=1)]
    extent = float(np.max(np.abs(finite))) * 1.15 if finite.size else 1.0
    if centers is not None:
        extent = float(np.max(np.abs(centers))) * 1.5
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)

    def to_pixels(p):
        return (p / extent * 0.5 + 0.5) * (size - 1)

    for x, y in to_pixels(points[np.all(np.isfinite(points), axis=1)]):
        draw.point((float(x), float(size - 1 - y)), fill=(30, 90, 200))
    if centers is not None:
        for x, y in to_pixels(centers):
            draw.ellipse((x - 3, size - 1 - y - 3, x + 3, size - 1 - y + 3), outline=(220, 30, 30))
    return np.asarray(image)


def class_rows(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`[N, H, W, C]` images drawn for `labels [N]` as a grid of one row per class (in order)."""
    images, labels = np.asarray(images, np.float32), np.asarray(labels)
    classes = np.unique(labels)
    columns = max(int(np.sum(labels == c)) for c in classes)
    blank = np.full(images.shape[1:], -1.0, np.float32)
    rows = []
    for c in classes:
        members = list(images[labels == c])
        rows += members + [blank] * (columns - len(members))
    return image_grid(np.stack(rows), columns=columns)


def samples_picture(samples: np.ndarray, metadata: dict | None = None, labels: np.ndarray | None = None) -> np.ndarray:
    """A picture of samples: a grid for images (one row per class when `labels` are given),
    a scatter plot for 2-D points."""
    samples = np.asarray(samples)
    if samples.ndim == 4:
        return image_grid(samples) if labels is None else class_rows(samples, labels)
    if samples.ndim == 2 and samples.shape[1] == 2:
        return scatter_plot(samples, centers=(metadata or {}).get("centers"))
    raise ValueError(f"cannot draw samples of shape {samples.shape}; expected [N, H, W, C] images or [N, 2] points.")


def write_json(path: str, value: dict) -> None:
    """`value` as indented JSON at `path`, written atomically (a temporary file, then a rename)."""
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
    os.replace(temporary, path)


def _drop_rows_after(path: str, step: int) -> None:
    """Remove the rows of a metrics.jsonl whose step is past `step` (and a torn last line)."""
    if not os.path.exists(path):
        return
    kept, dropped = [], False
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill
                dropped = True
                continue
            if row.get("step", 0) > step:
                dropped = True
            else:
                kept.append(line if line.endswith("\n") else line + "\n")
    if dropped:
        temporary = f"{path}.tmp"
        with open(temporary, "w") as f:
            f.writelines(kept)
        os.replace(temporary, path)


def save_png(picture: np.ndarray, path: str) -> None:
    picture = picture[..., 0] if picture.shape[-1] == 1 else picture
    Image.fromarray(picture).save(path)


class MetricWriter:
    """metrics.jsonl, TensorBoard scalars and images, and samples/step_N.png under a workdir.

    `resume_step`: the step a resumed run continues from. What an earlier launch logged after
    it (between its last checkpoint and its end) is dropped, so every step is logged once:
    the rows of metrics.jsonl past it are removed (the file rewritten atomically), and
    TensorBoard is told to purge its events past it (`purge_step`).
    """

    def __init__(self, workdir: str, *, enabled: bool | None = None, resume_step: int | None = None):
        self.enabled = jax.process_index() == 0 if enabled is None else enabled
        self.workdir = workdir
        self._tensorboard = None
        if self.enabled:
            os.makedirs(os.path.join(workdir, "samples"), exist_ok=True)
            if resume_step is not None:
                _drop_rows_after(os.path.join(workdir, "metrics.jsonl"), resume_step)
            from tensorboardX import SummaryWriter  # imported lazily: only process 0 writes

            self._tensorboard = SummaryWriter(logdir=os.path.join(workdir, "tensorboard"), purge_step=resume_step)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        with open(os.path.join(self.workdir, "metrics.jsonl"), "a") as f:
            f.write(json.dumps({"step": step, **{k: float(v) for k, v in values.items()}}) + "\n")
        for name, value in values.items():
            self._tensorboard.add_scalar(name, float(value), step)
        self._tensorboard.flush()

    def picture(self, step: int, picture: np.ndarray, *, name: str = "samples") -> str | None:
        if not self.enabled:
            return None
        prefix = "" if name == "samples" else f"{name}_"
        path = os.path.join(self.workdir, "samples", f"{prefix}step_{step:08d}.png")
        save_png(picture, path)
        self._tensorboard.add_image(name, picture, step, dataformats="HWC")
        self._tensorboard.flush()
        return path

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()
