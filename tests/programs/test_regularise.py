"""The regularisers as config options of the families with a D (jaxgan/programs/regularise.py):
each term against its formula inside the step, lazy penalties on steps 0..2N against a hand
computation, the EMA ramp-up in the step, the truncation trick in the sampler, and bad settings
refused in one sentence before anything compiles. Device-count invariance and bit-exact resume
are the slow tests at the end."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from scipy import stats

from jaxgan import losses, regularisers
from jaxgan import program as program_lib
from jaxgan.calls import draw_latents
from jaxgan.programs import registry, regularise, terms
from jaxgan.train import build as build_lib
from jaxgan.train import run_axis, sampling
from jaxgan.train.step import TermContext
from tests.programs.regularise_check import REGULARISED
from tests.train.helpers import batch_for, conditional_ring_config, one_device, tiny_ring_config


def _context(step=0, state=None, params=None):
    return TermContext(None, state, jax.random.PRNGKey(0), None, jnp.int32(step), params)


# ---------------------------------------------------------------------------- terms on given values


def test_lecam_term_updates_its_anchors_then_reads_them():
    rng = np.random.default_rng(0)
    term = regularise.lecam_term(0.3, 0.9)
    assert term.reads == ("d_real", "d_fake") and term.weight == 0.3
    state, biased = term.init_state(), np.zeros(2)
    fn = jax.jit(lambda state, d_real, d_fake: term.fn(_context(state=state), d_real, d_fake))
    for t in range(1, 5):
        d_real, d_fake = rng.normal(size=(8, 1)) + 1.0, rng.normal(size=(8, 1)) - 1.0
        loss, state = fn(state, jnp.float32(d_real), jnp.float32(d_fake))
        biased = 0.9 * biased + 0.1 * np.array([d_real.mean(), d_fake.mean()])
        anchor_real, anchor_fake = biased / (1 - 0.9**t)  # this batch's means are in the anchors it is held to
        expected = np.mean((d_real - anchor_fake) ** 2) + np.mean((d_fake - anchor_real) ** 2)
        np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
        np.testing.assert_allclose(
            [float(state["anchor_real"]), float(state["anchor_fake"])], biased / (1 - 0.9**t), rtol=1e-5
        )


def test_top_k_term_is_the_objective_over_the_k_examples_rated_most_real():
    rng = np.random.default_rng(1)
    objective = losses.get("non_saturating")
    _, g_term = terms.objective_terms(objective)
    term = regularise.top_k_generator_term(g_term, objective, fraction=0.5, decay=0.5, decay_every=2)
    d_fake, d_real = rng.normal(size=(16, 1)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    fn = jax.jit(lambda step, d_fake, d_real: term.fn(_context(step), d_fake, d_real))
    for step in range(6):
        k = max(8, math.floor(0.5 ** (step // 2) * 16))  # 16, 16, 8, 8, 8, 8
        top = np.sort(d_fake[:, 0])[::-1][:k]
        expected = np.mean(np.logaddexp(0.0, -top))  # non-saturating: E softplus(-D(G(z))) over the top k
        np.testing.assert_allclose(float(fn(step, d_fake, d_real)), expected, rtol=1e-6)


def test_a_lazy_term_is_computed_only_every_n_steps_and_scaled_by_n():
    computed = []
    term = program_lib.Term("r1", lambda ctx, x: jnp.sum(x**2), ("x",), weight="r1")

    def counting(ctx, x):  # the penalty with a host callback: runs only when its branch does
        jax.debug.callback(lambda: computed.append(1))
        return term.fn(ctx, x)

    lazy_fn = regularise.every(program_lib.Term("r1", counting, ("x",), weight="r1"), 3).fn
    lazy = jax.jit(lambda step, x: lazy_fn(_context(step), x))
    x = jnp.array([1.0, 2.0])
    got = [float(lazy(step, x)) for step in range(7)]
    jax.effects_barrier()
    assert got == [15.0, 0.0, 0.0, 15.0, 0.0, 0.0, 15.0]  # 3 x 5 on steps 0, 3, 6
    assert len(computed) == 3
    assert regularise.every(term, 1) is term


# ---------------------------------------------------------------------------- inside the step


def _r1_by_hand(experiment, params, variables, x):
    """½ E‖∇ₓD(x)‖² of D in inference mode, one example at a time."""
    d = experiment.program.networks["discriminator"]

    def output(example):
        return jnp.sum(d.apply({"params": params, **variables}, example[None], train=False))

    return 0.5 * jnp.mean(jnp.sum(jax.vmap(jax.grad(output))(x) ** 2, axis=-1))


def test_lazy_r1_weighted_loss_on_steps_0_to_2n_against_a_hand_computation():
    interval, weight = 3, 2.0
    config = tiny_ring_config()
    config.penalties.r1 = weight
    config.penalty_interval = interval
    experiment, state, step = one_device(config)
    for s in range(2 * interval + 1):
        batch = batch_for(experiment, config, s)
        by_hand = _r1_by_hand(
            experiment, state.params["discriminator"], state.variables["discriminator"], batch["x"][-1]
        )
        state, metrics = step(state, batch)
        expected = interval * float(by_hand) if s % interval == 0 else 0.0
        np.testing.assert_allclose(float(metrics["penalty/r1"]), expected, rtol=1e-4, atol=1e-12)
        np.testing.assert_allclose(
            float(metrics["d_loss"]), float(metrics["d_objective"]) + weight * expected, rtol=1e-6
        )
        assert s % interval or float(by_hand) > 0  # on the penalty steps there is something to compare


def _sgd(config):
    for network in ("generator", "discriminator"):
        config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 0.1})
    return config


def test_orthogonal_term_reaches_the_loss_and_the_update_of_the_group_that_trains_the_network():
    weight = 0.5
    plain = _sgd(tiny_ring_config())
    regularised = _sgd(tiny_ring_config(**{"orthogonal.weight": weight}))
    experiment, state, step = one_device(regularised)
    _, _, plain_step = one_device(plain)
    batch = batch_for(experiment, regularised, 0)
    after, metrics = step(state, batch)
    without, _ = plain_step(state, batch)
    g_params = state.params["generator"]
    np.testing.assert_allclose(
        float(metrics["orthogonal/generator"]), float(regularisers.orthogonal_regulariser(g_params)), rtol=1e-6
    )
    # SGD: G's update differs from the plain one by exactly -lr · weight · ∇R; D's is the same.
    grad = jax.grad(regularisers.orthogonal_regulariser)(g_params)
    for a, b, g in zip(
        jax.tree.leaves(after.params["generator"]), jax.tree.leaves(without.params["generator"]), jax.tree.leaves(grad)
    ):
        np.testing.assert_allclose(np.asarray(a) - np.asarray(b), -0.1 * weight * np.asarray(g), atol=2e-6)
    for a, b in zip(jax.tree.leaves(after.params["discriminator"]), jax.tree.leaves(without.params["discriminator"])):
        np.testing.assert_array_equal(a, b)
    assert max(float(jnp.max(jnp.abs(g))) for g in jax.tree.leaves(grad)) > 1e-3  # the difference is visible


def _all_on(program):
    """A tiny config of `program` with every regulariser on (`regularise_check.REGULARISED`)."""
    if program == "infogan":
        config = tiny_ring_config(**REGULARISED)
        config.infogan = registry.FAMILIES["infogan"].default_settings(
            num_categories=4, num_continuous=1, q_width=8, noise="normal"
        )
    else:
        config = conditional_ring_config(**REGULARISED)
    config.program = program
    if program == "acgan":
        config.conditional.discriminator_conditioning = "none"
        config.conditional.class_weight = 1.0
    return config


@pytest.mark.parametrize("program", ["conditional", "acgan", "infogan"])
def test_the_conditional_programs_read_every_regulariser(program):
    experiment = build_lib.build(_all_on(program))
    d_group, g_group = experiment.program.groups
    assert [t.name for t in d_group.terms][-2:] == ["lecam", "orthogonal_discriminator"]
    assert d_group.terms[-2].reads == ("d_real.adversarial", "d_fake.adversarial")
    assert "orthogonal_generator" in [t.name for t in g_group.terms]
    assert callable(experiment.program.ema["generator"])  # the ramp-up schedule


def test_two_steps_of_cgan_with_every_regulariser_on():
    config = _all_on("conditional")
    experiment, state, step = one_device(config)
    for s in range(2):
        state, metrics = step(state, batch_for(experiment, config, s))
        assert all(np.isfinite(float(v)) for v in metrics.values()), metrics
    assert float(metrics["lecam/updates"]) == 2.0 and float(metrics["penalty/r1"]) == 0.0  # step 1 of 3: skipped
    assert float(metrics["d_lecam"]) > 0 and float(metrics["orthogonal/generator"]) > 0


def test_ema_rampup_in_the_step():
    config = tiny_ring_config(ema_decay=0.999, ema_rampup=0.5)
    experiment, state, step = one_device(config)
    state, _ = step(state, batch_for(experiment, config, 0))
    for a, b in zip(jax.tree.leaves(state.ema_params["generator"]), jax.tree.leaves(state.params["generator"])):
        np.testing.assert_array_equal(a, b)  # β_0 = 0: the EMA starts at the trained weights
    before = state.ema_params["generator"]
    state, _ = step(state, batch_for(experiment, config, 1))
    beta = min(0.999, 0.5 ** (1 / (0.5 * 1)))  # 0.25
    for e, p, a in zip(
        *(jax.tree.leaves(t) for t in (before, state.params["generator"], state.ema_params["generator"]))
    ):
        np.testing.assert_allclose(a, beta * np.asarray(e) + (1 - beta) * np.asarray(p), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------- the truncation trick


def test_truncated_normal_latents_are_bounded_with_the_truncated_normals_variance():
    psi = 0.7
    draw = program_lib.normal((4,)).truncated(psi)
    z = np.asarray(jax.vmap(draw)(jax.random.split(jax.random.PRNGKey(0), 20_000))).ravel()
    assert np.all(np.abs(z) <= psi) and np.max(np.abs(z)) > 0.99 * psi
    variance = stats.truncnorm(-psi, psi).var()  # 1 - 2ψφ(ψ) / (2Φ(ψ) - 1)
    assert variance == pytest.approx(1 - 2 * psi * stats.norm.pdf(psi) / (2 * stats.norm.cdf(psi) - 1))
    assert np.var(z) == pytest.approx(variance, rel=0.03)
    assert stats.kstest(z, stats.truncnorm(-psi, psi).cdf).pvalue > 1e-3


def test_the_sampler_draws_truncated_z_and_keeps_the_labels():
    config = conditional_ring_config()
    experiment, state, _ = one_device(config)
    program = sampling.truncated(experiment.program, 0.5)
    latents = draw_latents(program, program.sample_latents, jax.random.PRNGKey(3), 300)
    assert np.all(np.abs(np.asarray(latents["z"])) <= 0.5)
    plain = draw_latents(experiment.program, experiment.program.sample_latents, jax.random.PRNGKey(3), 300)
    np.testing.assert_array_equal(latents["label"], plain["label"])  # only the normal latents change
    # The sampler's samples are G at those latents.
    stacked = jax.tree.map(lambda a: a[None], state)
    drawn = sampling.Sampler(experiment.program, 1, truncation=0.5).draw(stacked, jax.random.PRNGKey(3), 300)
    g = experiment.program.networks["generator"]
    by_hand = g.apply(
        {"params": state.sampling_params("generator"), **state.variables["generator"]},
        latents["z"],
        latents["label"],
        train=False,
    )
    np.testing.assert_allclose(drawn["x"][0], np.asarray(by_hand), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^--truncation must be a positive number"):
        sampling.truncated(experiment.program, 0.0)


# ---------------------------------------------------------------------------- refusals

REFUSED = [
    ({"top_k.fraction": 0.0}, r"^config\.top_k\.fraction must be a number in \(0, 1\]; got 0\.0\.$"),
    ({"top_k.fraction": 1.5}, r"^config\.top_k\.fraction must be a number in \(0, 1\]"),
    ({"top_k.fraction": 0.01}, r"^config\.top_k\.fraction=0\.01 keeps no example of a batch of 16"),
    ({"top_k.decay": 0.0}, r"^config\.top_k\.decay must be a number in \(0, 1\]"),
    ({"top_k.decay": 1.1}, r"^config\.top_k\.decay must be a number in \(0, 1\]"),
    ({"top_k.decay_every": -1}, r"^config\.top_k\.decay_every must be an integer >= 0"),
    ({"lecam.weight": -0.3}, r"^config\.lecam\.weight must be a number in \[0, inf\)"),
    ({"lecam.decay": 1.0}, r"^config\.lecam\.decay must be a number in \[0, 1\)"),
    ({"orthogonal.weight": -1.0}, r"^config\.orthogonal\.weight must be a number in \[0, inf\)"),
    (
        {"orthogonal.weight": 1e-4, "orthogonal.networks": "generator,encoder"},
        r"^config\.orthogonal\.networks names 'encoder', which is not a network this program trains; use some of "
        r"\['discriminator', 'generator'\]\.$",
    ),
    ({"penalty_interval": 0}, r"^config\.penalty_interval must be an integer >= 1; got 0\.$"),
    ({"ema_rampup": -0.05, "ema_decay": 0.99}, r"^config\.ema_rampup must be a number >= 0"),
    ({"ema_rampup": 0.05}, r"^config\.ema_rampup=0\.05 ramps up an EMA, and config\.ema_decay is 0"),
    ({"top_k.fraction": 0.5, "loss.name": "mmd"}, r"^config\.top_k needs an objective whose G loss weighs"),
]


@pytest.mark.parametrize(("overrides", "message"), REFUSED)
def test_bad_settings_are_refused_in_one_sentence_before_compiling(overrides, message):
    config = tiny_ring_config(**overrides)
    with pytest.raises(ValueError, match=message):
        build_lib.build(config)


def test_a_family_that_does_not_apply_them_refuses_them():
    from tests.programs.helpers import tiny_config

    with pytest.raises(ValueError, match=r"^config\.lecam\.weight=0\.3 is not read by program 'ebgan'"):
        build_lib.build(tiny_config("ebgan", **{"lecam.weight": 0.3}))


def test_decay_every_zero_is_one_epoch_of_the_dataset():
    config = tiny_ring_config(**{"top_k.fraction": 0.5})
    experiment = build_lib.build(config)
    assert regularise.settings(config, experiment.dataset).top_k_decay_every == 2000 // 16


# ---------------------------------------------------------------------------- slow: devices, resume


@pytest.mark.slow
def test_the_regularisers_are_device_count_invariant():
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess(("gan", "conditional"), module="tests.programs.regularise_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"gan", "conditional"}, rows
    for row in rows.values():
        assert row.pop("lecam_updates") == 20.0  # the anchors' state is part of what is compared
        check_invariance(row)


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


@pytest.mark.slow
def test_resume_equals_straight_bit_for_bit_lecam_anchors_included(tmp_path):
    from jaxgan.train import train_and_evaluate

    def config(num_steps):
        return tiny_ring_config(num_steps=num_steps, **REGULARISED)

    straight = train_and_evaluate(config(8), str(tmp_path / "straight"))
    train_and_evaluate(config(4), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(config(8), str(tmp_path / "resumed"))
    assert int(resumed.step) == 8
    anchors = np.asarray(straight.term_state["lecam"]["anchor_real"])
    assert np.all(anchors != 0) and float(np.asarray(straight.term_state["lecam"]["updates"]).ravel()[0]) == 8
    for a, b in zip(_leaves(straight), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    # `jaxgan sample --truncation=0.5` on the run: G at its EMA params (ramped up), at truncated z.
    from jaxgan.train import restore

    out, num = restore.write_samples(str(tmp_path / "resumed"), num=50, out=str(tmp_path / "drawn.npy"), truncation=0.5)
    experiment = build_lib.build(config(8))
    program = sampling.truncated(experiment.program, 0.5)
    z = draw_latents(program, ("z",), jax.random.PRNGKey(0), 50)["z"]
    assert np.all(np.abs(np.asarray(z)) <= 0.5)
    single = run_axis.unstack(jax.device_get(resumed), 0)  # the loop's state has a run axis
    g = experiment.program.networks["generator"]
    by_hand = g.apply({"params": single.ema_params["generator"], **single.variables["generator"]}, z, train=False)
    np.testing.assert_allclose(np.load(out), np.asarray(by_hand), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^--truncation must be a positive number"):
        restore.write_samples(str(tmp_path / "resumed"), num=5, out=str(tmp_path / "bad.npy"), truncation=-1.0)
