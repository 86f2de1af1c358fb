"""Tests for jaxgan/models/mlp.py: PacGAN sizes, maxout, batch norm (incl. cross-device), packing."""

import jax
import numpy as np
import pytest

from jaxgan.models.mlp import MLPDiscriminator, MLPGenerator

from ._helpers import init_variables, jit_apply, normal, num_params


def test_pacgan_generator_parameter_count():
    # Lin et al. 2018: z in R^2, 4 hidden layers x 400 (Dense without bias, batch norm scale and
    # shift, ReLU), linear output of dimension 2.
    latent, width, depth, out = 2, 400, 4, 2
    expected = latent * width + (depth - 1) * width * width + depth * 2 * width + width * out + out
    assert expected == 484_802
    generator = MLPGenerator()
    assert (generator.width, generator.depth, generator.use_batch_norm, generator.output_shape) == (400, 4, True, (2,))
    assert num_params(generator, np.zeros((1, latent), np.float32)) == expected


@pytest.mark.parametrize("pack", [1, 4])
def test_pacgan_discriminator_parameter_count(pack):
    # 3 maxout layers x 200 units x 5 pieces, linear output; PacGAN-m sees 2m inputs.
    inputs, width, pieces = 2 * pack, 200, 5
    expected = (inputs * width * pieces + width * pieces) + 2 * (width * width * pieces + width * pieces) + width + 1
    discriminator = MLPDiscriminator()
    assert (discriminator.width, discriminator.depth, discriminator.maxout_pieces) == (200, 3, 5)
    assert num_params(discriminator, np.zeros((1, pack, 2), np.float32)) == expected


def test_maxout_discriminator_matches_hand_computation():
    discriminator = MLPDiscriminator(width=4, depth=1, maxout_pieces=3)
    x = normal(5, 2)
    variables = init_variables(discriminator, x)
    v, state = jit_apply(discriminator, variables, x, train=False, mutable=["intermediates"])
    params = variables["params"]
    pre = x @ params["hidden_0"]["kernel"] + params["hidden_0"]["bias"]  # [5, 12]
    hidden = np.stack([pre[:, 3 * k : 3 * k + 3].max(axis=1) for k in range(4)], axis=1)
    expected = hidden @ params["output"]["kernel"][:, 0] + params["output"]["bias"][0]
    assert v.shape == (5,)
    np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state["intermediates"]["features"][0], hidden, rtol=1e-5, atol=1e-6)


def test_packed_inputs_are_flattened_and_num_outputs():
    discriminator = MLPDiscriminator(width=8, depth=2, maxout_pieces=1, minibatch_discrimination=3, num_outputs=4)
    x = normal(6, 3, 2)
    variables = init_variables(discriminator, x)
    assert variables["params"]["hidden_0"]["kernel"].shape == (6, 8)
    assert variables["params"]["output"]["kernel"].shape == (8 + 3, 4)
    packed, flat = jax.jit(
        lambda v, x: (discriminator.apply(v, x, train=False), discriminator.apply(v, x.reshape(6, 6), train=False))
    )(variables, x)
    assert packed.shape == (6, 4)
    np.testing.assert_array_equal(packed, flat)


