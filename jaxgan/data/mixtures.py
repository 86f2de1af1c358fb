"""The 2-D Gaussian mixtures of the PacGAN benchmark (MATH.md §7).

Ring: 8 modes evenly spaced on the unit circle, std 0.01. Grid: 25 modes at {-4,-2,0,2,4}²,
std 0.05. Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative
adversarial networks", NeurIPS 2018 (after Metz et al. 2017 and Srivastava et al. 2017).

The modes have equal weights, and the points are split over them as evenly as the count
allows (counts differ by at most one), assigned to modes in a seeded random order. Each
point's mode index is its label.
"""

from __future__ import annotations

import numpy as np

from jaxgan.data.dataset import ArrayDataset

RING_STD = 0.01
GRID_STD = 0.05

# The generator stream of each split, so "train" and "test" are independent draws.
_SPLIT_STREAMS = {"train": 0, "test": 1}


def ring_centers(num_modes: int = 8, radius: float = 1.0) -> np.ndarray:
    """[num_modes, 2] float32: points at angles 2πk/num_modes on a circle of `radius`."""
    angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)).astype(np.float32)


def grid_centers(values: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
    """[len(values)², 2] float32: the grid values² in row-major order (x slow, y fast)."""
    xs, ys = np.meshgrid(np.asarray(values), np.asarray(values), indexing="ij")
    return np.stack([xs.reshape(-1), ys.reshape(-1)], axis=-1).astype(np.float32)


def sample_mixture(
    centers: np.ndarray, std: float, *, num_examples: int, seed: int, stream: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draws `num_examples` points from the equal-weight mixture of N(center, std² I).

    Returns (points float32 [num_examples, 2], modes int32 [num_examples]). A pure function
    of (centers, std, num_examples, seed, stream).
    """
    centers = np.asarray(centers, dtype=np.float64)
    rng = np.random.default_rng((seed, stream))
    modes = rng.permutation(np.arange(num_examples) % len(centers))
    noise = rng.standard_normal((num_examples, centers.shape[1]))
    points = centers[modes] + std * noise
    return points.astype(np.float32), modes.astype(np.int32)


def _check(name: str, *, split: str, seed: int, num_examples: int, image_size: int) -> None:
    if split not in _SPLIT_STREAMS:
        raise ValueError(
            f"config.data.split {split!r} is not accepted for the 2-D mixture {name!r}; use 'train' or 'test'."
        )
    if isinstance(num_examples, bool) or not isinstance(num_examples, (int, np.integer)) or num_examples < 1:
        raise ValueError(f"config.data.num_examples {num_examples!r} is not accepted; use a positive int.")
    if image_size != 0:
        raise ValueError(f"config.data.image_size {image_size!r} is not accepted for the 2-D mixture {name!r}; use 0.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"config.seed {seed!r} is not accepted; use a non-negative int.")


def load_mixture(
    name: str, *, split: str = "train", seed: int = 0, num_examples: int = 100_000, image_size: int = 0
) -> ArrayDataset:
    """The "ring" or "grid" mixture as an in-memory dataset; metadata has "centers" and "std"."""
    if name == "ring":
        centers, std = ring_centers(), RING_STD
    elif name == "grid":
        centers, std = grid_centers(), GRID_STD
    else:
        raise ValueError(f"config.data.name {name!r} is not a 2-D mixture; use 'ring' or 'grid'.")
    _check(name, split=split, seed=seed, num_examples=num_examples, image_size=image_size)
    points, modes = sample_mixture(
        centers, std, num_examples=int(num_examples), seed=int(seed), stream=_SPLIT_STREAMS[split]
    )
    return ArrayDataset(name, points, modes, num_classes=len(centers), metadata={"centers": centers, "std": std})
