"""Nearest-neighbour metrics on features: 1-NN two-sample test, precision/recall, density/coverage.

Distances are Euclidean, computed with JAX in float32 in blocks of query rows (so a 10⁴ x 10⁴
problem never holds the full distance matrix), after centring both sets on the real mean to
keep `‖a‖² + ‖b‖² - 2aᵀb` accurate. A k-NN ball `B(x, r)` is closed: `‖y - x‖ ≤ r`, where
`r` is the distance from `x` to its k-th nearest neighbour in its own set, itself excluded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.metrics.fid import check_features

_BLOCK_ROWS = 512


class PrecisionRecall(NamedTuple):
    precision: float
    recall: float


class DensityCoverage(NamedTuple):
    density: float
    coverage: float


def _squared_distances(a: jax.Array, b: jax.Array) -> jax.Array:
    a_sq = jnp.sum(a * a, axis=1)
    b_sq = jnp.sum(b * b, axis=1)
    return jnp.maximum(a_sq[:, None] + b_sq[None, :] - 2.0 * a @ b.T, 0.0)


@functools.partial(jax.jit, static_argnames="k")
def _block_knn(block: jax.Array, points: jax.Array, offset: jax.Array, k: int) -> tuple[jax.Array, jax.Array]:
    """k smallest squared distances (and indices) from `block` rows to `points`, skipping each row's own index.

    Row i of the block is point `offset + i` of `points` when the block is drawn from them;
    pass an offset past the end (e.g. len(points)) when it is not.
    """
    d = _squared_distances(block, points)
    own = offset + jnp.arange(block.shape[0])
    d = jnp.where(jnp.arange(points.shape[0])[None, :] == own[:, None], jnp.inf, d)
    neg, indices = jax.lax.top_k(-d, k)
    return -neg, indices


@jax.jit
def _block_ball_counts(block: jax.Array, centres: jax.Array, radii_sq: jax.Array) -> jax.Array:
    """For each block row, how many balls `B(centre_i, radius_i)` contain it."""
    return jnp.sum(_squared_distances(block, centres) <= radii_sq[None, :], axis=1)


def _by_blocks(fn: Callable[[jax.Array, int], tuple | jax.Array], queries: np.ndarray) -> list[np.ndarray]:
    """Applies `fn(block, offset)` to fixed-size row blocks of `queries` (the last one padded) and
    concatenates the outputs on the host, dropping the padding."""
    n = queries.shape[0]
    rows = min(_BLOCK_ROWS, n)
    outputs = []
    for start in range(0, n, rows):
        block = queries[start : start + rows]
        valid = block.shape[0]
        if valid < rows:
            block = np.concatenate([block, np.zeros((rows - valid, queries.shape[1]), queries.dtype)])
        out = fn(jnp.asarray(block), start)
        out = out if isinstance(out, tuple) else (out,)
        outputs.append([np.asarray(o)[:valid] for o in out])
    return [np.concatenate(parts) for parts in zip(*outputs)]


def _kth_neighbour_sq_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Squared distance from each point to its k-th nearest neighbour among the others."""
    device_points = jnp.asarray(points)
    (dists, _) = _by_blocks(lambda block, start: _block_knn(block, device_points, jnp.int32(start), k), points)
    return dists[:, k - 1]


def _ball_counts(queries: np.ndarray, centres: np.ndarray, radii_sq: np.ndarray) -> np.ndarray:
    device_centres, device_radii = jnp.asarray(centres), jnp.asarray(radii_sq)
    (counts,) = _by_blocks(lambda block, start: _block_ball_counts(block, device_centres, device_radii), queries)
    return counts


