"""The one step: critic counts, EMA, clipping, Fisher's multiplier, label smoothing, packing, unrolling."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan import losses, tricks
from tests.train.helpers import batch_for, first_z, one_device, tiny_ring_config


def _adam_count(opt_state) -> int:
    counts = [
        leaf
        for path, leaf in jax.tree_util.tree_flatten_with_path(opt_state)[0]
        if "count" in jax.tree_util.keystr(path)
    ]
    return int(counts[0])


@pytest.mark.parametrize("num_critic_steps", [1, 3])
@pytest.mark.slow
def test_critic_steps_update_d_n_times_and_g_once(num_critic_steps):
    config = tiny_ring_config(num_critic_steps=num_critic_steps)
    experiment, state, step = one_device(config)
    for s in range(2):
        state, _ = step(state, batch_for(experiment, config, s))
    assert _adam_count(state.opt_state["discriminator"]) == 2 * num_critic_steps
    assert _adam_count(state.opt_state["generator"]) == 2
    assert int(state.step) == 2


@pytest.mark.slow
def test_ema_is_the_decayed_average_of_g_params():
    decay = 0.9
    config = tiny_ring_config(ema_decay=decay)
    experiment, state, step = one_device(config)
    ema0 = state.ema_params["generator"]
    new_state, _ = step(state, batch_for(experiment, config))
    expected = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, ema0, new_state.params["generator"])
    for a, b in zip(jax.tree.leaves(new_state.ema_params["generator"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert new_state.sampling_params("generator") is new_state.ema_params["generator"]
    assert set(new_state.ema_params) == {"generator"}


@pytest.mark.slow
def test_weight_clipping_bounds_every_d_weight():
    c = 0.01
    config = tiny_ring_config(clip_weights=c, **{"loss.name": "wasserstein"})
    experiment, state, step = one_device(config)
    assert max(float(jnp.max(jnp.abs(w))) for w in jax.tree.leaves(state.params["discriminator"])) > c  # init exceeds c
    state, _ = step(state, batch_for(experiment, config))
    leaves = jax.tree.leaves(state.params["discriminator"])
    assert max(float(jnp.max(jnp.abs(w))) for w in leaves) <= c
    # Clipping is a projection: some weights sit exactly on the bound.
    assert any(bool(jnp.any(jnp.abs(w) == c)) for w in leaves)


@pytest.mark.slow
def test_fisher_multiplier_follows_the_constraint():
    rho = 0.5
    config = tiny_ring_config(**{"loss.name": "fisher"})
    config.loss.params = {"rho": rho}
    experiment, state, step = one_device(config)
    batch = batch_for(experiment, config)
    # Ω at the state's D params on this step's real and generated batch, by hand.
    generator, discriminator = experiment.program.networks["generator"], experiment.program.networks["discriminator"]
    z = first_z(state, config)
    fake, _ = generator.apply(
        {"params": state.params["generator"], **state.variables["generator"]}, z, train=True, mutable=["batch_stats"]
    )
    d = lambda x: discriminator.apply({"params": state.params["discriminator"]}, x, train=True)
    omega = 0.5 * jnp.mean(d(batch["x"][0]) ** 2) + 0.5 * jnp.mean(d(fake) ** 2)
    new_state, metrics = step(state, batch)
    lam = jax.tree.leaves(new_state.term_state["objective"])[0]
    np.testing.assert_allclose(lam, 0.0 - rho * (1.0 - omega), rtol=1e-4, atol=1e-6)


def test_label_smoothing_moves_the_d_optimum():
    # With real target α the smoothed D loss is stationary at sigmoid(v*) = α p/(p+q), not at p/(p+q).
    alpha = 0.9
    p, q = jnp.array([0.5, 0.3, 0.2]), jnp.array([0.1, 0.3, 0.6])
    objective = losses.get("non_saturating", label_smoothing=1 - alpha)
    grad = jax.grad(lambda v: objective.discriminator(v, v, real_weights=p, fake_weights=q))
    smoothed = jax.scipy.special.logit(alpha * p / (p + q))
    plain = jax.scipy.special.logit(p / (p + q))
    np.testing.assert_allclose(grad(smoothed), 0.0, atol=1e-6)
    assert float(jnp.max(jnp.abs(grad(plain)))) > 1e-2


def test_pack_concatenates_consecutive_examples():
    x = jnp.arange(6 * 2.0).reshape(6, 2)
    packed = tricks.pack(x, 3)
    np.testing.assert_array_equal(packed, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    images = jnp.arange(4 * 2 * 2 * 1.0).reshape(4, 2, 2, 1)
    packed = tricks.pack(images, 2)
    assert packed.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(packed[0, ..., 1], images[1, ..., 0])


@pytest.mark.slow
def test_packed_step_runs_and_d_sees_packs():
    config = tiny_ring_config(pack=4)
    experiment, state, step = one_device(config)
    kernels = [w for w in jax.tree.leaves(state.params["discriminator"]) if w.ndim == 2]
    # D's first layer takes 4 concatenated 2-D points.
    assert sorted(w.shape[0] for w in kernels)[0] == 2 * 4
    state, metrics = step(state, batch_for(experiment, config))
    assert np.isfinite(float(metrics["d_loss"]))


def _g_update_by_hand(experiment, state, new_state, config, batch, unroll_steps):
    """G's update recomputed from z: loss at D after `unroll_steps` differentiable D steps."""
    program = experiment.program
    objective = losses.get(config.loss.name)
    z = first_z(state, config)
    d = lambda params, x: program.networks["discriminator"].apply({"params": params}, x, train=True)
    real = batch["x"][-1]
    d_tx, g_tx = program.group("discriminator").optimizer, program.group("generator").optimizer

    def g_loss(g_params):
        fake = program.networks["generator"].apply({"params": g_params}, z, train=True)
        d_params, d_opt_state = new_state.params["discriminator"], new_state.opt_state["discriminator"]
        for _ in range(unroll_steps):
            grads = jax.grad(lambda p: objective.discriminator(d(p, real), d(p, fake)))(d_params)
            updates, d_opt_state = d_tx.update({"discriminator": grads}, d_opt_state, {"discriminator": d_params})
            d_params = optax.apply_updates(d_params, updates["discriminator"])
        return objective.generator(d(d_params, fake))

    g_params = state.params["generator"]
    grads = jax.grad(g_loss)(g_params)
    updates, _ = g_tx.update({"generator": grads}, state.opt_state["generator"], {"generator": g_params})
    return optax.apply_updates(g_params, updates["generator"])


