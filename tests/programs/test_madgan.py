"""MAD-GAN (shared/MATH.md §8): the k generators are one module vmapped over a generator axis, each
example drawn by its own; samples carry their generator's index; k < 2 is refused. D's loss at its
optimum (log(k+1) - JSD_π) is tested in tests/losses/test_madgan.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.calls import draw_latents
from jaxgan.models.multi_generator import MultiMLPGenerator
from jaxgan.train import build, run_axis, sampling, sweeps
from tests.programs.helpers import tiny_config


@pytest.mark.parametrize("share_body", [True, False])
@pytest.mark.slow
def test_each_example_is_drawn_by_its_own_generator(share_body):
    k = 3
    module = MultiMLPGenerator(num_generators=k, share_body=share_body, width=8, depth=2)
    z = jax.random.normal(jax.random.PRNGKey(0), (6, 2))
    index = jnp.array([0, 2, 2, 1, 0, 2])
    params = jax.jit(lambda: module.init(jax.random.PRNGKey(1), z, index, train=False))()

    @jax.jit
    def outputs(params):
        apply = lambda i: module.apply(params, z, i, train=False)  # noqa: E731
        alone = [apply(jnp.full(6, j)) for j in range(k)]
        # generator 1 draws no example here: it gets no gradient
        grads = jax.grad(lambda p: jnp.sum(module.apply(p, z, jnp.array([0, 2, 2, 0, 0, 2]), train=False)))(params)
        return apply(index), alone, grads

    out, alone, grads = outputs(params)
    for j in range(k):  # example i's row equals generator index[i] applied alone
        np.testing.assert_allclose(out[index == j], alone[j][index == j], rtol=1e-6)
    leading = {path: leaf.shape[0] for path, leaf in jax.tree_util.tree_leaves_with_path(params)}
    body = [shape for path, shape in leading.items() if "body" in jax.tree_util.keystr(path)]
    assert all(shape == k for shape in body) != share_body  # a shared body has no generator axis
    kernel = grads["params"]["output"]["kernel"]  # [k, width, 2]
    assert float(jnp.max(jnp.abs(kernel[1]))) == 0.0 and float(jnp.max(jnp.abs(kernel[0]))) > 0.0


@pytest.mark.parametrize("k", [1, 0])
def test_fewer_than_two_generators_are_refused_in_one_sentence(k):
    with pytest.raises(ValueError, match=r"^config\.madgan\.num_generators must be an integer >= 2; got"):
        build.build(tiny_config("madgan", **{"madgan.num_generators": k}))


@pytest.mark.slow
def test_samples_carry_the_generator_that_drew_them():
    config = tiny_config("madgan")
    experiment = build.build(config)
    state = run_axis.initial_state(experiment, sweeps.runs_of(config))
    drawn = sampling.Sampler(experiment.program, 1, batch_size=64).draw(state, jax.random.PRNGKey(0), 100)
    assert set(drawn) == {"x", "generator"} and drawn["x"].shape == (1, 100, 2) and drawn["generator"].shape == (1, 100)
    assert set(np.unique(drawn["generator"])) == {0, 1, 2}
    network = experiment.program.networks["generator"]
    params = jax.tree.map(lambda a: a[0], state.params["generator"])
    # the recorded index is the one the sample was drawn with: G_j on the same z gives the same point
    z = draw_latents(experiment.program, ("z", "generator"), jax.random.PRNGKey(0), 100)["z"]
    again = network.apply({"params": params}, z, jnp.asarray(drawn["generator"][0]), train=False)
    np.testing.assert_allclose(drawn["x"][0], again, rtol=1e-5, atol=1e-6)