def test_batch_norm_statistics_update_in_train_mode_only():
    generator = MLPGenerator(hidden_widths=(6,), output_shape=(3,))
    z = normal(8, 4)
    variables = init_variables(generator, z)

    @jax.jit
    def both_modes(variables):
        _, eval_updates = generator.apply(variables, z, train=False, mutable=["batch_stats"])
        _, train_state = generator.apply(
            variables, z, train=True, mutable=["batch_stats", "intermediates"], capture_intermediates=True
        )
        return eval_updates, train_state

    eval_updates, train_state = both_modes(variables)
    jax.tree.map(np.testing.assert_array_equal, eval_updates["batch_stats"], variables["batch_stats"])
    pre_norm = np.asarray(train_state["intermediates"]["hidden_0"]["__call__"][0])
    stats = train_state["batch_stats"]["batch_norm_0"]
    # Running averages start at mean 0, var 1 and move by (1 - momentum) = 0.1.
    np.testing.assert_allclose(stats["mean"], 0.1 * pre_norm.mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(stats["var"], 0.9 + 0.1 * pre_norm.var(0), rtol=1e-5)


@pytest.mark.slow
def test_batch_norm_axis_name_under_vmap_equals_whole_batch():
    z = normal(8, 4)
    whole = MLPGenerator(hidden_widths=(6, 5), output_shape=(3,))
    split = MLPGenerator(hidden_widths=(6, 5), output_shape=(3,), batch_norm_axis_name="batch")
    variables = init_variables(whole, z)

    @jax.jit
    def run(variables, z):
        def per_shard(module):
            apply = lambda z: module.apply(variables, z, train=True, mutable=["batch_stats"])  # noqa: E731
            return jax.vmap(apply, axis_name="batch")(z.reshape(2, 4, 4))

        return whole.apply(variables, z, train=True, mutable=["batch_stats"]), per_shard(split), per_shard(whole)

    (x_whole, updates_whole), (x_split, updates_split), (x_local, _) = jax.tree.map(np.asarray, run(variables, z))
    np.testing.assert_allclose(x_split.reshape(8, 3), x_whole, rtol=1e-5, atol=1e-6)
    for shard in range(2):
        jax.tree.map(
            lambda a, b, shard=shard: np.testing.assert_allclose(a[shard], b, rtol=1e-5, atol=1e-7),
            updates_split["batch_stats"],
            updates_whole["batch_stats"],
        )
    # Control: without the axis name each half is normalised on its own, which differs.
    assert np.abs(x_local.reshape(8, 3) - x_whole).max() > 1e-3


def test_dropout_only_in_train_mode():
    discriminator = MLPDiscriminator(width=16, depth=1, maxout_pieces=1, dropout_rate=0.5)
    plain = MLPDiscriminator(width=16, depth=1, maxout_pieces=1)
    x = normal(4, 2)
    variables = init_variables(discriminator, x)

    @jax.jit
    def run(variables, key_1, key_2):
        return (
            plain.apply(variables, x, train=False),
            discriminator.apply(variables, x, train=False),
            discriminator.apply(variables, x, train=True, rngs={"dropout": key_1}),
            discriminator.apply(variables, x, train=True, rngs={"dropout": key_2}),
        )

    keys = (jax.random.key(1, impl="rbg"), jax.random.key(2, impl="rbg"))
    without, evaluated, dropped_1, dropped_2 = run(variables, *keys)
    np.testing.assert_array_equal(evaluated, without)
    assert np.abs(dropped_1 - dropped_2).max() > 1e-4


def test_tanh_output_and_output_shape():
    generator = MLPGenerator(hidden_widths=(8,), output_shape=(4, 4, 1), output_activation="tanh")
    z = 10.0 * normal(3, 5)
    x = jit_apply(generator, init_variables(generator, z), z, train=False)
    assert x.shape == (3, 4, 4, 1)
    assert np.abs(x).max() <= 1.0 and np.abs(x).max() > 0.9


def test_the_concat_joint_discriminator_is_the_mlp_discriminator_on_x_and_z_side_by_side():
    """PacGAN's ALI D on the mixtures: identity x and z paths, the maxout MLP on [x, z]; the same
    parameters give exactly the MLP D's logits on the concatenated vectors."""
    from jaxgan.models.ali import ConcatJointDiscriminator

    x, z = normal(6, 2, seed=0), normal(6, 2, seed=1)
    joint = ConcatJointDiscriminator(kernel_init_std=0.02)
    variables = init_variables(joint, x, z)
    assert num_params(MLPDiscriminator(), np.zeros((1, 4), np.float32)) == sum(
        v.size for v in jax.tree.leaves(variables["params"])
    )
    got = joint.apply(variables, x, z, train=False)
    plain = MLPDiscriminator(kernel_init_std=0.02).apply(
        {"params": variables["params"]["mlp"]}, np.concatenate([x, z], -1), train=False
    )
    np.testing.assert_array_equal(np.asarray(got), np.asarray(plain))
    assert got.shape == (6,)
    with pytest.raises(ValueError, match="`z` must be \\[batch, latent_dim\\]"):
        joint.apply(variables, x, z[:3], train=False)


def test_the_stochastic_encoder_is_an_mlp_on_x_and_its_noise_side_by_side():
    """PacGAN's ALI E on the mixtures (`COVConditional`): 2x400 Dense without bias, batch norm and
    ReLU on [x, ε], ε of x's size, a linear output; no noise reads ε = 0, the noise's mean."""
    from jaxgan.models.ali import MLPEncoder

    x, eps = normal(6, 2, seed=0), normal(6, 2, seed=1)
    encoder = MLPEncoder(depth=2, noise_dim=2, use_batch_norm=True, activation="relu")
    variables = init_variables(encoder, x, eps)
    # [x, ε] (4) -> 400 -> 400 (no biases; batch norm scale and shift) -> 2 (+ bias)
    assert num_params(encoder, x, eps) == 4 * 400 + 400 * 400 + 2 * 2 * 400 + 400 * 2 + 2
    params = variables["params"]

    def by_hand(x, eps):  # inference: batch norm with its running averages (mean 0, variance 1)
        h = np.concatenate([x, eps], -1)
        for i in range(2):
            bn = params[f"batch_norm_{i}"]
            h = h @ params[f"hidden_{i}"]["kernel"]
            h = np.maximum(h / np.sqrt(1 + 1e-5) * bn["scale"] + bn["bias"], 0)
        return h @ params["output"]["kernel"] + params["output"]["bias"]

    got = encoder.apply(variables, x, eps, train=False)
    np.testing.assert_allclose(np.asarray(got), by_hand(x, eps), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        np.asarray(encoder.apply(variables, x, train=False)), by_hand(x, np.zeros_like(eps)), rtol=1e-4, atol=1e-5
    )
    assert float(np.max(np.abs(np.asarray(got) - by_hand(x, np.zeros_like(eps))))) > 1e-3  # the noise matters
    with pytest.raises(ValueError, match="`noise` must be \\[batch, noise_dim\\]"):
        encoder.apply(variables, x, eps[:, :1], train=False)
    deterministic = MLPEncoder(depth=2)
    with pytest.raises(ValueError, match="deterministic encoder"):
        deterministic.apply(init_variables(deterministic, x), x, eps, train=False)
    with pytest.raises(ValueError, match="activation"):
        MLPEncoder(activation="tanh")
