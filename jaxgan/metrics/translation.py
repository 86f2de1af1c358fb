"""Evaluating image-to-image translation on held-out images.

Pure functions of images in [-1, 1] (the data range is 2):

    l1(output, target)      = E |output - target|                       (over every pixel)
    psnr(output, target)    = mean over images of 10 log10(2² / MSE_i)  (dB; 20 log10 2 - 10 log10 MSE_i)
    accuracy(probs, labels) = E [argmax p(y|output) = label of the source]
    feature_distance(f, g)  = mean over images of the mean over features of (f_i - g_i)²

`evaluate(config, experiment, state, family)` translates the held-out split of a run whose
family exports a `Translation` (`config.<section>.held_out_split`, "test" for the digit tasks:
digits never trained on):

- with a target (paired data, pix2pix): `l1` and `psnr` of G(source) against the target;
- with an inverse network (CycleGAN): `cycle_l1` = E|F(G(x)) - x| on the held-out sources;
- when the dataset names a target domain with a digit classifier (`metadata["target_domain"]`),
  `digit_accuracy`: the accuracy of that domain's classifier (`classifier.get_domain_classifier`) on
  G(source) against the source's label; with a target too, `feature_distance`: the distance of
  that classifier's penultimate features (128, the ones FID reads) of G(source) and the target
  (a perceptual distance, SRGAN's figure);
- for each of the record's `references` (a fixed translation, SRGAN's bicubic upsampling), the
  same figures as `<name>_l1`, `<name>_psnr`, `<name>_digit_accuracy`, `<name>_feature_distance`.

PSNR on [-1, 1] with data range 2 equals PSNR on the same images mapped to [0, 1] with range 1.
"""

from __future__ import annotations

import jax
import numpy as np

from jaxgan.data import translation as data_translation
from jaxgan.metrics import classifier as classifier_lib

DATA_RANGE = 2.0  # images in [-1, 1]


def l1(output: np.ndarray, target: np.ndarray) -> float:
    """`E |output - target|` over every element."""
    return float(np.mean(np.abs(np.asarray(output, np.float64) - np.asarray(target, np.float64))))


def psnr(output: np.ndarray, target: np.ndarray, *, data_range: float = DATA_RANGE) -> float:
    """Mean over images of `10 log10(data_range² / MSE_i)` in dB (inf for an exact image is kept out: MSE ≥ 1e-12)."""
    diff = np.asarray(output, np.float64) - np.asarray(target, np.float64)
    mse = np.maximum(np.mean(diff.reshape(diff.shape[0], -1) ** 2, axis=1), 1e-12)
    return float(np.mean(10.0 * np.log10(data_range**2 / mse)))


def feature_distance(features: np.ndarray, target_features: np.ndarray) -> float:
    """Mean over images of the mean over features of the squared difference `[n, d]` vs `[n, d]`."""
    diff = np.asarray(features, np.float64) - np.asarray(target_features, np.float64)
    return float(np.mean(diff**2))


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of rows whose most probable class is the label."""
    return float(np.mean(np.argmax(probabilities, axis=1) == np.asarray(labels)))


def held_out(config, split: str):
    """The run's held-out `split` at the run's image size."""
    from jaxgan import data as data_lib

    return data_lib.load(
        config.data.name,
        split=split,
        image_size=config.data.image_size,
        data_dir=config.data.data_dir,
    )


class Translator:
    """`network(images)` in inference mode at the sampling params of one run of a stacked state
    (default network: the program's sample call's). One compiled program serves every run and
    every call: the parameters are its arguments, and chunks of `batch_size` (the last padded
    with copies) keep one shape."""

    def __init__(self, program, network: str | None = None, *, batch_size: int = 250):
        from jaxgan.calls import run_call
        from jaxgan.program import Call

        self.network = network or program.sample.network
        self.batch_size = batch_size
        call = Call(self.network, ("images",), "out", train=False)

        def apply(params, variables, chunk):
            values, _ = run_call(program, call, params, variables, {"images": chunk}, jax.random.PRNGKey(0))
            return values["out"]

        self._apply = jax.jit(apply)

    def __call__(self, state, images: np.ndarray, *, run: int = 0) -> np.ndarray:
        from jaxgan.train import run_axis

        single = run_axis.unstack(state, run)
        params = {self.network: jax.device_get(single.sampling_params(self.network))}
        variables = {self.network: jax.device_get(single.variables[self.network])}
        images = np.asarray(images, np.float32)
        num = len(images)
        size = min(self.batch_size, num)
        padded = -(-num // size) * size
        images = np.concatenate([images, np.repeat(images[-1:], padded - num, axis=0)])
        outputs = [np.asarray(self._apply(params, variables, images[i : i + size])) for i in range(0, padded, size)]
        return np.concatenate(outputs)[:num]


def evaluate(config, experiment, state, family, *, max_examples: int = 500) -> dict[str, float]:
    """The held-out metrics of a run of a `family` that exports a `Translation` (see the module
    doc); of each run of a multi-run workdir as `name/label`, with `name/mean` over seeds
    (`evaluation.merge_runs`)."""
    from jaxgan.programs.family import settings_of
    from jaxgan.train import evaluation, sweeps

    translation = family.exports.translation
    dataset = held_out(config, settings_of(config, family).held_out_split)
    program = experiment.program
    got = data_translation.held_out_sources(dataset, max_examples)
    domain = dataset.metadata.get("target_domain")
    judge = classifier_lib.get_domain_classifier(domain) if domain is not None and "label" in got else None
    runs = sweeps.runs_of(config)
    generator = Translator(program, translation.network)
    inverse = Translator(program, translation.inverse) if translation.inverse else None
    has_target = translation.target is not None
    target_features = judge.features(got["target"]) if judge is not None and has_target else None

    def scores(output) -> dict[str, float]:
        results = {}
        if has_target:
            results.update(l1=l1(output, got["target"]), psnr=psnr(output, got["target"]))
        if judge is not None:
            features, probabilities = judge.features_and_probabilities(output)
            results["digit_accuracy"] = accuracy(probabilities, got["label"])
            if target_features is not None:
                results["feature_distance"] = feature_distance(features, target_features)
        return results

    per_run = []
    for run in range(len(runs)):
        output = generator(state, got["source"], run=run)
        results = scores(output)
        if inverse is not None:
            results["cycle_l1"] = l1(inverse(state, output, run=run), got["source"])
        per_run.append(results)
    results = evaluation.merge_runs(runs, per_run)
    target_shape = tuple(got["target" if has_target else "source"].shape[1:])
    for name, fn in translation.references:
        results.update({f"{name}_{key}": value for key, value in scores(fn(got["source"], target_shape)).items()})
    if judge is not None:
        results["classifier_test_accuracy"] = float(judge.test_accuracy)
    results["num_held_out"] = float(len(got["source"]))
    return results
