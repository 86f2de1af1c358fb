"""`jaxgan fid --a=SOURCE --b=SOURCE`: FID (and KID) between any two image sets.

A SOURCE is, in the order they are tried:

- `folder:<path>` or an existing folder: its PNG/JPEG/WebP images (`jaxgan.data.folder`);
- `array:<file>`, or an existing `.npy` / `.npz` with `x`: an array of images (`jaxgan.data.array_file`);
- an existing `.npz` with `mu` and `sigma`: a statistics file (`jaxgan.metrics.statistics`;
  pytorch-fid's, torch-fidelity's or jaxgan's own `--save_stats`);
- a workdir (a folder with config.json and checkpoints/): `num` samples drawn from its latest
  checkpoint (EMA parameters when kept; run 0 of a multi-run workdir), seeded by `seed`;
- a dataset name with an optional split after `@`: `mnist`, `cifar10@test`, `tfds:svhn_cropped@train`.

Images are streamed `CHUNK` at a time into the feature network and `RunningMoments`, so the
memory is one chunk's images at their own size plus the network's 50 at 299x299, whatever
the set's size. Features: "inception" (the project's FID InceptionV3, `metrics.inception`,
which quantises to 8 bits and resizes to 299x299 as the reference TF graph does) or
"classifier" (the bundled small CNN of `metrics.classifier`, for grey 28x28 or 8x8 digits:
a cheap number for those, not comparable with Inception FIDs).

The statistics of every source but a workdir are cached as
`<cache_dir>/statistics/<name>_<key>.npz`, the key a hash of the source's fingerprint (a
folder's sorted paths and sizes, an array file's digest, a dataset's name and split), the
feature network's weights, the image settings and `num`; a second score against the same
set reads them and runs no network over it. KID needs the features themselves: they are
kept (float32) in the cache entry when `kid` is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from jaxgan import data as data_lib
from jaxgan.metrics import statistics as statistics_lib

CHUNK = 100  # images read and featurised at a time
INCEPTION_BATCH = 10  # images per Inception call (padded): its activations bound the memory
FEATURES = ("inception", "classifier")
DEFAULT_CACHE_DIR = Path("~/.cache/jaxgan")
DEFAULT_WORKDIR_SAMPLES = 10_000
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
# The data loaders' sentences name config fields; here they are flags.
_FLAG_NAMES = {
    "config.data.image_size": "--image_size",
    "config.data.skip_bad_files=True": "--skip_bad_files",
    "config.data.name ": "source ",
}


def _say(message: str) -> None:
    print(f"jaxgan fid: {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Source:
    """One side of the comparison: what it is and, once opened, how to read it."""

    text: str
    kind: str  # "data" (folder, array, dataset), "workdir" or "statistics"
    name: str = ""  # the data name for `data_lib.load`, or the workdir / file path
    split: str = "train"
    dataset: object = None
    statistics: statistics_lib.Statistics | None = None
    num: int = 0
    element_shape: tuple[int, ...] = ()
    draw: Callable[[int, int], np.ndarray] | None = None  # workdir: (chunk index, size) -> samples
    indices: np.ndarray | None = None  # data: the examples scored


def _is_workdir(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / "checkpoints").is_dir()


def parse(text: str, flag: str) -> Source:
    """What `--a` / `--b` names (see the module doc); one sentence when it names nothing."""
    if not text:
        raise ValueError(
            f"{flag} is empty; pass a folder, an .npy/.npz, a statistics file, a workdir or a dataset name."
        )
    if text.startswith((data_lib.folder.PREFIX, data_lib.array_file.PREFIX)):
        return Source(text, "data", text)
    path = Path(text).expanduser()
    if path.is_dir():
        return Source(text, "workdir", str(path)) if _is_workdir(path) else Source(text, "data", f"folder:{text}")
    if path.is_file():
        if path.suffix == ".npy":
            return Source(text, "data", f"array:{text}")
        if path.suffix == ".npz":
            try:
                with np.load(path, allow_pickle=False) as stored:
                    keys = set(stored.files)
            except (OSError, ValueError, EOFError) as error:
                raise ValueError(f"{flag}={text} cannot be read as a .npz file ({error}).") from None
            if {"mu", "sigma"} <= keys:
                return Source(text, "statistics", str(path))
            if "x" in keys:
                return Source(text, "data", f"array:{text}")
            raise ValueError(
                f"{flag}={text} holds neither images (`x`) nor statistics (`mu`, `sigma`); it has {sorted(keys)}."
            )
        raise ValueError(
            f"{flag}={text} is a file jaxgan fid cannot read; pass a folder of images, an .npy/.npz of images, a "
            "statistics .npz (mu, sigma), a workdir or a dataset name."
        )
    name, _, split = text.partition("@")
    known = name in data_lib.names() or (
        name.startswith(data_lib.TFDS_PREFIX) and len(name) > len(data_lib.TFDS_PREFIX)
    )
    if not known:
        raise ValueError(
            f"{flag}={text} is not an existing folder or file, nor a dataset name; pass a folder of images, an "
            f".npy/.npz, a statistics file, a workdir, or one of {', '.join(data_lib.names()[:8])}, ... with an "
            "optional split after @ (e.g. cifar10@test)."
        )
    return Source(text, "data", name, split or "train")


def _reworded(error: ValueError) -> ValueError:
    message = str(error)
    for field, flag in _FLAG_NAMES.items():
        message = message.replace(field, flag)
    return ValueError(message)


def _subset(total: int, num: int | None, seed: int) -> np.ndarray:
    if num is None or num >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=num, replace=False))


def open_source(
    source: Source, *, num: int | None, seed: int, image_size: int, resize_filter: str, skip_bad_files: bool
) -> Source:
    """Open a parsed source: load and check its data (nothing is featurised yet)."""
    if source.kind == "statistics":
        source.statistics = statistics_lib.load(source.name)
        source.num = source.statistics.num
        return source
    if source.kind == "workdir":
        return _open_workdir(source, num=num, seed=seed)
    try:
        dataset = data_lib.load(
            source.name,
            split=source.split,
            image_size=image_size,
            resize_filter=resize_filter,
            labels="none",
            skip_bad_files=skip_bad_files,
        )
    except ValueError as error:
        raise _reworded(error) from None
    if len(dataset.element_shape) != 3 or dataset.element_shape[-1] not in (1, 3):
        raise ValueError(f"{source.text} is not a set of images (its examples have shape {dataset.element_shape}).")
    source.dataset = dataset
    source.indices = _subset(len(dataset), num, seed)
    source.num = len(source.indices)
    source.element_shape = tuple(dataset.element_shape)
    return source


def _open_workdir(source: Source, *, num: int | None, seed: int) -> Source:
    import jax

    from jaxgan.train import restore, sampling, sweeps

    config, experiment, state = restore.load_latest(source.name)
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
    if experiment.program.sample_given:
        raise ValueError(
            f"--workdir {source.name}'s program samples from given inputs ({', '.join(experiment.program.sample_given)}); "
            "jaxgan fid scores unconditional draws: write its outputs with `jaxgan sample` and pass the file."
        )
    if sampler.num_runs > 1:
        _say(f"{source.name} holds {sampler.num_runs} runs; scoring run 0.")
    key = jax.random.PRNGKey(seed)
    source.num = DEFAULT_WORKDIR_SAMPLES if num is None else num
    source.element_shape = tuple(experiment.dataset.element_shape)
    source.draw = lambda chunk, size: sampler.draw(state, jax.random.fold_in(key, chunk), size)["x"][0]
    return source


def _chunks(source: Source) -> Iterator[np.ndarray]:
    if source.draw is not None:
        for chunk, start in enumerate(range(0, source.num, CHUNK)):
            yield source.draw(chunk, min(CHUNK, source.num - start))
        return
    for start in range(0, source.num, CHUNK):
        yield source.dataset.get(source.indices[start : start + CHUNK])["x"]


# ----------------------------------------------------------------------------------------------
# Feature networks.


@dataclasses.dataclass
class Features:
    """A feature network, built on first use: `name`, `identity` (its weights, for the cache)."""

    name: str
    identity: str
    build: Callable[[], Callable[[np.ndarray], np.ndarray]]
    _fn: Callable | None = None

    def __call__(self, images: np.ndarray) -> np.ndarray:
        if self._fn is None:
            self._fn = self.build()
        return self._fn(images)


def features_for(kind: str, element_shape: tuple[int, ...] | None, *, cache_dir) -> Features:
    """The feature network `kind` ("inception" or "classifier") for images of `element_shape`."""
    from jaxgan.metrics import features as features_lib

    if kind not in FEATURES:
        raise ValueError(f"--features={kind!r} is not accepted; use inception (FID's network) or classifier.")
    if kind == "inception":
        from jaxgan.metrics import inception_weights

        def build():
            extractor = features_lib.inception_extractor(cache_dir=cache_dir, batch_size=INCEPTION_BATCH)
            return lambda x: extractor.fn(x)[0]

        return Features("inception", f"inception/{inception_weights.SHA1}", build)
    shapes = {(28, 28, 1): "mnist", (8, 8, 1): "digits"}
    if element_shape not in shapes:
        raise ValueError(
            f"--features=classifier is for grey 28x28 or 8x8 digits (the bundled classifier's inputs), and these "
            f"images are {element_shape}; use --features=inception, or --image_size=28 for grey digits."
        )
    extractor = features_lib.classifier_extractor(shapes[element_shape], cache_dir=cache_dir)
    return Features(
        f"classifier_{shapes[element_shape]}",
        f"classifier/{extractor.weights_hash}",
        lambda: lambda x: extractor.fn(x)[0],
    )


# ----------------------------------------------------------------------------------------------
# Statistics, cached.


def _fingerprint(source: Source) -> dict | None:
    if source.kind != "data":
        return None
    found = data_lib.fingerprint(source.name)
    if found is None:  # a dataset by name: its name and split fix its data
        return {"source": "dataset", "name": source.name, "split": source.split}
    return found


def cache_path(source: Source, features: Features, *, cache_dir, settings: dict) -> Path | None:
    found = _fingerprint(source)
    if found is None or cache_dir is None:
        return None
    key = json.dumps({"data": found, "features": features.identity, "num": source.num, **settings}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source.name.split(":", 1)[-1]).name or source.name)[:40]
    return Path(cache_dir).expanduser() / "statistics" / f"{label}_{features.name}_{digest}.npz"


def compute(source: Source, features: Features, *, keep_features: bool) -> statistics_lib.Statistics:
    """Stream the source's images through the network into `RunningMoments` (with a progress bar)."""
    import tqdm

    moments = statistics_lib.RunningMoments()
    kept = []
    with tqdm.tqdm(total=source.num, desc=source.text[-40:], unit="img", file=sys.stderr, dynamic_ncols=True) as bar:
        for images in _chunks(source):
            feats = np.asarray(features(np.asarray(images, np.float32)))
            moments.update(feats)
            if keep_features:
                kept.append(feats.astype(np.float32))
            bar.update(len(images))
    mu, sigma = moments.moments()
    return statistics_lib.Statistics(mu, sigma, moments.count, features.name, np.concatenate(kept) if kept else None)


