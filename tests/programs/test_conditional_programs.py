"""The conditional programs: InfoGAN's update against a hand-written one (Q trained in D's update,
as in Chen et al.'s code, or Q's head with G),
the semi-supervised labelled subset, the sampler's labels, and the refusals of bad settings."""

from __future__ import annotations

import os
import runpy

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan import data as data_lib
from jaxgan.data import labelled
from jaxgan.programs import infogan, registry
from jaxgan.train import build, restore, run_axis, sampling, sweeps
from tests.train.helpers import batch_for, conditional_ring_config, tiny_ring_config

INFOGAN_MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "infogan_mnist.py")
LEARNING_RATE = 1e-2
NUM_CATEGORIES, NUM_CONTINUOUS, LATENT_DIM = 4, 2, 3


def _infogan_config(**settings):
    config = tiny_ring_config(num_steps=1, steps_per_call=1)
    config.program = "infogan"
    config.latent_dim = LATENT_DIM
    config.infogan = infogan.FAMILY.default_settings(
        num_categories=NUM_CATEGORIES, num_continuous=NUM_CONTINUOUS, **settings
    )
    config.model.generator.use_batch_norm = False
    for network in ("generator", "discriminator"):
        config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": LEARNING_RATE})
    return config


def _latents(state, batch_size, noise="normal", group=0):
    """(z, code, continuous) of D's group (group 0, repeat 0) or G's (group 1, when it draws its
    own), as the step documents its keys."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)[0]
    base = jax.random.fold_in(jax.random.fold_in(latent_key, group), 0)

    def draw(j, fn):
        key = jax.random.fold_in(base, j)
        return jnp.stack([fn(jax.random.fold_in(key, i)) for i in range(batch_size)])

    if noise == "normal":
        z = draw(0, lambda k: jax.random.normal(k, (LATENT_DIM,)))
    else:
        z = draw(0, lambda k: jax.random.uniform(k, (LATENT_DIM,), jnp.float32, -1.0, 1.0))
    code = draw(1, lambda k: jax.random.randint(k, (), 0, NUM_CATEGORIES))
    continuous = draw(2, lambda k: jax.random.uniform(k, (NUM_CONTINUOUS,), jnp.float32, -1.0, 1.0))
    return z, code, continuous


def _bounds(out, code, continuous):
    log_q = jax.nn.log_softmax(out["q"][:, :NUM_CATEGORIES])
    categorical_bound = np.log(NUM_CATEGORIES) + jnp.mean(jnp.take_along_axis(log_q, code[:, None], 1))
    log_density = -0.5 * np.log(2 * np.pi) - 0.5 * (continuous - out["q"][:, NUM_CATEGORIES:]) ** 2
    continuous_bound = NUM_CONTINUOUS * np.log(2.0) + jnp.mean(jnp.sum(log_density, axis=-1))
    return categorical_bound, continuous_bound


@pytest.mark.slow
@pytest.mark.parametrize(
    "q_trains_with,noise,draws",
    [("discriminator", "uniform", "reuse"), ("generator", "normal", "reuse"), ("discriminator", "uniform", "fresh")],
)
def test_infogan_step_equals_the_hand_written_update(q_trains_with, noise, draws):
    """Chen et al.'s code ("discriminator"): D's update trains D and Q's head on D's loss - λ L_I,
    G's trains G alone on G's loss - λ L_I. "generator": D's loss has no bound, Q's head moves with G.
    `generator_draws="fresh"` (their two `sess.run`s): G's update draws its own z and codes."""
    config = _infogan_config(
        q_trains_with=q_trains_with, noise=noise, q_batch_norm=False, continuous_weight=0.5, generator_draws=draws
    )
    experiment = build.build(config)
    state = build.new_state(experiment, jax.random.PRNGKey(4))
    batch = batch_for(experiment, config)
    new_state, metrics = jax.jit(build.train_step(experiment))(state, batch)

    generator = experiment.program.networks["generator"]
    discriminator = experiment.program.networks["discriminator"]
    g_params, d_params = state.params["generator"], state.params["discriminator"]
    x = batch["x"][0]
    z, code, continuous = _latents(state, config.batch_size, noise)
    G = lambda p: generator.apply({"params": p}, z, code, continuous, train=True)  # noqa: E731
    D = lambda p, v: discriminator.apply({"params": p}, v, train=True)  # noqa: E731
    sgd = lambda p, g: jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)  # noqa: E731

    def d_loss(p):
        d_fake = D(p, G(g_params))
        loss = jnp.mean(jax.nn.softplus(-D(p, x)["adversarial"])) + jnp.mean(jax.nn.softplus(d_fake["adversarial"]))
        if q_trains_with == "discriminator":  # Chen et al.'s code: D's loss subtracts the bound too
            categorical_bound, continuous_bound = _bounds(d_fake, code, continuous)
            loss = loss - 1.0 * categorical_bound - 0.5 * continuous_bound
        return loss

    d_new = sgd(d_params, jax.grad(d_loss)(d_params))

    if draws == "fresh":
        z, code, continuous = _latents(state, config.batch_size, noise, group=1)
        assert not np.allclose(z, _latents(state, config.batch_size, noise)[0])

    def g_loss(g, q_head):
        out = D({**d_new, "q_head": q_head}, G(g))
        categorical_bound, continuous_bound = _bounds(out, code, continuous)
        adversarial = jnp.mean(jax.nn.softplus(-out["adversarial"]))
        return adversarial - 1.0 * categorical_bound - 0.5 * continuous_bound, (categorical_bound, continuous_bound)

    (_, (categorical_bound, continuous_bound)), (g_grad, q_grad) = jax.value_and_grad(
        g_loss, argnums=(0, 1), has_aux=True
    )(g_params, d_new["q_head"])
    q_head = sgd(d_new["q_head"], q_grad) if q_trains_with == "generator" else d_new["q_head"]
    expected = {"generator": sgd(g_params, g_grad), "discriminator": {**d_new, "q_head": q_head}}
    for got, want in zip(jax.tree.leaves(new_state.params), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics["g_negative_mutual_information_categorical"], -categorical_bound, atol=1e-6)
    np.testing.assert_allclose(metrics["g_negative_mutual_information_continuous"], -continuous_bound, atol=1e-6)
    assert float(jnp.max(jnp.abs(q_grad["output"]["kernel"]))) > 1e-4
    moved = float(jnp.max(jnp.abs(d_new["q_head"]["output"]["bias"] - d_params["q_head"]["output"]["bias"])))
    if q_trains_with == "discriminator":  # D's update moved Q's head
        assert moved > 1e-4
        assert "d_negative_mutual_information_categorical" in metrics
    else:  # Q's head moved in G's update only: D's own update does not reach it (its loss does not read q)
        assert moved == 0.0


