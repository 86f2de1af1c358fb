"""ss-InfoGAN (Spurr et al. 2017): its two cross-entropies against numpy on fixed logits, the
labelled subset it trains on, a few steps of the family, and the refusals of bad settings."""

from __future__ import annotations

import jax
import ml_collections
import numpy as np
import pytest
from PIL import Image

from jaxgan.programs import infogan, registry
from jaxgan.train import build, restore
from tests.programs.helpers import train_straight_and_resumed
from tests.train.helpers import batch_for, one_device, tiny_ring_config

NUM_CLASSES = 8  # the ring's modes are its classes


class _OneDevice:
    """The term context of one device: gathering is the identity."""

    @staticmethod
    def gather(x):
        return x


def _numpy_cross_entropy(logits, labels):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(labels)), labels]))


def _config(**settings):
    config = tiny_ring_config(num_steps=3, steps_per_call=1)
    config.program = "ss_infogan"
    config.latent_dim = 3
    config.ss_infogan = infogan.SS_INFOGAN.default_settings(
        num_categories=NUM_CLASSES, num_continuous=1, q_batch_norm=False, **settings
    )
    config.model.generator.use_batch_norm = False
    config.data.labelled_per_class = 2
    for network in ("generator", "discriminator"):
        config.optimizer[network] = ml_collections.ConfigDict({"name": "sgd", "learning_rate": 1e-2})
    return config


def _terms(program):
    return {(group.name, term.name): term for group in program.groups for term in group.terms}


def test_the_two_cross_entropies_are_numpys_on_fixed_logits():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(6, NUM_CLASSES + 1)).astype(np.float32) * 3  # K code logits, then a continuous mean
    labels = np.array([0, 7, 3, 3, 5, 1], np.int32)
    experiment = build.build(_config(labelled_weight=0.7, generated_weight=0.3, q_learns_generated=True))
    terms = _terms(experiment.program)
    expected = _numpy_cross_entropy(q[:, :NUM_CLASSES], labels)
    labelled = terms["discriminator", "labelled"]
    assert labelled.reads == ("d_labelled.q", "labelled_label") and labelled.weight == 0.7
    np.testing.assert_allclose(float(labelled.fn(_OneDevice, q, labels)), expected, rtol=1e-6)
    # on G's samples with their codes as labels, in G's update and (q_trains_with="discriminator") D's
    for group, name in (("generator", "generated"), ("discriminator", "d_generated")):
        generated = terms[group, name]
        assert generated.reads == ("d_fake.q", "code") and generated.weight == 0.3
        np.testing.assert_allclose(float(generated.fn(_OneDevice, q, labels)), expected, rtol=1e-6)
    # it is InfoGAN's categorical bound up to the constant H(c) = log K: -L_I = CE - log K
    bound = infogan.mutual_information_term("categorical", "categorical", NUM_CLASSES, 0, 1.0)
    np.testing.assert_allclose(
        float(bound.fn(_OneDevice, q, labels)), expected - np.log(NUM_CLASSES), rtol=1e-5, atol=1e-6
    )
    # the categorical bound's own weight is gone: the code's terms are the two cross-entropies
    assert ("generator", "categorical") not in terms and "categorical_weight" not in infogan.ss_settings()
    # by default (Spurr et al.'s code with labels) Q learns the code from the labels alone: D's update
    # has the labelled cross-entropy and the continuous bound, not the one on G's samples
    default = _terms(build.build(_config()).program)
    assert {name for group, name in default if group == "discriminator"} == {
        "objective",
        "labelled",
        "d_continuous",
    }, sorted(default)
    assert ("generator", "generated") in default


def test_the_labelled_subset_is_stratified_and_drawn_again_for_the_same_seed():
    config = _config()
    config.data.labelled_per_class = 5
    first = build.load_dataset(config, seed=3)
    labels = first.base.get(first.positions)["label"]
    np.testing.assert_array_equal(np.bincount(labels, minlength=NUM_CLASSES), np.full(NUM_CLASSES, 5))
    np.testing.assert_array_equal(build.load_dataset(config, seed=3).positions, first.positions)
    batch = first.get(np.arange(12))
    np.testing.assert_array_equal(batch["labelled_label"], labels[np.arange(12) % 40])


