"""Images from a folder of files: `config.data.name = "folder:<path>"`.

Every PNG, JPEG and WebP file below `<path>` (recursive; other files are left alone) is an
example, in the sorted order of the relative paths. Decoding is Pillow's. Labels (`labels`):

- "auto": from `<path>/dataset.json` when there is one, else from the first-level subfolders
  when every image lies in one, else none;
- "folders": ImageFolder's convention (torchvision, StudioGAN): the sorted first-level
  subfolder names are classes 0, 1, ...;
- "dataset_json": StyleGAN2-ADA's layout, `{"labels": [["relative/path.png", 3], ...]}`
  (a `null` "labels" means unlabelled);
- "none".

`num_classes` 0 takes max(label) + 1; a positive value refuses labels outside [0, num_classes).

Pixels. Grey modes ("L", "1", 16-bit) give one channel, every other mode three (palette, CMYK,
YCbCr converted; the alpha of RGBA/LA/PA dropped, said once). `channels` 0 keeps one channel
when every image is grey, else three; 1 or 3 converts. Without `image_size` every image must
have one size; with it each is centre-cropped to its largest square and resized with
`resize_filter` (`images.RESIZE_FILTERS`).

Checks before anything is compiled: the folder exists and holds images; every file decodes in
full (a truncated JPEG is caught), else it is named, or skipped and counted with
`skip_bad_files`. The result of that pass is kept under `<cache_dir>/folders/` by the folder's
fingerprint, so a resume does not decode everything again. Nothing is written into the folder.

A folder whose decoded images take at most `IN_MEMORY_BYTES` is held in memory (so the loop
can keep it on the devices); a larger one is decoded batch by batch, in threads, when read.
`FolderDataset.__getitem__` (one example, uint8) and `__len__` are the random-access protocol
of Grain's `RandomAccessDataSource`, so the source can be handed to a Grain pipeline as it is.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from jaxgan.data import images
from jaxgan.data.bundled import interleave_classes
from jaxgan.data.dataset import Dataset, check_indices, train_test_positions

PREFIX = "folder:"
EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
LABEL_SOURCES = ("auto", "folders", "dataset_json", "none")
DATASET_JSON = "dataset.json"
IN_MEMORY_BYTES = 256 * 2**20  # decoded uint8 pixels kept in memory up to this size
DEFAULT_CACHE_DIR = Path("~/.cache/jaxgan")
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N")
_THREADS = max(1, min(8, os.cpu_count() or 1))


def _say(message: str) -> None:
    print(f"jaxgan: {message}", file=sys.stderr, flush=True)


def check_root(path: str) -> Path:
    """The folder of `folder:<path>`, refused in one sentence when missing or not a folder."""
    if not path:
        raise ValueError("config.data.name 'folder:' names no folder; write folder:<path>, e.g. folder:~/faces.")
    root = Path(path).expanduser()
    if not root.exists():
        raise ValueError(
            f"config.data.name 'folder:{path}': {root} does not exist; pass a folder of PNG, JPEG or WebP images."
        )
    if not root.is_dir():
        raise ValueError(
            f"config.data.name 'folder:{path}': {root} is a file, not a folder; pass its folder, or array:{path} "
            "for a .npy/.npz of images."
        )
    return root


def image_files(root: Path) -> list[str]:
    """The relative paths (POSIX) of the image files below `root`, sorted; hidden entries skipped."""
    found = []
    visited = set()  # real paths: linked folders are followed, a cycle of links is not
    for directory, subdirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in visited:
            subdirs[:] = []
            continue
        visited.add(real)
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and name.lower().endswith(EXTENSIONS):
                found.append(Path(directory, name).relative_to(root).as_posix())
    return sorted(found)


def fingerprint(path: str) -> dict:
    """What identifies the folder's data: the number of image files, their total size, and a
    SHA-256 of the sorted relative paths with their sizes (and of dataset.json, when present)."""
    root = check_root(path)
    files = image_files(root)
    digest = hashlib.sha256()
    total = 0
    for relative in files:
        size = (root / relative).stat().st_size
        total += size
        digest.update(f"{relative}\t{size}\n".encode())
    labels_file = root / DATASET_JSON
    if labels_file.is_file():
        digest.update(b"dataset.json\n" + labels_file.read_bytes())
    return {
        "source": "folder",
        "path": str(root.resolve()),
        "files": len(files),
        "bytes": total,
        "sha256": digest.hexdigest(),
    }


# ----------------------------------------------------------------------------------------------
# Labels.


def _dataset_json_labels(root: Path, files: list[str]) -> np.ndarray | None:
    path = root / DATASET_JSON
    try:
        listed = json.loads(path.read_text(encoding="utf-8")).get("labels")
    except (OSError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path} is not a JSON object with a 'labels' list ({error}); write StyleGAN2-ADA's layout "
            '{"labels": [["relative/path.png", 0], ...]} or pass config.data.labels=none.'
        ) from None
    if listed is None:
        return None
    try:
        table = {str(relative).replace("\\", "/"): label for relative, label in listed}
    except (TypeError, ValueError):
        raise ValueError(
            f"{path}: 'labels' must be a list of [relative path, integer label] pairs; "
            "pass config.data.labels=none to ignore the file."
        ) from None
    missing = [relative for relative in files if relative not in table]
    if missing:
        raise ValueError(
            f"{path} gives no label for {len(missing)} image(s), e.g. {missing[0]!r}; label every image "
            "or pass config.data.labels=none (or folders)."
        )
    labels = [table[relative] for relative in files]
    bad = [(f, v) for f, v in zip(files, labels) if isinstance(v, bool) or not isinstance(v, int)]
    if bad:
        raise ValueError(f"{path}: the label of {bad[0][0]!r} is {bad[0][1]!r}; labels must be integers >= 0.")
    return np.asarray(labels, np.int64)


def _folder_labels(files: list[str]) -> tuple[np.ndarray, list[str]] | None:
    """ImageFolder's labels, or None when some image lies directly in the folder."""
    if any("/" not in relative for relative in files):
        return None
    classes = sorted({relative.split("/", 1)[0] for relative in files})
    index = {name: i for i, name in enumerate(classes)}
    return np.asarray([index[relative.split("/", 1)[0]] for relative in files], np.int64), classes


