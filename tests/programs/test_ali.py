"""ALI / BiGAN (shared/MATH.md §9; Dumoulin et al. 2017, Donahue et al. 2017): one step of D's group
and of G and E's group against a hand-written update (both generator losses); G and E's group
reuses D's forward passes; reconstruct is G(E(x)); the record builds, trains a few steps and
resumes bit for bit; bad settings are refused. The value at D's optimum (-log 4 + 2 JSD on discrete
joints) is tested in tests/losses/test_ali.py; device-count invariance in test_invariance.py."""

from __future__ import annotations

import dataclasses
import json
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.programs import ali
from jaxgan.train import build, train_and_evaluate
from jaxgan.train.state import create_state
from jaxgan.train.step import make_train_step
from tests.programs.helpers import tiny_config, train_straight_and_resumed

BATCH, DIM, LATENT = 8, 3, 2
LEARNING_RATE = 0.05


class Encoder(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        return nn.Dense(LATENT)(jnp.tanh(nn.Dense(4)(x)))


class NoisyEncoder(nn.Module):
    """E(x, ε): PacGAN's code's `COVConditional`, an MLP on [x, ε]."""

    @nn.compact
    def __call__(self, x, noise=None, *, train):
        return nn.Dense(LATENT)(jnp.tanh(nn.Dense(4)(jnp.concatenate([x, noise], axis=-1))))


class Generator(nn.Module):
    @nn.compact
    def __call__(self, z, *, train):
        return nn.Dense(DIM)(jnp.tanh(nn.Dense(4)(z)))


class Discriminator(nn.Module):
    @nn.compact
    def __call__(self, x, z, *, train):
        return nn.Dense(1)(jnp.tanh(nn.Dense(5)(jnp.concatenate([x, z], axis=-1))))[:, 0]


def _program(generator_loss="swapped", noise_dim=0, updates="alternating"):
    sgd = lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)  # noqa: E731
    return ali.program(
        encoder=NoisyEncoder() if noise_dim else Encoder(),
        encoder_noise_dim=noise_dim,
        updates=updates,
        generator=Generator(),
        discriminator=Discriminator(),
        d_tx=sgd(),
        g_tx=sgd(),
        latent_dim=LATENT,
        generator_loss=generator_loss,
    )


def _state(program):
    specs = {"x": jax.ShapeDtypeStruct((DIM,), jnp.float32)}
    return create_state(program, rng=jax.random.PRNGKey(3), feature_specs=specs)


def _z(state, latent=0, dim=LATENT):
    """D's group's latent `latent` (0: z, 1: E's noise) of group 0, repeat 0: example i's from its
    own key, as the step documents."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)[0]
    base = jax.random.fold_in(jax.random.fold_in(latent_key, 0), 0)
    return jnp.stack(
        [jax.random.normal(jax.random.fold_in(jax.random.fold_in(base, latent), i), (dim,)) for i in range(BATCH)]
    )


def _reference(state, x, generator_loss, noise_dim=0, updates="alternating"):
    """The step written out: D's cross-entropy, then G and E's loss at the new D (simultaneous: at
    the D of the step's start), SGD by hand."""
    if noise_dim:  # E(x, ε) with ε the step's second latent
        eps = _z(state, latent=1, dim=noise_dim)
        E = lambda p, x: NoisyEncoder().apply({"params": p}, x, eps, train=True)  # noqa: E731
    else:
        E = lambda p, x: Encoder().apply({"params": p}, x, train=True)  # noqa: E731
    G = lambda p, z: Generator().apply({"params": p}, z, train=True)  # noqa: E731
    D = lambda p, x, z: Discriminator().apply({"params": p}, x, z, train=True)  # noqa: E731
    pe, pg, pd = (state.params[name] for name in ("encoder", "generator", "discriminator"))
    z = _z(state)
    log_sigmoid = lambda v: jnp.log(jax.nn.sigmoid(v))  # noqa: E731

    def value(pe, pg, pd):  # V = E_q log D(x, E(x)) + E_p log(1 - D(G(z), z))
        return jnp.mean(log_sigmoid(D(pd, x, E(pe, x)))) + jnp.mean(jnp.log(1 - jax.nn.sigmoid(D(pd, G(pg, z), z))))

    def swapped(pe, pg, pd):  # -E_q log(1 - D(x, E(x))) - E_p log D(G(z), z)
        return -jnp.mean(jnp.log(1 - jax.nn.sigmoid(D(pd, x, E(pe, x))))) - jnp.mean(log_sigmoid(D(pd, G(pg, z), z)))

    sgd = lambda p, g: jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)  # noqa: E731
    d_loss = -value(pe, pg, pd)
    new_pd = sgd(pd, jax.grad(lambda pd: -value(pe, pg, pd))(pd))
    g_loss_fn = swapped if generator_loss == "swapped" else value
    at = pd if updates == "simultaneous" else new_pd
    g_loss, (ge, gg) = jax.value_and_grad(g_loss_fn, argnums=(0, 1))(pe, pg, at)
    return (sgd(pe, ge), sgd(pg, gg), new_pd), d_loss, g_loss


