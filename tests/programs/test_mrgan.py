"""MRGAN / MDGAN (shared/MATH.md §9; Che et al. 2017): one step of every update group against a hand-written
update (regularised, with either sign of the λ2 term, and manifold-diffusion); reconstruct and encode are
G(E(x)) and E(x); the record trains, resumes bit for bit and writes samples and reconstructions; bad
settings are refused in one sentence before compiling; 2 and 8 devices give the parameters of one.
The losses against numpy and the diffusion D's value at its optimum are in tests/losses/test_mrgan.py."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.programs import mrgan
from jaxgan.train import build
from jaxgan.train.state import create_state
from jaxgan.train.step import make_train_step
from tests.programs.helpers import tiny_config, train_straight_and_resumed

BATCH, DIM, LATENT = 8, 3, 2
LEARNING_RATE = 0.05
LAMBDA1, LAMBDA2 = 0.3, 0.7


class Encoder(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        return nn.Dense(LATENT)(jnp.tanh(nn.Dense(4)(x)))


class Generator(nn.Module):
    @nn.compact
    def __call__(self, z, *, train):
        return nn.Dense(DIM)(jnp.tanh(nn.Dense(4)(z)))


class Discriminator(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        return nn.Dense(1)(jnp.tanh(nn.Dense(5)(x)))[:, 0]


def _sgd():
    return optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)


def _program(variant="regularised", mode_regulariser="toward_data"):
    options = mrgan.MrganOptions(
        latent_dim=LATENT,
        variant=variant,
        lambda1=LAMBDA1,
        lambda2=LAMBDA2 if variant == "regularised" else 1.0,
        mode_regulariser=mode_regulariser,
    )
    diffusion = {}
    if variant == "manifold_diffusion":
        diffusion = dict(diffusion_discriminator=Discriminator(), diffusion_d_tx=_sgd(), diffusion_g_tx=_sgd())
    return mrgan.program(
        encoder=Encoder(),
        generator=Generator(),
        discriminator=Discriminator(),
        d_tx=_sgd(),
        g_tx=_sgd(),
        options=options,
        **diffusion,
    )


def _state(program):
    specs = {"x": jax.ShapeDtypeStruct((DIM,), jnp.float32)}
    return create_state(program, rng=jax.random.PRNGKey(3), feature_specs=specs)


def _z(state, group: int, num_groups: int):
    """The z of group `group` (repeat 0): example i's from its own key, as the step documents."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 1 + num_groups)[0]
    base = jax.random.fold_in(jax.random.fold_in(latent_key, group), 0)
    return jnp.stack(
        [jax.random.normal(jax.random.fold_in(jax.random.fold_in(base, 0), i), (LATENT,)) for i in range(BATCH)]
    )


E = lambda p, x: Encoder().apply({"params": p}, x, train=True)  # noqa: E731
G = lambda p, z: Generator().apply({"params": p}, z, train=True)  # noqa: E731
D = lambda p, x: Discriminator().apply({"params": p}, x, train=True)  # noqa: E731
log_d = lambda v: jnp.log(jax.nn.sigmoid(v))  # noqa: E731
log_one_minus_d = lambda v: jnp.log(1.0 - jax.nn.sigmoid(v))  # noqa: E731
sgd = lambda p, g: jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)  # noqa: E731


def _distance(x, pe, pg):  # mean_x Σ_i (x_i - G(E(x))_i)²
    return jnp.mean(jnp.sum((x - G(pg, E(pe, x))) ** 2, axis=1))


def _reference_regularised(state, x, sign):
    """D's cross-entropy on x and G(z), then T_G = -mean log D(G(z)) + λ1 d ± λ2 mean log D(G(E(x))) at the
    new D, for G and E together (E's gradient of T_G is that of T_E); SGD by hand."""
    pe, pg, pd = (state.params[name] for name in ("encoder", "generator", "discriminator"))
    z = _z(state, 0, 2)

    def d_loss_fn(pd):
        return -jnp.mean(log_d(D(pd, x))) - jnp.mean(log_one_minus_d(D(pd, G(pg, z))))

    d_loss, d_grad = jax.value_and_grad(d_loss_fn)(pd)
    pd = sgd(pd, d_grad)

    def t_g(pe, pg):
        mode = jnp.mean(log_d(D(pd, G(pg, E(pe, x)))))
        return -jnp.mean(log_d(D(pd, G(pg, z)))) + LAMBDA1 * _distance(x, pe, pg) + sign * LAMBDA2 * mode

    g_loss, (ge, gg) = jax.value_and_grad(t_g, argnums=(0, 1))(pe, pg)
    return {"encoder": sgd(pe, ge), "generator": sgd(pg, gg), "discriminator": pd}, {"d_loss": d_loss, "g_loss": g_loss}


