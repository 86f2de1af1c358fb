"""The loop's evaluation of every run: the config's evaluators on each run's samples.

Evaluations are per run under `<name>/<run label>`, with `<name>/mean` over the runs when
they differ only by seed (`merge_runs`); with one run the names carry no label.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import ml_collections
import numpy as np

from jaxgan import data as data_lib
from jaxgan.programs import registry as registry_lib
from jaxgan.train import classify
from jaxgan.train.sampling import Sampler
from jaxgan.train.state import TrainState
from jaxgan.train.sweeps import Runs, runs_of


def real_examples(dataset, num: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """`num` real examples (all of them if fewer) and their labels (None when unlabelled), a
    fixed random subset for evaluation."""
    num = min(num, len(dataset))
    indices = np.sort(np.random.default_rng(seed).choice(len(dataset), size=num, replace=False))
    got = dataset.get(indices)
    return got["x"], got.get("label")


def real_samples(dataset, num: int, *, seed: int = 0) -> np.ndarray:
    """`num` real examples (all of them if fewer), a fixed random subset for evaluation."""
    return real_examples(dataset, num, seed=seed)[0]


class RunsEvaluator:
    """The loop's evaluator: one `metrics.evaluators.Evaluation` (the real data's features
    computed once, for every run and every evaluation) applied to each run's samples.

    `__call__(state)` gives values under `name` (one run) or `name/label`, plus `name/mean`
    over runs that differ only by seed. `record()` is what the evaluation used (feature
    network and its weights' hash, real samples), for the workdir.
    """

    def __init__(self, config: ml_collections.ConfigDict, dataset, sampler: Sampler, runs: Runs | None = None):
        from jaxgan.metrics import evaluators  # metrics pull in their feature networks lazily

        self.runs = runs_of(config) if runs is None else runs
        self.sampler = sampler
        self.num_samples = config.num_eval_samples
        self.key = jax.random.PRNGKey(config.seed + 2)
        # the built-in evaluators and the family's own (`Family.exports.evaluators`)
        registry = evaluators.with_own(registry_lib.get(config.program).exports.evaluators)
        names = evaluators.parse_names(config.evaluators, registry)
        needs_predict = [name for name in names if "predict" in registry[name].needs]
        # the family's classifier (its record's export) on held-out examples
        self.classifier = None
        if needs_predict:
            wanted = f"config.evaluators naming {needs_predict[0]}"
            self.classifier = classify.Predictor(config, sampler.program, sampler.num_runs, wanted=wanted)
            if self.classifier.classifier.codes and "classifier_accuracy" in names:
                raise ValueError(
                    f"config.evaluators names classifier_accuracy, and the classifier of config.program="
                    f"{config.program!r} gives unsupervised codes, not the data's classes; use "
                    "matched_classifier_accuracy (the accuracy under the best one-to-one matching of codes to classes)."
                )
        held_out = None
        if any("held_out" in registry[name].needs for name in names):
            held_out = _held_out(config)
        # D's raw outputs on training and held-out examples (discriminator_overfitting)
        self.discriminator = None
        if any("discriminator" in registry[name].needs for name in names):
            from jaxgan.train import discriminate

            specs = data_lib.feature_specs(dataset)
            self.discriminator = discriminate.Discriminator(
                config, sampler.program, sampler.num_runs, feature_specs=specs
            )
            self.discriminator_inputs = {
                "train": _fixed_examples(
                    dataset, config.num_eval_samples, self.discriminator.features, seed=config.seed
                ),
                "held_out": _fixed_examples(
                    _held_out_dataset(config), config.num_eval_samples, self.discriminator.features, seed=config.seed
                ),
            }
        # the family's encoder: codes of the real and held-out examples, reconstructions of the held-out ones
        self.encoder = None
        needs_codes = any("encodings" in registry[name].needs for name in names)
        needs_reconstructions = any("reconstructions" in registry[name].needs for name in names)
        if needs_codes or needs_reconstructions:
            from jaxgan.train import encode

            wanting = [name for name in names if {"encodings", "reconstructions"} & set(registry[name].needs)]
            self.encoder = encode.Encoder(
                config,
                sampler.program,
                sampler.num_runs,
                codes=needs_codes,
                wanted=f"config.evaluators naming {wanting[0]}",
            )
            self.needs_codes, self.needs_reconstructions = needs_codes, needs_reconstructions
        real, labels = real_examples(dataset, config.num_eval_samples, seed=config.seed)
        self.evaluation = evaluators.Evaluation(
            names,
            real=real,
            real_labels=labels,
            held_out=held_out,
            dataset_name=config.data.name,
            metadata=dataset.metadata,
            split=config.data.split,
            registry=registry,
        )

    def __call__(self, state: TrainState) -> dict[str, float]:
        drawn = self.sampler.draw(state, self.key, self.num_samples)
        predictions = None
        if self.classifier is not None:
            examples = self.evaluation.held_out[0]
            predictions = self.classifier.predict(state, examples)
        d_outputs = None
        if self.discriminator is not None:
            d_outputs = {
                part: self.discriminator.outputs(state, inputs) for part, inputs in self.discriminator_inputs.items()
            }
        codes = reconstructions = None
        if self.encoder is not None:
            held_out_x = self.evaluation.held_out[0]
            if self.needs_codes:
                codes = {
                    "real": self.encoder.codes(state, self.evaluation.real),
                    "held_out": self.encoder.codes(state, held_out_x),
                }
            if self.needs_reconstructions:
                reconstructions = self.encoder.reconstructions(state, held_out_x)
        per_run = []
        for r, fake in enumerate(drawn["x"]):
            conditions = {name: value[r] for name, value in drawn.items() if name != "x"}
            predict = None if predictions is None else (lambda x, p=predictions[r]: p)
            outputs = None if d_outputs is None else {part: values[r] for part, values in d_outputs.items()}
            per_run.append(
                self.evaluation(
                    fake,
                    conditions=conditions,
                    predict=predict,
                    discriminator_outputs=outputs,
                    encodings=None if codes is None else {part: values[r] for part, values in codes.items()},
                    reconstructions=None if reconstructions is None else reconstructions[r],
                )
            )
        return merge_runs(self.runs, per_run)

    def use_sampler(self, sampler: Sampler) -> None:
        """Draw from `sampler` from now on (the next stage's program of a run in stages)."""
        self.sampler = sampler

    def record(self) -> dict:
        return {**self.evaluation.record(), "num_fake": self.num_samples, "runs": list(self.runs.labels)}


def merge_runs(runs: Runs, per_run: Sequence[dict]) -> dict[str, float]:
    """Per-run results as one dict: `name` for one run; `name/label` for each of several, and
    `name/mean` when the runs differ only by seed (their mean is then the estimate)."""
    if len(runs) == 1:
        return {key: float(value) for key, value in per_run[0].items()}
    result = {}
    for key in per_run[0]:
        values = [float(values[key]) for values in per_run]
        result.update({f"{key}/{label}": v for label, v in zip(runs.labels, values)})
        if not runs.values:
            result[f"{key}/mean"] = float(np.mean(values))
    return result


def _held_out_dataset(config: ml_collections.ConfigDict):
    """The dataset of `config.data.test_split` (the whole split: `num_train` subsets only the training split)."""
    from jaxgan.train.build import data_settings

    return data_lib.load(config.data.name, split=config.data.test_split, seed=config.seed, **data_settings(config))


def _fixed_examples(dataset, num: int, features, *, seed: int) -> dict[str, np.ndarray]:
    """`features` of `num` examples of `dataset` (all of them if fewer): the fixed random subset
    of `real_examples`."""
    num = min(num, len(dataset))
    indices = np.sort(np.random.default_rng(seed).choice(len(dataset), size=num, replace=False))
    got = dataset.get(indices)
    return {name: got[name] for name in features}


def _held_out(config: ml_collections.ConfigDict) -> tuple[np.ndarray, np.ndarray]:
    """The examples and labels of `config.data.test_split`, for a family's classifier."""
    held_out = _held_out_dataset(config)
    if held_out.num_classes is None:
        raise ValueError(f"config.data.test_split={config.data.test_split!r} of {config.data.name!r} has no labels.")
    got = held_out.get(np.arange(len(held_out)))
    return got["x"], got["label"]


def evaluator(
    config: ml_collections.ConfigDict, dataset, sampler: Sampler, runs: Runs | None = None
) -> RunsEvaluator | None:
    """The evaluator of `config.evaluators` for `runs` (default `runs_of(config)`), or None when it names none."""
    if not str(config.evaluators or "").strip():
        return None
    return RunsEvaluator(config, dataset, sampler, runs)
