"""What a run writes to its workdir: metrics.jsonl, TensorBoard events and PNG sample grids.

Only process 0 writes; the other processes get a writer that does nothing.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import uuid

import jax
import numpy as np
from etils import epath
from PIL import Image, ImageDraw

from jaxgan.train import storage


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


def enlarged(images: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Images `[n, h, w, C]` shown at the size of images of `shape` (`[H, W, C]`): each pixel repeated
    (nearest neighbour) H/h x W/w times when those are whole numbers (a super-resolution source
    beside its output); otherwise the images as they are."""
    images = np.asarray(images)
    (h, w), (big_h, big_w) = images.shape[1:3], tuple(shape[:2])
    if (h, w) == (big_h, big_w) or big_h % h or big_w % w:
        return images
    return np.repeat(np.repeat(images, big_h // h, axis=1), big_w // w, axis=2)


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
    """`value` as indented JSON at `path` (a local file or an object), written atomically."""
    storage.write_text_atomically(path, json.dumps(value, indent=2, sort_keys=True))


def _drop_rows_after(path: str, step: int) -> None:
    """Remove the rows of a metrics.jsonl whose step is past `step` (and a torn last line)."""
    if not epath.Path(path).exists():
        return
    kept, dropped = [], False
    for line in epath.Path(path).read_text().splitlines(keepends=True):
        try:
            row = json.loads(line)
        except ValueError:
            dropped = True  # a line torn by a kill
            continue
        if row.get("step", 0) > step:
            dropped = True
        else:
            kept.append(line if line.endswith("\n") else line + "\n")
    if dropped:
        storage.write_text_atomically(path, "".join(kept))


def save_png(picture: np.ndarray, path: str) -> None:
    """A PNG at `path`, a local file or an object (`gs://...`)."""
    picture = picture[..., 0] if picture.shape[-1] == 1 else picture
    if not storage.is_remote(path):
        Image.fromarray(picture).save(path)
        return
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    epath.Path(path).write_bytes(buffer.getvalue())


class MetricWriter:
    """metrics.jsonl, TensorBoard scalars and images, and samples/step_N.png under a workdir.

    `resume_step`: the step a resumed run continues from. What an earlier launch logged after
    it (between its last checkpoint and its end) is dropped, so every step is logged once:
    the rows of metrics.jsonl past it are removed (the file rewritten atomically), and
    TensorBoard is told to purge its events past it (`purge_step`).

    A workdir on an object store (`gs://...`, which has no append) gets metrics.jsonl written
    whole at each log, and tensorboardX's event files (no TensorFlow needed) staged in a local
    temporary folder and copied whole into `tensorboard/` at each flush, through `etils.epath`.
    """

    def __init__(self, workdir: str, *, enabled: bool | None = None, resume_step: int | None = None):
        self.enabled = jax.process_index() == 0 if enabled is None else enabled
        self.workdir = workdir
        self._tensorboard = None
        self._metrics = storage.join(workdir, "metrics.jsonl")
        self._rows = None  # an object store has no append: the rows so far, written whole each time
        self._staging = None
        if self.enabled:
            epath.Path(workdir, "samples").mkdir(parents=True, exist_ok=True)
            if resume_step is not None:
                _drop_rows_after(self._metrics, resume_step)
            if storage.is_remote(workdir):
                path = epath.Path(self._metrics)
                self._rows = path.read_text() if path.exists() else ""
            from tensorboardX import SummaryWriter  # imported lazily: only process 0 writes

            logdir, suffix = storage.join(workdir, "tensorboard"), ""
            if storage.is_remote(workdir):  # events staged locally, copied whole to the store at each flush
                self._staging = tempfile.mkdtemp(prefix="jaxgan-tensorboard-")
                logdir, suffix = self._staging, f".{uuid.uuid4().hex[:8]}"  # a file name of this launch's own
            self._tensorboard = SummaryWriter(logdir=logdir, purge_step=resume_step, filename_suffix=suffix)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        row = json.dumps({"step": step, **{k: float(v) for k, v in values.items()}}) + "\n"
        if self._rows is None:
            with open(self._metrics, "a") as f:
                f.write(row)
        else:
            self._rows += row
            epath.Path(self._metrics).write_text(self._rows)
        for name, value in values.items():
            self._tensorboard.add_scalar(name, float(value), step)
        self._flush()

    def picture(self, step: int, picture: np.ndarray, *, name: str = "samples") -> str | None:
        if not self.enabled:
            return None
        prefix = "" if name == "samples" else f"{name}_"
        path = storage.join(self.workdir, "samples", f"{prefix}step_{step:08d}.png")
        save_png(picture, path)
        self._tensorboard.add_image(name, picture, step, dataformats="HWC")
        self._flush()
        return path

    def _flush(self) -> None:
        self._tensorboard.flush()
        self._upload()

    def _upload(self) -> None:
        """An object-store workdir: the staged event files copied whole into its tensorboard/."""
        if self._staging is None:
            return
        for name in os.listdir(self._staging):
            with open(os.path.join(self._staging, name), "rb") as f:
                epath.Path(self.workdir, "tensorboard", name).write_bytes(f.read())

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()
            self._upload()
            if self._staging is not None:
                shutil.rmtree(self._staging)
                self._staging = None
