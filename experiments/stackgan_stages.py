"""The measurements of results/stackgan.md for one StackGAN workdir (configs/stackgan_mnist.py):
class consistency and FID on the bundled classifier's features of Stage II's samples (the latest
checkpoint), of Stage I's (the newest checkpoint of stage 0) as its network gives them (its 14x14
image nearest-upsampled) and bilinearly upsampled, all drawn at the same latents (z, label, ε_1);
the share of the label each stage's conditioning augmentation lets through (the Bayes accuracy of
the label from ĉ, `metrics.conditional.gaussian_code_label_accuracy`: a G that sees only ĉ follows
its label at most this often); and the picture of the two stages side by side (one row per class: Stage I, Stage II pairs).

    python experiments/stackgan_stages.py WORKDIR OUT.json [OUT.png]
"""

from __future__ import annotations

import argparse
import json

import jax
import numpy as np

from jaxgan.metrics import conditional
from jaxgan.models import stackgan as stackgan_models
from jaxgan.train import evaluation, restore, sampling, sweeps, writers


class _Resampled:
    """A sampler whose images go through `fn` (Stage I's 14x14 image bilinearly upsampled)."""

    def __init__(self, sampler, fn):
        self.sampler, self.fn, self.program, self.num_runs = sampler, fn, sampler.program, sampler.num_runs

    def draw(self, *args, **kwargs):
        drawn = self.sampler.draw(*args, **kwargs)
        return {**drawn, "x": self.fn(drawn["x"])}


def _bilinear(x: np.ndarray) -> np.ndarray:
    """`[runs, n, 28, 28, 1]` nearest-upsampled 14x14 images -> the 14x14 images bilinearly upsampled."""
    low = x[:, :, ::2, ::2]
    return np.asarray(jax.image.resize(low, (*low.shape[:2], 28, 28, low.shape[-1]), "bilinear"))


def ca_label_accuracy(generator_params, stage: str) -> float:
    """The Bayes accuracy of the label from the CA of `stage` ('stage_one' or 'stage_two') of the
    first run in the state (its μ and log σ for every class, through the network's own layer)."""
    params = jax.tree.map(lambda a: np.asarray(a), generator_params[stage]["ca"])
    kernel = params["dense"]["kernel"]
    if kernel.ndim == 3:  # a run axis (num_seeds > 1): the first run
        params = jax.tree.map(lambda a: a[0], params)
    num_classes, features = params["dense"]["kernel"].shape[-2], params["dense"]["kernel"].shape[-1] // 2
    layer = stackgan_models.ConditioningAugmentation(num_classes, features)
    labels = np.arange(num_classes)
    _, mean, log_variance = layer.apply({"params": params}, labels, np.zeros((num_classes, features), np.float32))
    return conditional.gaussian_code_label_accuracy(np.asarray(mean), 0.5 * np.asarray(log_variance))


def main(workdir: str, out: str, picture: str | None = None) -> None:
    results = {}
    states = {}
    for name, stage in (("stage_two", None), ("stage_one", 0)):
        config, experiment, state = restore.load_latest(workdir, stage=stage)
        states[name] = (experiment, state)
        sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
        samplers = (
            {name: sampler} if stage is None else {name: sampler, "stage_one_bilinear": _Resampled(sampler, _bilinear)}
        )
        for label, s in samplers.items():
            evaluate = evaluation.evaluator(config, experiment.dataset, s)
            results[label] = {"step": int(np.asarray(state.step).reshape(-1)[0]), **evaluate(state)}
            print(label, results[label], flush=True)
        ca = name if name == "stage_two" else "stage_one"
        results[name]["ca_label_accuracy"] = ca_label_accuracy(state.params["generator"], ca)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    if picture:
        labels = np.repeat(np.arange(10, dtype=np.int32), 6)
        key = jax.random.PRNGKey(0)
        rows = {}
        for name, (experiment, state) in states.items():
            sampler = sampling.Sampler(experiment.program, 1)
            rows[name] = sampler.draw(state, key, len(labels), given={"label": labels})["x"][0]
        pairs = np.stack([rows["stage_one"], rows["stage_two"]], axis=1).reshape(-1, 28, 28, 1)
        writers.save_png(writers.image_grid(pairs, columns=12), picture)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", help="a trained configs/stackgan_mnist.py run (Stage I at 14x14)")
    parser.add_argument("out", help="the figures, as JSON")
    parser.add_argument("picture", nargs="?", help="the two stages side by side, as PNG")
    args = parser.parse_args()
    main(args.workdir, args.out, args.picture)