def read_labels(root: Path, files: list[str], source: str, name: str) -> tuple[np.ndarray | None, list[str] | None]:
    """(labels [N] or None, class names or None) from `source` (see the module doc)."""
    if source not in LABEL_SOURCES:
        raise ValueError(f"config.data.labels {source!r} is not accepted; use one of {', '.join(LABEL_SOURCES)}.")
    if source == "none":
        return None, None
    has_json = (root / DATASET_JSON).is_file()
    if source == "dataset_json" or (source == "auto" and has_json):
        if not has_json:
            raise ValueError(
                f"config.data.labels='dataset_json' and {name!r} has no {DATASET_JSON}; add one or use "
                "config.data.labels=folders (or auto)."
            )
        return _dataset_json_labels(root, files), None
    by_folder = _folder_labels(files)
    if by_folder is None:
        if source == "folders":
            loose = next(relative for relative in files if "/" not in relative)
            raise ValueError(
                f"config.data.labels='folders' needs every image of {name!r} in a class subfolder, and "
                f"{loose!r} lies directly in it; move it into one or use config.data.labels=none."
            )
        return None, None
    return by_folder


def check_labels(labels: np.ndarray | None, num_classes: int, name: str, where: list[str] | None = None) -> int | None:
    """The number of classes: `num_classes` when positive (labels must lie below it), else max + 1."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(
            f"config.data.num_classes {num_classes!r} is not accepted; use 0 (the largest label + 1) or a positive int."
        )
    if labels is None:
        return None
    if len(labels) and labels.min() < 0:
        i = int(np.argmin(labels))
        at = f" ({where[i]!r})" if where else f" (example {i})"
        raise ValueError(f"{name!r} has the negative label {int(labels[i])}{at}; labels must be integers >= 0.")
    if num_classes and len(labels) and labels.max() >= num_classes:
        i = int(np.argmax(labels))
        at = f" ({where[i]!r})" if where else f" (example {i})"
        raise ValueError(
            f"{name!r} has label {int(labels[i])}{at}, out of range for config.data.num_classes={num_classes}; "
            f"labels must lie in [0, {num_classes}), or set num_classes to 0 (the largest label + 1)."
        )
    return int(num_classes) if num_classes else int(labels.max()) + 1 if len(labels) else 0


# ----------------------------------------------------------------------------------------------
# Pixels.


def _to_array(image: Image.Image, channels: int) -> np.ndarray:
    """A decoded image as uint8 [H, W, channels]."""
    mode = image.mode
    if mode in _SIXTEEN_BIT:
        grey = np.asarray(image, np.float64) / 257.0  # 0..65535 -> 0..255
        pixels = np.clip(np.round(grey), 0, 255).astype(np.uint8)[..., None]
        return np.repeat(pixels, 3, axis=-1) if channels == 3 else pixels
    if channels == 1:
        return np.asarray(image.convert("L"), np.uint8)[..., None]
    return np.asarray(image.convert("RGB"), np.uint8)


def decode(path: Path, channels: int) -> np.ndarray:
    with Image.open(path) as image:
        return _to_array(image, channels)


def _inspect(path: Path) -> tuple[tuple[int, int], str] | str:
    """((height, width), mode) of a file that decodes in full, else why it does not."""
    try:
        with Image.open(path) as image:
            image.load()  # a truncated file raises here, not at open
            if image.mode == "F":
                return "it holds 32-bit float pixels (mode F), which are not accepted"
            return (image.height, image.width), image.mode
    except UnidentifiedImageError:
        return "it is not an image Pillow can read"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        return f"it does not decode ({' '.join(str(error).split())})"


def _scan(root: Path, files: list[str]) -> list:
    with concurrent.futures.ThreadPoolExecutor(_THREADS) as pool:
        return list(pool.map(lambda relative: _inspect(root / relative), files, chunksize=16))


def _scan_cached(root: Path, files: list[str], print_fingerprint: dict, cache_dir) -> list:
    """`_scan`, kept as JSON under `<cache_dir>/folders/` by the folder's fingerprint."""
    path = None
    if cache_dir:
        key = hashlib.sha256(f"{print_fingerprint['path']}\n{print_fingerprint['sha256']}".encode()).hexdigest()
        path = Path(cache_dir).expanduser() / "folders" / f"{key[:32]}.json"
        if path.is_file():
            try:
                stored = json.loads(path.read_text())
                if stored["files"] == files:
                    return [tuple((tuple(r[0]), r[1])) if isinstance(r, list) else r for r in stored["results"]]
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is scanned again
    results = _scan(root, files)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.stem}.tmp{os.getpid()}")
            temporary.write_text(json.dumps({"files": files, "results": results}))
            os.replace(temporary, path)
        except OSError:
            pass  # an unwritable cache only costs the next load a scan
    return results


