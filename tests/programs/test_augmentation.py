"""DiffAugment, ADA and CR / bCR / zCR as settings of the gan and conditional programs.

The terms are held to their formulas on a tiny D, computed by hand from the documented key
streams (`jaxgan.train.step`: the calls key; `jaxgan.calls.AUGMENT_STREAM`: a call's
augmentations, input set k from `fold_in(., k)`); G's gradient through the augmentation to a
finite difference; ADA's p to the paper's update on a given sequence of D outputs; bad
settings to one sentence before anything is compiled."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import augment as augment_lib
from jaxgan.calls import AUGMENT_STREAM
from jaxgan.losses import non_saturating_generator_loss
from jaxgan.programs import augmentation
from jaxgan.train import build as build_lib
from jaxgan.train.step import TermContext, group_loss
from tests.programs.augmentation_helpers import image_config
from tests.train.helpers import tiny_ring_config

# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"augment.policy": "color,zoom"},
            r"config\.augment\.policy='color,zoom' names unknown policies \['zoom'\]; use a comma-separated list of "
            r"\['color', 'translation', 'cutout'\]",
        ),
        ({"augment.policy": "ada,color"}, r"config\.augment\.policy='ada,color' mixes 'ada' with DiffAugment's"),
        (
            {"augment.policy": "ada", "augment.ada_target": 0.0},
            r"config\.augment\.ada_target must be a number in \(0, 1\); got 0\.0",
        ),
        (
            {"augment.policy": "ada", "augment.ada_target": 1.0},
            r"config\.augment\.ada_target must be a number in \(0, 1\); got 1\.0",
        ),
        (
            {"augment.policy": "ada", "augment.ada_interval": 0},
            r"config\.augment\.ada_interval must be an integer >= 1",
        ),
        ({"augment.policy": "ada", "augment.ada_p": 1.5}, r"config\.augment\.ada_p must be a number in \[0, 1\]"),
        (
            {"augment.ada_target": 0.7},
            r"config\.augment\.ada_target=0\.7 is read only with config\.augment\.policy='ada'",
        ),
        ({"consistency.bcr_fake": -1.0}, r"config\.consistency\.bcr_fake must be a number in \[0, inf\); got -1\.0"),
        ({"consistency.zcr_sigma": 0.0}, r"config\.consistency\.zcr_sigma must be a number in \(0, inf\); got 0\.0"),
        (
            {"consistency.cr": 1.0, "consistency.policy": "translation,rotate"},
            r"config\.consistency\.policy='translation,rotate' names unknown policies \['rotate'\]; use a "
            r"comma-separated list of \['color', 'translation', 'cutout', 'shift', 'flip'\]",
        ),
        ({"consistency.cr": 1.0, "consistency.policy": ""}, r"config\.consistency\.policy is empty"),
        ({"augment.strength": 1.0}, r"config\.augment has unknown setting\(s\) \['strength'\]"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence_before_compiling(overrides, message):
    with pytest.raises(ValueError, match="^" + message) as error:
        build_lib.build(image_config(**overrides))  # builds the program; compiles nothing
    text = str(error.value)
    assert "\n" not in text and text.endswith("."), text


@pytest.mark.parametrize("policy", ["ada", "translation"])
def test_augmenting_a_family_without_images_is_refused(policy):
    with pytest.raises(
        ValueError,
        match=r"^config\.augment\.policy transforms images \[H, W, C\], and the data's examples "
        r"have shape \(2,\); use an image dataset, or turn it off\.$",
    ):
        build_lib.build(tiny_ring_config(**{"augment.policy": policy}))


def test_zcr_alone_needs_no_images():
    experiment = build_lib.build(tiny_ring_config(**{"consistency.zcr_discriminator": 1.0}))
    assert "zcr_discriminator" in [term.name for term in experiment.program.group("discriminator").terms]


# ---------------------------------------------------------------------------- ADA's p


def test_ada_p_follows_the_papers_update_on_a_given_sequence_of_d_outputs():
    rng = np.random.default_rng(0)
    # 3 steps of 2 D updates of 8 images per adjustment: p moves by 48 / (kimg · 1000) = 0.12
    target, kimg, interval, repeats, batch = 0.6, 0.4, 3, 2, 8
    outputs = [rng.normal(loc, 1.0, size=(batch,)).astype(np.float32) for loc in np.linspace(2.0, -2.0, 24)]
    state = augmentation.ada_init_state(0.25)
    p, signs, seen, expected = 0.25, [], 0, []
    for d_real in outputs:
        state = augmentation.ada_state_update(
            state, jnp.asarray(d_real), target=target, kimg=kimg, updates_per_adjustment=interval * repeats
        )
        signs.extend(np.sign(d_real).tolist())
        seen += 1
        if seen == interval * repeats:  # Karras et al. 2020: p += sign(r_t - target) · images / (kimg · 1000)
            r_t = np.mean(signs)
            p = float(np.clip(p + np.sign(r_t - target) * len(signs) / (kimg * 1000), 0.0, 1.0))
            signs, seen = [], 0
        expected.append(p)
        np.testing.assert_allclose(float(state["p"]), p, atol=1e-6)
    assert max(expected) > 0.25 and min(expected) < max(expected)  # p rose while D was sure, then fell
    assert expected[5] == pytest.approx(0.37) and expected[-1] < expected[11]


def test_ada_term_keeps_p_and_reports_the_sign_of_real_outputs():
    settings = augmentation.read_settings(
        image_config(**{"augment.policy": "ada", "augment.ada_interval": 1, "augment.ada_kimg": 0.16}), (8, 8, 1)
    )
    term = augmentation.ada_term(settings, reads="d_real", repeats=1)
    d_real = jnp.asarray([1.0, 2.0, -1.0, 3.0] * 4)  # r_t = 0.5 < 0.6: p falls by 16 / 160
    ctx = TermContext(axis_name=None, state=term.init_state(), key=jax.random.PRNGKey(0), _apply=None)
    value, state = term.fn(ctx, d_real)
    assert float(value) == 0.5 and term.weight == 0.0
    assert float(state["p"]) == 0.0  # clipped at 0
    ctx = TermContext(axis_name=None, state={**state, "p": jnp.float32(0.5)}, key=jax.random.PRNGKey(0), _apply=None)
    _, state = term.fn(ctx, jnp.ones(16))  # r_t = 1 > 0.6: p rises by 0.1
    np.testing.assert_allclose(float(state["p"]), 0.6, atol=1e-7)


def test_ada_p_moves_in_the_step_and_is_logged():
    config = image_config(
        **{"augment.policy": "ada", "augment.ada_interval": 1, "augment.ada_kimg": 0.16, "augment.ada_p": 0.5}
    )
    from tests.train.helpers import batch_for, one_device

    experiment, state, step = one_device(config)
    new_state, metrics = step(state, batch_for(experiment, config))
    r_t = float(metrics["ada/sign_real"])
    expected = float(np.clip(0.5 + np.sign(r_t - 0.6) * 16 / 160, 0, 1))
    np.testing.assert_allclose(float(new_state.term_state["ada"]["p"]), expected, atol=1e-7)
    assert float(metrics["ada/p"]) == float(new_state.term_state["ada"]["p"])


# ---------------------------------------------------------------------------- the terms on a tiny D


def _setup(config):
    experiment = build_lib.build(config)
    state = build_lib.new_state(experiment, jax.random.PRNGKey(0))
    x = jnp.asarray(experiment.dataset.get(np.arange(16))["x"])
    z = jax.random.normal(jax.random.PRNGKey(1), (16, config.latent_dim))
    return experiment.program, state, x, z


def _call_keys(key, count):
    """The keys of a group repeat's calls (`jaxgan.train.step._keys`)."""
    _, loss_key = jax.random.split(key)
    calls_key, _ = jax.random.split(loss_key)
    return [jax.random.fold_in(calls_key, j) for j in range(count)]


