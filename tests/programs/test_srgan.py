"""SRGAN (Ledig et al. 2017): the pure functions against numpy references and closed forms
(pixel shuffle, area downsampling, PSNR, feature distance, the content losses, PReLU), the networks'
shapes, the lowres2digits data, the content term of one step against a hand computation, a short
training run with `jaxgan sample --input` and `jaxgan eval`, bad settings refused before compiling,
and device-count invariance (2 and 8 devices, tests/programs/invariance_check.py)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from jaxgan import data as data_lib
from jaxgan import losses, models
from jaxgan.data import translation as data_translation
from jaxgan.metrics import classifier as classifier_lib
from jaxgan.metrics import translation as metrics
from jaxgan.models import srgan as srgan_models
from jaxgan.programs import registry, srgan
from jaxgan.train import build
from tests.programs.helpers import tiny_config

# ---------------------------------------------------------------------------- pure functions


def _pixel_shuffle_reference(x: np.ndarray, r: int) -> np.ndarray:
    """Shi et al. 2016's periodic shuffling, element by element."""
    b, h, w, channels = x.shape
    c = channels // (r * r)
    out = np.zeros((b, h * r, w * r, c), x.dtype)
    for y in range(h * r):
        for xx in range(w * r):
            i, j = y % r, xx % r
            out[:, y, xx, :] = x[:, y // r, xx // r, (i * r + j) * c : (i * r + j + 1) * c]
    return out


@pytest.mark.parametrize("r, channels", [(2, 4), (2, 12), (3, 18)])
def test_pixel_shuffle_matches_the_element_by_element_definition(r, channels):
    x = np.random.default_rng(0).normal(size=(2, 3, 5, channels)).astype(np.float32)
    np.testing.assert_array_equal(
        np.asarray(srgan_models.pixel_shuffle(jnp.asarray(x), r)), _pixel_shuffle_reference(x, r)
    )


def test_pixel_shuffle_refuses_channels_the_factor_does_not_divide():
    with pytest.raises(ValueError, match=r"^pixel_shuffle: the factor must be a positive integer whose square divides"):
        srgan_models.pixel_shuffle(jnp.zeros((1, 2, 2, 6)), 2)


def test_area_downsampling_is_the_block_mean_and_pils_box_filter():
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(3, 28, 28, 1)).astype(np.float32)
    small = data_translation.area_downsample(images, 4)
    reference = np.array(
        [
            [[images[n, 4 * i : 4 * i + 4, 4 * j : 4 * j + 4, 0].mean() for j in range(7)] for i in range(7)]
            for n in range(3)
        ]
    )
    np.testing.assert_allclose(small[..., 0], reference, rtol=0, atol=1e-6)
    box = np.stack([np.asarray(Image.fromarray(image[..., 0], mode="F").resize((7, 7), Image.BOX)) for image in images])
    np.testing.assert_allclose(small[..., 0], box, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match=r"^area_downsample: the factor must be a positive integer dividing the sides"):
        data_translation.area_downsample(images, 3)


def test_psnr_closed_forms_on_0_1_and_on_the_data_range():
    target = np.full((1, 4, 4, 1), 0.5)
    output = target + 0.1  # MSE 0.01 on [0, 1] images: 10 log10(1 / 0.01) = 20 dB
    assert metrics.psnr(output, target, data_range=1.0) == pytest.approx(20.0)
    assert metrics.psnr(2 * output - 1, 2 * target - 1) == pytest.approx(20.0)  # the same images in [-1, 1], range 2


def test_feature_distance_and_content_losses_closed_forms():
    a = np.zeros((2, 3))
    b = np.array([[1.0, 0.0, 0.0], [2.0, 2.0, 2.0]])  # squared differences sum to 1 + 12 over 6 entries
    assert metrics.feature_distance(a, b) == pytest.approx(13 / 6)
    assert float(losses.pixel_content_loss(a, b)) == pytest.approx(13 / 6)
    assert float(losses.feature_content_loss(b, a)) == pytest.approx(13 / 6)
    weights = np.array([1.0, 0.0])  # only the first image counts
    assert float(losses.pixel_content_loss(a, b, weights=weights)) == pytest.approx(1 / 3)


def test_prelu_is_the_identity_above_zero_and_a_quarter_below_at_first():
    module = srgan_models.PReLU()
    x = jnp.array([[-2.0, -0.5, 0.0, 3.0]])
    variables = module.init(jax.random.PRNGKey(0), x)
    np.testing.assert_allclose(np.asarray(module.apply(variables, x)), [[-0.5, -0.125, 0.0, 3.0]])
    assert variables["params"]["slope"].shape == (4,)  # one slope per channel


def test_the_classifier_feature_maps_are_its_last_convolution_after_relu():
    classifier = classifier_lib.get_classifier("mnist")
    images = data_lib.load("mnist", split="test").get(np.arange(4))["x"]
    maps = classifier_lib.feature_maps(classifier.module, classifier.params, images)
    _, state = classifier.module.apply({"params": classifier.params}, images, capture_intermediates=True)
    np.testing.assert_allclose(np.asarray(maps), np.maximum(np.asarray(state["intermediates"]["Conv_1"]["__call__"][0]), 0),
                               rtol=1e-6, atol=1e-6)  # fmt: skip
    assert maps.shape == (4, 14, 14, 32)
    grad = jax.grad(lambda x: jnp.sum(classifier_lib.feature_maps(classifier.module, classifier.params, x)))(images)
    assert float(jnp.max(jnp.abs(grad))) > 0  # gradients reach the images