class FolderDataset(Dataset):
    """The images of a folder (see the module doc): `get` -> {"x": float32 [-1, 1], "label"?}."""

    def __init__(self, name, root, files, labels, *, num_classes, element_shape, image_size, resize_filter, metadata):
        self.name = name
        self.root = root
        self.files = list(files)
        self.num_examples = len(self.files)
        self.element_shape = tuple(element_shape)
        self.num_classes = num_classes
        self.metadata = metadata
        self._labels = None if labels is None else np.asarray(labels, np.int32)
        self._image_size = image_size
        self._resize_filter = resize_filter
        self._pixels = None
        if self.num_examples * int(np.prod(self.element_shape)) <= IN_MEMORY_BYTES:
            self._pixels = self._decode_many(range(self.num_examples))

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        """One example, uint8 pixels [H, W, C] (and its label): Grain's random-access protocol."""
        index = int(check_indices(np.asarray([index]), self.num_examples)[0])
        pixels = self._pixels[index] if self._pixels is not None else self._decode_one(index)
        example = {"x": pixels}
        if self._labels is not None:
            example["label"] = self._labels[index]
        return example

    def _decode_one(self, index: int) -> np.ndarray:
        pixels = decode(self.root / self.files[index], self.element_shape[-1])
        if self._image_size:
            pixels = images.square_resize(pixels, self._image_size, resize_filter=self._resize_filter)
        return pixels

    def _decode_many(self, indices) -> np.ndarray:
        indices = list(indices)
        out = np.empty((len(indices), *self.element_shape), np.uint8)
        with concurrent.futures.ThreadPoolExecutor(_THREADS) as pool:
            for row, pixels in enumerate(pool.map(self._decode_one, indices)):
                out[row] = pixels
        return out

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        pixels = self._pixels[indices] if self._pixels is not None else self._decode_many(indices)
        batch = {"x": images.to_signed_unit(pixels)}
        if self._labels is not None:
            batch["label"] = self._labels[indices]
        return batch

    def arrays(self) -> dict[str, np.ndarray] | None:
        if self._pixels is None:
            return None
        out = {"x": images.to_signed_unit(self._pixels)}
        if self._labels is not None:
            out["label"] = self._labels
        return out


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[1]}x{size[0]}"


