"""Images from an array file: `config.data.name = "array:<file>"`.

- `.npy`: images [N, H, W] (grey) or [N, H, W, C], C in {1, 3, 4} (the alpha of C = 4 dropped);
- `.npz`: the images as `x` and, optionally, integer labels `label` [N] (what
  `jaxgan sample --out=samples.npz` writes).

uint8 pixels are read as 0..255; float pixels as jaxgan's own range [-1, 1] (what
`jaxgan sample` writes), and refused outside it. With `image_size` each image is centre-cropped
and resized through uint8 (PIL, `resize_filter`). Labels as in `folder.check_labels`.

A `.npy` is memory-mapped and converted a batch at a time when read, so a large file is never
held in memory as float32; a small one (at most `folder.IN_MEMORY_BYTES` as read) is also
returned by `arrays()`, for the loop to keep on the devices. The fingerprint is the file's
size and BLAKE2b digest.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from jaxgan.data import images
from jaxgan.data.bundled import interleave_classes
from jaxgan.data.dataset import Dataset, check_indices, train_test_positions
from jaxgan.data.folder import IN_MEMORY_BYTES, check_labels

PREFIX = "array:"
_FLOAT_TOLERANCE = 1e-3


def check_file(path: str) -> Path:
    if not path:
        raise ValueError("config.data.name 'array:' names no file; write array:<file.npy or file.npz>.")
    file = Path(path).expanduser()
    if file.suffix not in (".npy", ".npz"):
        raise ValueError(
            f"config.data.name 'array:{path}' is not a .npy or .npz file; pass images saved with np.save (.npy) "
            "or np.savez with `x` (and optionally `label`)."
        )
    if not file.is_file():
        raise ValueError(f"config.data.name 'array:{path}': {file} does not exist; pass an existing .npy or .npz file.")
    return file


_DIGESTS: dict[tuple, dict] = {}  # (path, size, mtime) -> fingerprint: a launch asks twice


def fingerprint(path: str) -> dict:
    """The file's size and BLAKE2b-256 digest (read in 16 MiB blocks)."""
    file = check_file(path)
    status = file.stat()
    key = (str(file.resolve()), status.st_size, status.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = _fingerprint(file)
    return dict(_DIGESTS[key])


def _fingerprint(file: Path) -> dict:
    digest = hashlib.blake2b(digest_size=32)
    with open(file, "rb") as stream:
        while block := stream.read(16 * 2**20):
            digest.update(block)
    return {"source": "array", "path": str(file.resolve()), "bytes": file.stat().st_size, "blake2b": digest.hexdigest()}


def _read(file: Path, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        if file.suffix == ".npy":
            return np.load(file, mmap_mode="r", allow_pickle=False), None
        with np.load(file, allow_pickle=False) as archive:
            if "x" not in archive.files:
                raise ValueError(
                    f"config.data.name {name!r}: {file} has no array `x` (it has {sorted(archive.files)}); "
                    "save the images as `x` (np.savez(path, x=images, label=labels))."
                )
            return archive["x"], (archive["label"] if "label" in archive.files else None)
    except (OSError, EOFError) as error:
        raise ValueError(f"config.data.name {name!r}: {file} cannot be read as a numpy file ({error}).") from None


class ArrayFileDataset(Dataset):
    """Images of an array file (see the module doc)."""

    def __init__(self, name, raw, labels, *, positions, num_classes, image_size, resize_filter, metadata):
        self.name = name
        self._raw = raw
        self._positions = np.asarray(positions, np.int64)
        self._labels = None if labels is None else np.asarray(labels, np.int32)
        self._image_size = image_size
        self._resize_filter = resize_filter
        self.num_examples = len(self._positions)
        shape = raw.shape[1:3]
        channels = 1 if raw.ndim == 3 else min(raw.shape[3], 3)
        self.element_shape = (image_size, image_size, channels) if image_size else (*shape, channels)
        self.num_classes = num_classes
        self.metadata = metadata

    def _convert(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw)
        if raw.ndim == 3:
            raw = raw[..., None]
        raw = raw[..., :3]
        if self._image_size:
            pixels = raw if raw.dtype == np.uint8 else np.round((np.clip(raw, -1, 1) + 1) * 127.5).astype(np.uint8)
            return images.to_signed_unit(
                images.resize_batch(pixels, self._image_size, resize_filter=self._resize_filter)
            )
        if raw.dtype == np.uint8:
            return images.to_signed_unit(raw)
        return np.clip(raw.astype(np.float32), -1.0, 1.0)

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        rows = self._positions[indices]
        order = np.argsort(rows, kind="stable")  # a memory map reads sorted rows fastest
        x = np.empty((len(rows), *self.element_shape), np.float32)
        x[order] = self._convert(self._raw[rows[order]])
        batch = {"x": x}
        if self._labels is not None:
            batch["label"] = self._labels[rows]
        return batch

    def arrays(self) -> dict[str, np.ndarray] | None:
        if self.num_examples * int(np.prod(self.element_shape)) * 4 > 4 * IN_MEMORY_BYTES:
            return None
        return self.get(np.arange(self.num_examples))


def load_array(
    name: str,
    *,
    split: str = "train",
    image_size: int = 0,
    resize_filter: str = "bicubic",
    channels: int = 0,
    num_classes: int = 0,
) -> ArrayFileDataset:
    """The images of `name` ("array:<file>"); every setting and the values checked first."""
    image_size = images.check_image_size(image_size)
    images.check_resize_filter(resize_filter)
    train_test_positions(split, 1)  # the split's text is checked before the file is read
    file = check_file(name[len(PREFIX) :])
    raw, labels = _read(file, name)
    if raw.ndim not in (3, 4) or (raw.ndim == 4 and raw.shape[3] not in (1, 3, 4)) or raw.shape[0] == 0:
        raise ValueError(
            f"config.data.name {name!r} holds an array of shape {raw.shape}; images must be [N >= 1, H, W] or "
            "[N, H, W, C] with C 1, 3 or 4 (a multi-run `jaxgan sample` file: save one run, x[r])."
        )
    if raw.dtype != np.uint8 and not np.issubdtype(raw.dtype, np.floating):
        raise ValueError(f"config.data.name {name!r} holds {raw.dtype} pixels; use uint8 (0..255) or float ([-1, 1]).")
    if np.issubdtype(raw.dtype, np.floating):
        low = high = None
        for begin in range(0, raw.shape[0], 4096):  # checked in blocks: a memory-mapped file is not read at once
            block = np.asarray(raw[begin : begin + 4096], np.float64)
            if not np.all(np.isfinite(block)):
                raise ValueError(
                    f"config.data.name {name!r} holds NaN or infinite pixels; only finite values are accepted."
                )
            low = block.min() if low is None else min(low, block.min())
            high = block.max() if high is None else max(high, block.max())
        if low < -1 - _FLOAT_TOLERANCE or high > 1 + _FLOAT_TOLERANCE:
            raise ValueError(
                f"config.data.name {name!r} holds float pixels in [{low:.4g}, {high:.4g}]; float images are read "
                "in jaxgan's range [-1, 1], so rescale them (x / 127.5 - 1 for 0..255) or store uint8."
            )
    channels_found = 1 if raw.ndim == 3 else min(raw.shape[3], 3)
    if channels not in (0, channels_found):
        raise ValueError(
            f"config.data.channels={channels} but {name!r} holds {channels_found}-channel images; use 0 (as stored) "
            f"or {channels_found} for an array file."
        )
    if raw.ndim == 4 and raw.shape[3] == 4:
        print(f"jaxgan: the alpha channel of {name!r} is dropped (RGBA read as RGB).", file=sys.stderr, flush=True)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (raw.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"config.data.name {name!r}: `label` has shape {labels.shape} and dtype {labels.dtype}; it must be "
                f"integers [{raw.shape[0]}], one per image."
            )
        labels = labels.astype(np.int64)
    num_classes = check_labels(labels, num_classes, name)
    order = np.arange(raw.shape[0]) if labels is None else interleave_classes(labels)
    positions = np.sort(order[train_test_positions(split, raw.shape[0])])
    if len(positions) == 0:
        raise ValueError(f"config.data.split {split!r} selects no image of {name!r} ({raw.shape[0]} images).")
    return ArrayFileDataset(
        name,
        raw,
        labels,
        positions=positions,
        num_classes=num_classes,
        image_size=image_size,
        resize_filter=resize_filter,
        metadata={"source": "array", "file": str(file), "split": split},
    )