def test_bicubic_reference_keeps_a_constant_image_and_clips_to_the_data_range():
    constant = np.full((2, 7, 7, 1), 0.25, np.float32)
    np.testing.assert_allclose(srgan.bicubic_upsample(constant, (28, 28, 1)), 0.25, atol=1e-6)
    step = np.where(np.arange(7) < 3, -1.0, 1.0).astype(np.float32)[None, None, :, None] * np.ones((1, 7, 1, 1))
    up = srgan.bicubic_upsample(step, (28, 28, 1))
    assert up.shape == (1, 28, 28, 1) and up.min() == -1.0 and up.max() == 1.0  # cubic overshoot clipped


# ---------------------------------------------------------------------------- networks and data


@pytest.mark.parametrize("scale, side", [(4, 28), (2, 14)])
def test_the_generator_upscales_by_its_scale_and_d_gives_one_logit(scale, side):
    g = models.generator("srresnet", features=4, num_blocks=2, scale=scale)
    x = jnp.zeros((3, 7, 7, 1))
    variables = jax.eval_shape(lambda: g.init(jax.random.PRNGKey(0), x, train=False))
    out = jax.eval_shape(lambda v: g.apply(v, x, train=True, mutable=["batch_stats"])[0], variables)
    assert out.shape == (3, side, side, 1)
    d = models.discriminator("srgan", features=2, num_stages=2, dense_features=8)
    image = jnp.zeros((3, 28, 28, 1))
    d_vars = jax.eval_shape(lambda: d.init(jax.random.PRNGKey(0), image, train=False))
    assert jax.eval_shape(lambda v: d.apply(v, image, train=False), d_vars).shape == (3,)
    assert d_vars["params"]["dense"]["kernel"].shape == (7 * 7 * 4, 8)  # 28 -> 14 -> 7, width 2·2


def test_the_generator_outputs_images_in_the_data_range():
    g = models.generator("srresnet", features=2, num_blocks=1)
    x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (2, 3, 3, 1)), jnp.float32)
    out = np.asarray(jax.jit(lambda x: g.apply(g.init(jax.random.PRNGKey(0), x, train=False), x, train=False))(x))
    assert out.shape == (2, 12, 12, 1) and np.all(np.abs(out) <= 1.0) and np.std(out) > 0


def test_a_scale_that_is_not_a_power_of_two_is_refused_by_the_generator():
    g = models.generator("srresnet", features=4, num_blocks=1, scale=3)
    with pytest.raises(ValueError, match=r"`scale` must be a power of two >= 2"):
        g.init(jax.random.PRNGKey(0), jnp.zeros((1, 7, 7, 1)), train=False)


def test_lowres2digits_pairs_each_digit_with_its_area_downsampling():
    dataset = data_lib.load("lowres2digits", split="test")
    digits = data_lib.load("mnist", split="test")
    got = dataset.get(np.arange(5))
    np.testing.assert_array_equal(got["target"], digits.get(np.arange(5))["x"])
    np.testing.assert_allclose(got["source"], data_translation.area_downsample(got["target"], 4), atol=0)
    assert data_lib.feature_specs(dataset)["source"][0] == (7, 7, 1) and len(dataset) == 500
    assert dataset.metadata["target_domain"] == "mnist"
    with pytest.raises(ValueError, match=r"config.data.image_size=30 does not fit 'lowres2digits'"):
        data_lib.load("lowres2digits", image_size=30)


# ---------------------------------------------------------------------------- the program


