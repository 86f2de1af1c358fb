"""Progressive growing as a run in stages (`jaxgan/programs/progressive.py`): the schedule, the state
carried at a boundary, bad settings refused before compiling, and (slow) a run interrupted mid-fade
and resumed across a stage boundary equal to the straight run, bit for bit, sampled at its stage."""

from __future__ import annotations

import os

import jax
import ml_collections
import numpy as np
import pytest

from jaxgan.programs import registry
from jaxgan.programs.family import Stages
from jaxgan.train import build as build_lib
from jaxgan.train import restore, train_and_evaluate
from tests.programs.helpers import leaves, tiny_config


def test_schedule_and_the_stage_of_a_step():
    config = tiny_config("progressive", **{"progressive.steps_per_stage": 8})
    starts = registry.stage_starts(config)
    assert starts == (0, 8, 16)
    assert [Stages.stage_of(starts, s) for s in (0, 7, 8, 15, 16, 100)] == [0, 0, 1, 1, 2, 2]
    # the state after s steps has the structure of its last step's stage (a checkpoint at 8 is stage 0's)
    assert [Stages.state_stage(starts, s) for s in (0, 1, 8, 9, 16, 17)] == [0, 0, 0, 1, 1, 2]
    fade = {stage: build_lib.build(config, stage=stage).program.networks["generator"] for stage in range(3)}
    assert [(g.stage, g.fade_start, g.fade_steps) for g in fade.values()] == [(0, 0, 0), (1, 8, 4), (2, 16, 4)]


def test_a_length_for_each_stage():
    """`stage_steps` (one length per stage) in place of `steps_per_stage`: the stages start at the sums
    of the lengths before them, and each new level fades in over `fade` of its own stage's length."""
    config = tiny_config("progressive", **{"progressive.steps_per_stage": 8})
    config.progressive.stage_steps = (12, 6, 10)
    starts = registry.stage_starts(config)
    assert starts == (0, 12, 18)
    assert [Stages.stage_of(starts, s) for s in (11, 12, 17, 18, 40)] == [0, 1, 1, 2, 2]
    fade = [build_lib.build(config, stage=stage).program.networks["generator"] for stage in range(3)]
    assert [(g.fade_start, g.fade_steps) for g in fade] == [(0, 0), (12, 3), (18, 5)]


def _shifted(tree):
    return jax.tree.map(lambda x: x + 1 if np.issubdtype(np.asarray(x).dtype, np.floating) else x, tree)