@pytest.mark.parametrize("kind", ["categorical", "continuous"])
def test_a_bounds_warmup_drops_it_before_its_step_and_only_then(kind):
    """`<kind>_warmup_steps=2`: the updates at steps 0 and 1 are those of λ = 0 for that bound (the
    bound logged as 0), the update at step 2 that of the run without a warm-up (the bound at λ)."""

    def stepper(**settings):
        config = _infogan_config(**{"q_batch_norm": False, "continuous_weight": 0.5, **settings})
        experiment = build.build(config)
        state = build.new_state(experiment, jax.random.PRNGKey(4))
        batch, step_fn = batch_for(experiment, config), jax.jit(build.train_step(experiment))
        return lambda step: step_fn(state.replace(step=jnp.asarray(step, state.step.dtype)), batch)

    warmed, no_bound, plain = stepper(**{f"{kind}_warmup_steps": 2}), stepper(**{f"{kind}_weight": 0.0}), stepper()
    for step, want_fn, other_fn in ((0, no_bound, plain), (1, no_bound, plain), (2, plain, no_bound)):
        (got, got_metrics), (want, want_metrics), (other, _) = warmed(step), want_fn(step), other_fn(step)
        for a, b in zip(jax.tree.leaves(got.params), jax.tree.leaves(want.params), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        moved = max(
            float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(got.params), jax.tree.leaves(other.params))
        )
        assert moved > 1e-5  # the two references differ: the comparison can fail
        for group in ("d", "g"):
            name = f"{group}_negative_mutual_information_{kind}"
            if step == 2:
                np.testing.assert_allclose(got_metrics[name], want_metrics[name], rtol=1e-6)
                assert float(got_metrics[name]) != 0.0
            else:
                assert float(got_metrics[name]) == 0.0


@pytest.mark.parametrize("kind", ["categorical", "continuous"])
def test_a_negative_warmup_is_refused_in_one_sentence(kind):
    with pytest.raises(ValueError, match=rf"config.infogan.{kind}_warmup_steps must be an integer >= 0; got -1."):
        build.build(_infogan_config(**{f"{kind}_warmup_steps": -1}))


def test_infogan_traversal_rows_are_codes_and_columns_move_the_first_continuous_code():
    given, columns = infogan.traversal(np.ones(3), 4, 2)
    assert columns == infogan.TRAVERSAL_STEPS and given["code"].shape == (4 * columns,)
    np.testing.assert_array_equal(given["code"].reshape(4, columns), np.arange(4)[:, None].repeat(columns, 1))
    np.testing.assert_allclose(given["continuous"][:columns, 0], np.linspace(-2, 2, columns))
    np.testing.assert_array_equal(given["continuous"][:, 1], 0.0)
    np.testing.assert_array_equal(given["z"], 1.0)