def _augment_key(call_key, input_set):
    return jax.random.fold_in(jax.random.fold_in(call_key, AUGMENT_STREAM), input_set)


def test_bcr_and_zcr_terms_equal_their_formulas_on_a_tiny_d():
    weights = {"consistency.bcr_real": 2.0, "consistency.bcr_fake": 3.0, "consistency.zcr_discriminator": 5.0}
    config = image_config(**{"augment.policy": "translation", "consistency.zcr_generator": 0.5, **weights})
    program, state, x, z = _setup(config)
    d_group, g_group = program.group("discriminator"), program.group("generator")
    key = jax.random.PRNGKey(7)
    loss, aux = group_loss(
        program,
        d_group,
        params=state.params,
        variables=state.variables,
        env={"x": x, "z": z},
        term_state=state.term_state,
        hyper=state.hyper,
        key=key,
    )
    values = aux["values"]

    # By hand: call 0 is G on z and z + Δz, call 1 D on A(x), A(G(z)), call 2 D on A(T(x)), A(T(G(z))),
    # call 3 D on A(x) (unread) and A(G(z + Δz)); calls 2 and 3 have call 1's input sets.
    generator, discriminator = program.networks["generator"], program.networks["discriminator"]
    g = lambda inputs: generator.apply({"params": state.params["generator"]}, inputs, train=True)  # noqa: E731
    d = lambda inputs: discriminator.apply({"params": state.params["discriminator"]}, inputs, train=True)  # noqa: E731
    keys = _call_keys(key, 4)
    noise = augment_lib.latent_noise(0.03)
    z_near = noise(z, _augment_key(keys[0], 1))
    per_example = jax.vmap(lambda i: jax.random.fold_in(jax.random.fold_in(_augment_key(keys[0], 1), 0), i))(
        jnp.arange(16)
    )
    np.testing.assert_allclose(
        z_near - z, 0.03 * jax.vmap(lambda k: jax.random.normal(k, (4,)))(per_example), atol=1e-6
    )
    fake, fake_near = g(z), g(z_near)
    a = augment_lib.diffaugment_stage(("translation",))
    t_then_a = augment_lib.diffaugment_stage(("flip", "shift")).then(a)
    d_real, d_fake = d(a(x, _augment_key(keys[1], 0))), d(a(fake, _augment_key(keys[1], 1)))
    d_real_t, d_fake_t = d(t_then_a(x, _augment_key(keys[2], 0))), d(t_then_a(fake, _augment_key(keys[2], 1)))
    d_fake_near = d(a(fake_near, _augment_key(keys[3], 1)))
    squared = lambda u, v: float(np.mean(np.sum(np.square(np.asarray(u - v)).reshape(16, -1), axis=1)))  # noqa: E731
    np.testing.assert_allclose(values["consistency/cr_real"], squared(d_real, d_real_t), rtol=1e-5)
    np.testing.assert_allclose(values["consistency/cr_fake"], squared(d_fake, d_fake_t), rtol=1e-5)
    np.testing.assert_allclose(values["consistency/zcr_discriminator"], squared(d_fake, d_fake_near), rtol=1e-5)
    assert values["consistency/cr_real"] > 0 and values["consistency/zcr_discriminator"] > 0
    total = values["d_objective"] + 2.0 * squared(d_real, d_real_t) + 3.0 * squared(d_fake, d_fake_t)
    np.testing.assert_allclose(loss, total + 5.0 * squared(d_fake, d_fake_near), rtol=1e-5)

    # G's zCR diversity term on the fake and fake_near it reuses from D's update.
    g_env = {"x": x, "z": z, "fake": fake, "fake_near": fake_near}
    _, g_aux = group_loss(
        program,
        g_group,
        params=state.params,
        variables=state.variables,
        env=g_env,
        term_state=state.term_state,
        hyper=state.hyper,
        key=key,
    )
    expected = -float(np.mean(np.square(np.asarray(fake - fake_near))))
    np.testing.assert_allclose(g_aux["values"]["consistency/zcr_generator"], expected, rtol=1e-5)
    assert g_group.reuse == ("fake", "fake_near")


