"""CoGAN (shared/MATH.md §9; Liu & Tuzel 2016): a shared weight's update is the sum of what the two
GANs ask of it, and one step of each group equals a hand-written update (the two GANs written
out as separate networks from the coupled parameter tree); the record trains, resumes bit for
bit and `jaxgan sample` writes both domains; bad settings and data are refused; the pair
agreement evaluator. The value at the optimal Ds is tested in tests/losses/test_cogan.py;
device-count invariance (2 and 8 devices) in test_invariance.py."""

from __future__ import annotations

import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.data.translation import dilate_and_invert
from jaxgan.models import cogan as cogan_models
from jaxgan.models import layers
from jaxgan.programs import cogan
from jaxgan.train import build
from jaxgan.train.state import create_state
from jaxgan.train.step import make_train_step
from tests.programs.helpers import tiny_config, train_straight_and_resumed

BATCH, SIZE, LATENT, FEATURES = 6, 8, 3, 2
LEARNING_RATE = 0.05


def _program(shared_g, shared_d, weights):
    sgd = lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=LEARNING_RATE)  # noqa: E731
    return cogan.program(
        generator=cogan_models.CoupledGenerator(image_size=SIZE, features=FEATURES, shared_layers=shared_g),
        discriminator=cogan_models.CoupledDiscriminator(features=FEATURES, shared_layers=shared_d, dropout_rate=0.0),
        d_tx=sgd(),
        g_tx=sgd(),
        latent_dim=LATENT,
        domain_weights=weights,
    )


def _state(program):
    image = jax.ShapeDtypeStruct((SIZE, SIZE, 1), jnp.float32)
    return create_state(program, rng=jax.random.PRNGKey(3), feature_specs={"x": image, "y": image})


def _z(state):
    """D's group's z (group 0, repeat 0): example i's from its own key, as the step documents."""
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)[0]
    base = jax.random.fold_in(jax.random.fold_in(latent_key, 0), 0)
    return jnp.stack(
        [jax.random.normal(jax.random.fold_in(jax.random.fold_in(base, 0), i), (LATENT,)) for i in range(BATCH)]
    )


# ---- the two GANs written out as separate networks, each reading its layers from the coupled tree


def _own_or_shared(params, layer, shared, domain):
    return params[f"shared_{layer}"] if shared else params[f"{domain}_{layer}"]


def generator_by_hand(params, z, domain, shared_layers):
    """G_domain: Dense -> reshape -> upsample x2, conv5x5 ReLU -> upsample x2, conv5x5 tanh (flax.linen.Conv)."""
    p = [
        _own_or_shared(params, name, i < shared_layers, domain) for i, name in enumerate(cogan_models.GENERATOR_LAYERS)
    ]
    base = SIZE // 4
    h = nn.Dense(base * base * 2 * FEATURES).apply({"params": p[0]}, z).reshape(-1, base, base, 2 * FEATURES)
    h = nn.relu(nn.Conv(FEATURES, (5, 5), padding="SAME").apply({"params": p[1]}, layers.upsample_nearest(h)))
    return jnp.tanh(nn.Conv(1, (5, 5), padding="SAME").apply({"params": p[2]}, layers.upsample_nearest(h)))


def discriminator_by_hand(params, x, domain, shared_layers):
    """D_domain: conv5x5/2 LReLU(0.2) -> conv5x5/2 LReLU -> flatten -> Dense(1), a logit per example."""
    first_shared = 3 - shared_layers
    names = cogan_models.DISCRIMINATOR_LAYERS
    p = [_own_or_shared(params, name, i >= first_shared, domain) for i, name in enumerate(names)]
    h = x
    for i, width in enumerate((FEATURES, 2 * FEATURES)):
        conv = nn.Conv(width, (5, 5), strides=(2, 2), padding="SAME")
        h = nn.leaky_relu(conv.apply({"params": p[i]}, h), 0.2)
    return nn.Dense(1).apply({"params": p[2]}, h.reshape(h.shape[0], -1))[:, 0]