def _reference_manifold_diffusion(state, x):
    """The four groups in order: D_m on x against G(E(x)); G and E on λ1 d - log D_m(G(E(x))); D_d on
    G(E(x)) (at the new G and E) against G(z); G on -log D_d(G(z)). SGD by hand."""
    pe, pg, pm, pdd = (state.params[n] for n in ("encoder", "generator", "discriminator", "diffusion_discriminator"))
    z = _z(state, 2, 4)

    def manifold_d(pm):
        return -jnp.mean(log_d(D(pm, x))) - jnp.mean(log_one_minus_d(D(pm, G(pg, E(pe, x)))))

    d_loss, grad = jax.value_and_grad(manifold_d)(pm)
    pm = sgd(pm, grad)

    def manifold_g(pe, pg):
        return LAMBDA1 * _distance(x, pe, pg) - jnp.mean(log_d(D(pm, G(pg, E(pe, x)))))

    g_loss, (ge, gg) = jax.value_and_grad(manifold_g, argnums=(0, 1))(pe, pg)
    pe, pg = sgd(pe, ge), sgd(pg, gg)

    def diffusion_d(pdd):
        return -jnp.mean(log_d(D(pdd, G(pg, E(pe, x))))) - jnp.mean(log_one_minus_d(D(pdd, G(pg, z))))

    dd_loss, grad = jax.value_and_grad(diffusion_d)(pdd)
    pdd = sgd(pdd, grad)
    dg_loss, grad = jax.value_and_grad(lambda pg: -jnp.mean(log_d(D(pdd, G(pg, z)))))(pg)
    params = {"encoder": pe, "generator": sgd(pg, grad), "discriminator": pm, "diffusion_discriminator": pdd}
    return params, {"d_loss": d_loss, "g_loss": g_loss, "dd_loss": dd_loss, "dg_loss": dg_loss}


@pytest.mark.parametrize(
    "variant, mode_regulariser",
    [("regularised", "toward_data"), ("regularised", "as_printed"), ("manifold_diffusion", "toward_data")],
)
def test_one_step_of_each_group_equals_the_hand_written_update(variant, mode_regulariser):
    program = _program(variant, mode_regulariser)
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    state = _state(program)
    new_state, metrics = jax.jit(make_train_step(program))(state, {"x": x[None]})
    if variant == "regularised":
        sign = 1.0 if mode_regulariser == "as_printed" else -1.0
        expected, losses = jax.jit(_reference_regularised, static_argnums=2)(state, x, sign)
    else:
        expected, losses = jax.jit(_reference_manifold_diffusion)(state, x)
    for name, value in losses.items():
        np.testing.assert_allclose(metrics[name], value, rtol=1e-5, err_msg=name)
    assert set(new_state.params) == set(expected)
    for name, want in expected.items():
        for got, leaf in zip(jax.tree.leaves(new_state.params[name]), jax.tree.leaves(want), strict=True):
            np.testing.assert_allclose(got, leaf, rtol=1e-5, atol=1e-6, err_msg=name)
        moved = max(
            float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(want), jax.tree.leaves(state.params[name]))
        )
        assert moved > 1e-4, name  # every network took a step


def test_the_two_signs_move_the_encoder_differently():
    """The λ2 term is what the two signs change: after one step E's parameters differ between them."""
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    encoders = []
    for mode_regulariser in mrgan.MODE_REGULARISERS:
        program = _program("regularised", mode_regulariser)
        new_state, _ = jax.jit(make_train_step(program))(_state(program), {"x": x[None]})
        encoders.append(jax.tree.leaves(new_state.params["encoder"]))
    assert max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(*encoders)) > 1e-4


