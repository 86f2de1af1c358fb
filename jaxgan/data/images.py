"""Host-side image conversion shared by the bundled, tensorflow-datasets and file sources.

Images are kept as uint8 while cropped and resized (PIL works on uint8 and its downscaling
filters average over the source pixels, so no aliasing), then mapped to float32 in [-1, 1].
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# `config.data.resize_filter`: PIL's resampling filters by name.
RESIZE_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def check_resize_filter(name: str) -> str:
    """Checks `config.data.resize_filter` names one of PIL's filters (`RESIZE_FILTERS`)."""
    if name not in RESIZE_FILTERS:
        raise ValueError(
            f"config.data.resize_filter {name!r} is not accepted; use one of {', '.join(RESIZE_FILTERS)} "
            "(PIL's resampling filters)."
        )
    return name


def to_signed_unit(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1]: x / 127.5 - 1."""
    return np.asarray(images, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


def check_image_size(image_size: int) -> int:
    """Checks `config.data.image_size` is an int >= 0 (0 keeps the dataset's own size)."""
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 0:
        raise ValueError(
            f"config.data.image_size {image_size!r} is not accepted; use 0 for the dataset's own "
            f"size or a positive int for a square size in pixels."
        )
    return int(image_size)


def center_crop(image: np.ndarray, crop_size: int | None = None) -> np.ndarray:
    """Crops [H, W, C] to a centred square of side `crop_size` (default: min(H, W))."""
    height, width = image.shape[:2]
    side = min(height, width) if crop_size is None else min(crop_size, height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def square_resize(
    image: np.ndarray, image_size: int, *, crop_size: int | None = None, resize_filter: str = "bicubic"
) -> np.ndarray:
    """uint8 [H, W, C] -> uint8 [image_size, image_size, C]: centre crop to a square, then resize.

    `resize_filter`: a name in `RESIZE_FILTERS` (default bicubic); PIL widens the filter when
    shrinking, so downscaling averages pixels.
    """
    image = center_crop(np.asarray(image, dtype=np.uint8), crop_size)
    if image.shape[0] == image_size and image.shape[1] == image_size:
        return image
    channels = image.shape[2]
    # PIL has no mode for [H, W, 1]; use its grayscale mode "L" and restore the channel axis.
    pil = Image.fromarray(image[..., 0] if channels == 1 else image)
    resized = np.asarray(pil.resize((image_size, image_size), RESIZE_FILTERS[resize_filter]))
    return resized.reshape(image_size, image_size, channels)


def resize_batch(
    images: np.ndarray, image_size: int, *, crop_size: int | None = None, resize_filter: str = "bicubic"
) -> np.ndarray:
    """uint8 [N, H, W, C] -> uint8 [N, image_size, image_size, C]; `image_size=0` leaves them as they are."""
    if image_size == 0:
        return np.asarray(images, dtype=np.uint8)
    if len(images) == 0:
        return np.zeros((0, image_size, image_size, np.shape(images)[-1]), np.uint8)
    return np.stack(
        [square_resize(image, image_size, crop_size=crop_size, resize_filter=resize_filter) for image in images]
    )