def _dcgan_d(**settings):
    from jaxgan.config import model_config

    return {"model.discriminator": model_config("discriminator", "dcgan28", features=4, **settings)}


def _d_loss_values(program, state, env, group=None):
    group = program.group("discriminator") if group is None else group
    _, aux = group_loss(
        program,
        group,
        params=state.params,
        variables=state.variables,
        env=env,
        term_state=state.term_state,
        hyper=state.hyper,
        key=jax.random.PRNGKey(7),
    )
    return aux


def test_consistency_compares_d_under_the_same_dropout_masks():
    """D(x) and D(T(x)) meet the same dropout masks (`Call.dropout_of`): on left-right symmetric
    images and T = flip, a D with dropout gives E‖D(x) - D(T(x))‖² = 0 exactly. With masks drawn
    apart (the bug behind bCR's FID of 892 in issue 28) the term is dropout's variance times 2:
    weighted by 10, a penalty that held D's outputs constant."""
    import dataclasses

    config = image_config(**_dcgan_d(use_batch_norm=False, dropout_rate=0.5), **{"consistency.cr": 10.0})
    config.consistency.policy = "flip"
    program, state, x, z = _setup(config)
    symmetric = (x + x[:, :, ::-1]) / 2
    values = _d_loss_values(program, state, {"x": symmetric, "z": z})["values"]
    assert values["consistency/cr_real"] == 0.0
    d_group = program.group("discriminator")
    calls = [call for call in d_group.calls if call.network == "discriminator"]
    assert [call.dropout_of for call in calls] == [None, "d_real"]
    assert calls[1].input_sets == calls[0].input_sets  # the same input sets, so the same masks set for set
    apart = dataclasses.replace(
        d_group, calls=tuple(dataclasses.replace(call, dropout_of=None) for call in d_group.calls)
    )
    noisy = _d_loss_values(program, state, {"x": symmetric, "z": z}, group=apart)["values"]
    assert noisy["consistency/cr_real"] > 1e-3