def test_labelled_subset_has_n_examples_per_class_seeded_and_paired_with_every_example():
    dataset = data_lib.load("mnist", split="train")
    subset = labelled.labelled_subset(dataset, 10, seed=3)
    labels = dataset.get(subset.positions)["label"]
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 10))
    np.testing.assert_array_equal(labelled.labelled_subset(dataset, 10, seed=3).positions, subset.positions)
    assert not np.array_equal(labelled.labelled_subset(dataset, 10, seed=4).positions, subset.positions)
    got = subset.get(np.array([0, 100, 205]))
    np.testing.assert_array_equal(got["labelled_label"], labels[[0, 0, 5]])
    np.testing.assert_array_equal(got["labelled_x"], dataset.get(subset.positions[[0, 0, 5]])["x"])
    arrays = subset.arrays()
    np.testing.assert_array_equal(arrays["labelled_label"][[0, 100, 205]], got["labelled_label"])
    with pytest.raises(ValueError, match=r"labelled_per_class \(1000\) is more than class 0"):
        labelled.labelled_subset(dataset, 1000, seed=0)


@pytest.mark.slow
def test_samples_keep_the_labels_they_were_drawn_for():
    config = conditional_ring_config()
    experiment = build.build(config)
    state = run_axis.initial_state(experiment, sweeps.runs_of(config))
    sampler = sampling.Sampler(experiment.program, 1)
    key = jax.random.PRNGKey(0)
    drawn = sampler.draw(state, key, 40)
    assert drawn["x"].shape == (1, 40, 2) and drawn["label"].shape == (1, 40)
    assert set(np.unique(drawn["label"])) <= set(range(8)) and len(np.unique(drawn["label"])) > 4
    # Given labels replace the drawn ones; the same latent points for the same labels give the same samples.
    given = sampler.draw(state, key, 40, given={"label": drawn["label"][0]})
    np.testing.assert_allclose(given["x"], drawn["x"], rtol=1e-6)
    other = sampler.draw(state, key, 40, given={"label": (drawn["label"][0] + 1) % 8})
    assert float(np.max(np.abs(other["x"] - drawn["x"]))) > 1e-4
    np.testing.assert_array_equal(restore.parse_labels("all", num=None, num_classes=8), np.arange(8))
    np.testing.assert_array_equal(restore.parse_labels("all", num=16, num_classes=8), np.repeat(np.arange(8), 2))
    np.testing.assert_array_equal(restore.parse_labels("3,3,7", num=None, num_classes=8), [3, 3, 7])


@pytest.mark.parametrize(
    "spec,num,num_classes,message",
    [
        ("12", None, 10, r"outside \[0, 10\)"),
        ("all", None, None, "is for a conditional run"),
        ("all", 15, 10, "multiple of the 10 classes"),
        ("3,x", None, 10, "comma-separated class indices"),
        ("1,2", 3, 10, "names 2 labels but --num is 3"),
    ],
)
def test_bad_labels_are_refused_in_one_sentence(spec, num, num_classes, message):
    with pytest.raises(ValueError, match=message):
        restore.parse_labels(spec, num=num, num_classes=num_classes)


def _unlabelled(dataset):
    return data_lib.ArrayDataset("unlabelled", dataset.get(np.arange(100))["x"])


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c.conditional.update(num_classes=7), r"num_classes \(7\) must be dataset 'ring'"),
        (lambda c: c.conditional.update(discriminator_conditioning="projected"), "is not one of"),
        (lambda c: c.conditional.update(generator_conditioning="batch_norm"), "needs a generator with conditional"),
        (lambda c: c.update(pack=2), "config.pack=2 is not read by program 'conditional'"),
        (
            lambda c: c.data.update(labelled_per_class=5),
            "config.data.labelled_per_class=5 is not read by program 'conditional'",
        ),
        (lambda c: c.update(program="acgan"), "class_weight > 0"),
    ],
)
def test_bad_conditional_settings_are_refused_before_compiling(change, message):
    config = conditional_ring_config()
    change(config)
    with pytest.raises(ValueError, match=message):
        build.build(config)


def test_a_conditional_program_on_a_dataset_without_labels_is_refused():
    config = conditional_ring_config()
    dataset = _unlabelled(data_lib.load("ring", num_examples=200))
    with pytest.raises(
        ValueError, match=r"needs a dataset with features \['x', 'label'\], but config.data.name='ring' has \['x'\]"
    ):
        registry.build_program(config, dataset, axis_name=None)


def test_released_code_sets_chen_et_als_settings_and_g_draws_its_own_latents():
    config = infogan.released_code(infogan.mnist_config())
    assert (config.model.generator.output, config.model.discriminator.input_range) == ("sigmoid", "unit")
    assert config.model.generator.batch_norm_scale_stddev == config.model.discriminator.batch_norm_scale_stddev == 0.02
    assert (config.infogan.head_init_stddev, config.infogan.q_batch_norm_scale_stddev) == (0.02, 0.02)
    configured = infogan.released_code(runpy.run_path(INFOGAN_MNIST)["get_config"]())  # λ_cont 0.1 there
    assert configured.infogan.continuous_weight == config.infogan.continuous_weight == 1.0
    experiment = build.build(config)
    discriminator_group, generator_group = experiment.program.groups
    assert generator_group.reuse == () and generator_group.latents == discriminator_group.latents
    assert generator_group.calls[0].network == "generator"
    default = build.build(infogan.mnist_config()).program.groups[1]
    assert default.reuse == ("fake",) and default.latents == ()
