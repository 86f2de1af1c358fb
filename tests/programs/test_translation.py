"""pix2pix and CycleGAN: the PatchGAN's receptive field, the networks' shapes, the cycle and identity
terms of identity generators, the image pool against a plain-Python model of it, one step of each
program against a hand-written update, and the sources each program refuses in one sentence. The
losses' closed forms are tested in tests/losses/test_translation.py."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import data as data_lib
from jaxgan.data import translation as data_translation
from jaxgan.models import translation as models
from jaxgan.programs import registry, translation
from jaxgan.train import build
from tests.programs.translation_helpers import tiny_config

LEARNING_RATE = 0.05


# ---------------------------------------------------------------------------- networks


def _random_params(module, *inputs, seed: int = 0):
    """Parameters of `module` drawn by numpy: only their shapes are traced (an XLA:CPU compile of
    the networks' random init costs seconds; a test wants any non-degenerate weights)."""
    rng = np.random.default_rng(seed)
    shapes = jax.eval_shape(lambda: module.init(jax.random.PRNGKey(0), *inputs, train=False))
    return jax.tree.map(lambda s: jnp.asarray(rng.normal(0.0, 0.2, s.shape), s.dtype), shapes)


def _support(gradient: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(np.abs(gradient).sum(-1))
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


@pytest.mark.parametrize("downsamplings, side, expected", [(3, 96, 70), (1, 28, 16)])
def test_patchgan_receptive_field_from_the_gradient_of_one_logit(downsamplings, side, expected):
    """r <- (r - 1)·s + k from the output back: 70 for the 256x256 layout C64-C128-C256-C512, 16 for
    one downsampling (the digits' layout); the gradient of a central logit covers exactly that square."""
    assert models.receptive_field(models.patchgan_layout(downsamplings)) == expected
    assert models.patchgan_downsamplings({3: 256, 1: 28}[downsamplings]) == downsamplings
    # No norm: instance norm makes every logit depend on the whole image through its statistics.
    network = models.PatchGANDiscriminator(features=2, num_downsamplings=downsamplings, norm="none")
    source = image = jnp.ones((1, side, side, 1))
    params = _random_params(network, source, image)

    @jax.jit
    def gradient(s):
        logits = lambda s: network.apply(params, s, image, train=False)  # noqa: E731
        height, width = jax.eval_shape(logits, s).shape[1:]
        return jax.grad(lambda s: logits(s)[0, height // 2, width // 2])(s)

    assert _support(np.asarray(gradient(source)[0])) == (expected, expected)


def _encoder_layers(params) -> int:
    return len([k for k in params if k.startswith("down_") and not k.startswith("down_norm")])


@pytest.mark.slow
def test_unet_is_sized_by_the_image_and_drops_out_in_training_only():
    network = models.UNetGenerator(out_channels=3, features=1, max_multiplier=2)
    big = jax.eval_shape(
        lambda: network.init({"params": jax.random.PRNGKey(1)}, jnp.zeros((1, 256, 256, 1)), train=False)
    )
    assert _encoder_layers(big["params"]) == models.unet_depth(256) == 8  # 256 -> 1x1
    source = jax.random.uniform(jax.random.PRNGKey(0), (2, 28, 28, 1), minval=-1, maxval=1)
    variables = _random_params(network, source)
    assert _encoder_layers(variables["params"]) == models.unet_depth(28) == 5  # padded to 32 -> 1x1

    @jax.jit
    def outputs(s):
        noisy = [network.apply(variables, s, train=True, rngs={"dropout": jax.random.PRNGKey(k)}) for k in (2, 3)]
        return network.apply(variables, s, train=False), network.apply(variables, s, train=False), *noisy

    out, again, noisy_a, noisy_b = outputs(source)
    assert out.shape == (2, 28, 28, 3) and float(jnp.max(jnp.abs(out))) <= 1.0
    assert float(jnp.max(jnp.abs(noisy_a - noisy_b))) > 0  # dropout is the noise, in training
    np.testing.assert_array_equal(out, again)


def test_resnet_generator_keeps_the_size():
    network = models.ResNetGenerator(out_channels=1, features=2, num_blocks=2)
    x = jnp.zeros((2, 28, 28, 3))
    variables = jax.eval_shape(lambda: network.init(jax.random.PRNGKey(0), x, train=False))
    assert jax.eval_shape(lambda v: network.apply(v, x, train=False), variables).shape == (2, 28, 28, 1)
    assert (
        len([k for k in variables["params"] if k.startswith("block_") and not k.endswith("_norm")]) == 4
    )  # 2 per block
    with pytest.raises(ValueError, match=r"ResNetGenerator: `norm` must be one of"):
        jax.eval_shape(lambda: models.ResNetGenerator(norm="layer").init(jax.random.PRNGKey(0), x, train=False))


# ---------------------------------------------------------------------------- the pool


class _Identity(nn.Module):
    @nn.compact
    def __call__(self, x, *, train):
        return x + 0.0 * self.param("unused", nn.initializers.zeros, ())


@pytest.mark.slow
def test_cyclegan_cycle_and_identity_terms_vanish_for_identity_generators():
    config = tiny_config("cyclegan")
    dataset = data_lib.load("digits2inverted", split="test")
    program = registry.build_program(config, dataset, axis_name=None)
    networks = {**program.networks, "generator_xy": _Identity(), "generator_yx": _Identity()}
    import dataclasses

    program = dataclasses.replace(program, networks=networks)
    parts = build.Experiment(dataset, program, build.feature_specs(dataset, program))
    state = build.new_state(parts, jax.random.PRNGKey(0))
    got = dataset.get(np.arange(8))
    _, metrics = jax.jit(build.train_step(parts))(state, {"x": got["x"][None], "y": got["y"][None]})
    assert float(metrics["g_cycle"]) == 0.0 and float(metrics["g_identity"]) == 0.0
    assert float(metrics["g_objective"]) > 0.0  # the adversarial term is still there


@pytest.mark.slow
def test_the_loops_translations_picture_puts_each_held_out_source_beside_its_output():
    from jaxgan.train import run_axis, sampling

    config = tiny_config("cyclegan", num_samples=64)
    dataset = data_lib.load("digits2inverted", split="train[:90%]")
    program = registry.build_program(config, dataset, axis_name=None)
    import dataclasses

    program = dataclasses.replace(program, networks={**program.networks, "generator_xy": _Identity()})
    parts = build.Experiment(dataset, program, build.feature_specs(dataset, program))
    state = run_axis.stack(build.new_state(parts, jax.random.PRNGKey(0)))
    picture = sampling.program_picture(
        sampling.Sampler(program, 1), state, jax.random.PRNGKey(1), program.pictures["translations"]
    )
    sources = data_lib.load("digits2inverted", split="test").x_source.get(np.arange(32))["x"]  # X's first 32
    side = sources.shape[1]
    assert picture.shape == (8 * (side + 2) + 2, 8 * (side + 2) + 2, 1)  # 32 pairs, 4 to a row

    def tile(row, column):
        top, left = 2 + row * (side + 2), 2 + column * (side + 2)
        return picture[top : top + side, left : left + side]

    for k in range(32):
        row, pair = divmod(k, 4)
        expected = np.clip(np.round((sources[k] + 1.0) * 127.5), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(tile(row, 2 * pair), expected)  # the k-th held-out source ...
        np.testing.assert_array_equal(tile(row, 2 * pair + 1), expected)  # ... and G(source) = source
    assert len({tile(*divmod(2 * k, 8)).tobytes() for k in range(32)}) == 32  # 32 different digits


def python_pool(pool: dict, images: np.ndarray, key) -> tuple[np.ndarray, dict]:
    """CycleGAN's ImagePool.query (Zhu et al.'s code) in plain Python, with the documented keys."""
    stored, count = [np.array(image) for image in pool["images"]], int(pool["count"])
    answers = []
    for i, image in enumerate(np.asarray(images)):
        coin_key, slot_key = jax.random.split(jax.random.fold_in(key, i))
        if count < len(stored):
            stored[count] = image
            count += 1
            answers.append(image)
        elif float(jax.random.uniform(coin_key)) > 0.5:
            slot = int(jax.random.randint(slot_key, (), 0, len(stored)))
            answers.append(stored[slot])
            stored[slot] = image
        else:
            answers.append(image)
    return np.stack(answers), {"images": np.stack(stored), "count": count}


def test_image_pool_equals_a_plain_python_model():
    pool = translation.pool_init(5, (2, 2, 1))
    model = jax.device_get(pool)
    query = jax.jit(translation.pool_query)
    returned_stored = 0
    for step in range(6):
        images = jax.random.normal(jax.random.PRNGKey(step), (4, 2, 2, 1))
        key = jax.random.PRNGKey(100 + step)
        answer, pool = query(pool, images, key)
        expected, model = python_pool(model, images, key)
        np.testing.assert_array_equal(answer, expected)
        np.testing.assert_array_equal(pool["images"], model["images"])
        assert int(pool["count"]) == model["count"] == min(5, 4 * (step + 1))
        returned_stored += int(np.sum(np.any(np.asarray(answer) != np.asarray(images), axis=(1, 2, 3))))
    assert returned_stored > 0  # some answers came from the pool, not the batch


# ---------------------------------------------------------------------------- one step, by hand


def _step_keys(state):
    """(group key of D, group key of G): the step key split into latents' and groups' keys."""
    _, d_key, g_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)
    return d_key, g_key


def _calls_and_terms(group_key):
    _, loss_key = jax.random.split(jax.random.fold_in(group_key, 0))  # repeat 0
    return jax.random.split(loss_key)


def _sgd(params, grads):
    return jax.tree.map(lambda w, g: w - LEARNING_RATE * g, params, grads)


def _assert_close_and_moved(new_params, expected, old_params):
    moved = 0.0
    for a, b, before in zip(
        jax.tree.leaves(new_params), jax.tree.leaves(expected), jax.tree.leaves(old_params), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
        moved = max(moved, float(np.max(np.abs(b - before))))
    assert moved > 1e-4


def _batch(dataset, names):
    got = dataset.get(data_lib.batch_indices(0, num_examples=len(dataset), batch_size=8, seed=0))
    return {name: got[name][None] for name in names}


@pytest.mark.slow
def test_pix2pix_step_equals_the_hand_written_update():
    config = tiny_config("pix2pix")
    parts = build.build(config)
    state = build.new_state(parts, jax.random.PRNGKey(3))
    batch = _batch(parts.dataset, ("source", "target"))
    new_state, metrics = jax.jit(build.train_step(parts))(state, batch)

    expected, losses = jax.jit(lambda s, b: _pix2pix_reference(parts.program, s, b))(state, batch)
    np.testing.assert_allclose(metrics["d_loss"], losses[0], rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], losses[1], rtol=1e-5)
    _assert_close_and_moved(new_state.params, expected, state.params)


def _pix2pix_reference(program, state, batch):
    source, target = batch["source"][0], batch["target"][0]
    generator, discriminator = program.networks["generator"], program.networks["discriminator"]
    g_params, d_params = state.params["generator"], state.params["discriminator"]
    d_key, _ = _step_keys(state)
    calls_key, _ = _calls_and_terms(d_key)
    dropout = jax.random.fold_in(calls_key, 0)  # the D group's first call: G(source), dropout on
    fake = generator.apply({"params": g_params}, source, train=True, rngs={"dropout": dropout})

    def D(p, image):  # noqa: N802
        return discriminator.apply({"params": p}, source, image, train=True)

    def d_loss(p):
        return 0.5 * (jnp.mean(jax.nn.softplus(-D(p, target))) + jnp.mean(jax.nn.softplus(D(p, fake))))

    d_new = _sgd(d_params, jax.grad(d_loss)(d_params))

    def g_loss(p):
        # The G group reuses D's G(source): the same dropout mask, the gradient through it.
        out = generator.apply({"params": p}, source, train=True, rngs={"dropout": dropout})
        return jnp.mean(jax.nn.softplus(-D(d_new, out))) + 100.0 * jnp.mean(jnp.abs(out - target))

    g_new = _sgd(g_params, jax.grad(g_loss)(g_params))
    return {"discriminator": d_new, "generator": g_new}, (d_loss(d_params), g_loss(g_params))


@pytest.mark.slow
def test_cyclegan_step_equals_the_hand_written_update():
    config = tiny_config("cyclegan")
    parts = build.build(config)
    state = build.new_state(parts, jax.random.PRNGKey(3))
    batch = _batch(parts.dataset, ("x", "y"))
    new_state, metrics = jax.jit(build.train_step(parts))(state, batch)

    d_key, _ = _step_keys(state)
    _, terms_key = _calls_and_terms(d_key)
    x, y = batch["x"][0], batch["y"][0]
    fakes = jax.jit(lambda p: _cyclegan_fakes(parts.program, p, x, y))(state.params)
    pooled, pools = {}, {}
    for index, domain in enumerate(("x", "y")):  # D_X's pool, then D_Y's: terms 0 and 1 of D's group
        empty = jax.device_get(translation.pool_init(6, (28, 28, 1)))
        pooled[domain], pools[domain] = python_pool(empty, fakes[domain], jax.random.fold_in(terms_key, index))
    expected, losses = jax.jit(lambda p, q: _cyclegan_reference(parts.program, p, x, y, q))(state.params, pooled)
    np.testing.assert_allclose(metrics["d_loss"], losses[0], rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], losses[1], rtol=1e-5)
    _assert_close_and_moved(new_state.params, expected, state.params)
    for domain in ("x", "y"):
        np.testing.assert_allclose(new_state.term_state[domain]["images"], pools[domain]["images"], atol=1e-6)
        assert int(new_state.term_state[domain]["count"]) == 6


def _cyclegan_fakes(program, params, x, y):
    nets = program.networks
    return {
        "x": nets["generator_yx"].apply({"params": params["generator_yx"]}, y, train=True),
        "y": nets["generator_xy"].apply({"params": params["generator_xy"]}, x, train=True),
    }


def _cyclegan_reference(program, params, x, y, pooled):
    nets = program.networks

    def apply(name, p, image):
        return nets[name].apply({"params": p}, image, train=True)

    def d_loss(p):
        total = 0.0
        for domain, real in (("x", x), ("y", y)):
            name = f"discriminator_{domain}"
            real_out, fake_out = apply(name, p[name], real), apply(name, p[name], pooled[domain])
            total = total + 0.5 * (jnp.mean((real_out - 1.0) ** 2) + jnp.mean(fake_out**2))
        return total

    d_params = {k: params[k] for k in ("discriminator_x", "discriminator_y")}
    d_new = _sgd(d_params, jax.grad(d_loss)(d_params))

    def g_loss(p):
        g, f = p["generator_xy"], p["generator_yx"]
        fy, fx = apply("generator_xy", g, x), apply("generator_yx", f, y)
        adversarial = jnp.mean((apply("discriminator_y", d_new["discriminator_y"], fy) - 1.0) ** 2) + jnp.mean(
            (apply("discriminator_x", d_new["discriminator_x"], fx) - 1.0) ** 2
        )
        cycle = jnp.mean(jnp.abs(apply("generator_yx", f, fy) - x)) + jnp.mean(
            jnp.abs(apply("generator_xy", g, fx) - y)
        )
        identity = jnp.mean(jnp.abs(apply("generator_xy", g, y) - y)) + jnp.mean(
            jnp.abs(apply("generator_yx", f, x) - x)
        )
        return adversarial + 10.0 * cycle + 5.0 * identity

    g_params = {k: params[k] for k in ("generator_xy", "generator_yx")}
    g_new = _sgd(g_params, jax.grad(g_loss)(g_params))
    return {**d_new, **g_new}, (d_loss(d_params), g_loss(g_params))


# ---------------------------------------------------------------------------- refusals


def _one_sentence(error) -> str:
    message = str(error.value)
    assert message.endswith(".") and "\n" not in message and ". " not in message, message
    return message


def test_an_unpaired_dataset_given_to_pix2pix_is_refused_before_compiling():
    config = tiny_config("pix2pix", **{"data.name": "digits2inverted"})
    with pytest.raises(ValueError, match=r"config.program='pix2pix' needs a dataset with features") as error:
        build.build(config)
    assert "'digits2inverted'" in _one_sentence(error)
    with pytest.raises(ValueError, match=r"config.program='cyclegan' needs a dataset with features"):
        build.build(tiny_config("cyclegan", **{"data.name": "edges2digits"}))


def test_a_source_of_another_size_is_refused_before_compiling():
    config = tiny_config("pix2pix")
    dataset = data_translation.PairedDataset("mixed", np.zeros((4, 32, 32, 1)), np.zeros((4, 28, 28, 1)))
    with pytest.raises(ValueError, match=r"has source 32x32x1 and target 28x28x1; set config.data.image_size") as error:
        registry.build_program(config, dataset, axis_name=None)
    _one_sentence(error)


def test_settings_are_checked_in_one_sentence():
    with pytest.raises(ValueError, match=r"config.pix2pix.l1_weight must be a number in \[0, inf\)") as error:
        build.build(tiny_config("pix2pix", **{"pix2pix.l1_weight": -1.0}))
    _one_sentence(error)
    with pytest.raises(ValueError, match=r"config.cyclegan.pool_size must be an integer >= 0"):
        build.build(tiny_config("cyclegan", **{"cyclegan.pool_size": -1}))
    with pytest.raises(
        ValueError, match=r"config.model.generator.name='dcgan' is not a generator program 'pix2pix' can use"
    ):
        build.build(tiny_config("pix2pix", **{"model.generator.name": "dcgan"}))


# ---------------------------------------------------------------------------- devices and resuming


@pytest.mark.slow
def test_translation_programs_are_device_count_invariant():
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess([], module="tests.programs.translation_invariance")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"pix2pix", "cyclegan"}, rows
    for row in rows.values():
        check_invariance(row)  # 8 devices against 1, within 2e-5 of the scale


@pytest.mark.slow
def test_cyclegan_resumes_bit_for_bit_with_its_pools(tmp_path):
    from jaxgan.train import train_and_evaluate

    straight = train_and_evaluate(tiny_config("cyclegan", num_steps=4), str(tmp_path / "straight"))
    train_and_evaluate(tiny_config("cyclegan", num_steps=2), str(tmp_path / "resumed"))
    resumed = train_and_evaluate(tiny_config("cyclegan", num_steps=4), str(tmp_path / "resumed"))
    assert int(resumed.step) == 4
    assert int(np.asarray(resumed.term_state["x"]["count"]).max()) == 6  # the pools are full and swapping
    leaves = lambda s: jax.tree.leaves(jax.device_get(s))  # noqa: E731
    for a, b in zip(leaves(straight), leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
