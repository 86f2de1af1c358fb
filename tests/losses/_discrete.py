"""Random discrete distributions for the closed-form tests: weights p, q make losses exact expectations."""

import numpy as np

SEEDS = (0, 1, 2, 3, 4)
SUPPORT_SIZE = 7


def random_distributions(seed: int, size: int = SUPPORT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Two distributions on `size` points with every probability > 0 (Dirichlet(1) draws)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(size))
    q = rng.dirichlet(np.ones(size))
    return p, q


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """JSD(p, q) = ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2, in nats."""
    m = 0.5 * (p + q)
    return 0.5 * float(np.sum(p * np.log(p / m))) + 0.5 * float(np.sum(q * np.log(q / m)))