@pytest.mark.slow  # two state inits compiled: ~5-10 s on 2 shared cores
def test_the_state_carried_at_a_boundary():
    """Kept: every leaf of stage 0's state that stage 1's has (parameters, Adam's mu and nu, the EMA
    of G, the step, the key); initialised: level 1's block and RGB layers and their moments."""
    config = tiny_config("progressive")
    before = build_lib.build(config, stage=0)
    after = build_lib.build(config, stage=1)
    previous = _shifted(build_lib.new_state(before, jax.random.PRNGKey(0)))  # moments no longer zero
    previous = previous.replace(step=previous.step + 4)
    fresh = build_lib.new_state(after, jax.random.PRNGKey(0))
    carried = registry.get("progressive").stages.carry(previous, fresh)
    assert int(carried.step) == 4
    np.testing.assert_array_equal(np.asarray(carried.rng), np.asarray(previous.rng))
    new_layers = {"level_1_conv_0", "level_1_conv_1", "to_rgb_1", "from_rgb_1"}
    for network in ("generator", "discriminator"):
        assert set(carried.params[network]) - set(previous.params[network]) == new_layers & set(fresh.params[network])
        for layer, value in carried.params[network].items():
            source = fresh if layer in new_layers else previous
            for a, b in zip(jax.tree.leaves(value), jax.tree.leaves(source.params[network][layer]), strict=True):
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for layer, value in carried.ema_params["generator"].items():
        source = fresh if layer in new_layers else previous
        for a, b in zip(jax.tree.leaves(value), jax.tree.leaves(source.ema_params["generator"][layer]), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for group in ("generator", "discriminator"):
        adam = carried.opt_state[group].inner_state[0]
        for moment in ("mu", "nu"):
            for layer, value in getattr(adam, moment)[group].items():
                kept = getattr(previous.opt_state[group].inner_state[0], moment)[group]
                if layer in new_layers:  # initialised: Adam's zero moments
                    assert all(np.all(np.asarray(a) == 0.0) for a in jax.tree.leaves(value)), (group, layer)
                    continue
                for a, b in zip(jax.tree.leaves(value), jax.tree.leaves(kept[layer]), strict=True):
                    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
                assert all(np.all(np.asarray(a) == 1.0) for a in jax.tree.leaves(value))  # the shifted moments
        assert int(carried.opt_state[group].count) == int(previous.opt_state[group].count)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"progressive.stages": [4, 2, 8]}, r"config.progressive.stages=\[4, 2, 8\] must increase"),
        ({"progressive.stages": [2, 3, 6]}, r"each resolution must be twice the one before"),
        ({"progressive.stages": [3, 6]}, r"not the first stage's resolution 3 times a power of two"),
        ({"progressive.stages": []}, r"config.progressive.stages must be a non-empty list"),
        ({"progressive.steps_per_stage": 0}, r"config.progressive.steps_per_stage must be a positive integer"),
        ({"progressive.steps_per_stage": 3}, r"config.steps_per_call \(2\) must divide the first step of every stage"),
        ({"progressive.fade": 1.5}, r"config.progressive.fade must be a number in \[0, 1\]"),
        ({"progressive.stage_steps": (8, 8)}, r"stage_steps=\[8, 8\] gives 2 lengths for the 3 stages"),
        ({"progressive.stage_steps": (8, 0, 8)}, r"stage_steps must list a positive number of steps for each stage"),
        ({"progressive.stage_steps": (8, 3, 8)}, r"config.steps_per_call \(2\) must divide the first step of every"),
        ({"model.generator.features": [8, 4]}, r"config.model.generator.features=\[8, 4\] names the channels of fewer"),
        ({"model.discriminator.features": 8}, r"config.model.discriminator.features must list the positive channels"),
        ({"model.generator.name": "mlp"}, r"config.model.generator.name='mlp' cannot grow in stages"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(overrides, match):
    config = tiny_config("progressive")
    if overrides.get("model.generator.name") == "mlp":
        from jaxgan.config import model_config

        config.model.generator = model_config("generator", "mlp")
        overrides = {}
    for key, value in overrides.items():
        *path, last = key.split(".")
        parent = config
        for part in path[:-1]:
            parent = parent[part]
        values = parent[path[-1]].to_dict()
        values[last] = value  # rebuilt: a ConfigDict keeps each field's type
        parent[path[-1]] = ml_collections.ConfigDict(values)
    with pytest.raises(ValueError, match=match):
        build_lib.build(config)


def _staged_config(num_steps, **overrides):
    """Stages of 8 steps (fade over 4); sample_every 0: the grids are the stages' ends' (and the run's)."""
    return tiny_config(
        "progressive", num_steps=num_steps, sample_every=0, **{"progressive.steps_per_stage": 8}, **overrides
    )


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """One run straight to step 20 through the three stages: the reference of the resumed run and of
    the vmapped seeds."""
    workdir = str(tmp_path_factory.mktemp("progressive") / "straight")
    return workdir, train_and_evaluate(_staged_config(20), workdir)


@pytest.mark.slow
def test_resumed_mid_fade_and_across_a_boundary_bit_for_bit(tmp_path, straight):
    """Stages of 8 steps (fade over 4): straight to 20; interrupted at 10 (stage 1, α = 0.5) and at 16
    (the end of stage 1), each time resumed by the same command: the end states are equal bit for bit.
    Then `jaxgan sample` draws 8x8 images at the run's stage (2) and the grids of each stage are there."""
    straight_dir, straight = straight
    resumed_dir = str(tmp_path / "resumed")
    train_and_evaluate(_staged_config(10), resumed_dir)
    train_and_evaluate(_staged_config(16), resumed_dir)
    resumed = train_and_evaluate(_staged_config(20), resumed_dir)
    assert int(resumed.step) == 20
    assert set(resumed.params["generator"]) >= {"level_2_conv_0", "to_rgb_2"}
    for a, b in zip(leaves(straight), leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    grids = sorted(os.listdir(os.path.join(straight_dir, "samples")))
    assert grids == [
        "samples_stage0_step_00000008.png",
        "samples_stage1_step_00000016.png",
        "samples_stage2_step_00000020.png",
    ]
    out, num = restore.write_samples(resumed_dir, num=6, out=str(tmp_path / "s.npy"))
    samples = np.load(out)
    assert samples.shape == (6, 8, 8, 1) and num == 6
    # at stage 2 (α = 1 since step 20) the samples are 8x8, not upsampled 4x4: some 2x2 block is not constant
    assert np.max(np.abs(samples[:, ::2, ::2] - samples[:, 1::2, 1::2])) > 1e-4
    # --stage=1: the newest kept checkpoint of stage 1 (step 16): 4x4 images upsampled, every 2x2 block constant
    out, _ = restore.write_samples(resumed_dir, num=6, out=str(tmp_path / "s1.npy"), stage=1)
    earlier = np.load(out)
    assert earlier.shape == (6, 8, 8, 1)
    np.testing.assert_array_equal(earlier[:, ::2, ::2], earlier[:, 1::2, 1::2])
    assert np.max(np.abs(earlier - samples)) > 1e-3
    with pytest.raises(
        ValueError, match=r"--stage=0: no checkpoint of stage 0 is kept in .* \(kept: steps 16, 18, 20\)"
    ):
        restore.write_samples(resumed_dir, num=6, out=str(tmp_path / "s0.npy"), stage=0)


@pytest.mark.slow
def test_every_stage_is_device_count_invariant():
    """Each stage's program from its first step (through its fade-in) gives the same parameters on 1, 2
    and 8 devices (`tests/programs/invariance_check.py`: 20 steps, SGD)."""
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess(("progressive",), module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"progressive_stage0", "progressive_stage1", "progressive_stage2"}, rows
    for row in rows.values():
        assert "2" in row, row
        check_invariance(row)


@pytest.mark.slow
def test_many_seeds_in_one_program_across_the_stages(tmp_path, straight):
    """Two seeds vmapped in one program through the three stages: seed 0's slot is the single
    (straight) run's, to rounding (a vmapped and a plain program), and the seeds differ."""
    from jaxgan.train import run_axis

    two = train_and_evaluate(_staged_config(20, num_seeds=2), str(tmp_path / "two"))
    _, one = straight

    def difference(a, b):
        pairs = zip(jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b)), strict=True)
        return max(float(np.max(np.abs(x - y))) for x, y in pairs)

    assert difference(run_axis.unstack(two, 0).params, run_axis.unstack(one, 0).params) < 1e-5
    assert difference(run_axis.unstack(two, 0).params, run_axis.unstack(two, 1).params) > 0.1