@pytest.mark.parametrize(
    "generator_loss,noise_dim,updates",
    [
        ("swapped", 0, "alternating"),
        ("minimax", 0, "alternating"),
        ("swapped", 3, "alternating"),
        ("swapped", 0, "simultaneous"),
    ],
)
def test_one_step_of_each_group_equals_the_hand_written_update(generator_loss, noise_dim, updates):
    program = _program(generator_loss, noise_dim, updates)
    assert program.groups[1].reuse == ("encoded", "fake")  # G and E reuse D's group's forward passes
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    state = _state(program)
    new_state, metrics = jax.jit(make_train_step(program))(state, {"x": x[None]})
    (pe, pg, pd), d_loss, g_loss = jax.jit(_reference, static_argnums=(2, 3, 4))(
        state, x, generator_loss, noise_dim, updates
    )

    np.testing.assert_allclose(metrics["d_loss"], d_loss, rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], g_loss, rtol=1e-5)
    for name, expected in (("encoder", pe), ("generator", pg), ("discriminator", pd)):
        for got, want in zip(jax.tree.leaves(new_state.params[name]), jax.tree.leaves(expected), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        moved = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(state.params[name]))
        )
        assert moved > 1e-4, name  # every network took a step


def test_reconstruct_is_the_generator_of_the_code():
    program = _program()
    state = _state(program)
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    code = Encoder().apply({"params": state.params["encoder"]}, x, train=False)
    np.testing.assert_allclose(ali.encode(program, state.params, state.variables, x), code, rtol=1e-6)
    np.testing.assert_allclose(
        ali.reconstruct(program, state.params, state.variables, x),
        Generator().apply({"params": state.params["generator"]}, code, train=False),
        rtol=1e-6,
    )


def test_an_ema_keeps_the_encoder_beside_the_generator():
    """`ema_decay` > 0 averages E with G (reconstructions read both); 0 averages neither. After one
    step each average is `0.9 old + 0.1 new` (the EMA starts at the initial parameters)."""
    assert build.build(tiny_config("ali", ema_decay=0.9)).program.ema == {"generator": 0.9, "encoder": 0.9}
    assert build.build(tiny_config("ali")).program.ema == {}
    sgd = lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)  # noqa: E731
    program = ali.program(
        encoder=Encoder(), generator=Generator(), discriminator=Discriminator(), d_tx=sgd(), g_tx=sgd(),
        latent_dim=LATENT, ema={"generator": 0.9, "encoder": 0.9},
    )  # fmt: skip
    state = _state(program)
    x = jax.random.normal(jax.random.PRNGKey(5), (BATCH, DIM))
    new_state, _ = jax.jit(make_train_step(program))(state, {"x": x[None]})
    for name in ("encoder", "generator"):
        for average, old, new in zip(*(jax.tree.leaves(t[name]) for t in (new_state.ema_params, state.params,
                                                                         new_state.params)), strict=True):  # fmt: skip
            np.testing.assert_allclose(average, 0.9 * old + 0.1 * new, rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_the_record_trains_and_resumes_bit_for_bit(tmp_path):
    train_straight_and_resumed("ali", tmp_path)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"ali.generator_loss": "hinge"},
            r"^config\.ali\.generator_loss='hinge' is not one of \['swapped', 'minimax'\]",
        ),
        (
            {"model.encoder.name": "deterministic_conv"},
            r"^config\.model\.encoder\.name='deterministic_conv' does not fit dataset 'ring' of shape \(2,\); use 'mlp'",
        ),
        (
            {"model.discriminator": {"name": "mlp", "width": 16, "depth": 1}},
            r"^config\.model\.discriminator\.name='mlp' is not a discriminator program 'ali' can use; use one of "
            r"\['joint', 'joint_mlp'\]",
        ),
        ({"loss.name": "hinge"}, r"^config\.loss\.name='hinge' is not read by program 'ali'"),
        (
            {"ali.updates": "lockstep"},
            r"^config\.ali\.updates='lockstep' is not one of \['alternating', 'simultaneous'\]",
        ),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(overrides, message):
    config = tiny_config("ali")
    for key, value in overrides.items():
        *path, last = key.split(".")
        target = config
        for part in path:
            target = target[part]
        target[last] = value
    with pytest.raises(ValueError, match=message) as error:
        build.build(config)
    assert "\n" not in str(error.value)


