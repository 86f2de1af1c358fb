"""A family's classifier is its record's `Classifier` export: `jaxgan classify` and the
`classifier_accuracy` / `matched_classifier_accuracy` evaluators run it, on tiny runs (4 steps,
batch 8, MLPs on the 8x8 digits, two seeds in one run) of the four families that export one.

The labels are checked against the network called by hand (D's `class_logits`, or the first
`num_categories` outputs of InfoGAN's Q), run by run, and the loop's evaluation against the
accuracy of those labels on the held-out digits.
"""

from __future__ import annotations

import importlib.util
import json
import os

import jax
import numpy as np
import pytest

from jaxgan import data as data_lib
from jaxgan.metrics import conditional
from jaxgan.train import build as build_lib
from jaxgan.train import classify, evaluation, loop, restore, run_axis, sampling, sweeps
from tests.test_cli import ROOT, jaxgan

pytestmark = pytest.mark.slow

CONFIG = os.path.join(ROOT, "tests", "train", "tiny_classifier_config.py")
FAMILIES = ("acgan", "infogan", "semi_supervised", "ss_infogan")


def tiny_config(program: str, **overrides):
    spec = importlib.util.spec_from_file_location("tiny_classifier_config", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return sweeps.with_overrides(module.get_config(program), overrides)


def held_out_digits():
    got = data_lib.load("digits", split="test", seed=0)
    everything = got.get(np.arange(len(got)))
    return everything["x"], everything["label"]


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    """Each family trained for 4 steps with two seeds in one run; evaluated by the loop at the end."""
    root = tmp_path_factory.mktemp("classify")
    found = {}
    for program in FAMILIES:
        workdir = str(root / program)
        loop.train_and_evaluate(tiny_config(program, num_seeds=2), workdir)
        found[program] = workdir
    return found


def by_hand(workdir: str, x: np.ndarray) -> np.ndarray:
    """`[runs, n]`: the argmax of the discriminator's class logits (InfoGAN: Q's code logits),
    the network applied directly to each run's params (its EMA where the record keeps one)."""
    config, experiment, state = restore.load_latest(workdir)
    module = experiment.program.networks["discriminator"]
    labels = []
    for r in range(sweeps.num_runs(config)):
        single = run_axis.unstack(state, r)
        # the params the record classifies with: D's running average where one is kept (semi_supervised's here)
        variables = {"params": single.sampling_params("discriminator"), **single.variables["discriminator"]}
        out = module.apply(variables, x, train=False)
        if config.program in ("infogan", "ss_infogan"):
            logits = out["q"][:, : config[config.program].num_categories]
        else:
            logits = out["class_logits"]
        labels.append(np.argmax(np.asarray(logits), axis=-1))
    return np.stack(labels)


@pytest.mark.parametrize("program", FAMILIES)
def test_labels_are_the_networks_argmax_per_run_and_the_loops_evaluation_scores_them(workdirs, program, tmp_path):
    x, y = held_out_digits()
    np.save(tmp_path / "digits.npy", x)
    out, num, replaced = classify.write_labels(
        workdirs[program], input_path=str(tmp_path / "digits.npy"), out=str(tmp_path / "labels.npy")
    )
    labels = np.load(out)
    assert num == len(x) == 180 and not replaced
    assert labels.shape == (2, 180) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, by_hand(workdirs[program], x))
    assert not np.array_equal(labels[0], labels[1])  # two seeds, two classifiers
    # The loop's evaluation at the last step: the same labels scored against the held-out digits.
    rows = [json.loads(line) for line in open(os.path.join(workdirs[program], "metrics.jsonl"))]
    evaluated = {k: v for row in rows for k, v in row.items() if k.startswith("eval/")}
    name = "matched_classifier_accuracy" if program == "infogan" else "classifier_accuracy"
    score = conditional.matched_accuracy if program == "infogan" else conditional.accuracy
    for r in range(2):
        assert evaluated[f"eval/{name}/seed={r}"] == pytest.approx(score(labels[r], y), abs=1e-12)