def test_a_few_steps_train_q_on_the_labelled_examples():
    config = _config()
    experiment, state, step = one_device(config)
    assert experiment.program.features == ("x", "labelled_x", "labelled_label")
    discriminator = experiment.program.networks["discriminator"]
    batch = batch_for(experiment, config)
    out = discriminator.apply({"params": state.params["discriminator"]}, batch["labelled_x"][0], train=True)
    initial = _numpy_cross_entropy(out["q"][:, :NUM_CLASSES], batch["labelled_label"][0])
    first_state, metrics = step(state, batch)
    np.testing.assert_allclose(metrics["d_labelled_cross_entropy"], initial, rtol=1e-5)
    for name in ("g_generated_cross_entropy", "g_negative_mutual_information_continuous"):
        assert np.isfinite(float(metrics[name])), name
    assert "d_generated_cross_entropy" not in metrics  # Q_ss learns from the labels alone (the default)
    new_state = first_state
    for i in range(1, 3):
        new_state, metrics = step(new_state, batch_for(experiment, config, i))
    assert int(new_state.step) == 3
    q_head = lambda s: s.params["discriminator"]["q_head"]["output"]["kernel"]  # noqa: E731
    assert float(np.max(np.abs(q_head(new_state) - q_head(state)))) > 1e-6
    # the record's classifier is Q's code read as the class itself (no matching)
    classifier = registry.get("ss_infogan").exports.classifier
    assert not classifier.codes
    settings = infogan.SS_INFOGAN.default_settings(num_categories=NUM_CLASSES)
    logits = classifier.logits({"q": out["q"]}, settings)
    np.testing.assert_array_equal(logits, out["q"][:, :NUM_CLASSES])


def test_code_consistency_reads_each_code_as_its_class_without_matching():
    from jaxgan.metrics.evaluators import EvaluatorInputs

    probabilities = np.eye(3)[[0, 1, 2, 2]]
    inputs = EvaluatorInputs(
        real=None,
        fake=None,
        seed=0,
        metadata={},
        fake_probabilities=probabilities,
        fake_conditions={"code": np.array([0, 1, 2, 0])},
    )
    assert infogan.CODE_CONSISTENCY.fn(inputs) == (0.75,)
    # a permutation of the codes scores 0 here, where InfoGAN's code_agreement (after matching) would score 1
    inputs = EvaluatorInputs(
        real=None,
        fake=None,
        seed=0,
        metadata={},
        fake_probabilities=np.eye(3),
        fake_conditions={"code": np.array([1, 2, 0])},
    )
    assert infogan.CODE_CONSISTENCY.fn(inputs) == (0.0,)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c.data.update(labelled_per_class=-1), r"^config.data.labelled_per_class must be a positive integer"),
        (
            lambda c: c.data.update(labelled_per_class=0),
            r"^config.program='ss_infogan' needs config.data.labelled_per_class > 0",
        ),
        (
            lambda c: c.data.update(labelled_per_class=1000),
            r"^config.data.labelled_per_class \(1000\) is more than class",
        ),
        (
            lambda c: c.ss_infogan.update(num_categories=10),
            r"^config.ss_infogan.num_categories \(10\) must be dataset 'ring'",
        ),
        (
            lambda c: c.ss_infogan.update(labelled_weight=0.0),
            r"^config.ss_infogan.labelled_weight must be a number in \(0, inf\)",
        ),
        (
            lambda c: c.ss_infogan.update(generated_weight=-1.0),
            r"^config.ss_infogan.generated_weight must be a number in \[0, inf\)",
        ),
        (
            lambda c: c.ss_infogan.update(categorical_weight=1.0),
            r"^config.ss_infogan has unknown setting\(s\) \['categorical_weight'\]",
        ),
    ],
)
def test_bad_settings_are_refused_in_one_sentence_before_compiling(change, message, monkeypatch):
    config = _config()
    change(config)
    compiled = []
    monkeypatch.setattr(jax, "jit", lambda *a, **k: compiled.append(a))
    with pytest.raises(ValueError, match=message) as error:
        build.build(config)
    assert "\n" not in str(error.value) and str(error.value).count(". ") == 0, str(error.value)
    assert not compiled


@pytest.mark.slow
def test_the_record_trains_and_resumes_bit_for_bit(tmp_path):
    """8 steps straight equal 4 then 4 more from the checkpoint, leaf for leaf (the labelled subset and
    its batches are drawn again from the seed)."""
    straight, resumed = train_straight_and_resumed(
        "ss_infogan", tmp_path, logged=("d_loss", "g_loss", "d_labelled_cross_entropy", "g_generated_cross_entropy")
    )
    assert int(straight.step) == int(resumed.step) == 8
    # on points (the ring's) the family's traversal of images is not drawn: `jaxgan sample` writes the
    # samples' scatter (the loop's pictures likewise; an image grid of points failed before 2026-12-06)
    out, num = restore.write_samples(str(tmp_path / "resumed"), num=16, out=str(tmp_path / "drawn.png"))
    assert num == 16 and Image.open(out).size[0] > 0