@pytest.mark.slow
@pytest.mark.parametrize("unroll_steps", [0, 2])
def test_g_update_equals_the_loss_recomputed_from_z(unroll_steps):
    """The G update through the shared forward pass (saved VJP), with K unrolled D steps,
    equals differentiating G's loss from z again; K = 0 is the ordinary step."""
    config = tiny_ring_config(
        unroll_steps=unroll_steps, **{"model.generator.use_batch_norm": False, "optimizer.discriminator.eps_root": 1e-8}
    )
    experiment, state, step = one_device(config)
    batch = batch_for(experiment, config)
    new_state, _ = step(state, batch)
    expected = _g_update_by_hand(experiment, state, new_state, config, batch, unroll_steps)
    for a, b in zip(jax.tree.leaves(new_state.params["generator"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_unrolling_changes_g_but_not_d():
    # Differentiating through Adam needs eps_root > 0 (d sqrt(v)/dv is infinite at v = 0).
    base = one_device(tiny_ring_config(**{"optimizer.discriminator.eps_root": 1e-8}))
    unrolled = one_device(tiny_ring_config(unroll_steps=2, **{"optimizer.discriminator.eps_root": 1e-8}))
    batch = batch_for(base[0], tiny_ring_config())
    plain, _ = base[2](base[1], batch)
    other, _ = unrolled[2](unrolled[1], batch)
    for a, b in zip(jax.tree.leaves(plain.params["discriminator"]), jax.tree.leaves(other.params["discriminator"])):
        np.testing.assert_array_equal(a, b)
    assert (
        max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree.leaves(plain.params["generator"]), jax.tree.leaves(other.params["generator"]))
        )
        > 0
    )


def test_update_group_is_one_optax_update_of_the_weighted_loss():
    """`step.update_group` on its own: Adam on `λ·mean(f(x)²)` with λ from the sweepable `hyper`."""
    import flax.linen as nn

    from jaxgan.program import Call, Group, Program, Term
    from jaxgan.train import step as step_lib

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x, *, train):
            return nn.Dense(3)(x)

    square = lambda ctx, out: jnp.mean(out**2)  # noqa: E731
    adam = optax.adam(1e-2)
    group = Group(
        "fit",
        trains=("net",),
        optimizer=adam,
        calls=(Call("net", ("x",), "out"),),
        terms=(Term("square", square, ("out",), weight="lam"),),
    )
    program = Program(
        networks={"net": Net()},
        latents=(),
        features=("x",),
        groups=(group,),
        sample=Call("net", ("x",), "sample", train=False),
        hyper={"lam": 1.0},
    )
    x = jax.random.normal(jax.random.PRNGKey(1), (5, 2))
    params = {"net": Net().init(jax.random.PRNGKey(0), x, train=False)["params"]}
    lam = jnp.float32(0.5)
    got = step_lib.update_group(
        program,
        group,
        params=params,
        variables={},
        opt_states={"fit": adam.init(params)},  # over the trained paths: {"net": ...}
        term_state={},
        hyper={"lam": lam},
        env={"x": x},
        key=jax.random.PRNGKey(2),
    )

    def loss(p):
        return lam * jnp.mean(Net().apply({"params": p}, x, train=True) ** 2)

    value, grads = jax.value_and_grad(loss)(params["net"])
    updates, _ = adam.update(grads, adam.init(params["net"]), params["net"])  # Adam is elementwise
    expected = optax.apply_updates(params["net"], updates)
    for a, b in zip(jax.tree.leaves(got.params["net"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got.metrics["fit_loss"], value, rtol=1e-6)
    np.testing.assert_allclose(got.metrics["fit_square"], value / lam, rtol=1e-6)
    np.testing.assert_allclose(got.metrics["fit_grad_norm"], optax.tree.norm(grads), rtol=1e-6)
    assert int(got.opt_state[0].count) == 1


def test_update_ema_is_the_decayed_average_per_network():
    from jaxgan.train.step import update_ema

    ema = {"generator": {"w": jnp.array([1.0, 2.0])}, "other": {"w": jnp.zeros(1)}}
    params = {"generator": {"w": jnp.array([3.0, 6.0])}, "other": {"w": jnp.ones(1)}}
    got = update_ema(ema, params, {"generator": 0.75})
    assert set(got) == {"generator"}
    np.testing.assert_allclose(got["generator"]["w"], [1.5, 3.0])