def test_a_missing_encoder_entry_is_refused():
    config = tiny_config("ali")
    del config.model["encoder"]
    with pytest.raises(ValueError, match=r"^program 'ali' needs config\.model\.encoder"):
        build.build(config)


@pytest.mark.slow
def test_the_loop_scores_the_encoder_of_every_seed(tmp_path):
    """`encoding_one_nn` through the loop's evaluation (two seeds in one program): each seed's value is
    the 1-NN accuracy of its own E on the held-out points, recomputed here from its checkpoint."""
    from jaxgan import data as data_lib
    from jaxgan.metrics.neighbours import nearest_neighbour_accuracy
    from jaxgan.train import evaluation, restore, run_axis

    config = tiny_config("ali", num_steps=4, num_seeds=2, evaluators="encoding_one_nn", num_eval_samples=300)
    train_and_evaluate(config, str(tmp_path))
    rows = [json.loads(line) for line in open(os.path.join(tmp_path, "metrics.jsonl"))]
    got = [rows[-1][f"eval/encoding_one_nn_accuracy/seed={s}"] for s in (0, 1)]
    config, experiment, state = restore.load_latest(str(tmp_path))
    real, labels = evaluation.real_examples(experiment.dataset, 300, seed=config.seed)
    held_out = data_lib.load("ring", split="test", seed=config.seed, num_examples=config.data.num_examples)
    held = held_out.get(np.arange(len(held_out)))
    for s in (0, 1):
        single = run_axis.unstack(state, s)
        params = {name: single.sampling_params(name) for name in ("encoder", "generator")}
        codes = [ali.encode(experiment.program, params, single.variables, x) for x in (real, held["x"])]
        assert got[s] == pytest.approx(nearest_neighbour_accuracy(codes[0], labels, codes[1], held["label"]))
    assert 0.125 < min(got)  # better than chance over the ring's 8 modes: the codes carry the mode


def test_evaluators_of_an_encoder_are_refused_for_a_family_without_one():
    from jaxgan.programs import registry
    from jaxgan.train import encode

    config = tiny_config("ali")
    config.program = "gan"
    with pytest.raises(
        ValueError, match=r"^config\.evaluators naming encoding_one_nn needs a family with an encoder \(ali, mrgan\)"
    ):
        encode.Encoder(config, None, 1, codes=True, wanted="config.evaluators naming encoding_one_nn")
    assert registry.FAMILIES["vaegan"].exports.reconstruction.encode is None  # reconstructs, gives no codes
    assert encode.encoding_families() == ["ali", "mrgan", "vaegan"]


def test_a_group_cannot_read_at_the_step_start_a_network_it_trains():
    program = _program(updates="simultaneous")
    assert program.groups[1].reads_step_start == ("discriminator",)
    generator_group = dataclasses.replace(program.groups[1], reads_step_start=("encoder",))
    with pytest.raises(
        ValueError, match="reads 'encoder' at the step's start, which is not one of the networks"
    ) as error:
        dataclasses.replace(program, groups=(program.groups[0], generator_group))
    assert "\n" not in str(error.value)