def test_the_command_writes_the_labels_and_says_when_it_replaces_a_file(workdirs, tmp_path):
    x, _ = held_out_digits()
    images = (np.clip(x[:20, :, :, 0], -1, 1) * 127.5 + 127.5).round().astype(np.uint8)  # uint8 [n, H, W]
    np.save(tmp_path / "mine.npy", images)
    out = tmp_path / "labels.npy"
    out.write_bytes(b"an older file")
    done = jaxgan("classify", f"--workdir={workdirs['acgan']}", f"--input={tmp_path / 'mine.npy'}", f"--out={out}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 20 predicted labels to {out} (replacing the file that was there)"
    expected = by_hand(workdirs["acgan"], images[..., None].astype(np.float32) / np.float32(127.5) - np.float32(1.0))
    np.testing.assert_array_equal(np.load(out), expected)


@pytest.mark.parametrize(
    "images, expected",
    [
        (np.zeros((3, 28, 28, 1), np.float32), "holds images of shape (28, 28, 1), but this run classifies examples "
         "of shape (8, 8, 1); give an array [n, 8, 8, 1] or [n, 8, 8]"),
        (np.full((3, 8, 8, 1), 2.0, np.float32), "float images must lie in [-1, 1], the data's range"),
    ],
)  # fmt: skip
def test_images_that_do_not_fit_are_refused_and_nothing_is_written(workdirs, tmp_path, images, expected):
    np.save(tmp_path / "bad.npy", images)
    (tmp_path / "labels.npy").write_bytes(b"kept")
    with pytest.raises(ValueError) as refusal:
        classify.write_labels(workdirs["acgan"], input_path=str(tmp_path / "bad.npy"), out=str(tmp_path / "labels.npy"))
    assert expected in str(refusal.value)
    assert (tmp_path / "labels.npy").read_bytes() == b"kept"


def test_a_family_without_a_classifier_is_refused_naming_those_with_one(workdirs, tmp_path):
    workdir = tmp_path / "dcgan"
    workdir.mkdir()
    config = json.loads(open(os.path.join(workdirs["semi_supervised"], "config.json")).read())
    config["program"], config["data"]["labelled_per_class"] = "gan", 0
    config.pop("semi_supervised")
    (workdir / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"needs a family whose networks classify real examples \(acgan, infogan, "
                       r"semi_supervised, ss_infogan, triplegan\); this run's config.program is 'gan'"):  # fmt: skip
        classify.write_labels(str(workdir), input_path="any.npy", out=str(tmp_path / "labels.npy"))
    assert not (tmp_path / "labels.npy").exists()


def test_infogans_codes_are_scored_only_under_a_matching_and_acgan_only_without_the_label():
    config = tiny_config("infogan", evaluators="classifier_accuracy")
    experiment = build_lib.build(config)
    with pytest.raises(ValueError, match="gives unsupervised codes, not the data's classes; use matched_classifier"):
        evaluation.evaluator(config, experiment.dataset, sampling.Sampler(experiment.program, 1))
    config = tiny_config("acgan")
    config.conditional.discriminator_conditioning = "concat"
    with pytest.raises(ValueError, match="discriminator_conditioning is 'concat' \\(use 'none'\\)"):
        classify.classifier_of(config)


def test_semi_supervised_classifies_at_ds_running_average_and_refuses_an_average_of_one(workdirs):
    """`semi_supervised.classifier_ema` (0.5 in the tiny config): the state keeps D's running average
    and it is not D itself, so `by_hand` above, which the labels match, reads the average."""
    _, _, state = restore.load_latest(workdirs["semi_supervised"])
    average, raw = state.ema_params["discriminator"], state.params["discriminator"]
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(jax.tree.leaves(average), jax.tree.leaves(raw))) > 1e-6
    with pytest.raises(ValueError, match=r"^config\.semi_supervised\.classifier_ema must be a number in \[0, 1\)"):
        build_lib.build(tiny_config("semi_supervised", **{"semi_supervised.classifier_ema": 1.0}))
