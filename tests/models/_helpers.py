"""Shared test helpers for tests/models: numpy-drawn variables and compiled applies.

Drawing variables with numpy (shapes from `jax.eval_shape`) avoids compiling the random
initialisers, and one compiled program per test beats op-by-op dispatch on a busy CPU.
"""

import math

import jax
import numpy as np

# rbg keys compile much faster than threefry on CPU; the models do not care which.
KEY = jax.random.key(0, impl="rbg")


def init_variables(module, *inputs, seed=0):
    """Variables for `module` (numpy arrays of the right shapes and dtypes).

    Kernels ~ N(0, 1/fan_in), biases and running means 0, scales and running variances 1,
    spectral-norm vectors `u` ~ N(0, 1) and `sigma` 1.
    """
    shapes = jax.eval_shape(lambda: module.init(KEY, *inputs, train=False))
    rng = np.random.default_rng(seed)

    def draw(path, leaf):
        name = path[-1].key
        if name in ("bias", "mean"):
            value = np.zeros(leaf.shape)
        elif name in ("scale", "var") or name.endswith("/sigma"):
            value = np.ones(leaf.shape)
        elif name.endswith("/u"):
            value = rng.normal(size=leaf.shape)
        else:
            value = rng.normal(size=leaf.shape) / np.sqrt(math.prod(leaf.shape[:-1]))
        return value.astype(leaf.dtype)

    return jax.tree_util.tree_map_with_path(draw, shapes)


def jit_apply(module, variables, *inputs, **options):
    """`module.apply(variables, *inputs, **options)` as one compiled program, outputs as numpy."""
    apply = jax.jit(lambda variables, *inputs: module.apply(variables, *inputs, **options))
    return jax.tree.map(np.asarray, apply(variables, *inputs))


def normal(*shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def num_params(module, *inputs):
    shapes = jax.eval_shape(lambda: module.init(KEY, *inputs, train=False))
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(shapes["params"]))