def load_folder(
    name: str,
    *,
    split: str = "train",
    image_size: int = 0,
    resize_filter: str = "bicubic",
    channels: int = 0,
    labels: str = "auto",
    num_classes: int = 0,
    skip_bad_files: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> FolderDataset:
    """The folder of `name` ("folder:<path>") as a `FolderDataset`; every setting checked first.

    `split`: "train" (every image), a slice such as "train[:90%]", or "test" (= "train[90%:]"), of
    the sorted files in class-interleaved order when labelled (`bundled.interleave_classes`), so
    slices are stratified; the examples stay in sorted order.
    `cache_dir`: where the decoding pass is kept (None: `DEFAULT_CACHE_DIR`).
    """
    image_size = images.check_image_size(image_size)
    images.check_resize_filter(resize_filter)
    if channels not in (0, 1, 3) or isinstance(channels, bool):
        raise ValueError(
            f"config.data.channels {channels!r} is not accepted; use 0 (as the files are), 1 (grey) or 3 (RGB)."
        )
    train_test_positions(split, 1)  # the split's text is checked before the folder is read
    root = check_root(name[len(PREFIX) :])
    files = image_files(root)
    if not files:
        raise ValueError(
            f"config.data.name {name!r}: {root} holds no PNG, JPEG or WebP file (searched recursively); "
            "pass a folder of images."
        )
    label_values, class_names = read_labels(root, files, labels, name)
    print_ = fingerprint(name[len(PREFIX) :])
    results = _scan_cached(root, files, print_, DEFAULT_CACHE_DIR if cache_dir is None else cache_dir)
    bad = [(relative, why) for relative, why in zip(files, results) if isinstance(why, str)]
    if bad and not skip_bad_files:
        relative, why = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise ValueError(
            f"{root / relative} cannot be read: {why}{more}; remove or repair it, or pass "
            "config.data.skip_bad_files=True to skip such files (they are counted)."
        )
    keep = [i for i, result in enumerate(results) if not isinstance(result, str)]
    if bad:
        _say(
            f"skipped {len(bad)} of {len(files)} files of {name!r} that cannot be read, e.g. {bad[0][0]} ({bad[0][1]})."
        )
    if not keep:
        raise ValueError(f"config.data.name {name!r}: none of the {len(files)} image files of {root} can be read.")
    order = np.asarray(keep)
    if label_values is not None:  # class-interleaved: "train[:90%]" and "test" are stratified
        order = order[interleave_classes(label_values[order])]
    positions = np.sort(order[train_test_positions(split, len(order))])
    if len(positions) == 0:
        raise ValueError(f"config.data.split {split!r} selects no image of {name!r} ({len(keep)} images).")
    files = [files[i] for i in positions]
    found = [results[i] for i in positions]
    if label_values is not None:
        label_values = label_values[positions]
    num_classes = check_labels(label_values, num_classes, name, files)

    modes = [mode for _, mode in found]
    grey = sum(mode in _GREY_MODES for mode in modes)
    if channels == 0:
        channels = 1 if grey == len(modes) else 3
    converted = {}
    for mode in modes:
        if mode in _ALPHA_MODES:
            converted["with alpha (dropped)"] = converted.get("with alpha (dropped)", 0) + 1
        elif mode in ("P", "PA"):
            converted["palette"] = converted.get("palette", 0) + 1
        elif channels == 3 and mode in _GREY_MODES:
            converted["grey (to RGB)"] = converted.get("grey (to RGB)", 0) + 1
        elif channels == 1 and mode not in _GREY_MODES:
            converted["colour (to grey)"] = converted.get("colour (to grey)", 0) + 1
        elif mode not in ("RGB", "L"):
            converted[mode] = converted.get(mode, 0) + 1
    sizes = {}
    for relative, (size, _) in zip(files, found):
        sizes.setdefault(size, relative)
    if image_size:
        element_shape = (image_size, image_size, channels)
    elif len(sizes) > 1:
        counts = {size: 0 for size in sizes}
        for size, _ in found:
            counts[size] += 1
        listed = ", ".join(f"{_size_text(s)} ({counts[s]}, e.g. {sizes[s]})" for s in list(sizes)[:3])
        raise ValueError(
            f"{name!r} holds images of {len(sizes)} sizes: {listed}; set config.data.image_size to centre-crop "
            "and resize them all to one square size, e.g. 64."
        )
    else:
        ((height, width),) = sizes
        element_shape = (height, width, channels)
    if converted:
        listed = ", ".join(f"{count} {what}" for what, count in sorted(converted.items()))
        _say(f"converted images of {name!r} to {'grey' if channels == 1 else 'RGB'}: {listed}.")

    metadata = {
        "source": "folder",
        "root": str(root),
        "split": split,
        "label_names": class_names,
        "skipped": [relative for relative, _ in bad],
        "fingerprint": print_,
    }
    return FolderDataset(
        name,
        root,
        files,
        label_values,
        num_classes=num_classes,
        element_shape=element_shape,
        image_size=image_size,
        resize_filter=resize_filter,
        metadata=metadata,
    )
