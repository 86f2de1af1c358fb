"""The user's examples for a command (`jaxgan sample --input`, `jaxgan classify --input`), read and
checked against the run's data before any checkpoint is read.

Images: an `.npy` array (`[n, H, W, C]`, `[n, H, W]` for grey images, or one `[H, W, C]`),
floats in [-1, 1] (the data's range) or uint8 in [0, 255], or a `.png` of one image; they must
have the size and channels of the run's data. Points (vector data, e.g. the ring): an `.npy`
array `[n, d]` (or one `[d]`) of finite floats.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image


def read_examples(path: str, shape: tuple[int, ...], *, use: str, flag: str = "--input") -> np.ndarray:
    """The examples of `path` as float32 `[n, *shape]`, refused in one sentence unless they fit;
    `use` says what the run does with them, for the message (e.g. "this run translates sources")."""
    shape = tuple(shape)
    images = len(shape) == 3
    accepted = ".npy (an array of images) or .png (one image)" if images else ".npy (an array of points)"
    if not path.endswith((".npy", ".png") if images else (".npy",)):
        raise ValueError(f"{flag}={path!r} must end in {accepted}.")
    if not os.path.isfile(path):
        raise ValueError(f"{flag}={path!r} is not a file; give {accepted}.")
    if path.endswith(".png"):
        array = np.asarray(Image.open(path).convert("L" if shape[-1] == 1 else "RGB"))
    else:
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise ValueError(f"{flag}={path!r} is not a numeric .npy array ({error}).") from None
    if images and array.dtype == np.uint8:
        array = array.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{flag}={path!r} holds {array.dtype} values; give numbers.")
    array = np.asarray(array, np.float32)
    if images and array.ndim == len(shape) - 1 and shape[-1] == 1:
        array = array[..., None]  # one grey image [H, W]
    if images and array.ndim == len(shape) and array.shape != shape and shape[-1] == 1 and array.shape[-1] != 1:
        array = array[..., None]  # grey images [n, H, W]
    if array.ndim == len(shape):
        array = array[None]
    if array.shape[1:] != shape or len(array) == 0:
        what = "images" if images else "points"
        got = f"{what} of shape {array.shape[1:]}" if len(array) else "no examples"
        accepts = f"[n, {', '.join(map(str, shape))}]" + (
            f" or [n, {shape[0]}, {shape[1]}]" if images and shape[-1] == 1 else ""
        )
        raise ValueError(
            f"{flag}={path!r} holds {got}, but {use} of shape {shape}; give an array {accepts}"
            + (" (resize them to that size first)." if images else ".")
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{flag}={path!r} holds NaN or infinite values.")
    if images and (array.min() < -1.0 - 1e-6 or array.max() > 1.0 + 1e-6):
        raise ValueError(
            f"{flag}={path!r}: float images must lie in [-1, 1], the data's range (or be uint8 in [0, 255])."
        )
    return array
