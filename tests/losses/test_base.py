"""The shared reduction: weighted means over all elements, weights aligned on the leading axes."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.losses import weighted_mean


def test_unweighted_is_the_mean_over_all_elements():
    values = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_allclose(weighted_mean(values), 5.5)


def test_example_weights_broadcast_from_the_leading_axis():
    values = np.random.default_rng(0).standard_normal((3, 4, 5))
    weights = np.array([1.0, 3.0, 0.0])
    expected = np.sum(weights * values.mean(axis=(1, 2))) / weights.sum()
    np.testing.assert_allclose(weighted_mean(values, weights), expected, rtol=1e-6, atol=1e-7)
    per_patch = np.random.default_rng(1).uniform(size=(3, 4))
    np.testing.assert_allclose(
        weighted_mean(values, per_patch), np.sum(per_patch[..., None] * values) / (5 * per_patch.sum()), rtol=1e-6
    )
    np.testing.assert_allclose(weighted_mean(values, 2.0), values.mean(), rtol=1e-6)
    np.testing.assert_allclose(weighted_mean(values, np.ones((3, 1))), values.mean(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(4,), (3, 5), (3, 4, 5, 1)])
def test_weights_that_do_not_broadcast_raise(shape):
    with pytest.raises(ValueError, match="fake_weights"):
        weighted_mean(np.zeros((3, 4, 5)), np.ones(shape), setting="fake_weights")


def test_low_precision_inputs_are_computed_in_float32():
    values = jnp.asarray([0.1, 0.2, 0.3], jnp.bfloat16)
    result = weighted_mean(values, jnp.asarray([1.0, 1.0, 2.0], jnp.bfloat16))
    assert result.dtype == jnp.float32
    exact = np.asarray(values, np.float32)
    np.testing.assert_allclose(result, (exact[0] + exact[1] + 2 * exact[2]) / 4, rtol=1e-6)
