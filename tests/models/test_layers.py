"""Tests for jaxgan/models/layers.py: maxout, minibatch discrimination, spectral norm, resampling."""

import functools

import flax.linen as nn
import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.models import layers

from ._helpers import init_variables


def test_maxout_is_the_max_over_consecutive_pieces():
    x = np.array([[1.0, 5.0, 2.0, 0.0, -1.0, -3.0]], np.float32)
    by_three, by_two, by_one = jax.jit(lambda x: [layers.maxout(x, k) for k in (3, 2, 1)])(x)
    np.testing.assert_array_equal(by_three, [[5.0, 0.0]])
    np.testing.assert_array_equal(by_two, [[5.0, 2.0, -1.0]])
    np.testing.assert_array_equal(by_one, x)
    with pytest.raises(ValueError, match="multiple of `num_pieces`"):
        layers.maxout(x, 4)


def test_upsample_nearest_and_downsample_average():
    x = np.arange(4.0, dtype=np.float32).reshape(1, 2, 2, 1)
    ramp = np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1)

    @jax.jit
    def run(x, ramp):
        up = layers.upsample_nearest(x)
        return up, layers.downsample_average(up), layers.downsample_average(ramp)

    up, down_up, down = run(x, ramp)
    np.testing.assert_array_equal(up[0, :, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    # Averaging 2x2 blocks undoes nearest upsampling exactly.
    np.testing.assert_array_equal(down_up, x)
    np.testing.assert_allclose(down[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


def _minibatch_reference(features, tensor, num_kernels, kernel_dim):
    """Salimans et al. 2016, §3.2, with explicit loops."""
    m = (features @ tensor).reshape(len(features), num_kernels, kernel_dim)
    o = np.zeros((len(features), num_kernels))
    for i in range(len(features)):
        for b in range(num_kernels):
            o[i, b] = sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(len(features)))
    return np.concatenate([features, o], axis=1)


class TestMinibatchDiscrimination:
    num_kernels, kernel_dim, width, batch = 3, 4, 6, 5
    module = layers.MinibatchDiscrimination(num_kernels, kernel_dim)
    apply = staticmethod(jax.jit(functools.partial(module.apply, train=False)))

    def _variables(self):
        return init_variables(self.module, np.zeros((self.batch, self.width), np.float32))

    def test_matches_the_formula(self):
        variables = self._variables()
        features = np.random.default_rng(0).normal(size=(self.batch, self.width)).astype(np.float32)
        out = self.apply(variables, features)
        tensor = np.asarray(variables["params"]["tensor"]["kernel"])
        assert tensor.shape == (self.width, self.num_kernels * self.kernel_dim)
        expected = _minibatch_reference(features, tensor, self.num_kernels, self.kernel_dim)
        np.testing.assert_allclose(out, expected, rtol=1e-5)

    def test_identical_samples_give_the_batch_size(self):
        features = np.tile(np.arange(1.0, self.width + 1.0, dtype=np.float32), (self.batch, 1))
        out = self.apply(self._variables(), features)
        assert out.shape == (self.batch, self.width + self.num_kernels)
        np.testing.assert_allclose(out[:, self.width :], np.full((self.batch, self.num_kernels), float(self.batch)))

    def test_permutation_equivariance(self):
        variables = self._variables()
        features = np.random.default_rng(1).normal(size=(self.batch, self.width)).astype(np.float32)
        permutation = np.array([3, 0, 4, 1, 2])
        out = np.asarray(self.apply(variables, features))
        out_permuted = self.apply(variables, features[permutation])
        np.testing.assert_allclose(out_permuted, out[permutation], rtol=1e-6)
        # Not trivially invariant: examples get different similarity features.
        assert np.ptp(np.asarray(out[:, self.width :]), axis=0).min() > 1e-4


class _SpectralDense(nn.Module):
    features: int

    @nn.compact
    def __call__(self, x, *, train: bool):
        return layers.spectral_normalized(nn.Dense(self.features, name="dense"), enabled=True, train=train)(x)


class TestSpectralNorm:
    module = _SpectralDense(5)
    x = np.ones((2, 7), np.float32)

    def test_power_iteration_converges_to_the_largest_singular_value(self):
        variables = init_variables(self.module, self.x)
        stats = variables["batch_stats"]["dense_spectral_norm"]
        assert set(stats) == {"dense/kernel/u", "dense/kernel/sigma"}

        @jax.jit
        def power_iterations(variables):
            def step(_, batch_stats):
                _, updates = self.module.apply(
                    {**variables, "batch_stats": batch_stats}, self.x, train=True, mutable=["batch_stats"]
                )
                return updates["batch_stats"]

            batch_stats = jax.lax.fori_loop(0, 200, step, variables["batch_stats"])
            out = self.module.apply({**variables, "batch_stats": batch_stats}, x, train=False)
            return batch_stats, out

        x = np.random.default_rng(0).normal(size=(3, 7)).astype(np.float32)
        batch_stats, out = power_iterations(variables)
        kernel = np.asarray(variables["params"]["dense"]["kernel"], np.float64)
        bias = np.asarray(variables["params"]["dense"]["bias"])
        sigma = float(batch_stats["dense_spectral_norm"]["dense/kernel/sigma"])
        top_singular_value = np.linalg.svd(kernel, compute_uv=False)[0]
        np.testing.assert_allclose(sigma, top_singular_value, rtol=1e-4)
        np.testing.assert_allclose(np.linalg.svd(kernel / sigma, compute_uv=False)[0], 1.0, rtol=1e-4)
        # The layer computes with the normalised kernel.
        np.testing.assert_allclose(out, x @ (kernel / top_singular_value) + bias, rtol=1e-4, atol=1e-5)

    def test_vectors_update_in_train_mode_only(self):
        variables = init_variables(self.module, self.x)

        @jax.jit
        def updates(variables):
            return [self.module.apply(variables, self.x, train=t, mutable=["batch_stats"])[1] for t in (False, True)]

        eval_updates, train_updates = updates(variables)
        before = variables["batch_stats"]["dense_spectral_norm"]["dense/kernel/u"]
        np.testing.assert_array_equal(eval_updates["batch_stats"]["dense_spectral_norm"]["dense/kernel/u"], before)
        assert np.abs(train_updates["batch_stats"]["dense_spectral_norm"]["dense/kernel/u"] - before).max() > 1e-3

    def test_disabled_returns_the_layer_itself(self):
        dense = nn.Dense(3)
        assert layers.spectral_normalized(dense, enabled=False, train=True) is dense


# ---------------------------------------------------------------------------------------------
# per_example_bits / ExampleDropout: randomness that follows the global example index.


def test_threefry_is_jax_threefry_bit_for_bit():
    # The written-out hash against JAX's own, on keys with high bits set and counters that wrap
    # the rotations; and the published known-answer vectors of Salmon et al.'s Random123
    # (kat_vectors, threefry2x32_20), which JAX's implementation also reproduces.
    rng = np.random.default_rng(0)
    for _ in range(3):
        key = jnp.asarray(rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32))
        x0, x1 = (jnp.asarray(rng.integers(0, 2**32, 257, dtype=np.uint64).astype(np.uint32)) for _ in range(2))
        y0, y1 = layers.threefry_2x32(key, x0, x1)
        expected = jax.extend.random.threefry_2x32(key, jnp.concatenate([x0, x1]))
        np.testing.assert_array_equal(np.concatenate([y0, y1]), expected)
    known = [
        ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
        ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
        ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
    ]
    for key, (x0, x1), expected in known:
        y = layers.threefry_2x32(jnp.asarray(key, jnp.uint32), jnp.uint32(x0), jnp.uint32(x1))
        assert tuple(int(v) for v in y) == expected


def test_per_example_bits_are_the_first_word_of_one_threefry_hash():
    # Row r, element e: the first output word of Threefry((r, e)) under the key's two words.
    key = jax.random.key(11)
    bits = layers.per_example_bits(key, jnp.array([5, 0, 9]), (2, 3))
    for row, example in enumerate((5, 0, 9)):
        counters = jnp.concatenate([jnp.full(6, example, jnp.uint32), jnp.arange(6, dtype=jnp.uint32)])
        expected = jax.extend.random.threefry_2x32(jax.random.key_data(key), counters)[:6]
        np.testing.assert_array_equal(bits[row].ravel(), expected)


@pytest.mark.parametrize("impl", ["threefry2x32", "rbg"])
@pytest.mark.slow
def test_per_example_bits_depend_on_the_example_index_only(impl):
    key = jax.random.key(7, impl=impl)
    whole = layers.per_example_bits(key, jnp.arange(8), (3, 5))
    halves = [layers.per_example_bits(key, 4 * h + jnp.arange(4), (3, 5)) for h in range(2)]
    assert whole.dtype == jnp.uint32 and whole.shape == (8, 3, 5)
    np.testing.assert_array_equal(whole, np.concatenate(halves))
    # Examples and keys differ; bits are uniform: mean of u = bits / 2^32 is 1/2 within 5 sigma.
    assert len({tuple(np.asarray(row).ravel()) for row in whole}) == 8
    other = layers.per_example_bits(jax.random.key(8, impl=impl), jnp.arange(8), (3, 5))
    assert np.mean(np.asarray(other) != np.asarray(whole)) > 0.99
    u = np.asarray(layers.per_example_bits(key, jnp.arange(1000), (100,)), np.float64) / 2.0**32
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)


def test_example_dropout_keeps_1_minus_rate_and_rescales():
    x = jnp.ones((64, 14, 14, 64))
    y = np.asarray(layers.ExampleDropout(0.3).apply({}, x, deterministic=False, rngs={"dropout": jax.random.key(0)}))
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 5 * np.sqrt(0.7 * 0.3 / y.size)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(layers.ExampleDropout(0.3).apply({}, x, deterministic=True), x)


# `layers.max_pool`: nn.max_pool's values and gradients (first maximum of a window wins), fast.


def _reference_pool(x, window):
    return nn.max_pool(x, (window, window), strides=(window, window), padding="VALID")


@pytest.mark.parametrize(
    ("shape", "window"), [((3, 24, 24, 5), 2), ((2, 8, 8, 3), 2), ((2, 7, 9, 4), 2), ((2, 9, 6, 3), 3)]
)
@pytest.mark.parametrize("inputs", ["normal", "ties"])
def test_max_pool_equals_flax_values_and_gradients_bit_for_bit(shape, window, inputs):
    x = jax.random.normal(jax.random.key(0), shape)
    if inputs == "ties":  # ReLU's zeros and repeated values: whole windows of equal maxima
        x = jnp.round(jax.nn.relu(x) * 2.0) / 2.0
    out_shape = _reference_pool(x, window).shape
    cotangent = jax.random.normal(jax.random.key(1), out_shape)

    def vjp(pool):
        return jax.jit(lambda x: jax.vjp(pool, x)[1](cotangent)[0])(x)

    got = jax.jit(lambda x: layers.max_pool(x, window))(x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(_reference_pool(x, window)))
    grad, reference = vjp(lambda x: layers.max_pool(x, window)), vjp(lambda x: _reference_pool(x, window))
    np.testing.assert_array_equal(np.asarray(grad), np.asarray(reference))
    if inputs == "ties":  # the case where "first maximum wins" differs from splitting the gradient
        assert float(jnp.sum(reference != 0)) == cotangent.size  # one nonzero entry per window


def test_max_pool_refuses_what_it_cannot_compute():
    with pytest.raises(ValueError, match="`window` must be a positive integer"):
        layers.max_pool(jnp.zeros((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match=r"NHWC"):
        layers.max_pool(jnp.zeros((4, 4, 1)), 2)


def test_max_pool_second_order_gradient_equals_flax():
    """A gradient penalty differentiates D's input gradient again: reverse over reverse."""
    x = jax.random.normal(jax.random.key(0), (2, 8, 8, 3))
    w = jax.random.normal(jax.random.key(1), (3,))

    def penalty(pool):
        def d(x, w):
            return jnp.sum(jnp.tanh(pool(x * w)) ** 2)

        return jax.grad(lambda w: jnp.sum(jax.grad(d)(x, w) ** 2))(w)

    np.testing.assert_allclose(
        penalty(lambda x: layers.max_pool(x, 2)), penalty(lambda x: _reference_pool(x, 2)), rtol=1e-6
    )
