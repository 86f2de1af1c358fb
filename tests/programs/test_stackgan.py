"""StackGAN (`jaxgan/programs/stackgan.py`, `jaxgan/models/stackgan.py`, `jaxgan/losses/stackgan.py`): the
conditioning augmentation's KL term against numerical integration and as the networks sow it, the
matching-aware D loss in closed form, the two stages' schedule and structure, bad settings refused in
one sentence before compiling, and (slow) Stage I fixed through Stage II, a run interrupted in each
stage and resumed across the boundary equal to the straight run bit for bit, each stage device-count
invariant (2 and 8 devices)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan import losses
from jaxgan.models import stackgan as models
from jaxgan.programs import registry
from jaxgan.programs.family import Stages
from jaxgan.train import build as build_lib
from jaxgan.train import restore, train_and_evaluate
from tests.programs.helpers import leaves, tiny_config


def _integrated_kl(mean: np.ndarray, log_variance: np.ndarray) -> float:
    """Σ_j ∫ q_j log(q_j / p) dz by the rectangle rule on [-12, 12], q_j = N(μ_j, σ_j²), p = N(0, 1)."""
    grid = np.linspace(-12, 12, 200_001)
    step = grid[1] - grid[0]
    total = 0.0
    for m, v in zip(mean, np.exp(log_variance)):
        log_q = -0.5 * (grid - m) ** 2 / v - 0.5 * np.log(2 * np.pi * v)
        log_p = -0.5 * grid**2 - 0.5 * np.log(2 * np.pi)
        total += np.sum(np.exp(log_q) * (log_q - log_p)) * step
    return total


def test_the_kl_term_is_the_gaussian_kl_by_integration():
    mean = np.array([[0.7], [0.0], [1.5]], np.float64)
    sigma = np.array([[1.3], [1.0], [0.4]], np.float64)
    got = np.asarray(losses.conditioning_augmentation_kl(jnp.asarray(mean), jnp.asarray(2 * np.log(sigma))))
    for b in range(3):
        np.testing.assert_allclose(got[b], _integrated_kl(mean[b], 2 * np.log(sigma[b])), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got[0], 0.327636, rtol=1e-5)  # MATH.md §9's value: μ = 0.7, σ = 1.3
    assert got[1] == 0.0  # N(0, 1) itself


def test_the_networks_sow_the_kl_of_their_conditioning_augmentation():
    """The KL each stage's G sows is that of its CA layer's (μ, log σ²) for the example's label, by
    integration; ĉ = μ + σ ⊙ ε."""
    labels = jnp.array([0, 3, 1])
    z, eps_one, eps_two = (jax.random.normal(jax.random.PRNGKey(i), (3, d)) for i, d in ((0, 4), (1, 3), (2, 3)))
    for stage in (0, 1):
        g = models.StackGANGenerator(
            output_shape=(8, 8, 1), low_resolution=4, features=4, refine_features=4, condition_dim=3, num_classes=5,
            num_residual_blocks=1, stage=stage,
        )  # fmt: skip
        variables = g.init(jax.random.PRNGKey(3), z, labels, eps_one, eps_two)
        image, sown = g.apply(variables, z, labels, eps_one, eps_two, mutable=["intermediates"])
        assert image.shape == (3, 8, 8, 1)
        kl = np.asarray(jax.tree.leaves(sown)[0])
        ca_params = variables["params"][("stage_one", "stage_two")[stage]]["ca"]
        ca = models.ConditioningAugmentation(num_classes=5, features=3)
        c, mean, log_variance = ca.apply({"params": ca_params}, labels, (eps_one, eps_two)[stage])
        np.testing.assert_allclose(c, mean + jnp.exp(0.5 * log_variance) * (eps_one, eps_two)[stage], rtol=1e-6)
        for b in range(3):
            expected = _integrated_kl(np.asarray(mean[b], np.float64), np.asarray(log_variance[b], np.float64))
            np.testing.assert_allclose(kl[b], expected, rtol=1e-5, atol=1e-7)


def test_the_matching_aware_discriminator_loss():
    rng = np.random.default_rng(0)
    real, fake, wrong = (rng.normal(size=6).astype(np.float32) for _ in range(3))
    got = losses.stackgan_discriminator_loss(real, fake, wrong)
    sigmoid = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
    expected = -np.mean(np.log(sigmoid(real))) - 0.5 * (
        np.mean(np.log(1 - sigmoid(wrong))) + np.mean(np.log(1 - sigmoid(fake)))
    )
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(losses.stackgan_discriminator_loss(0.0, 0.0, 0.0), 2 * np.log(2), rtol=1e-6)


def test_mismatched_labels_are_uniform_over_the_other_classes():
    labels = jnp.repeat(jnp.arange(5), 4)
    shifts = jnp.tile(jnp.arange(4), 5)
    wrong = np.asarray(models.MismatchedLabels(5).apply({}, labels, shifts)).reshape(5, 4)
    for label in range(5):  # each shift value gives another of the 4 other classes
        assert sorted(wrong[label]) == sorted(set(range(5)) - {label})


def test_the_two_stages_and_what_each_trains():
    config = tiny_config("stackgan")
    starts = registry.stage_starts(config)
    assert starts == (0, 4)
    assert [Stages.stage_of(starts, s) for s in (0, 3, 4, 100)] == [0, 0, 1, 1]
    one, two = (build_lib.build(config, stage=stage).program for stage in (0, 1))
    # the real examples keep the batch's labels (a generated one takes its position's); `label` is drawn for samples
    assert "label" not in one.group("discriminator").latents and "label" in one.sample_latents
    assert one.group("generator").trains == ("generator",)
    assert two.group("generator").trains == ("generator/stage_two",)  # Stage-I G fixed
    assert one.sample_latents == ("z", "label", "eps_one")  # stage 1 draws the same first three
    assert two.sample_latents == ("z", "label", "eps_one", "eps_two")
    assert one.networks["generator"].stage == 0 and two.networks["discriminator"].stage == 1


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"stackgan.stage_one_steps": 0}, r"^config.stackgan.stage_one_steps must be a positive integer"),
        ({"stackgan.kl_weight": -1.0}, r"^config.stackgan.kl_weight must be a number in \[0, inf\)"),
        ({"stackgan.kl_weight": float("inf")}, r"^config.stackgan.kl_weight must be a number in \[0, inf\); got inf"),
        ({"stackgan.num_classes": 8}, r"^config.stackgan.num_classes \(8\) must be dataset 'digits'"),
        ({"stackgan.stage_one_steps": 3}, r"^config.steps_per_call \(2\) must divide the first step of every stage"),
        ({"model.generator.low_resolution": 3}, r"low_resolution=3 \(Stage I's image size\) must be the image size 8"),
        ({"model.generator.low_resolution": 8}, r"low_resolution=8 \(Stage I's image size\) must be the image size 8"),
        ({"model.generator.output_shape": [16, 16, 1]}, r"the generator makes samples of shape \(16, 16, 1\)"),
        ({"loss.name": "hinge"}, r"^config.loss.name='hinge' is not read by program 'stackgan', which reads none"),
        ({"ema_decay": 0.99}, r"^config.ema_decay=0.99 is not read by program 'stackgan'"),
        ({"data.name": "ring"}, r"^program 'stackgan' generates images; dataset 'ring' has examples of shape \(2,\)"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(overrides, match):
    config = tiny_config("stackgan")
    for key, value in overrides.items():
        section, last = key.rsplit(".", 1) if "." in key else ("", key)
        if not section:
            config[last] = value
            continue
        *path, name = section.split(".")
        parent = config
        for part in path:
            parent = parent[part]
        values = parent[name].to_dict()
        values[last] = value  # rebuilt: a ConfigDict keeps each field's type
        del parent[name]
        parent[name] = ml_collections.ConfigDict(values)
    if "data.name" in overrides:  # the ring's 8 modes are its classes
        config.data.image_size = 0
        config.stackgan.num_classes = 8
    with pytest.raises(ValueError, match=match) as error:
        build_lib.build(config)
    assert "\n" not in str(error.value)


def test_a_generator_without_stages_is_refused():
    from jaxgan.config import model_config

    config = tiny_config("stackgan")
    config.model.generator = model_config("generator", "mlp", output_shape=[8, 8, 1])
    with pytest.raises(ValueError, match=r"^config.model.generator.name='mlp' has no Stage I and Stage II"):
        build_lib.build(config)


def _staged_config(num_steps, **overrides):
    """Stage I for 4 steps, 2 steps a call, a checkpoint every 2 kept (Stage I's at step 4 for `--stage=0`)."""
    return tiny_config("stackgan", num_steps=num_steps, sample_every=0, keep_checkpoints=10, **overrides)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """One run straight to step 10 (Stage I: steps 0-3, Stage II: 4-9), checkpoints every 2 steps."""
    workdir = str(tmp_path_factory.mktemp("stackgan") / "straight")
    return workdir, train_and_evaluate(_staged_config(10), workdir)


@pytest.mark.slow
def test_stage_one_is_fixed_in_stage_two(straight):
    """Stage-I G's parameters and batch-norm running averages at step 10 are those of step 4 (the end
    of Stage I), bit for bit (Stage II runs it on its running averages); Stage-II G and D moved;
    Stage-I D is gone."""
    workdir, end = straight
    _, _, at_boundary = restore.load_latest(workdir, stage=0)
    assert int(np.asarray(at_boundary.step).reshape(-1)[0]) == 4
    for collection in ("params", "variables"):
        before = getattr(at_boundary, collection)["generator"]
        after = getattr(end, collection)["generator"]
        before = {
            k: v for k, v in jax.tree_util.tree_flatten_with_path(before)[0] if "stage_one" in jax.tree_util.keystr(k)
        }
        after = {
            k: v for k, v in jax.tree_util.tree_flatten_with_path(after)[0] if "stage_one" in jax.tree_util.keystr(k)
        }
        assert before and set(before) == set(after), collection  # the tiny config's Stage-I G has batch norm
        for path, value in before.items():
            np.testing.assert_array_equal(np.asarray(value), np.asarray(after[path]))
    assert set(end.params["discriminator"]) == {"stage_two"}
    fresh = build_lib.new_state(build_lib.build(_staged_config(10), stage=1), jax.random.PRNGKey(0))
    for network in ("generator", "discriminator"):
        moved = [
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(
                jax.tree.leaves(end.params[network]["stage_two"]), jax.tree.leaves(fresh.params[network]["stage_two"])
            )
        ]
        assert max(moved) > 0, network


@pytest.mark.slow
def test_resumed_in_each_stage_and_across_the_boundary_bit_for_bit(tmp_path, straight):
    """Interrupted at 2 (Stage I) and at 6 (Stage II), each time resumed by the same command: the end
    state equals the straight run's bit for bit. `jaxgan sample --stage=0` draws Stage I's images
    (2x2 blocks constant: 4x4 upsampled), and a Stage-II sample drawn with the same seed refines them:
    its 2x2 means are close to, not equal to, the Stage-I image."""
    straight_dir, straight_state = straight
    resumed_dir = str(tmp_path / "resumed")
    train_and_evaluate(_staged_config(2), resumed_dir)
    train_and_evaluate(_staged_config(6), resumed_dir)
    resumed = train_and_evaluate(_staged_config(10), resumed_dir)
    assert int(resumed.step) == 10
    for a, b in zip(leaves(straight_state), leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    out, _ = restore.write_samples(resumed_dir, num=6, out=str(tmp_path / "s0.npz"), stage=0, labels="0,1,2,3,4,5")
    first = np.load(out)
    np.testing.assert_array_equal(first["x"][:, ::2, ::2], first["x"][:, 1::2, 1::2])
    np.testing.assert_array_equal(first["label"], np.arange(6))
    out, _ = restore.write_samples(resumed_dir, num=6, out=str(tmp_path / "s1.npz"), labels="0,1,2,3,4,5")
    second = np.load(out)
    assert second["x"].shape == (6, 8, 8, 1)
    assert np.max(np.abs(second["x"][:, ::2, ::2] - second["x"][:, 1::2, 1::2])) > 1e-4


@pytest.mark.slow
def test_each_stage_is_device_count_invariant():
    """Each stage's program from its first step gives the same parameters on 1, 2 and 8 devices
    (`tests/programs/invariance_check.py`: 20 steps)."""
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess(("stackgan",), module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"stackgan_stage0", "stackgan_stage1"}, rows
    for row in rows.values():
        assert "2" in row and "8" in row, row
        check_invariance(row)


def test_the_config_is_refused_for_an_unknown_section_key():
    config = tiny_config("stackgan")
    config.stackgan = ml_collections.ConfigDict({**config.stackgan.to_dict(), "stage_two_steps": 5})
    with pytest.raises(ValueError, match=r"config.stackgan has unknown setting\(s\) \['stage_two_steps'\]"):
        build_lib.build(config)