def _games(shared_g, shared_d, weights):
    """Each GAN's D loss and G loss, as functions of the coupled parameter trees."""
    softplus = jax.nn.softplus

    def d_loss(i, pd, pg, x, z):
        domain = cogan_models.DOMAINS[i]
        fake = generator_by_hand(pg, z, domain, shared_g)
        real_logit = discriminator_by_hand(pd, x, domain, shared_d)
        fake_logit = discriminator_by_hand(pd, fake, domain, shared_d)
        return weights[i] * (jnp.mean(softplus(-real_logit)) + jnp.mean(softplus(fake_logit)))

    def g_loss(i, pg, pd, z):
        domain = cogan_models.DOMAINS[i]
        return weights[i] * jnp.mean(
            softplus(-discriminator_by_hand(pd, generator_by_hand(pg, z, domain, shared_g), domain, shared_d))
        )

    return d_loss, g_loss


def _reference(state, x, y, shared_g, shared_d, weights):
    """Per-GAN gradients by hand, and the step written out: D's SGD step on the sum of the two
    games' D losses, then G's at the new D."""
    d_loss, g_loss = _games(shared_g, shared_d, weights)
    pg, pd = state.params["generator"], state.params["discriminator"]
    z = _z(state)
    real = (x, y)
    d_grads = [jax.grad(lambda pd, i=i: d_loss(i, pd, pg, real[i], z))(pd) for i in range(2)]
    sgd = lambda p, g: jax.tree.map(lambda w, d: w - LEARNING_RATE * d, p, g)  # noqa: E731
    new_pd = sgd(pd, jax.tree.map(jnp.add, *d_grads))
    g_grads = [jax.grad(lambda pg, i=i: g_loss(i, pg, new_pd, z))(pg) for i in range(2)]
    new_pg = sgd(pg, jax.tree.map(jnp.add, *g_grads))
    losses = (d_loss(0, pd, pg, x, z) + d_loss(1, pd, pg, y, z), g_loss(0, pg, new_pd, z) + g_loss(1, pg, new_pd, z))
    return (new_pg, new_pd), (g_grads, d_grads), losses


def _batch():
    key_x, key_y = jax.random.split(jax.random.PRNGKey(5))
    return jnp.tanh(jax.random.normal(key_x, (BATCH, SIZE, SIZE, 1))), jnp.tanh(
        jax.random.normal(key_y, (BATCH, SIZE, SIZE, 1))
    )


@pytest.mark.parametrize("shared_g, shared_d, weights", [(2, 2, (1.0, 1.0)), (1, 0, (1.0, 0.5)), (0, 1, (0.3, 1.0))])
def test_a_shared_weight_moves_by_the_sum_of_what_the_two_gans_ask_and_each_group_matches_by_hand(
    shared_g, shared_d, weights
):
    program = _program(shared_g, shared_d, weights)
    state = _state(program)
    x, y = _batch()
    new_state, metrics = jax.jit(make_train_step(program))(state, {"x": x[None], "y": y[None]})
    (new_pg, new_pd), grads, (d_loss, g_loss) = jax.jit(_reference, static_argnums=(3, 4, 5))(
        state, x, y, shared_g, shared_d, weights
    )
    np.testing.assert_allclose(metrics["d_loss"], d_loss, rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], g_loss, rtol=1e-5)
    shared_names = []
    for network, expected, (grad_x, grad_y) in (
        ("generator", new_pg, grads[0]),
        ("discriminator", new_pd, grads[1]),
    ):
        old, new = state.params[network], new_state.params[network]
        assert set(new) == set(expected)  # one leaf per shared weight, two per domain-own weight
        for layer in new:
            for leaf in new[layer]:
                got = new[layer][leaf]
                np.testing.assert_allclose(got, expected[layer][leaf], rtol=1e-5, atol=1e-6)
                asked_x, asked_y = (float(jnp.max(jnp.abs(g[layer][leaf]))) for g in (grad_x, grad_y))
                if layer.startswith("shared_"):
                    # both GANs ask something of a shared weight, and it moves by the sum of the two asks
                    assert asked_x > 1e-6 and asked_y > 1e-6, (network, layer, leaf)
                    step = -LEARNING_RATE * (grad_x[layer][leaf] + grad_y[layer][leaf])
                    np.testing.assert_allclose(got - old[layer][leaf], step, rtol=1e-4, atol=1e-7)
                    shared_names.append(f"{network}/{layer}")
                else:  # a domain's own weight: the other GAN asks nothing of it
                    own, other = (asked_x, asked_y) if layer.startswith("x_") else (asked_y, asked_x)
                    assert own > 1e-6 and other == 0.0, (network, layer, leaf)
    g_layers = cogan_models.GENERATOR_LAYERS[:shared_g]
    d_layers = cogan_models.DISCRIMINATOR_LAYERS[3 - shared_d :]
    assert sorted(set(shared_names)) == sorted(
        [f"generator/shared_{n}" for n in g_layers] + [f"discriminator/shared_{n}" for n in d_layers]
    )


