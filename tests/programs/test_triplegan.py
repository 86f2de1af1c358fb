"""Triple-GAN (shared/MATH.md §9; Li et al. 2017): one step of D's, G's and C's groups against a
hand-written update; the record builds, trains, resumes bit for bit, samples G(z, y) for given
labels and classifies with C (`jaxgan classify`); bad settings are refused in one sentence before
compiling. The value at D's optimum is tested in tests/losses/test_triplegan.py; device-count
invariance (2 and 8 devices) in test_invariance.py."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.calls import draw_latents
from jaxgan.models.triplegan import Classifier
from jaxgan.programs import triplegan
from jaxgan.train import build, classify, restore, run_axis
from jaxgan.train.state import create_state
from jaxgan.train.step import make_train_step
from tests.programs.helpers import tiny_config, train_straight_and_resumed

BATCH, DIM, LATENT, K = 6, 2, 2, 3
LEARNING_RATE = 0.05
ALPHA = 0.3
WEIGHTS = dict(labelled_weight=0.7, pseudo_label_weight=0.2, entropy_weight=0.3, balance_weight=0.05)


class Generator(nn.Module):
    @nn.compact
    def __call__(self, z, label, *, train):
        return nn.Dense(DIM)(jnp.tanh(nn.Dense(4)(jnp.concatenate([z, jax.nn.one_hot(label, K)], axis=-1))))


class Discriminator(nn.Module):
    @nn.compact
    def __call__(self, x, label, *, train):
        return nn.Dense(1)(jnp.tanh(nn.Dense(5)(jnp.concatenate([x, jax.nn.one_hot(label, K)], axis=-1))))[:, 0]


class ClassifierBody(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        return nn.Dense(K)(jnp.tanh(nn.Dense(4)(x))) * 3.0


def _program(generator_loss="non_saturating", pseudo_label_start=0, adversarial_start=0):
    sgd = lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)  # noqa: E731
    return triplegan.program(
        generator=Generator(),
        discriminator=Discriminator(),
        classifier=Classifier(ClassifierBody()),
        d_tx=sgd(),
        g_tx=sgd(),
        c_tx=sgd(),
        latent_dim=LATENT,
        num_classes=K,
        alpha=ALPHA,
        pseudo_label_start=pseudo_label_start,
        adversarial_start=adversarial_start,
        generator_loss=generator_loss,
        **WEIGHTS,
    )


def _state(program):
    specs = {
        "x": jax.ShapeDtypeStruct((DIM,), jnp.float32),
        "labelled_x": jax.ShapeDtypeStruct((DIM,), jnp.float32),
        "labelled_label": jax.ShapeDtypeStruct((), jnp.int32),
    }
    return create_state(program, rng=jax.random.PRNGKey(3), feature_specs=specs)


def _latents(state, group: int):
    """Group `group`'s (z, label) (repeat 0): latent j of example i from its own key, as the step documents."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 4)[0]  # 1 + three groups
    base = jax.random.fold_in(jax.random.fold_in(latent_key, group), 0)
    keys = lambda j: [jax.random.fold_in(jax.random.fold_in(base, j), i) for i in range(BATCH)]  # noqa: E731
    z = jnp.stack([jax.random.normal(k, (LATENT,)) for k in keys(0)])
    label = jnp.stack([jax.random.randint(k, (), 0, K, jnp.int32) for k in keys(1)])
    return z, label


def _reference(state, batch, generator_loss, pseudo_on, adversarial_on):
    """The step written out: D's cross-entropy, G's loss at the new D, C's loss at the new D and G; SGD by hand."""
    G = lambda p, z, y: Generator().apply({"params": p}, z, y, train=True)  # noqa: E731
    D = lambda p, x, y: Discriminator().apply({"params": p}, x, y, train=True)  # noqa: E731
    C = lambda p, x: ClassifierBody().apply({"params": p["base"]}, x, train=True)  # noqa: E731
    pg, pd, pc = (state.params[name] for name in ("generator", "discriminator", "classifier"))
    x, xl, yl = batch["x"], batch["labelled_x"], batch["labelled_label"]
    log_sigmoid = lambda v: -jnp.logaddexp(0.0, -v)  # noqa: E731
    sgd = lambda p, g: jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)  # noqa: E731

    z, y = _latents(state, 0)
    fake = G(pg, z, y)
    y_hat = jnp.argmax(C(pc, x), axis=-1)

    def d_loss_fn(pd):  # -U = -[E_p log D + α E_pc log(1 - D) + (1 - α) E_pg log(1 - D)]
        return -(
            jnp.mean(log_sigmoid(D(pd, xl, yl)))
            + ALPHA * jnp.mean(log_sigmoid(-D(pd, x, y_hat)))
            + (1 - ALPHA) * jnp.mean(log_sigmoid(-D(pd, fake, y)))
        )

    d_loss, d_grad = jax.value_and_grad(d_loss_fn)(pd)
    pd = sgd(pd, d_grad)

    def g_loss_fn(pg):  # G reuses D's group's (z, y)
        v = D(pd, G(pg, z, y), y)
        return (1 - ALPHA) * jnp.mean(log_sigmoid(-v) if generator_loss == "minimax" else -log_sigmoid(v))

    g_loss, g_grad = jax.value_and_grad(g_loss_fn)(pg)
    pg = sgd(pg, g_grad)

    z2, y2 = _latents(state, 2)  # C's group draws its own (z, y) for R_P, at the new G

    def c_loss_fn(pc):
        logits = C(pc, x)
        probabilities = jax.nn.softmax(logits)
        y_hat = jnp.argmax(logits, axis=-1)
        adversarial = adversarial_on * ALPHA * jnp.mean(jnp.max(probabilities, axis=-1) * -log_sigmoid(D(pd, x, y_hat)))
        cross_entropy = lambda logits, y: -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))  # noqa: E731
        labelled = cross_entropy(C(pc, xl), yl)
        pseudo = cross_entropy(C(pc, G(pg, z2, y2)), y2) if pseudo_on else 0.0
        entropy = -jnp.mean(jnp.sum(probabilities * jax.nn.log_softmax(logits), axis=-1))
        balance = -jnp.mean(jnp.log(jnp.mean(probabilities, axis=0)))
        return (
            adversarial
            + WEIGHTS["labelled_weight"] * labelled
            + WEIGHTS["pseudo_label_weight"] * pseudo
            + WEIGHTS["entropy_weight"] * entropy
            + WEIGHTS["balance_weight"] * balance
        )

    c_loss, c_grad = jax.value_and_grad(c_loss_fn)(pc)
    return (pg, pd, sgd(pc, c_grad)), d_loss, g_loss, c_loss


