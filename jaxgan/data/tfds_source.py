"""Image datasets from tensorflow-datasets, read by random access without TensorFlow.

`tfds.data_source` opens a prepared dataset (ArrayRecord files) as a sequence of decoded
numpy examples; nothing here needs TensorFlow. Only when the data on disk has no random
access (TFRecord files) and TensorFlow is importable does `tfds.load` read the whole split
into memory instead.

Nothing is ever downloaded (`download=False`): this code runs where there is no network, so
a dataset that is not prepared under the data dir stops at once with `OfflineDatasetError`.

Images become float32 in [-1, 1]. With `image_size > 0` each is centre-cropped to a square
(CelebA to the central 140x140 face crop, a common choice for 64x64 faces; others to the
largest centred square) and resized to image_size x image_size (PIL, bicubic).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from jaxgan.data import images
from jaxgan.data.dataset import ArrayDataset, Dataset, check_indices

BUNDLED_ALTERNATIVES = "mnist, digits, ring, grid"

# Square crop (pixels, around the centre) taken before resizing, where the largest centred
# square is not the usual choice.
_CROP_SIZES = {"celeb_a": 140}


class OfflineDatasetError(ValueError):
    """A tensorflow-datasets dataset is not prepared on disk and cannot be downloaded here."""


def _offline_message(tfds_name: str, data_dir: str) -> str:
    base = tfds_name.split(":")[0].split("/")[0]
    return (
        f"The tensorflow-datasets dataset {tfds_name!r} is not prepared under {data_dir} and cannot be "
        f"downloaded here (no network), so prepare it on a machine with network with "
        f"`tfds build {base} --file_format=array_record` (or "
        f"`tfds.builder({base!r}).download_and_prepare(file_format='array_record')`) and copy it over, "
        f"pass the folder holding its `{base}/` directory as --config.data.data_dir, or use a bundled dataset ({BUNDLED_ALTERNATIVES})."
    )


def _builder(tfds_name: str, data_dir: str | None):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(tfds_name, data_dir=data_dir)
    except tfds.core.DatasetNotFoundError:
        raise ValueError(
            f"config.data.name 'tfds:{tfds_name}' names no tensorflow-datasets dataset; use a name from "
            f"`tfds.list_builders()` such as 'tfds:cifar10', or a bundled dataset ({BUNDLED_ALTERNATIVES})."
        ) from None


def _image_spec(tfds_name: str, features: Any, image_size: int) -> tuple[tuple[int, ...], int | None]:
    """Checks the features and returns (element_shape, num_classes)."""
    from tensorflow_datasets.core.features import ClassLabel

    if "image" not in features:
        raise ValueError(
            f"config.data.name 'tfds:{tfds_name}' has no 'image' feature (it has {sorted(features)}); "
            f"use an image dataset."
        )
    image = features["image"]
    if np.dtype(image.np_dtype) != np.uint8 or len(image.shape) != 3 or image.shape[-1] is None:
        raise ValueError(
            f"config.data.name 'tfds:{tfds_name}' has images of dtype {np.dtype(image.np_dtype)} and shape "
            f"{image.shape}; only uint8 images of shape [height, width, channels] are accepted."
        )
    if image_size == 0 and None in image.shape:
        raise ValueError(
            f"config.data.image_size 0 is not accepted for 'tfds:{tfds_name}', whose images vary in size "
            f"{image.shape}; use a positive square size such as 64."
        )
    shape = (image_size, image_size, image.shape[-1]) if image_size else tuple(image.shape)
    label = features["label"] if "label" in features else None
    num_classes = label.num_classes if isinstance(label, ClassLabel) else None
    return tuple(int(d) for d in shape), num_classes


def _check_split(tfds_name: str, split: str, known_splits: Sequence[str]) -> None:
    base = split.split("[")[0].strip() if isinstance(split, str) else None
    # Before a dataset is prepared tfds does not know its splits; the open step reports that.
    if known_splits and base not in known_splits:
        raise ValueError(
            f"config.data.split {split!r} is not a split of 'tfds:{tfds_name}'; use one of "
            f"{sorted(known_splits)}, optionally sliced like 'train[:90%]'."
        )


class TfdsDataset(Dataset):
    """A tensorflow-datasets split read example by example through `tfds.data_source`."""

    def __init__(
        self,
        name: str,
        source: Sequence[dict[str, Any]],
        *,
        element_shape: tuple[int, ...],
        num_classes: int | None,
        image_size: int,
        crop_size: int | None,
        metadata: dict[str, Any],
    ):
        self.name = name
        self.num_examples = len(source)
        self.element_shape = element_shape
        self.num_classes = num_classes
        self.metadata = metadata
        self._source = source
        self._image_size = image_size
        self._crop_size = crop_size

    def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        indices = check_indices(indices, self.num_examples)
        # One read per index: the mocked source of tfds.testing has no working batch read.
        examples = [self._source[int(i)] for i in indices]
        raw = [np.asarray(example["image"], np.uint8) for example in examples]
        if self._image_size:
            raw = [images.square_resize(image, self._image_size, crop_size=self._crop_size) for image in raw]
        pixels = np.stack(raw) if raw else np.zeros((0, *self.element_shape), np.uint8)
        batch = {"x": images.to_signed_unit(pixels)}
        if self.num_classes is not None:
            batch["label"] = np.asarray([example["label"] for example in examples], np.int32).reshape(-1)
        return batch


def _tensorflow_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def _load_in_memory(name: str, tfds_name: str, split: str, data_dir, *, image_size, crop_size, num_classes):
    """The fallback for data without random access: read the whole split with TensorFlow."""
    import tensorflow_datasets as tfds

    arrays = tfds.as_numpy(tfds.load(tfds_name, split=split, data_dir=data_dir, download=False, batch_size=-1))
    pixels = images.resize_batch(arrays["image"], image_size, crop_size=crop_size)
    label = arrays["label"] if num_classes is not None else None
    return ArrayDataset(
        name,
        images.to_signed_unit(pixels),
        label,
        num_classes=num_classes,
        metadata={"tfds_name": tfds_name, "split": split},
    )


def load_tfds(
    name: str, tfds_name: str, *, split: str = "train", image_size: int = 0, data_dir: str | None = None
) -> Dataset:
    """Opens split `split` of the tensorflow-datasets dataset `tfds_name` under `data_dir`.

    `name` is what the user asked for ("cifar10" or "tfds:cifar10"), kept as `Dataset.name`.
    Raises `OfflineDatasetError` (a ValueError) when the data is not on disk.
    """
    import tensorflow_datasets as tfds

    image_size = images.check_image_size(image_size)
    builder = _builder(tfds_name, data_dir)
    element_shape, num_classes = _image_spec(tfds_name, builder.info.features, image_size)
    _check_split(tfds_name, split, list(builder.info.splits.keys()))
    crop_size = _CROP_SIZES.get(builder.name) if image_size else None
    try:
        source = tfds.data_source(tfds_name, split=split, data_dir=data_dir, download=False)
    except Exception as error:  # tfds raises several types for data that is missing or unreadable
        if not builder.is_prepared():
            raise OfflineDatasetError(_offline_message(tfds_name, str(builder.data_dir))) from error
        if _tensorflow_available():
            return _load_in_memory(
                name, tfds_name, split, data_dir, image_size=image_size, crop_size=crop_size, num_classes=num_classes
            )
        raise ValueError(
            f"config.data.name {name!r} is prepared under {builder.data_dir} in a format without random "
            f"access ({builder.info.file_format}) and TensorFlow is not installed; rebuild it with "
            f"`tfds build {builder.name} --file_format=array_record` or install tensorflow."
        ) from error
    label_feature = builder.info.features["label"] if num_classes is not None else None
    metadata = {
        "tfds_name": tfds_name,
        "split": split,
        "data_dir": str(builder.data_dir),
        "label_names": list(label_feature.names) if label_feature is not None else None,
    }
    return TfdsDataset(
        name,
        source,
        element_shape=element_shape,
        num_classes=num_classes,
        image_size=image_size,
        crop_size=crop_size,
        metadata=metadata,
    )