def _prepare(real, fake, *, metric: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{metric}: `k` must be a positive integer; got {k!r}.")
    real, fake = check_features(real, fake, metric=metric, min_examples=k + 1)
    centre = real.mean(axis=0)
    return (real - centre).astype(np.float32), (fake - centre).astype(np.float32)


def precision_recall(real, fake, *, k: int = 3) -> PrecisionRecall:
    """Improved precision and recall (Kynkäänniemi et al. 2019), k-NN balls with k = 3.

    precision = (1/M) Σ_j 1[fake_j ∈ ∪_i B(real_i, NND_k(real_i))]  (fake samples that look real)
    recall    = (1/N) Σ_i 1[real_i ∈ ∪_j B(fake_j, NND_k(fake_j))]  (real samples the model covers)

    `real [N, d]`, `fake [M, d]` features; each set needs more than k examples.
    """
    real, fake = _prepare(real, fake, metric="precision_recall", k=k)
    real_radii = _kth_neighbour_sq_radii(real, k)
    fake_radii = _kth_neighbour_sq_radii(fake, k)
    precision = np.mean(_ball_counts(fake, real, real_radii) > 0)
    recall = np.mean(_ball_counts(real, fake, fake_radii) > 0)
    return PrecisionRecall(float(precision), float(recall))


def density_coverage(real, fake, *, k: int = 5) -> DensityCoverage:
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics"), k = 5.

    density  = 1/(kM) Σ_j Σ_i 1[fake_j ∈ B(real_i, NND_k(real_i))]   (1 on average when q = p)
    coverage = (1/N) Σ_i 1[∃ j: fake_j ∈ B(real_i, NND_k(real_i))]

    Only real k-NN balls are used, which makes both robust to outlying fake samples.
    """
    real, fake = _prepare(real, fake, metric="density_coverage", k=k)
    real_radii = _kth_neighbour_sq_radii(real, k)
    density = np.sum(_ball_counts(fake, real, real_radii)) / (k * fake.shape[0])
    device_fake = jnp.asarray(fake)
    (nearest_fake, _) = _by_blocks(
        lambda block, start: _block_knn(block, device_fake, jnp.int32(fake.shape[0]), 1), real
    )
    coverage = np.mean(nearest_fake[:, 0] <= real_radii)
    return DensityCoverage(float(density), float(coverage))


def one_nn_accuracy(real, fake) -> float:
    """Leave-one-out 1-NN two-sample test accuracy on the pooled set (Lopez-Paz & Oquab 2017).

    Each of the N + M pooled examples is classified as real or fake by the label of its
    nearest neighbour among the others; the accuracy is the fraction classified correctly:
    about 0.5 when the samples come from one distribution, 1.0 when they are separated
    (Xu et al. 2018 recommend it for GAN evaluation with balanced N = M).
    """
    real, fake = _prepare(real, fake, metric="one_nn_accuracy", k=1)
    pooled = np.concatenate([real, fake])
    is_fake = np.arange(pooled.shape[0]) >= real.shape[0]
    device_pooled = jnp.asarray(pooled)
    (_, nearest) = _by_blocks(lambda block, start: _block_knn(block, device_pooled, jnp.int32(start), 1), pooled)
    return float(np.mean(is_fake[nearest[:, 0]] == is_fake))


def nearest_neighbour_accuracy(train_features, train_labels, test_features, test_labels) -> float:
    """Accuracy of the 1-nearest-neighbour classifier fit on `(train_features [N, d], train_labels [N])`
    on `(test_features [M, d], test_labels [M])`: each test example takes the label of its nearest
    training example (Euclidean; the first one on a tie). Donahue et al. 2017 (BiGAN, Table 1)
    score an encoder this way on E(x) of MNIST.
    """
    train_features, test_features = check_features(
        train_features, test_features, metric="nearest_neighbour_accuracy", min_examples=1
    )
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    if train_labels.shape != (train_features.shape[0],) or test_labels.shape != (test_features.shape[0],):
        raise ValueError(
            f"nearest_neighbour_accuracy: one label per example is needed; got labels {train_labels.shape} for "
            f"features {train_features.shape} and {test_labels.shape} for {test_features.shape}."
        )
    centre = train_features.mean(axis=0)
    train = jnp.asarray((train_features - centre).astype(np.float32))
    test = (test_features - centre).astype(np.float32)
    past_end = jnp.int32(train.shape[0])  # the test rows are not training points: exclude none
    (_, nearest) = _by_blocks(lambda block, start: _block_knn(block, train, past_end, 1), test)
    return float(np.mean(train_labels[nearest[:, 0]] == test_labels))