def _batch():
    keys = jax.random.split(jax.random.PRNGKey(5), 3)
    return {
        "x": jax.random.normal(keys[0], (BATCH, DIM)),
        "labelled_x": jax.random.normal(keys[1], (BATCH, DIM)),
        "labelled_label": jax.random.randint(keys[2], (BATCH,), 0, K, jnp.int32),
    }


@pytest.mark.parametrize(
    "generator_loss, pseudo_label_start, adversarial_start, step",
    [
        ("non_saturating", 0, 0, 0),
        ("minimax", 0, 0, 0),
        ("non_saturating", 1, 0, 0),
        ("non_saturating", 0, 1, 0),
        ("non_saturating", 2, 2, 2),  # both terms on at their start step
        ("non_saturating", 3, 3, 2),  # both off the step before
    ],
)
def test_one_step_of_each_group_equals_the_hand_written_update(
    generator_loss, pseudo_label_start, adversarial_start, step
):
    program = _program(generator_loss, pseudo_label_start, adversarial_start)
    assert [group.name for group in program.groups] == ["discriminator", "generator", "classifier"]
    assert program.groups[1].reuse == ("fake",)  # G reuses D's group's samples
    batch = _batch()
    state = _state(program)
    state = state.replace(step=jnp.asarray(step, state.step.dtype))
    new_state, metrics = jax.jit(make_train_step(program))(state, {k: v[None] for k, v in batch.items()})
    pseudo_on = step >= pseudo_label_start  # R_P is off before its start step
    adversarial_on = step >= adversarial_start  # so is C's adversarial term before its own
    (pg, pd, pc), d_loss, g_loss, c_loss = jax.jit(_reference, static_argnums=(2, 3, 4))(
        state, batch, generator_loss, pseudo_on, adversarial_on
    )
    np.testing.assert_allclose(metrics["d_loss"], d_loss, rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], g_loss, rtol=1e-5)
    np.testing.assert_allclose(metrics["c_loss"], c_loss, rtol=1e-5)
    assert (float(metrics["c_pseudo_label"]) > 0) == pseudo_on
    assert (float(metrics["c_adversarial"]) > 0) == adversarial_on
    for name, expected in (("generator", pg), ("discriminator", pd), ("classifier", pc)):
        for got, want in zip(jax.tree.leaves(new_state.params[name]), jax.tree.leaves(expected), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        moved = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(state.params[name]))
        )
        assert moved > 1e-4, name  # every network took a step


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The record trained straight to 8 steps, and to 4 then resumed to 8."""
    root = tmp_path_factory.mktemp("triplegan")
    straight, resumed = train_straight_and_resumed("triplegan", root, logged=("d_loss", "g_loss", "c_loss"))
    return root, straight, resumed


@pytest.mark.slow
def test_the_record_trains_and_resumes_bit_for_bit(trained):
    root, straight, resumed = trained  # equal bit for bit, logged: `train_straight_and_resumed`
    assert "classifier" in resumed.ema_params  # C is read at its running average


@pytest.mark.slow
def test_sample_draws_the_generator_at_the_given_labels(trained):
    """`jaxgan sample --labels=...` writes G(z, y) at the sampling params for the given y (and keeps y)."""
    root, _, _ = trained
    workdir = str(root / "resumed")
    out, num = restore.write_samples(workdir, num=None, out=str(root / "drawn.npz"), labels="0,3,3,7,1")
    drawn = np.load(out)
    np.testing.assert_array_equal(drawn["label"], [0, 3, 3, 7, 1])
    config, experiment, state = restore.load_latest(workdir)
    single = run_axis.unstack(state, 0)
    z = draw_latents(experiment.program, ("z",), jax.random.PRNGKey(0), num)["z"]  # the sampler's z (seed 0)
    generator = experiment.program.networks["generator"]
    params = {"params": single.sampling_params("generator"), **single.variables["generator"]}
    at = lambda y: generator.apply(params, z, jnp.asarray(y, jnp.int32), train=False)  # noqa: E731
    np.testing.assert_allclose(drawn["x"], at([0, 3, 3, 7, 1]), rtol=1e-5, atol=1e-6)
    assert float(jnp.max(jnp.abs(at([0] * num) - at([7] * num)))) > 1e-4  # G reads y


@pytest.mark.slow
def test_classify_answers_with_the_classifier_at_its_average(trained):
    """`jaxgan classify` writes the argmax of C's logits at the running average of its parameters."""
    root, _, _ = trained
    workdir = str(root / "resumed")
    x = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    np.save(root / "points.npy", x)
    out, num, _ = classify.write_labels(workdir, input_path=str(root / "points.npy"), out=str(root / "labels.npy"))
    config, experiment, state = restore.load_latest(workdir)
    single = run_axis.unstack(state, 0)
    classifier = experiment.program.networks["classifier"]
    averaged = single.ema_params["classifier"]
    moved = [
        np.max(np.abs(a - b)) for a, b in zip(jax.tree.leaves(averaged), jax.tree.leaves(single.params["classifier"]))
    ]
    assert max(moved) > 1e-6  # the average is not C's last parameters
    outputs = classifier.apply({"params": averaged, **single.variables["classifier"]}, jnp.asarray(x), train=False)
    np.testing.assert_array_equal(np.load(out), np.argmax(np.asarray(outputs["logits"]), axis=-1))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.triplegan.update(alpha=1.5), r"^config.triplegan.alpha must be a number in \[0, 1\]; got 1.5"),
        (lambda c: c.triplegan.update(alpha=-0.1), r"^config.triplegan.alpha must be a number in \[0, 1\]"),
        (
            lambda c: c.triplegan.update(pseudo_label_weight=-1.0),
            r"^config.triplegan.pseudo_label_weight must be a number in \[0, inf\)",
        ),
        (
            lambda c: c.triplegan.update(entropy_weight=float("nan")),
            r"^config.triplegan.entropy_weight must be a number",
        ),
        (lambda c: c.triplegan.update(labelled_weight=-0.5), r"^config.triplegan.labelled_weight must be a number"),
        (
            lambda c: c.triplegan.update(classifier_ema=1.0),
            r"^config.triplegan.classifier_ema must be a number in \[0, 1\)",
        ),
        (
            lambda c: c.triplegan.update(pseudo_label_start=-1),
            r"^config.triplegan.pseudo_label_start must be an integer >= 0",
        ),
        (
            lambda c: c.triplegan.update(adversarial_start=-5),
            r"^config.triplegan.adversarial_start must be an integer >= 0; got -5",
        ),
        (
            lambda c: c.triplegan.update(generator_loss="hinge"),
            r"^config.triplegan.generator_loss='hinge' is not one of",
        ),
        (
            lambda c: c.data.update(labelled_per_class=0),
            r"^config.program='triplegan' needs config.data.labelled_per_class > 0",
        ),
        (lambda c: c.triplegan.update(num_classes=10), r"^config.triplegan.num_classes \(10\) must be dataset 'ring'"),
        (
            lambda c: c.model.classifier.update(name="joint"),
            r"^config.model.classifier.name='joint' is not a network that can give K class logits",
        ),
        (lambda c: c.update(program="triplegan"), None),  # the unchanged config builds
    ],
)
def test_bad_settings_are_refused_in_one_sentence_before_compiling(change, message, monkeypatch):
    config = tiny_config("triplegan")
    change(config)
    compiled = []
    monkeypatch.setattr(jax, "jit", lambda *a, **k: compiled.append(a))
    if message is None:
        build.build(config)
        return
    with pytest.raises(ValueError, match=message) as error:
        build.build(config)
    assert "\n" not in str(error.value) and str(error.value).count(". ") == 0, str(error.value)
    assert not compiled


def test_an_unlabelled_dataset_is_refused_in_one_sentence(tmp_path, monkeypatch):
    np.savez(tmp_path / "points.npz", x=np.random.default_rng(0).uniform(size=(64, 8, 8)).astype(np.float32))
    config = tiny_config("triplegan")
    config.data.name = f"array:{tmp_path / 'points.npz'}"
    compiled = []
    monkeypatch.setattr(jax, "jit", lambda *a, **k: compiled.append(a))
    with pytest.raises(ValueError, match=r"^config.data.labelled_per_class needs a labelled dataset") as error:
        build.build(config)
    assert "\n" not in str(error.value), str(error.value)
    assert not compiled
