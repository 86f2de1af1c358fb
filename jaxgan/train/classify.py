"""A family's classifier of real examples (its record's `Classifier` export), for `jaxgan classify`
and the evaluators that score it on held-out examples.

    jaxgan classify --workdir=W --input=images.npy --out=labels.npy

`classifier_of(config)` is the export (refused in one sentence for a family without one, naming
those that have one); `logits_fn` is its jittable function of a network's params, variables and
examples; `Predictor` gives every run's predicted labels `[runs, n]` of a stacked state (the run
axis of `config.num_seeds` > 1 or a sweep), in batches of one compiled size.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgan.calls import run_call
from jaxgan.models import conv
from jaxgan.program import Call, Program
from jaxgan.programs import family as family_lib
from jaxgan.programs import registry
from jaxgan.train import inputs, sweeps
from jaxgan.train import workdir as workdir_lib
from jaxgan.train.run_axis import over_runs
from jaxgan.train.state import TrainState


def classifying_families() -> list[str]:
    """The built-in families whose record exports a classifier."""
    return sorted(name for name, family in registry.FAMILIES.items() if family.exports.classifier is not None)


def classifier_of(config: ml_collections.ConfigDict, *, wanted: str = "jaxgan classify") -> family_lib.Classifier:
    """The classifier export of `config`'s family, refused in one sentence when it has none or
    when this run's settings leave it unable to classify; `wanted`: what asked, for the message."""
    family = registry.get(config.program)
    classifier = family.exports.classifier
    if classifier is None:
        raise ValueError(
            f"{wanted} needs a family whose networks classify real examples ({', '.join(classifying_families())}); "
            f"this run's config.program is {config.program!r}."
        )
    if classifier.unavailable is not None:
        reason = classifier.unavailable(family_lib.settings_of(config, family))
        if reason:
            raise ValueError(f"{wanted}: {reason.rstrip('.')}.")
    return classifier


def logits_fn(program: Program, classifier: family_lib.Classifier, settings: ml_collections.ConfigDict):
    """`fn(params, variables, x) -> [n, K]` class logits of `classifier`'s network (its params and
    variables, not dicts by network) on examples `x`, in inference mode; jittable."""
    call = Call(classifier.network, ("x",), "outputs", train=False)

    def fn(params, variables, x):
        values, _ = run_call(
            program, call, {call.network: params}, {call.network: variables}, {"x": x}, jax.random.PRNGKey(0)
        )
        return classifier.logits(values["outputs"], settings)

    return fn


class Predictor:
    """`predict(state, x) -> [runs, n]` int32 labels (the argmax of the classifier's logits) of a
    stacked state at its sampling params, in batches of `batch_size` (the last padded)."""

    def __init__(
        self,
        config: ml_collections.ConfigDict,
        program: Program,
        num_runs: int,
        *,
        batch_size: int = 500,
        wanted: str = "jaxgan classify",
    ):
        family = registry.get(config.program)
        self.classifier = classifier_of(config, wanted=wanted)
        self.network = self.classifier.network
        self.batch_size = batch_size
        logits = logits_fn(program, self.classifier, family_lib.settings_of(config, family))

        def predict(params, variables, x):
            return jnp.argmax(logits(params, variables, x), axis=-1).astype(jnp.int32)

        self._predict = jax.jit(
            over_runs(predict, num_runs, in_axes=(0, 0, None), out_axes=0), compiler_options=conv.compiler_options()
        )

    def predict(self, state: TrainState, x: np.ndarray) -> np.ndarray:
        params = jax.device_get(state.sampling_params(self.network))
        variables = jax.device_get(state.variables[self.network])
        num = len(x)
        padded = -(-num // self.batch_size) * self.batch_size
        x = np.concatenate([x, np.repeat(x[-1:], padded - num, axis=0)])
        chunks = [
            self._predict(params, variables, x[i : i + self.batch_size]) for i in range(0, padded, self.batch_size)
        ]
        return np.asarray(jnp.concatenate(chunks, axis=1)[:, :num])


def write_labels(workdir: str, *, input_path: str, out: str) -> tuple[str, int, bool]:
    """One predicted label per example of `input_path`, from the latest checkpoint, to `out` (.npy:
    int32 `[n]`, or `[runs, n]` for a workdir of several runs). Everything the user gave is checked
    before the checkpoint is read. Returns the path, the number of examples and whether a file
    there was replaced."""
    from jaxgan.train import restore

    if not out.endswith(".npy"):
        raise ValueError(f"--out={out!r} must end in .npy (one predicted label per image, int32).")
    if os.path.isdir(out):
        raise ValueError(f"--out={out!r} is a directory; give a file name ending in .npy.")
    config = workdir_lib.load_config(workdir)
    classifier_of(config)
    experiment = sweeps.build_experiment(config)
    shape = tuple(experiment.feature_specs["x"].shape)
    examples = inputs.read_examples(input_path, shape, use="this run classifies examples")
    config, experiment, state = restore.load_latest(workdir, experiment)
    labels = Predictor(config, experiment.program, sweeps.num_runs(config)).predict(state, examples)
    replaced = os.path.exists(out)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.save(out, labels[0] if len(labels) == 1 else labels)
    return out, len(examples), replaced
