"""The `discriminator_overfitting` evaluator: D's mean raw output and mean sign on the training
examples and on held-out ones, per run, against a D whose outputs are known in closed form."""

from __future__ import annotations

import dataclasses
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.metrics import evaluators, overfitting
from jaxgan.train import build as build_lib
from jaxgan.train import discriminate
from tests.programs.helpers import tiny_config
from tests.train.helpers import tiny_ring_config


def test_the_figures_of_given_outputs():
    # train [2, -1, 3, 0]: mean 1, signs (1 - 1 + 1 + 0) / 4 = 0.25; held out [-2, 1]: mean -0.5, sign 0
    got = overfitting.discriminator_overfitting([2.0, -1.0, 3.0, 0.0], [-2.0, 1.0])
    assert got == {
        "d_output_train": 1.0,
        "d_output_held_out": -0.5,
        "d_output_gap": 1.5,
        "d_sign_train": 0.25,
        "d_sign_held_out": 0.0,
        "d_sign_gap": 0.25,
    }
    with pytest.raises(ValueError, match="at least one training and one held-out example"):
        overfitting.discriminator_overfitting([], [1.0])


def test_the_evaluator_by_name_takes_d_outputs_and_refuses_to_run_without_them():
    real = np.zeros((4, 2), np.float32)
    evaluation = evaluators.Evaluation(["discriminator_overfitting"], real=real, dataset_name="ring")
    assert evaluation.output_keys() == list(overfitting.KEYS)
    outputs = {"train": np.array([1.0, 3.0]), "held_out": np.array([-1.0, 0.5, 2.0])}
    got = evaluation(real, discriminator_outputs=outputs)
    np.testing.assert_allclose(
        [got[k] for k in overfitting.KEYS], [2.0, 0.5, 1.5, 1.0, 1.0 / 3.0, 1.0 - 1.0 / 3.0], rtol=1e-12
    )
    with pytest.raises(ValueError, match=r"need D's outputs on training and held-out examples"):
        evaluation(real)


class LinearD(nn.Module):
    """D(x) = x·w + b, a logit per example."""

    @nn.compact
    def __call__(self, x, *, train: bool):
        return nn.Dense(1)(x.reshape(x.shape[0], -1))[:, 0]


@dataclasses.dataclass
class _State:  # what `Discriminator.outputs` reads of a stacked TrainState
    params: dict
    variables: dict

    def sampling_params(self, network):
        return self.params[network]


def _linear(weights, biases):
    kernel = jnp.asarray(weights, jnp.float32)[:, :, None]  # [runs, 2, 1]
    params = {"Dense_0": {"kernel": kernel, "bias": jnp.asarray(biases, jnp.float32)[:, None]}}
    return _State({"discriminator": params}, {"discriminator": {}})


def test_a_linear_d_gives_its_closed_form_outputs_per_run_and_the_evaluator_their_means():
    config = tiny_ring_config()
    experiment = build_lib.build(config)
    program = dataclasses.replace(
        experiment.program, networks={**experiment.program.networks, "discriminator": LinearD()}
    )
    specs = {"x": ((2,), np.float32)}
    d = discriminate.Discriminator(config, program, 2, feature_specs=specs, batch_size=4)
    assert d.features == ("x",)
    rng = np.random.default_rng(0)
    train, held_out = rng.normal(size=(7, 2)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32)
    weights, biases = np.array([[1.0, -2.0], [-1.0, 0.0]]), np.array([0.5, 0.0])
    state = _linear(weights, biases)
    got_train = d.outputs(state, {"x": train})  # 7 examples in batches of 4: the last one padded
    got_held_out = d.outputs(state, {"x": held_out})
    expected_train = np.stack([train @ w + b for w, b in zip(weights, biases)])
    expected_held_out = np.stack([held_out @ w + b for w, b in zip(weights, biases)])
    np.testing.assert_allclose(got_train, expected_train, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_held_out, expected_held_out, rtol=1e-6, atol=1e-6)
    figures = overfitting.discriminator_overfitting(got_train[0], got_held_out[0])
    gap = expected_train[0].mean() - expected_held_out[0].mean()
    np.testing.assert_allclose(figures["d_output_gap"], gap, rtol=1e-5)
    sign_gap = np.sign(expected_train[0]).mean() - np.sign(expected_held_out[0]).mean()
    assert figures["d_sign_gap"] == pytest.approx(sign_gap)