def test_reconstruct_is_the_generator_of_the_code():
    program = _program()
    state = _state(program)
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    code = Encoder().apply({"params": state.params["encoder"]}, x, train=False)
    np.testing.assert_allclose(mrgan.encode(program, state.params, state.variables, x), code, rtol=1e-6)
    np.testing.assert_allclose(
        mrgan.reconstruct(program, state.params, state.variables, x),
        Generator().apply({"params": state.params["generator"]}, code, train=False),
        rtol=1e-6,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mrgan", "mdgan"])
def test_the_record_trains_resumes_bit_for_bit_and_samples(tmp_path, name):
    from jaxgan.train import restore

    keys = ("d_loss", "g_loss", "g_reconstruction") + (("dd_loss", "dg_loss") if name == "mdgan" else ("g_mode",))
    train_straight_and_resumed(name, tmp_path, logged=keys)
    # what `jaxgan sample` writes: samples, and inputs with their reconstructions G(E(x))
    workdir = str(tmp_path / "resumed")
    out, num = restore.write_samples(workdir, num=16, out=str(tmp_path / "drawn.npz"))
    assert np.load(out)["x"].shape == (16, 2) and np.all(np.isfinite(np.load(out)["x"]))
    out, num = restore.write_reconstructions(workdir, out=str(tmp_path / "reconstructions.npz"), num=10)
    drawn = np.load(out)
    config, experiment, state = restore.load_latest(workdir)
    params = {n: state.sampling_params(n) for n in ("encoder", "generator")}
    params = jax.tree.map(lambda a: a[0], params)  # the one run of the stacked state
    variables = jax.tree.map(lambda a: a[0], state.variables)
    expected = mrgan.reconstruct(experiment.program, params, variables, jnp.asarray(drawn["x"]))
    np.testing.assert_allclose(drawn["reconstruction"], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"mrgan.lambda1": 0.0}, r"^config\.mrgan\.lambda1 must be a number in \(0, inf\); got 0\.0"),
        ({"mrgan.lambda1": float("nan")}, r"^config\.mrgan\.lambda1 must be a number in \(0, inf\); got nan"),
        ({"mrgan.lambda2": -0.5}, r"^config\.mrgan\.lambda2 must be a number in \[0, inf\); got -0\.5"),
        ({"mrgan.lambda2": float("inf")}, r"^config\.mrgan\.lambda2 must be a number in \[0, inf\); got inf"),
        (
            {"mrgan.variant": "mdgan"},
            r"^config\.mrgan\.variant='mdgan' is not one of \['regularised', 'manifold_diffusion'\]",
        ),
        (
            {"mrgan.mode_regulariser": "minus"},
            r"^config\.mrgan\.mode_regulariser='minus' is not one of \['toward_data', 'as_printed'\]",
        ),
        (
            {"mrgan.variant": "manifold_diffusion", "mrgan.lambda2": 0.5},
            r"^config\.mrgan\.lambda2=0\.5 is not read with config\.mrgan\.variant='manifold_diffusion'",
        ),
        (
            {"model.encoder.name": "deterministic_conv"},
            r"^config\.model\.encoder\.name='deterministic_conv' does not fit dataset 'ring' of shape \(2,\); "
            r"use 'mlp'",
        ),
        (
            {"model.discriminator": {"name": "joint", "width": 16, "depth": 1}},
            r"^config\.model\.discriminator\.name='joint' is not a discriminator program 'mrgan' can use",
        ),
        ({"loss.name": "hinge"}, r"^config\.loss\.name='hinge' is not read by program 'mrgan'"),
        ({"mrgan.lambda3": 1.0}, r"^config\.mrgan has unknown setting\(s\) \['lambda3'\]"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(overrides, message):
    config = tiny_config("mrgan")
    for key, value in overrides.items():
        *path, last = key.split(".")
        target = config
        for part in path:
            target = target[part]
        target[last] = value
    with pytest.raises(ValueError, match=message) as error:
        build.build(config)
    assert "\n" not in str(error.value)


def test_the_diffusion_discriminator_is_refused_where_it_is_not_read():
    config = tiny_config("mdgan")
    config.mrgan.variant = "regularised"
    with pytest.raises(ValueError, match=r"^config\.model\.diffusion_discriminator is not read by program 'mrgan'"):
        build.build(config)
    config = tiny_config("mdgan")
    del config.optimizer["diffusion_discriminator"]
    with pytest.raises(
        ValueError, match=r"^program 'mrgan' trains the group 'diffusion_discriminator', which needs config\.optimizer"
    ):
        build.build(config)


@pytest.mark.slow
def test_two_and_eight_devices_give_the_parameters_of_one():
    """MRGAN and MDGAN, 20 steps: shard_map on 2 and on 8 CPU devices against plain jit on one
    (tests/programs/invariance_check.py, one subprocess)."""
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess(("mrgan", "mdgan"), module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"mrgan", "mdgan"}, rows
    for name in ("mrgan", "mdgan"):
        assert {"2", "8"} <= set(rows[name]), rows[name]
        check_invariance(rows[name])