@pytest.mark.slow
def test_one_step_reports_the_content_loss_on_the_frozen_classifiers_features():
    """G's content term of the first step, by hand: E (φ(G(source)) - φ(target))² at the initial
    parameters (G in training mode, as the D group made `fake`); the classifier is no part of the state."""
    from tests.train.helpers import batch_for, one_device

    config = tiny_config("srgan")
    experiment, state, step = one_device(config)
    assert set(state.params) == {"generator", "discriminator"}
    batch = batch_for(experiment, config)
    _, got = step(state, batch)
    g = experiment.program.networks["generator"]
    variables = {"params": state.params["generator"], **state.variables["generator"]}
    fake, _ = g.apply(variables, batch["source"][0], train=True, mutable=["batch_stats"])
    classifier = classifier_lib.get_classifier("mnist")
    phi = lambda x: classifier_lib.feature_maps(classifier.module, classifier.params, x)  # noqa: E731
    expected = float(jnp.mean((phi(fake) - phi(batch["target"][0])) ** 2))
    assert float(got["g_content"]) == pytest.approx(expected, rel=1e-5)
    assert float(got["g_loss"]) == pytest.approx(float(got["g_content"]) + 1e-3 * float(got["g_objective"]), rel=1e-6)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"srgan.scale": 2}, r"^config\.srgan\.scale=2 does not fit dataset 'lowres2digits', whose targets \(16x16\) "
         r"are 4 times its sources \(4x4\); set config\.srgan\.scale to 4\.$"),
        ({"srgan.content": "vgg"}, r"^config\.srgan\.content='vgg' is not one of \['features', 'mse'\]\.$"),
        ({"srgan.adversarial_weight": -1.0}, r"^config\.srgan\.adversarial_weight must be a number in \[0, inf\)"),
        ({"data.name": "edges2digits", "data.image_size": 0},
         r"^config\.program='srgan' needs targets 2, 4, 8, \.\.\. times the side of the sources, but dataset "
         r"'edges2digits' has source \(28, 28, 1\) and target \(28, 28, 1\)"),
        ({"data.name": "mnist", "data.image_size": 0}, r"^config\.program='srgan' needs a dataset with features "
         r"\['source', 'target'\].*such as 'lowres2digits'\.$"),
        ({"model.generator.name": "unet"}, r"^config\.model\.generator\.name='unet' is not a generator program 'srgan' "
         r"can use; use one of \['srresnet'\]\.$"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_in_one_sentence_before_compiling(change, message, monkeypatch):
    config = tiny_config("srgan", **change)
    monkeypatch.setattr(jax, "jit", lambda *a, **k: pytest.fail("compiled"))
    with pytest.raises(ValueError, match=message):
        build.build(config)


def test_the_record_exports_a_translation_with_a_bicubic_reference():
    family = registry.get("srgan")
    translation = family.exports.translation
    assert (translation.source, translation.target, translation.network) == ("source", "target", "generator")
    assert [name for name, _ in translation.references] == ["bicubic"]
    assert family.reads == () and family.settings().to_dict() == {
        "adversarial_weight": 1e-3, "content": "features", "scale": 4, "held_out_split": "test"
    }  # fmt: skip


@pytest.mark.slow
def test_the_family_trains_samples_ones_own_images_and_evaluates(tmp_path):
    """A few steps through the CLI's functions: `jaxgan sample --input=low.npy --out=F.npz` upscales
    one's own 4x4 images (a wrong size refused before the checkpoint is read), `--out=F.png` draws
    source | output | target, and `jaxgan eval` scores the run and bicubic upsampling."""
    from jaxgan.train import restore, train_and_evaluate, translate

    workdir = str(tmp_path / "run")
    config = tiny_config("srgan", num_steps=4, steps_per_call=2, **{"data.image_size": 28, "srgan.content": "mse"})
    config.model.discriminator.num_stages = 2
    train_and_evaluate(config, workdir)
    low = np.random.default_rng(0).uniform(-1, 1, (3, 7, 7)).astype(np.float32)
    np.save(tmp_path / "low.npy", low)
    out, num = translate.write_translations(
        workdir, num=None, out=str(tmp_path / "up.npz"), input_path=str(tmp_path / "low.npy")
    )
    with np.load(out) as got:
        assert num == 3 and got["output"].shape == (3, 28, 28, 1) and got["source"].shape == (3, 7, 7, 1)
    np.save(tmp_path / "wrong.npy", np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"holds images of shape \(28, 28, 1\), but this run translates sources of shape "
                       r"\(7, 7, 1\); give an array \[n, 7, 7, 1\] or \[n, 7, 7\]"):  # fmt: skip
        translate.write_translations(
            workdir, num=None, out=str(tmp_path / "x.npz"), input_path=str(tmp_path / "wrong.npy")
        )
    translate.write_translations(workdir, num=8, out=str(tmp_path / "grid.png"))
    # 2 rows of 4 triplets, every tile 28x28 (the 7x7 sources enlarged), 2-pixel gaps around each
    assert np.asarray(Image.open(tmp_path / "grid.png")).shape[:2] == (2 * 28 + 3 * 2, 12 * 28 + 13 * 2)
    results = restore.evaluate_workdir(workdir)
    for prefix in ("", "bicubic_"):
        assert {f"{prefix}psnr", f"{prefix}l1", f"{prefix}digit_accuracy", f"{prefix}feature_distance"} <= set(results)
    assert results["num_held_out"] == 500
    assert 10 < results["bicubic_psnr"] < 40 and results["bicubic_digit_accuracy"] > 0.5
    assert math.isfinite(results["psnr"]) and math.isfinite(results["feature_distance"])


@pytest.mark.slow
def test_two_and_eight_devices_give_the_parameters_of_one():
    """SRGAN (batch norm in G and D, the classifier's features), 20 steps: shard_map on 2 and on 8
    CPU devices against plain jit on one (tests/programs/invariance_check.py, one subprocess)."""
    from tests.train.parallel_check import check_invariance, run_in_subprocess

    rows = run_in_subprocess(("srgan",), module="tests.programs.invariance_check")
    print(rows)  # pytest -s shows the measured differences
    assert set(rows) == {"srgan"}, rows
    assert {"2", "8"} <= set(rows["srgan"]), rows["srgan"]
    check_invariance(rows["srgan"])