def test_a_d_with_heads_gives_its_adversarial_head_and_others_are_refused_in_one_sentence():
    from jaxgan.programs import registry
    from tests.train.helpers import conditional_ring_config

    config = conditional_ring_config()  # ACGAN: D returns {"adversarial": [B], "class_logits": [B, 8]}
    config.program = "acgan"
    config.conditional = registry.FAMILIES["conditional"].default_settings(
        num_classes=8, discriminator_conditioning="none", class_weight=1.0
    )
    experiment = build_lib.build(config)
    specs = {n: (s.shape, s.dtype) for n, s in experiment.feature_specs.items()}
    d = discriminate.Discriminator(config, experiment.program, 1, feature_specs=specs, batch_size=4)
    assert d.features == ("x",)
    state = build_lib.new_state(experiment, jax.random.PRNGKey(0))
    stacked = _State(jax.tree.map(lambda a: a[None], state.params), jax.tree.map(lambda a: a[None], state.variables))
    x = np.random.default_rng(1).normal(size=(6, 2)).astype(np.float32)
    heads = experiment.program.networks["discriminator"].apply(
        {"params": state.params["discriminator"], **state.variables["discriminator"]}, x, train=False
    )
    np.testing.assert_allclose(d.outputs(stacked, {"x": x})[0], heads["adversarial"], rtol=1e-5, atol=1e-6)

    began = tiny_config("began")
    experiment = build_lib.build(began)
    specs = {n: (s.shape, s.dtype) for n, s in experiment.feature_specs.items()}
    with pytest.raises(ValueError, match=r"^config\.evaluators names discriminator_overfitting, .*'began' has a discr"):
        discriminate.Discriminator(began, experiment.program, 1, feature_specs=specs)


@pytest.mark.slow
def test_the_loop_logs_d_on_the_subset_it_trains_on_and_on_the_held_out_split(tmp_path):
    from jaxgan import data as data_lib
    from jaxgan.train import restore, train_and_evaluate

    config = tiny_ring_config(**{"data.num_train": 100, "evaluators": "discriminator_overfitting", "eval_every": 2})
    train_and_evaluate(config, str(tmp_path))
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    logged = [row for row in rows if "eval/d_output_gap" in row]
    assert [row["step"] for row in logged] == [2, 4]
    _, experiment, state = restore.load_latest(str(tmp_path))
    specs = {n: (s.shape, s.dtype) for n, s in experiment.feature_specs.items()}
    d = discriminate.Discriminator(config, experiment.program, 1, feature_specs=specs)
    train = experiment.dataset.get(np.arange(100))  # every example of the 100-example subset
    assert len(experiment.dataset) == 100
    held_out_set = data_lib.load("ring", split="test", seed=config.seed, num_examples=config.data.num_examples)
    held_out = held_out_set.get(np.arange(len(held_out_set)))  # 2,000 < num_eval_samples: all of them
    expected = overfitting.discriminator_overfitting(
        d.outputs(state, {"x": train["x"]})[0], d.outputs(state, {"x": held_out["x"]})[0]
    )
    for key in overfitting.KEYS:
        assert logged[-1][f"eval/{key}"] == pytest.approx(expected[key], rel=1e-5, abs=1e-6)
    assert jax.device_get(state.step) == 4


_TWO_DEVICES = """
import json, sys
from jaxgan.train import train_and_evaluate
from tests.train.helpers import tiny_ring_config
import jax
assert jax.device_count() == 2
config = tiny_ring_config(**{"data.num_train": 100, "evaluators": "discriminator_overfitting"})
train_and_evaluate(config, sys.argv[1])
"""


@pytest.mark.slow
def test_one_and_two_devices_train_on_the_same_subset_and_log_the_same_overfitting(tmp_path):
    import os
    import subprocess
    import sys

    from jaxgan.train import train_and_evaluate

    config = tiny_ring_config(**{"data.num_train": 100, "evaluators": "discriminator_overfitting"})
    train_and_evaluate(config, str(tmp_path / "one"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-c", _TWO_DEVICES, str(tmp_path / "two")], env=env, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]

    def final(name):
        rows = [json.loads(line) for line in open(tmp_path / name / "metrics.jsonl")]
        return [row for row in rows if "eval/d_output_gap" in row][-1]

    one, two = final("one"), final("two")
    assert one["step"] == two["step"] == 4
    records = [json.load(open(tmp_path / name / "evaluation.json")) for name in ("one", "two")]
    assert records[0]["num_real"] == records[1]["num_real"] == 100  # the evaluation's real set: the subset
    assert records[0]["real_digest"] == records[1]["real_digest"]
    for key in overfitting.KEYS:  # 4 steps of the same batches: the same D up to float rounding
        assert two[f"eval/{key}"] == pytest.approx(one[f"eval/{key}"], rel=1e-4, abs=1e-5), key