def test_the_generator_draws_each_pair_side_by_side_and_the_discriminator_reads_either_form():
    program = _program(2, 2, (1.0, 1.0))
    state = _state(program)
    pg, pd = state.params["generator"], state.params["discriminator"]
    z = jax.random.normal(jax.random.PRNGKey(1), (BATCH, LATENT))
    pairs = program.networks["generator"].apply({"params": pg}, z, train=False)
    assert pairs.shape == (BATCH, SIZE, 2 * SIZE, 1)
    for i, domain in enumerate(cogan_models.DOMAINS):
        np.testing.assert_allclose(
            pairs[:, :, i * SIZE : (i + 1) * SIZE], generator_by_hand(pg, z, domain, 2), rtol=1e-5, atol=1e-6
        )
    left, right = cogan_models.split_pair(pairs)
    d = program.networks["discriminator"]
    together = d.apply({"params": pd}, pairs, train=False)
    np.testing.assert_allclose(together, d.apply({"params": pd}, left, right, train=False), rtol=1e-6)
    np.testing.assert_allclose(together[:, 1], discriminator_by_hand(pd, right, "y", 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shared_layers", [2, 1])
def test_batch_norm_in_the_generator_follows_each_layer_shared_or_own_and_normalises_over_the_batch(shared_layers):
    """`use_batch_norm` (the authors' G has batch norm on every layer but the output): in training,
    BN + ReLU after the projection and BN before conv_0's ReLU, each normalising over the batch of z
    (mean 0, variance 1 per channel, ε = 1e-5: flax's default and the authors' PyTorch's); a BN of a
    shared layer is one set of parameters, a domain's layer has its own."""
    generator = cogan_models.CoupledGenerator(
        image_size=SIZE, features=FEATURES, shared_layers=shared_layers, use_batch_norm=True
    )
    z = jax.random.normal(jax.random.PRNGKey(1), (BATCH, LATENT))
    variables = generator.init(jax.random.PRNGKey(2), z, train=False)
    params = variables["params"]
    expected_norms = {"shared_project_batch_norm"} | (
        {"shared_conv_0_batch_norm"} if shared_layers == 2 else {"x_conv_0_batch_norm", "y_conv_0_batch_norm"}
    )
    assert {name for name in params if name.endswith("batch_norm")} == expected_norms
    assert "bias" not in params["shared_project"] and "bias" in params["x_conv_1"]
    pairs, _ = generator.apply(variables, z, train=True, mutable=["batch_stats"])

    def bn(h):
        mean = h.mean(axis=tuple(range(h.ndim - 1)))
        var = h.var(axis=tuple(range(h.ndim - 1)))
        return (h - mean) / np.sqrt(var + 1e-5)  # scale 1, offset 0 at init

    base = SIZE // 4
    for i, domain in enumerate(cogan_models.DOMAINS):
        p = [_own_or_shared(params, n, j < shared_layers, domain) for j, n in enumerate(cogan_models.GENERATOR_LAYERS)]
        h = nn.Dense(base * base * 2 * FEATURES, use_bias=False).apply({"params": p[0]}, z)
        h = nn.relu(bn(np.asarray(h))).reshape(-1, base, base, 2 * FEATURES)
        h = nn.Conv(FEATURES, (5, 5), padding="SAME", use_bias=False).apply(
            {"params": p[1]}, layers.upsample_nearest(h)
        )
        h = nn.relu(bn(np.asarray(h)))
        image = jnp.tanh(nn.Conv(1, (5, 5), padding="SAME").apply({"params": p[2]}, layers.upsample_nearest(h)))
        np.testing.assert_allclose(pairs[:, :, i * SIZE : (i + 1) * SIZE], image, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shared_layers", [3, 2, 0])
def test_the_infogan_body_is_chen_et_al_s_generator_with_each_layer_shared_or_own(shared_layers):
    """`body="infogan"`: Chen et al.'s MNIST G per domain (Dense 1024-wide BN ReLU, Dense BN ReLU,
    4x4/2 up-convolution BN ReLU, 4x4/2 up-convolution tanh: flax's `ConvTranspose` "SAME"), written
    out here with flax's own layers from the coupled tree; the first `shared_layers` one set of
    weights (batch norm included), the rest each domain's."""
    hidden = 5
    generator = cogan_models.CoupledGenerator(
        image_size=SIZE,
        features=FEATURES,
        shared_layers=shared_layers,
        use_batch_norm=True,
        body="infogan",
        hidden=hidden,
    )
    z = jax.random.normal(jax.random.PRNGKey(1), (BATCH, LATENT))
    variables = generator.init(jax.random.PRNGKey(2), z, train=False)
    params = variables["params"]
    names = cogan_models.GENERATOR_BODIES["infogan"]
    assert {n for n in params if n.startswith("shared_") and not n.endswith("batch_norm")} == {
        f"shared_{n}" for n in names[:shared_layers]
    }
    assert _own_or_shared(params, names[0], shared_layers > 0, "x")["kernel"].shape == (LATENT, hidden)
    pairs, _ = generator.apply(variables, z, train=True, mutable=["batch_stats"])

    def bn(h):
        axes = tuple(range(h.ndim - 1))
        return (h - h.mean(axis=axes)) / np.sqrt(h.var(axis=axes) + 1e-5)  # scale 1, offset 0 at init

    base = SIZE // 4
    for i, domain in enumerate(cogan_models.DOMAINS):
        p = [_own_or_shared(params, n, j < shared_layers, domain) for j, n in enumerate(names)]
        h = nn.relu(bn(np.asarray(z @ p[0]["kernel"])))
        h = nn.relu(bn(np.asarray(h @ p[1]["kernel"]))).reshape(-1, base, base, 2 * FEATURES)
        deconv = nn.ConvTranspose(FEATURES, (4, 4), strides=(2, 2), padding="SAME", use_bias=False)
        h = nn.relu(bn(np.asarray(deconv.apply({"params": p[2]}, h))))
        image = jnp.tanh(nn.ConvTranspose(1, (4, 4), strides=(2, 2), padding="SAME").apply({"params": p[3]}, h))
        np.testing.assert_allclose(pairs[:, :, i * SIZE : (i + 1) * SIZE], image, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shared_layers", [2, 1, 0])
def test_the_lenet_discriminator_is_the_authors_d_with_each_layer_shared_or_own(shared_layers):
    """`body="lenet"`: Liu & Tuzel's released MNIST D (conv 5x5 VALID, 2x2 max pool, no activation;
    twice; then Dense + PReLU + Dense(1)), f, 5f/2, 25f wide; the last `shared_layers` shared."""
    f, size = 4, 28
    d = cogan_models.CoupledDiscriminator(features=f, shared_layers=shared_layers, dropout_rate=0.0, body="lenet")
    key_x, key_y = jax.random.split(jax.random.PRNGKey(7))
    x = jax.random.normal(key_x, (3, size, size, 1))
    y = jax.random.normal(key_y, (3, size, size, 1))
    params = d.init(jax.random.PRNGKey(0), x, y, train=False)["params"]
    logits = d.apply({"params": params}, x, y, train=False)
    names = cogan_models.DISCRIMINATOR_LAYERS
    for i, (images, domain) in enumerate(zip((x, y), cogan_models.DOMAINS)):
        p = [_own_or_shared(params, n, j >= 3 - shared_layers, domain) for j, n in enumerate(names)]
        h = images
        for j, width in enumerate((f, f * 5 // 2)):
            conv = nn.Conv(width, (5, 5), padding="VALID").apply({"params": p[j]}, h)
            h = nn.max_pool(conv, (2, 2), strides=(2, 2))
        assert h.shape[1:] == (4, 4, f * 5 // 2)
        head = p[2]
        hidden = h.reshape(3, -1) @ head["hidden"]["kernel"] + head["hidden"]["bias"]
        assert head["hidden"]["kernel"].shape[1] == 25 * f
        hidden = jnp.where(hidden >= 0, hidden, head["prelu"]["negative_slope"] * hidden)
        expected = (hidden @ head["logit"]["kernel"] + head["logit"]["bias"])[:, 0]
        np.testing.assert_allclose(logits[:, i], expected, rtol=1e-4, atol=1e-5)
    shared = {n for n in params if n.startswith("shared_")}
    assert shared == {f"shared_{n}" for n in names[3 - shared_layers :]}


@pytest.mark.parametrize("shared_layers", [2, 1, 0])
def test_the_infogan_discriminator_is_chen_et_al_s_d_with_each_layer_shared_or_own(shared_layers):
    """`body="infogan"`: Chen et al.'s MNIST D per domain (4x4/2 convolution, leaky ReLU 0.01; 4x4/2
    convolution, batch norm, leaky ReLU; Dense(hidden), batch norm, leaky ReLU; Dense(1)), written
    out with flax's own layers; a shared layer's batch norm normalises each domain's batch apart."""
    f, size, hidden = 3, 8, 5
    d = cogan_models.CoupledDiscriminator(
        features=f, shared_layers=shared_layers, dropout_rate=0.0, body="infogan", hidden=hidden
    )
    key_x, key_y = jax.random.split(jax.random.PRNGKey(7))
    x = jax.random.normal(key_x, (BATCH, size, size, 1))
    y = 2.0 + jax.random.normal(key_y, (BATCH, size, size, 1))  # another mean: statistics of its own
    variables = d.init(jax.random.PRNGKey(0), x, y, train=False)
    params = variables["params"]
    logits, _ = d.apply(variables, x, y, train=True, mutable=["batch_stats", "intermediates"])

    def bn(h):
        axes = tuple(range(h.ndim - 1))
        return (h - h.mean(axis=axes)) / np.sqrt(h.var(axis=axes) + 1e-5)

    lrelu = lambda h: jnp.where(h >= 0, h, 0.01 * h)  # noqa: E731
    names = cogan_models.DISCRIMINATOR_LAYERS
    for i, (images, domain) in enumerate(zip((x, y), cogan_models.DOMAINS)):
        p = [_own_or_shared(params, n, j >= 3 - shared_layers, domain) for j, n in enumerate(names)]
        conv = lambda width, bias: nn.Conv(width, (4, 4), strides=(2, 2), padding="SAME", use_bias=bias)  # noqa: E731
        h = lrelu(conv(f, True).apply({"params": p[0]["conv"]}, images))
        h = lrelu(bn(np.asarray(conv(2 * f, False).apply({"params": p[1]["conv"]}, h))))
        h = lrelu(bn(np.asarray(h.reshape(BATCH, -1) @ p[2]["hidden"]["kernel"])))
        expected = (h @ p[2]["logit"]["kernel"] + p[2]["logit"]["bias"])[:, 0]
        np.testing.assert_allclose(logits[:, i], expected, rtol=1e-4, atol=1e-5)
    assert {n for n in params if n.startswith("shared_")} == {f"shared_{n}" for n in names[3 - shared_layers :]}


@pytest.mark.parametrize("module", [cogan_models.CoupledGenerator, cogan_models.CoupledDiscriminator])
@pytest.mark.parametrize("depth", [3, -1, 1.5])
def test_the_networks_refuse_a_shared_depth_they_do_not_have(module, depth):
    with pytest.raises(ValueError, match=rf"^{module.__name__}: shared_layers must be an integer in \[0, 2\]"):
        module(shared_layers=depth)


def test_the_infogan_body_has_four_layers_and_refuses_a_fifth_or_an_unknown_body():
    with pytest.raises(ValueError, match=r"^CoupledGenerator: shared_layers must be an integer in \[0, 3\]"):
        cogan_models.CoupledGenerator(body="infogan", shared_layers=4)
    with pytest.raises(ValueError, match=r"^CoupledGenerator: `body` must be one of \('dcgan', 'infogan'\)"):
        cogan_models.CoupledGenerator(body="began")


# ---------------------------------------------------------------------------- the record


@pytest.mark.slow
def test_the_record_trains_resumes_bit_for_bit_and_samples_both_domains(tmp_path):
    from jaxgan.train import restore

    straight, _ = train_straight_and_resumed("cogan", tmp_path)

    # `jaxgan sample`: each sample is the pair (G_1(z) | G_2(z)) of the z written beside it
    out = str(tmp_path / "pairs.npz")
    restore.write_samples(str(tmp_path / "straight"), num=5, out=out)
    drawn = np.load(out)
    assert drawn["x"].shape == (5, 8, 16, 1) and drawn["z"].shape == (5, 4)
    params = jax.tree.map(lambda a: a[0], jax.device_get(straight.params["generator"]))  # the one run
    z = jnp.asarray(drawn["z"])
    x_images, y_images = (generator_by_hand(params, z, domain, 2) for domain in cogan_models.DOMAINS)
    np.testing.assert_allclose(drawn["x"][:, :, :8], x_images, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(drawn["x"][:, :, 8:], y_images, rtol=1e-5, atol=1e-6)
    assert not np.allclose(drawn["x"][:, :, :8], drawn["x"][:, :, 8:])  # two domains, not one image twice
    png = str(tmp_path / "pairs.png")
    restore.write_samples(str(tmp_path / "straight"), num=4, out=png)
    assert os.path.getsize(png) > 0


def _set(config, overrides):
    for key, value in overrides.items():
        *path, last = key.split(".")
        target = config
        for part in path:
            target = target[part]
        target[last] = value
    return config


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"cogan.shared_generator_layers": 3},
            r"^config\.cogan\.shared_generator_layers must be an integer in \[0, 2\]: the coupled generator has 3 "
            r"layers and one of them is each domain's own; got 3\.$",
        ),
        (
            {"model.generator.body": "infogan", "cogan.shared_generator_layers": 4},
            r"^config\.cogan\.shared_generator_layers must be an integer in \[0, 3\]: the coupled generator has 4 "
            r"layers and one of them is each domain's own; got 4\.$",
        ),
        ({"model.generator.body": "resnet"}, r"CoupledGenerator: `body` must be one of \('dcgan', 'infogan'\)"),
        (
            {"cogan.shared_discriminator_layers": -1},
            r"^config\.cogan\.shared_discriminator_layers must be an integer in \[0, 2\]: the coupled discriminator",
        ),
        ({"cogan.x_weight": 0.0}, r"^config\.cogan\.x_weight must be a number in \(0, inf\); got 0\.0\.$"),
        ({"cogan.y_weight": float("nan")}, r"^config\.cogan\.y_weight must be a number in \(0, inf\); got nan\.$"),
        (
            {"data.name": "edges2digits"},
            r"^config\.program='cogan' needs a dataset with features \['x', 'y'\], but config\.data\.name="
            r"'edges2digits' has \['label', 'source', 'target'\]; use an unpaired dataset of two domains such as "
            r"'digits2inverted'\.$",
        ),
        (
            {"data.name": "mnist"},
            r"^config\.program='cogan' needs a dataset with features \['x', 'y'\], but config\.data\.name='mnist' has "
            r"\['label', 'x'\]",
        ),
        (
            {"model.generator.name": "dcgan28"},
            r"^config\.model\.generator\.name='dcgan28' is not a generator program 'cogan' can use; use one of "
            r"\['coupled_dcgan28'\]",
        ),
        (
            {"data.image_size": 10},
            r"^config\.program='cogan' needs square images of one shape in both domains, a multiple of 4",
        ),
        ({"loss.name": "hinge"}, r"^config\.loss\.name='hinge' is not read by program 'cogan'"),
        ({"cogan.shared_layers": 1}, r"^config\.cogan has unknown setting\(s\) \['shared_layers'\]"),
    ],
)
def test_bad_settings_and_data_are_refused_in_one_sentence(overrides, message):
    config = _set(tiny_config("cogan"), overrides)
    if config.data.name != "digits2inverted":
        config.data.image_size = 0
    with pytest.raises(ValueError, match=message) as error:
        build.build(config)  # before anything is compiled
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------------------- the evaluator


def test_pair_and_pixel_agreement_against_numpy():
    rng = np.random.default_rng(0)
    left, right = rng.dirichlet(np.ones(10), size=50), rng.dirichlet(np.ones(10), size=50)
    right[:20] = left[:20]
    expected = np.mean(left.argmax(1) == right.argmax(1))
    assert expected >= 0.4
    assert cogan.pair_agreement(left, right) == pytest.approx(expected)
    a, b = rng.normal(size=(3, 4, 4, 1)), rng.normal(size=(3, 4, 4, 1))
    assert cogan.pixel_agreement(a, b) == pytest.approx(np.mean(np.sign(a) == np.sign(b)))
    assert cogan.pixel_agreement(a, a) == 1.0


def _held_out_pairs(dataset_name, target_domain):
    """The 500 held-out digits, for each the index of a digit of another class, and the family's
    `pair_agreement` evaluator for pairs whose right image is in `target_domain`."""
    from jaxgan import data as data_lib
    from jaxgan.metrics.evaluators import Evaluation, with_own

    digits = data_lib.load("mnist", split="test")
    got = digits.get(np.arange(len(digits)))
    x, labels = got["x"], got["label"]
    other = np.array([np.flatnonzero(labels != label)[i % 7] for i, label in enumerate(labels)])  # another class
    evaluation = Evaluation(
        "pair_agreement",
        real=x,
        dataset_name=dataset_name,
        metadata={"target_domain": target_domain},
        registry=with_own(cogan.FAMILY.exports.evaluators),
    )
    return x, other, evaluation


@pytest.mark.slow  # trains the inverted digits' classifier once per machine (cached after)
def test_the_evaluator_scores_corresponding_pairs_high_and_mismatched_pairs_low():
    """Held-out digits beside their own transform (dilated, inverted) agree as often as the classifiers
    are right, pixel for pixel exactly; beside another class's digit, they never agree."""
    x, other, evaluation = _held_out_pairs("digits2inverted", "inverted_digits")
    matched = evaluation(np.concatenate([x, dilate_and_invert(x)], axis=2))
    assert matched["pair_agreement"] >= 0.9 and matched["pixel_agreement"] == 1.0
    assert matched["transform_agreement"] == matched["pair_agreement"]  # G_2 = T(G_1): the ceiling is reached
    mismatched = evaluation(np.concatenate([x, dilate_and_invert(x[other])], axis=2))
    assert mismatched["pair_agreement"] <= 0.1 and mismatched["pixel_agreement"] < 0.9
    assert mismatched["transform_agreement"] == matched["transform_agreement"]  # a function of the left images alone


def test_on_the_negatives_a_coupled_pair_scores_exactly_one():
    """digits2negatives, issue 26's task: both digits of a pair are read by the digit classifier (the
    negative negated back), so held-out digits beside their negatives agree exactly, pixel for pixel,
    and G_1's ceiling is 1 whatever its digits; beside another class's negative they rarely agree."""
    x, other, evaluation = _held_out_pairs("digits2negatives", "negative_digits")
    matched = evaluation(np.concatenate([x, -x], axis=2))
    assert matched == {"pair_agreement": 1.0, "pixel_agreement": 1.0, "transform_agreement": 1.0}
    mismatched = evaluation(np.concatenate([x, -x[other]], axis=2))
    assert mismatched["pair_agreement"] <= 0.1 and mismatched["pixel_agreement"] < 0.9
    assert mismatched["transform_agreement"] == 1.0