def test_lazy_gradient_penalty_on_steps_0_to_4():
    """`config.penalty_interval = 2` (lazy regularisation, `jaxgan.programs.regularise`): the
    gradient penalty is computed on the even steps and weighted by 2, and 0 on the odd ones, each
    against the plain program's penalty from the same state and batch; D's loss adds it at the
    config's weight."""
    from tests.train.helpers import batch_for, one_device

    plain_config = tiny_config("progressive")
    lazy_config = tiny_config("progressive", penalty_interval=2)
    weight = float(plain_config.penalties.gradient_penalty)
    experiment, state, lazy_step = one_device(lazy_config)
    _, _, plain_step = one_device(plain_config)
    for s in range(5):
        batch = batch_for(experiment, lazy_config, s)
        _, plain = plain_step(state, batch)
        state, lazy = lazy_step(state, batch)
        penalty = float(plain["penalty/gradient_penalty"])
        assert penalty > 0
        expected = 2 * penalty if s % 2 == 0 else 0.0
        np.testing.assert_allclose(float(lazy["penalty/gradient_penalty"]), expected, rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(
            float(lazy["d_loss"]) - float(plain["d_loss"]), weight * (expected - penalty), rtol=1e-4, atol=1e-5
        )


@pytest.mark.slow  # two state inits compiled, as above
def test_a_terms_state_is_carried_at_a_boundary():
    """LeCam's EMA anchors (term state) pass from stage 0's state to stage 1's as they are: the
    regulariser's memory of D's outputs is not reset when a block is added."""
    config = tiny_config("progressive", **{"lecam.weight": 0.3, "lecam.decay": 0.9})
    before = build_lib.build(config, stage=0)
    after = build_lib.build(config, stage=1)
    previous = _shifted(build_lib.new_state(before, jax.random.PRNGKey(0)))  # anchors no longer 0
    fresh = build_lib.new_state(after, jax.random.PRNGKey(0))
    assert jax.tree.leaves(previous.term_state["lecam"]), previous.term_state
    carried = registry.get("progressive").stages.carry(previous, fresh)
    kept, initial = jax.tree.leaves(previous.term_state), jax.tree.leaves(fresh.term_state)
    for a, b, c in zip(jax.tree.leaves(carried.term_state), kept, initial, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert not np.array_equal(np.asarray(a), np.asarray(c))