def test_a_batch_norm_d_sees_real_and_generated_images_in_one_batch_under_consistency():
    """With consistency regularisation, D's calls normalise real and generated images by the
    statistics of their union (`Call.joint_statistics`): D(x_i) is D on the interleaved batch
    [x_0, G(z_0), x_1, G(z_1), ...]. Normalised apart, every batch's features have mean 0, so a
    D held invariant to shifts (a readout alike at every position) could not tell the real batch's
    mean output from the generated one's: a D alone on digits against an untrained G stayed at
    a loss of 1.2 (ln 4 = 1.39: chance) over 100 steps under bCR, and reached 0.17 together."""
    config = image_config(**_dcgan_d(dropout_rate=0.0), **{"consistency.bcr_real": 1.0, "consistency.bcr_fake": 1.0})
    program, state, x, z = _setup(config)
    aux = _d_loss_values(program, state, {"x": x, "z": z})
    env = aux["env"]
    discriminator = program.networks["discriminator"]
    variables = {"params": state.params["discriminator"], **state.variables["discriminator"]}
    joined = jnp.stack([x, env["fake"]], axis=1).reshape(-1, *x.shape[1:])
    out, _ = discriminator.apply(variables, joined, train=True, mutable=["batch_stats"])
    np.testing.assert_allclose(env["d_real"], out[0::2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(env["d_fake"], out[1::2], rtol=1e-5, atol=1e-6)
    apart, _ = discriminator.apply(variables, x, train=True, mutable=["batch_stats"])
    assert float(jnp.max(jnp.abs(apart - env["d_real"]))) > 1e-3  # the statistics do matter here
    for group in program.groups:
        assert all(call.joint_statistics for call in group.calls if call.network == "discriminator")
    # G's update rates G(z) in the batch D was trained on: one D call on (x, G(z)), D's outputs as above.
    g_group = program.group("generator")
    (g_call,) = [call for call in g_group.calls if call.network == "discriminator"]
    assert g_call.output_names == ("d_real", "d_fake") and g_call.input_sets == (("x",), ("fake",))
    g_env = _d_loss_values(program, state, {"x": x, "z": z, "fake": env["fake"]}, group=g_group)["env"]
    np.testing.assert_allclose(g_env["d_fake"], out[1::2], rtol=1e-5, atol=1e-6)
    plain, *_ = _setup(image_config(**_dcgan_d(dropout_rate=0.0)))
    assert not any(call.joint_statistics for group in plain.groups for call in group.calls)


def test_the_default_consistency_transform_keeps_the_background():
    """T = flip, shift (reflected borders): an image of background -1 is left as it is; DiffAugment's
    translation would fill the borders with 0, a grey frame on the digits."""
    settings = augmentation.read_settings(image_config(**{"consistency.cr": 1.0}), (8, 8, 1))
    assert settings.consistency_policy == ("flip", "shift")
    transform = augment_lib.diffaugment_stage(settings.consistency_policy)
    background = -jnp.ones((64, 8, 8, 1))
    np.testing.assert_array_equal(transform(background, jax.random.PRNGKey(0)), background)
    grey = augment_lib.diffaugment_stage(("translation",))(background, jax.random.PRNGKey(0))
    assert float(jnp.max(grey)) == 0.0


def test_the_conditional_program_reads_the_adversarial_head():
    overrides = {"consistency.cr": 1.0, "consistency.bcr_real": 2.0, "augment.policy": "ada"}
    program, *_ = _setup(image_config("acgan", **overrides))
    d_group = program.group("discriminator")
    reads = {term.name: term.reads for term in d_group.terms}
    weights = {term.name: term.weight for term in d_group.terms}
    assert weights["cr_real"] == 3.0 and weights["ada"] == 0.0  # CR and bCR's real half are one term
    assert "cr_fake" not in weights and "zcr_discriminator" not in weights
    assert reads["cr_real"] == ("d_real.adversarial", "d_real_transformed.adversarial")
    assert reads["ada"] == ("d_real.adversarial",)
    calls = [call for group in program.groups for call in group.calls if call.network == "discriminator"]
    assert all(augmentation is not None for call in calls for augmentation in call.augmentations)


# ---------------------------------------------------------------------------- G's gradient


@pytest.mark.parametrize("policy", ["color,translation,cutout", "ada"])
def test_gs_gradient_flows_through_the_augmentation_and_equals_a_finite_difference(policy):
    overrides = {"augment.policy": policy} | ({"augment.ada_p": 1.0} if policy == "ada" else {})
    program, state, x, z = _setup(image_config(**overrides))
    g_group = program.group("generator")
    generator = program.networks["generator"]
    key = jax.random.PRNGKey(3)

    def g_loss(g_params, policy_on=True):
        fake = generator.apply({"params": g_params}, z, train=True)
        params = {**state.params, "generator": g_params}
        group = g_group if policy_on else _without_augmentation(g_group)
        loss, _ = group_loss(
            program,
            group,
            params=params,
            variables=state.variables,
            env={"x": x, "z": z, "fake": fake},
            term_state=state.term_state,
            hyper=state.hyper,
            key=key,
        )
        return loss

    g_params = state.params["generator"]
    grads = jax.jit(jax.grad(g_loss))(g_params)
    plain = jax.jit(jax.grad(lambda p: g_loss(p, False)))(g_params)
    leaves, plain_leaves = jax.tree.leaves(grads), jax.tree.leaves(plain)
    assert max(float(jnp.abs(leaf).max()) for leaf in leaves) > 1e-4  # non-zero
    assert max(float(jnp.abs(a - b).max()) for a, b in zip(leaves, plain_leaves)) > 1e-5  # and it is through A

    # central differences on a few entries of each parameter
    flat, unravel = jax.flatten_util.ravel_pytree(g_params)
    grad_flat, _ = jax.flatten_util.ravel_pytree(grads)
    loss_at = jax.jit(lambda v: g_loss(unravel(v)))
    eps = 1e-2
    for index in np.random.default_rng(0).choice(flat.size, 6, replace=False):
        step = jnp.zeros_like(flat).at[index].set(eps)
        numeric = (float(loss_at(flat + step)) - float(loss_at(flat - step))) / (2 * eps)
        np.testing.assert_allclose(float(grad_flat[index]), numeric, atol=2e-4, rtol=2e-2)
    # G's loss is the non-saturating loss at D(A(G(z))) (G's update reads D(x) too, unused by this objective)
    fake = generator.apply({"params": g_params}, z, train=True)
    d_key = _augment_key(_call_keys(key, 1)[0], 0)
    main = augmentation.main_augmentation(augmentation.read_settings(image_config(**overrides), (8, 8, 1)), None)
    d_fake = program.networks["discriminator"].apply(
        {"params": state.params["discriminator"]}, main(fake, d_key, state.term_state), train=True
    )
    np.testing.assert_allclose(float(g_loss(g_params)), float(non_saturating_generator_loss(d_fake)), rtol=1e-5)


def _without_augmentation(group):
    import dataclasses

    return dataclasses.replace(group, calls=tuple(dataclasses.replace(call, augment=None) for call in group.calls))


# ---------------------------------------------------------------------------- devices and resuming


@pytest.mark.slow
def test_augmented_values_and_programs_are_device_count_invariant():
    """One subprocess with 8 CPU devices (`tests/programs/augmentation_invariance.py`)."""
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess((), module="tests.programs.augmentation_invariance")
    print(rows)  # pytest -s shows the measured differences
    augmented = rows.pop("augmented")
    assert len(augmented) == 8 and all(value == 0.0 for value in augmented.values()), augmented  # bit for bit
    ada_row = rows["ada_acgan"]
    p = ada_row.pop("p")
    assert p != 0.5 and ada_row.pop("p_2") == p and ada_row.pop("p_8") == p  # p moved, the same on 2 and 8 devices
    for name in ("diffaugment_bcr_zcr", "ada_acgan"):
        check_invariance(rows[name])


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


@pytest.mark.slow
def test_a_resumed_ada_run_equals_a_straight_one_bit_for_bit_p_included(tmp_path):
    import json
    import os

    from jaxgan.train import train_and_evaluate

    def config(num_steps):
        settings = {"augment.policy": "ada", "augment.ada_interval": 1, "augment.ada_kimg": 0.16, "augment.ada_p": 0.3}
        return image_config(num_steps=num_steps, **settings)

    straight = train_and_evaluate(config(8), str(tmp_path / "straight"))
    train_and_evaluate(config(4), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(config(8), str(tmp_path / "resumed"))
    assert int(resumed.step) == 8
    p = float(np.asarray(straight.term_state["ada"]["p"]).reshape(-1)[0])
    assert p != 0.3  # p moved: its state is part of what is compared
    assert float(np.asarray(resumed.term_state["ada"]["p"]).reshape(-1)[0]) == p
    for a, b in zip(_leaves(straight), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    rows = [json.loads(line) for line in open(os.path.join(tmp_path, "resumed", "metrics.jsonl"))]
    assert [r["step"] for r in rows] == [2, 4, 6, 8]
    assert all("ada/p" in r and 0.0 <= r["ada/p"] <= 1.0 for r in rows)  # p is logged
    assert rows[-1]["ada/p"] == pytest.approx(p)
