"""The state's init compiled at LLVM -O1 (`state.init_compiler_options`) gives the same state, to
the bit, as XLA's default options: the option buys compile time and changes no number.

The seed DCGAN's state (convolutions, batch norm, Adam) is the case held here: the default-option
compile the comparison needs is the cost the option removes (CycleGAN's tiny ResNets and
PatchGAN: 20 s, also equal to the bit; the ring's MLPs: equal).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxgan.config import dcgan_mnist_config
from jaxgan.train import build
from jaxgan.train import state as state_lib


@pytest.mark.slow
def test_init_at_o1_equals_the_default_compile():
    assert state_lib.init_compiler_options() == {"xla_backend_optimization_level": 1}  # the tests run on CPU
    experiment = build.build(dcgan_mnist_config())
    init = state_lib.state_init(experiment.program, experiment.feature_specs)
    rng = jax.random.PRNGKey(7)
    by_default = jax.jit(init)(rng)
    at_o1 = state_lib.create_state(experiment.program, rng=rng, feature_specs=experiment.feature_specs)
    leaves = jax.tree.leaves(jax.device_get(by_default))
    assert sum(np.size(x) for x in leaves) > 1000  # networks, not only counters
    for a, b in zip(leaves, jax.tree.leaves(jax.device_get(at_o1)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_create_state_traces_inside_transformations():
    experiment = build.build(dcgan_mnist_config())
    make = lambda key: build.new_state(experiment, key)  # noqa: E731
    abstract = jax.eval_shape(make, jax.random.PRNGKey(0))
    concrete = make(jax.random.PRNGKey(0))
    assert jax.tree.map(lambda a: (a.shape, a.dtype), abstract) == jax.tree.map(lambda a: (a.shape, a.dtype), concrete)