def statistics_of(
    source: Source, features: Features, *, kid: bool, cache_dir, settings: dict
) -> statistics_lib.Statistics:
    """The source's statistics: from its file, the cache, or computed (and then cached)."""
    if source.statistics is not None:
        return source.statistics
    path = cache_path(source, features, cache_dir=cache_dir, settings=settings)
    if path is not None and path.is_file():
        cached = statistics_lib.load(path)
        if not kid or cached.features is not None:
            _say(f"statistics of {source.text} read from the cache {path}.")
            return cached
    computed = compute(source, features, keep_features=kid)
    if path is not None:
        statistics_lib.save(path, computed, with_features=kid)
    return computed


def score(
    a: str,
    b: str | None,
    *,
    features: str = "inception",
    kid: bool = False,
    save_stats: str | None = None,
    num: int | None = None,
    seed: int = 0,
    image_size: int = 0,
    resize_filter: str = "bicubic",
    skip_bad_files: bool = False,
    cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR,
) -> dict[str, float]:
    """FID (and KID) between sources `a` and `b`; with `save_stats`, `a`'s statistics written there
    (then `b` may be None). Every source is opened and checked before any network runs."""
    if b is None and save_stats is None:
        raise ValueError("missing --b; pass the second image set, or --save_stats=FILE.npz to write --a's statistics.")
    if num is not None and num < 2:
        raise ValueError(f"--num must be at least 2 (FID needs a covariance); got {num}.")
    if save_stats is not None and not str(save_stats).endswith(".npz"):
        raise ValueError(f"--save_stats={save_stats} must end in .npz (pytorch-fid's statistics file).")
    sources = [parse(a, "--a")] + ([parse(b, "--b")] if b is not None else [])
    opened = [
        open_source(
            s, num=num, seed=seed, image_size=image_size, resize_filter=resize_filter, skip_bad_files=skip_bad_files
        )
        for s in sources
    ]
    if kid and any(s.statistics is not None and s.statistics.features is None for s in opened):
        raise ValueError(
            "--kid needs the features of both sets, and a statistics file holds only mu and sigma; leave out --kid."
        )
    shapes = [s.element_shape for s in opened if s.statistics is None]
    if shapes:
        network = features_for(features, shapes[0], cache_dir=cache_dir)
    else:  # statistics files only: no network runs; they must be of one network
        names = sorted({s.statistics.features_name for s in opened})
        if len(names) > 1:
            raise ValueError(f"the two statistics files are of different features ({' and '.join(names)}).")
        network = Features(names[0], "", lambda: None)
    for s in opened:
        if s.statistics is None and features == "classifier" and s.element_shape != shapes[0]:
            raise ValueError(f"--features=classifier: {s.text} holds images {s.element_shape}, the other {shapes[0]}.")
        if s.statistics is not None and s.statistics.features_name != network.name and shapes:
            raise ValueError(
                f"{s.text} holds statistics of {s.statistics.features_name} features, and the other set is scored "
                f"with {network.name}; use --features to match."
            )
    settings = {"image_size": image_size, "resize_filter": resize_filter, "seed": seed}
    stats = [statistics_of(s, network, kid=kid, cache_dir=cache_dir, settings=settings) for s in opened]
    results: dict[str, float] = {}
    if save_stats is not None:
        path = statistics_lib.save(save_stats, stats[0])
        _say(f"wrote the statistics of {opened[0].text} ({stats[0].num} images, {stats[0].features_name}) to {path}.")
    if len(stats) == 2:
        from jaxgan import metrics

        first, second = stats
        if first.mu.shape != second.mu.shape:
            raise ValueError(
                f"the two sets' features differ in width ({first.mu.shape[0]} vs {second.mu.shape[0]}); "
                "score both with one feature network."
            )
        suffix = "inception" if network.name == "inception" else "classifier"  # classifier_<dataset>
        with warnings.catch_warnings(record=True) as caught:  # said as one line of this command
            warnings.simplefilter("always", RuntimeWarning)
            results[f"fid_{suffix}"] = metrics.fid_from_moments(first.mu, first.sigma, second.mu, second.sigma)
        for warning in caught:
            _say(" ".join(str(warning.message).split()))
        if kid:
            value = metrics.kid(
                first.features, second.features, subsets=KID_SUBSETS, subset_size=KID_SUBSET_SIZE, seed=seed
            )
            results[f"kid_{suffix}"] = value.mean
            results[f"kid_{suffix}_std"] = value.std
        results["num_a"], results["num_b"] = first.num, second.num
    return results
