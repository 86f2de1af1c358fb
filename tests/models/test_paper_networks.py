"""The papers' own networks: InfoGAN's MNIST G and D (Chen et al. 2016) and Salimans et al.'s
noisy, weight-normalised MLP discriminator (2016)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxgan import models
from jaxgan.models import layers
from jaxgan.models.noisy_mlp import NoisyMLPDiscriminator, normal_from_bits

KEYS = {"params": jax.random.PRNGKey(0), "dropout": jax.random.PRNGKey(1)}


def test_infogan28_layer_shapes_are_chen_et_al_mnist_networks():
    g = models.build("generator", "infogan28")
    d = models.build("discriminator", "infogan28")
    z = jnp.zeros((2, 74))
    g_vars = g.init(KEYS, z, train=False)
    shapes = jax.tree.map(jnp.shape, g_vars["params"])
    assert shapes["fc_0"]["kernel"] == (74, 1024) and shapes["fc_1"]["kernel"] == (1024, 7 * 7 * 128)
    assert shapes["deconv_0"]["kernel"] == (4, 4, 128, 64) and shapes["deconv_1"]["kernel"] == (4, 4, 64, 1)
    x = g.apply(g_vars, z, train=False)
    assert x.shape == (2, 28, 28, 1) and float(jnp.max(jnp.abs(x))) <= 1.0
    d_vars = d.init(KEYS, x, train=False)
    shapes = jax.tree.map(jnp.shape, d_vars["params"])
    assert shapes["conv_0"]["kernel"] == (4, 4, 1, 64) and shapes["conv_1"]["kernel"] == (4, 4, 64, 128)
    assert shapes["fc"]["kernel"] == (7 * 7 * 128, 1024) and shapes["output"]["kernel"] == (1024, 1)
    assert d.apply(d_vars, x, train=False).shape == (2,)
    features = models.build("discriminator", "infogan28", features_only=True)
    assert features.apply(d_vars, x, train=False).shape == (2, 1024)


def test_infogan28_released_code_options_are_their_data_range_and_initialisation():
    """`output="sigmoid"`: 2 sigmoid(a) - 1 = tanh(a / 2), the tanh G with its last layer halved;
    `input_range="unit"`: D reads (x + 1) / 2; γ (and Q's Dense weights) drawn as in Chen et al.'s code."""
    z = jax.random.uniform(jax.random.PRNGKey(1), (3, 74), minval=-1.0, maxval=1.0)
    tanh_g = models.build("generator", "infogan28")
    sigmoid_g = models.build("generator", "infogan28", output="sigmoid")
    variables = sigmoid_g.init(KEYS, z, train=False)
    halved = jax.tree.map(lambda w: w, variables)
    halved["params"]["deconv_1"] = jax.tree.map(lambda w: 0.5 * w, variables["params"]["deconv_1"])
    np.testing.assert_allclose(
        sigmoid_g.apply(variables, z, train=False), tanh_g.apply(halved, z, train=False), rtol=1e-5, atol=1e-6
    )
    x = jax.random.uniform(jax.random.PRNGKey(2), (3, 28, 28, 1), minval=-1.0, maxval=1.0)
    unit_d = models.build("discriminator", "infogan28", input_range="unit")
    d_vars = unit_d.init(KEYS, x, train=False)
    symmetric_d = models.build("discriminator", "infogan28")
    np.testing.assert_allclose(
        unit_d.apply(d_vars, x, train=False), symmetric_d.apply(d_vars, (x + 1.0) / 2.0, train=False), rtol=1e-5
    )
    drawn = models.build("discriminator", "infogan28", batch_norm_scale_stddev=0.02).init(KEYS, x, train=False)
    gamma = np.asarray(drawn["params"]["batch_norm_fc"]["scale"])
    assert abs(gamma.mean() - 1.0) < 0.003 and abs(gamma.std() - 0.02) < 0.003  # 1024 draws of N(1, 0.02²)
    assert np.all(np.asarray(d_vars["params"]["batch_norm_fc"]["scale"]) == 1.0)
    with pytest.raises(ValueError, match="`output` must be one of"):
        models.build("generator", "infogan28", output="relu").init(KEYS, z, train=False)
    with pytest.raises(ValueError, match="`batch_norm_scale_stddev` must be a finite number >= 0"):
        models.build("discriminator", "infogan28", batch_norm_scale_stddev=-0.1).init(KEYS, x, train=False)


def test_q_head_weights_follow_head_init_stddev():
    from jaxgan.models.conditional import ConditionalDiscriminator

    body = models.build("discriminator", "infogan28", features_only=True)
    d = ConditionalDiscriminator(
        body, q_head=12, q_batch_norm=True, head_init_stddev=0.02, q_batch_norm_scale_stddev=0.02
    )
    params = d.init(KEYS, jnp.zeros((2, 28, 28, 1)), train=False)["params"]
    for kernel in (params["q_head"]["hidden"]["kernel"], params["output"]["kernel"]):
        assert abs(float(jnp.std(kernel)) - 0.02) < 0.002
    assert abs(float(jnp.std(params["q_head"]["batch_norm"]["scale"])) - 0.02) < 0.006
    lecun = ConditionalDiscriminator(body, q_head=12, q_batch_norm=True).init(
        KEYS, jnp.zeros((2, 28, 28, 1)), train=False
    )
    assert abs(float(jnp.std(lecun["params"]["q_head"]["hidden"]["kernel"])) - 1024**-0.5) < 0.002
    with pytest.raises(ValueError, match="`head_init_stddev` must be a finite number >= 0"):
        ConditionalDiscriminator(body, q_head=12, head_init_stddev=-1.0)


def test_normal_from_bits_is_standard_normal_and_finite_at_the_extreme_bits():
    bits = layers.per_example_bits(jax.random.PRNGKey(3), jnp.arange(100), (1000,))
    values = np.asarray(normal_from_bits(bits)).ravel()
    assert stats.kstest(values, "norm").pvalue > 1e-3
    extremes = normal_from_bits(jnp.array([0, 2**32 - 1], jnp.uint32))
    assert bool(jnp.all(jnp.isfinite(extremes))) and float(extremes[1]) == -float(extremes[0]) > 4.0


def test_noisy_mlp_noise_follows_global_example_indices_and_is_off_at_evaluation():
    d = NoisyMLPDiscriminator(hidden_widths=(8, 4), input_noise=0.3, hidden_noise=0.5, num_outputs=3)
    x = jax.random.normal(jax.random.PRNGKey(2), (6, 5))
    variables = d.init(KEYS, x, train=True)
    rngs = {"dropout": jax.random.PRNGKey(7)}
    whole = d.apply(variables, x, train=True, rngs=rngs)
    halves = [d.apply(variables, x[i : i + 3], train=True, rngs=rngs) for i in (0, 3)]
    np.testing.assert_allclose(whole[:3], halves[0], rtol=1e-5, atol=1e-6)  # the first three keep their noise
    assert not np.allclose(whole[3:], halves[1])  # the last three drew indices 0-2's noise as a batch of their own

    sharded = jax.vmap(
        lambda xs: NoisyMLPDiscriminator(hidden_widths=(8, 4), num_outputs=3, example_axis_name="data").apply(
            variables, xs, train=True, rngs=rngs
        ),
        axis_name="data",
    )(x.reshape(2, 3, 5))
    np.testing.assert_allclose(sharded.reshape(6, 3), whole, rtol=1e-5, atol=1e-6)  # two devices of three
    clean = d.apply(variables, x, train=False)
    np.testing.assert_array_equal(clean, d.apply(variables, x, train=False, rngs={"dropout": jax.random.PRNGKey(9)}))
    assert not np.allclose(clean, whole)


def test_noisy_mlp_layers_are_weight_normalised():
    d = NoisyMLPDiscriminator(hidden_widths=(8,), input_noise=0.0, hidden_noise=0.0, num_outputs=2)
    x = jax.random.normal(jax.random.PRNGKey(2), (4, 5))
    variables = d.init(KEYS, x, train=False)
    params = variables["params"]
    doubled = jax.tree_util.tree_map_with_path(
        lambda path, p: (
            2 * p if "kernel" in jax.tree_util.keystr(path) and "scale" not in jax.tree_util.keystr(path) else p
        ),
        params,
    )  # scaling V leaves W = g V / ‖V‖ unchanged
    np.testing.assert_allclose(
        d.apply({"params": doubled}, x, train=False), d.apply(variables, x, train=False), rtol=1e-5
    )


@pytest.mark.parametrize("setting", ["input_noise", "hidden_noise"])
def test_noisy_mlp_refuses_a_negative_noise_in_one_sentence(setting):
    with pytest.raises(ValueError, match=f"`{setting}` must be a standard deviation >= 0"):
        NoisyMLPDiscriminator(**{setting: -0.1})


def test_began_networks_are_berthelot_et_al_figure_1():
    """G is the decoder (FC to 7x7xn, two 3x3 ELU convolutions per scale, nearest upsampling
    between scales, a 3x3 output convolution); D's encoder sub-samples with stride-2 3x3
    convolutions whose filters grow by n (n, 2n, 3n) into an embedding h, and its decoder has
    G's architecture. No batch norm anywhere (no batch_stats)."""
    n, h = 8, 16
    g = models.build("generator", "began", features=n)
    d = models.build("discriminator", "began_autoencoder", features=n, embedding_dim=h)
    z = jax.random.normal(jax.random.PRNGKey(2), (2, h))
    g_vars = g.init(KEYS, z, train=False)
    assert set(g_vars) == {"params"}
    shapes = jax.tree.map(jnp.shape, g_vars["params"])
    assert shapes["decoder_project"]["kernel"] == (h, 7 * 7 * n)
    convs = sorted(name for name in shapes if name.startswith("decoder_") and name[-2] == "_")
    assert convs == [f"decoder_{s}_{i}" for s in range(3) for i in range(2)]
    assert all(shapes[name]["kernel"] == (3, 3, n, n) for name in convs)
    assert shapes["decoder_out"]["kernel"] == (3, 3, n, 1)
    x = g.apply(g_vars, z, train=False)
    assert x.shape == (2, 28, 28, 1)
    assert float(jnp.max(jnp.abs(x))) > 1.0  # linear output, as the paper's (tanh is an option)
    squashed = models.build("generator", "began", features=n, output_activation="tanh").apply(g_vars, z, train=False)
    np.testing.assert_allclose(squashed, jnp.tanh(x), rtol=1e-5, atol=1e-6)
    d_vars = d.init(KEYS, x, train=False)
    assert set(d_vars) == {"params"}
    shapes = jax.tree.map(jnp.shape, d_vars["params"])
    assert shapes["encoder_0_down"]["kernel"] == (3, 3, n, 2 * n)
    assert shapes["encoder_1_down"]["kernel"] == (3, 3, 2 * n, 3 * n)
    assert shapes["encoder_2_1"]["kernel"] == (3, 3, 3 * n, 3 * n) and "encoder_2_down" not in shapes
    assert shapes["embedding"]["kernel"] == (7 * 7 * 3 * n, h)
    decoder = {name: shape for name, shape in shapes.items() if name.startswith("decoder")}
    assert decoder == jax.tree.map(jnp.shape, g_vars["params"])  # D's decoder has G's architecture
    out = d.apply(d_vars, x, train=False)
    assert out["reconstruction"].shape == x.shape and out["embedding"].shape == (2, h)
    with pytest.raises(ValueError, match=r"image side \(30\) must be a multiple of 2\*\*num_scales = 4"):
        models.build("generator", "began", image_size=30)
