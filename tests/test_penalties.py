"""Penalties: closed forms for a linear D, per-example gradients, sampling bounds, clipping (MATH.md §4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import penalties

KEY = jax.random.key(0)
W = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], np.float32)  # D(x) = <w, x> on [B, 2, 3] inputs
W_NORM = float(np.linalg.norm(W))


def _linear_d(w):
    return lambda x: jnp.einsum("bij,ij->b", x, w)


def _batches(seed=0, batch=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 2, 3)).astype(np.float32), rng.standard_normal((batch, 2, 3)).astype(np.float32)


def _mixing_d(x):
    """A D whose output for one example depends on the others (like batch statistics)."""
    h = jnp.tanh(jnp.einsum("bij,ij->b", x, W))
    return h * jnp.mean(h) + jnp.einsum("bij,ij->b", x**2, W)


@jax.jit
def _linear_d_penalties(real, fake, key, target_norm):
    """Every penalty of the linear D, in one compiled program (the target norm traced)."""
    d_fn = _linear_d(W)
    return dict(
        two_sided=penalties.gradient_penalty(d_fn, real, fake, key=key, target_norm=target_norm),
        one_sided=penalties.gradient_penalty(d_fn, real, fake, key=key, target_norm=target_norm, one_sided=True),
        dragan=penalties.dragan(d_fn, real, key=key, target_norm=target_norm),
        r1=penalties.r1(d_fn, real),
        r2=penalties.r2(d_fn, fake),
    )


@pytest.mark.parametrize("target_norm", [1.0, 2.0, 4.5])
def test_linear_d_closed_forms(target_norm):
    real, fake = _batches()
    values = _linear_d_penalties(real, fake, KEY, target_norm)
    np.testing.assert_allclose(values["two_sided"], (W_NORM - target_norm) ** 2, rtol=1e-5)
    np.testing.assert_allclose(values["one_sided"], max(W_NORM - target_norm, 0.0) ** 2, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(values["dragan"], (W_NORM - target_norm) ** 2, rtol=1e-5)
    np.testing.assert_allclose(values["r1"], 0.5 * W_NORM**2, rtol=1e-6)
    np.testing.assert_allclose(values["r2"], 0.5 * W_NORM**2, rtol=1e-6)


def test_registry_gives_one_signature_and_weights_multiply():
    real, fake = _batches()
    expected = {
        "gradient_penalty": (W_NORM - 2.0) ** 2,
        "one_sided_gradient_penalty": (W_NORM - 2.0) ** 2,  # ‖w‖ ≈ 2.78 > 2
        "dragan": (W_NORM - 2.0) ** 2,
        "r1": 0.5 * W_NORM**2,
        "r2": 0.5 * W_NORM**2,
    }
    assert set(penalties.names()) == set(expected)
    weights = {"gradient_penalty": 10.0, "one_sided_gradient_penalty": 0.0, "dragan": 0.5, "r1": 0.0, "r2": 3.0}
    selected = penalties.from_weights(weights, target_norm=2.0)
    assert [name for name, _ in selected] == ["dragan", "gradient_penalty", "r2"]
    by_name = {
        name: penalties.get(name, **({} if name in ("r1", "r2") else {"target_norm": 2.0}))
        for name in penalties.names()
    }

    @jax.jit
    def values(real, fake, key):
        d_fn = _linear_d(W)
        weighted = {name: weights[name] * penalty(d_fn, real, fake, key) for name, penalty in selected}
        return weighted, {name: penalty(d_fn, real, fake, key) for name, penalty in by_name.items()}

    weighted, unweighted = values(real, fake, KEY)
    for name, value in weighted.items():
        np.testing.assert_allclose(value, weights[name] * expected[name], rtol=1e-5)
    for name, value in unweighted.items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-5)


def test_gradients_with_respect_to_d_parameters():
    """What the train step differentiates: d/dw (‖w‖-1)² = 2(‖w‖-1) w/‖w‖ and d/dw ½‖w‖² = w."""
    real, fake = _batches()
    gp_gradient = jax.jit(jax.grad(lambda w: penalties.gradient_penalty(_linear_d(w), real, fake, key=KEY)))
    np.testing.assert_allclose(gp_gradient(jnp.asarray(W)), 2 * (W_NORM - 1) * W / W_NORM, rtol=1e-5)
    r1_gradient = jax.jit(jax.grad(lambda w: penalties.r1(_linear_d(w), real)))
    np.testing.assert_allclose(r1_gradient(jnp.asarray(W)), W, rtol=1e-6)
    # At w = 0 the norm is 0: the penalty gradient is finite (a plain sqrt would give NaN).
    assert np.all(np.isfinite(gp_gradient(jnp.zeros_like(W))))


def test_one_examples_input_never_changes_another_examples_penalty():
    real, _ = _batches(batch=4)
    changed = real.copy()
    changed[1:] = 3.0 * np.random.default_rng(5).standard_normal(changed[1:].shape)

    @jax.jit
    def first_example_gradients(x):
        naive = jax.grad(lambda x: jnp.sum(_mixing_d(x)))(x)[0]
        return naive, penalties.per_example_input_gradients(_mixing_d, x)[0]

    naive_real, per_example_real = first_example_gradients(real)
    naive_changed, per_example_changed = first_example_gradients(changed)
    # The naive gradient of sum(D(x)) leaks: example 0's gradient moves when the others change.
    assert not np.allclose(naive_real, naive_changed, atol=1e-3)
    np.testing.assert_allclose(per_example_real, per_example_changed, rtol=1e-6)
    # So the batch penalty is the mean of one-example penalties.
    r1 = jax.jit(lambda x: penalties.r1(_mixing_d, x))
    np.testing.assert_allclose(r1(real), np.mean([r1(real[i : i + 1]) for i in range(4)]), rtol=1e-5)


def test_gradient_penalty_is_per_example_at_its_interpolates():
    real, fake = _batches(seed=3)

    @jax.jit
    def penalty_and_norms(real, fake, key):
        points = penalties.random_interpolates(real, fake, key=key)
        single = lambda point: jnp.linalg.norm(penalties.per_example_input_gradients(_mixing_d, point[None]))
        return penalties.gradient_penalty(_mixing_d, real, fake, key=key), jax.lax.map(single, points)

    penalty, norms = penalty_and_norms(real, fake, KEY)
    np.testing.assert_allclose(penalty, np.mean((np.asarray(norms) - 1.0) ** 2), rtol=1e-5)


def test_interpolates_stay_in_bounds():
    real, fake = _batches(seed=1, batch=16)
    sample = jax.jit(
        lambda r, f, k: (penalties.random_interpolates(r, f, key=k), penalties.dragan_interpolates(r, key=k))
    )
    points, perturbed = (np.asarray(x) for x in sample(real, fake, KEY))
    alpha = (points - real) / (fake - real)  # one α per example, in [0, 1)
    np.testing.assert_allclose(alpha, alpha[:, :1, :1] * np.ones_like(alpha), rtol=1e-3, atol=1e-4)
    assert np.all((alpha >= -1e-6) & (alpha < 1 + 1e-6)) and np.ptp(alpha[:, 0, 0]) > 0.3
    upper = real + 0.5 * real.std()
    assert np.all(perturbed >= real - 1e-6) and np.all(perturbed <= upper + 1e-6)
    assert np.mean(perturbed > real + 1e-6) > 0.9  # the points do move


def test_penalties_are_jittable_and_bfloat16_gives_float32():
    real, fake = _batches()
    d_fn = _linear_d(W)

    @jax.jit
    def values(real, fake, key):
        return {name: penalties.get(name)(d_fn, real, fake, key) for name in penalties.names()}

    full = values(real, fake, KEY)
    low = values(jnp.asarray(real, jnp.bfloat16), jnp.asarray(fake, jnp.bfloat16), KEY)
    for name in penalties.names():
        assert full[name].dtype == jnp.float32 and low[name].dtype == jnp.float32
        # Linear D: the value does not depend on the (rounded) points.
        np.testing.assert_allclose(low[name], full[name], rtol=1e-5)


def test_clip_weights_bounds_every_leaf():
    params = {
        "dense": {"kernel": jnp.array([[-0.5, 0.004], [0.02, -0.01]]), "bias": jnp.array([0.3, -0.001])},
        "scale": jnp.array(-2.0),
    }
    clipped = penalties.clip_weights(params, 0.01)
    assert jax.tree.structure(clipped) == jax.tree.structure(params)
    for before, after in zip(jax.tree.leaves(params), jax.tree.leaves(clipped)):
        assert np.all(np.abs(after) <= 0.01)
        np.testing.assert_array_equal(after, np.clip(before, -0.01, 0.01))
    assert jax.jit(penalties.clip_weights, static_argnums=1)(params, 0.01)["scale"] == np.float32(-0.01)


def test_bad_inputs():
    real, fake = _batches()
    d_fn = _linear_d(W)
    with pytest.raises(ValueError, match="accepted names are"):
        penalties.get("gradient_penalty_2")
    with pytest.raises(ValueError, match="target_norm"):
        penalties.get("r1", target_norm=1.0)
    with pytest.raises(ValueError, match="penalty_target_norm"):
        penalties.get("gradient_penalty", target_norm=-1.0)
    with pytest.raises(ValueError, match="penalty_target_norm"):
        penalties.from_weights({"r1": 1.0}, target_norm=-0.5)
    with pytest.raises(ValueError, match="penalties.r1"):
        penalties.from_weights({"r1": -1.0})
    with pytest.raises(ValueError, match="accepted names are"):
        penalties.from_weights({"r3": 1.0})
    with pytest.raises(ValueError, match="key"):
        penalties.gradient_penalty(d_fn, real, fake, key=None)
    with pytest.raises(ValueError, match="same shape"):
        penalties.gradient_penalty(d_fn, real, fake[:2], key=KEY)
    with pytest.raises(ValueError, match="scale"):
        penalties.dragan(d_fn, real, key=KEY, scale=0.0)
    for bound in (0.0, -0.01):
        with pytest.raises(ValueError, match="clip_weights"):
            penalties.clip_weights({"w": jnp.ones(2)}, bound)


def test_per_example_keys_make_interpolation_independent_of_the_split():
    """With one key per example, example i's α is the same in a batch of 8 and in its half."""
    from jaxgan import penalties as p

    real = jnp.zeros((8, 3))
    fake = jnp.ones((8, 3))
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(0), i))(jnp.arange(8))
    whole = p.random_interpolates(real, fake, key=keys)
    halves = jnp.concatenate(
        [
            p.random_interpolates(real[:4], fake[:4], key=keys[:4]),
            p.random_interpolates(real[4:], fake[4:], key=keys[4:]),
        ]
    )
    np.testing.assert_array_equal(whole, halves)
    assert len(np.unique(np.asarray(whole[:, 0]))) == 8  # a different α per example
