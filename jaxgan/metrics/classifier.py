"""A small CNN classifier as the feature network for MNIST-like data (FID, KID, IS, ...).

InceptionV3 features mean little on 28x28 grey digits, so metrics on MNIST-like datasets use
a classifier trained on the dataset itself, as in e.g. Lucic et al. 2018 ("Are GANs Created
Equal?") and Xu et al. 2018: its penultimate layer (128 ReLU units) gives features for FID,
KID, precision/recall and the 1-NN test, its softmax gives `p(y|x)` for IS and Mode Score.

    classifier = get_classifier("mnist", seed=0)
    feats = classifier.features(images)        # [n, 128], images float32 [n, 28, 28, 1] in [-1, 1]
    probs = classifier.probabilities(images)   # [n, 10]

Training is deterministic from `seed` (init, shuffling) and takes ~15-30 s on two CPU cores:
Adam with a learning rate cosine-decayed from 2e-3, batch 32, 5 epochs (at least 700 steps)
on split "train[:90%]"; accuracy is measured on "test". For the bundled MNIST that is 4,500
training digits and 500 held out, on which the seed-0 classifier scores 0.968 (an RBF SVM on
raw pixels: 0.95); for the 8x8 digits, 0.96. The trained parameters and facts are cached at
`<cache>/classifiers/<dataset>_<seed>_<hash>.msgpack` (flax msgpack), where `<cache>` is
`cache_dir`, else `~/.cache/jaxgan`, and `<hash>` covers the
architecture, the training recipe and the training data.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import serialization

from jaxgan.models.layers import max_pool

TRAIN_SPLIT = "train[:90%]"
TEST_SPLIT = "test"
_RECIPE = {
    "version": 1,
    "conv": (16, 32),
    "dense": 128,
    "epochs": 5,
    "min_steps": 700,
    "batch_size": 32,
    "learning_rate": 2e-3,
}
_LOADED: dict[str, FeatureClassifier] = {}


class SmallCNN(nn.Module):
    """[conv3x3(c)-relu-maxpool2 for c in conv_features], dense(128)-relu (the features), dense(K)."""

    num_classes: int
    conv_features: tuple[int, ...] = (16, 32)
    dense_features: int = 128

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        for width in self.conv_features:
            x = nn.relu(nn.Conv(width, (3, 3), padding="SAME")(x))
            x = max_pool(x, 2)
        features = nn.relu(nn.Dense(self.dense_features)(x.reshape(x.shape[0], -1)))
        return features, nn.Dense(self.num_classes)(features)


@dataclasses.dataclass(frozen=True)
class FeatureClassifier:
    """A trained `SmallCNN` and what it was trained on; see the module docstring."""

    module: SmallCNN
    params: dict
    dataset_name: str
    seed: int
    input_shape: tuple[int, ...]  # one example, e.g. (28, 28, 1)
    test_accuracy: float  # on the dataset's held-out "test" split
    label_distribution: np.ndarray  # training label frequencies [K], for Mode Score
    # applied to the float images before the network reads them (a digit domain's inverse
    # transform, `get_domain_classifier`); None reads them as they are
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def num_classes(self) -> int:
        return self.module.num_classes

    def features_and_probabilities(self, images, *, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate features `[n, 128]` and softmax `[n, K]`, in fixed-size batches.

        `images`: float in [-1, 1] (or uint8 in [0, 255]), `[n, *input_shape]`, or `[n, H, W]`
        for one channel. Each example's result does not depend on the batch it is in.
        """
        images = self._check_images(images)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"FeatureClassifier: `batch_size` must be a positive integer; got {batch_size!r}.")
        n = images.shape[0]
        size = int(min(batch_size, max(n, 1)))
        features, probabilities = [], []
        for start in range(0, n, size):
            batch = images[start : start + size]
            valid = batch.shape[0]
            if valid < size:  # pad to one shape, so one compilation serves every batch
                batch = np.concatenate([batch, np.zeros((size - valid, *batch.shape[1:]), batch.dtype)])
            feats, probs = _forward(self.module, self.params, jnp.asarray(batch))
            features.append(np.asarray(feats)[:valid])
            probabilities.append(np.asarray(probs)[:valid])
        if n == 0:
            return np.zeros((0, self.module.dense_features), np.float32), np.zeros((0, self.num_classes), np.float32)
        return np.concatenate(features), np.concatenate(probabilities)

    def features(self, images, *, batch_size: int = 500) -> np.ndarray:
        """Penultimate-layer features `[n, 128]` (float32)."""
        return self.features_and_probabilities(images, batch_size=batch_size)[0]

    def probabilities(self, images, *, batch_size: int = 500) -> np.ndarray:
        """Class probabilities `p(y|x)` `[n, K]` (float32 softmax)."""
        return self.features_and_probabilities(images, batch_size=batch_size)[1]

    def _check_images(self, images) -> np.ndarray:
        images = np.asarray(images)
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
        images = images.astype(np.float32)
        if images.ndim == len(self.input_shape) and self.input_shape[-1] == 1:
            images = images[..., None]
        if images.shape[1:] != self.input_shape:
            raise ValueError(
                f"FeatureClassifier: images must have shape [n, {', '.join(map(str, self.input_shape))}] for the "
                f"classifier trained on {self.dataset_name!r}; got {images.shape}."
            )
        return images if self.preprocess is None else np.asarray(self.preprocess(images), np.float32)


def feature_maps(module: SmallCNN, params: dict, images: jax.Array) -> jax.Array:
    """The last convolution's feature maps, after its ReLU and before its max-pool: `[n, H/2, W/2, 32]`
    for the default (16, 32) widths (VGG's φ_{5,4} in Ledig et al. 2017's terms: "after activation,
    before the maxpooling layer"). A jax function of `images [n, H, W, C]` in [-1, 1], of any even
    side (the layers are convolutions); gradients reach the images, never the given `params`."""
    params = jax.lax.stop_gradient(params)
    x = jnp.asarray(images, jnp.float32)
    for i, width in enumerate(module.conv_features):
        if i:
            x = max_pool(x, 2)
        x = nn.relu(nn.Conv(width, (3, 3), padding="SAME").apply({"params": params[f"Conv_{i}"]}, x))
    return x


def _forward_impl(module: SmallCNN, params: dict, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    features, logits = module.apply({"params": params}, images)
    return features, jax.nn.softmax(logits)


_forward = jax.jit(_forward_impl, static_argnums=0)
# Jitted: eager initialisation compiles every op separately, which took ~10 s on CPU.
_init = jax.jit(lambda module, key, example: module.init(key, example), static_argnums=0)


@functools.partial(jax.jit, static_argnums=0, donate_argnums=(1, 2))
def _train_step(module: SmallCNN, params, opt_state, images, labels, learning_rate):
    """One Adam step on the mean softmax cross-entropy of a batch.

    The learning rate is an argument (not baked into the optimiser), so one compilation
    serves every schedule and run length.
    """

    def loss_fn(p):
        _, logits = module.apply({"params": p}, images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    grads = jax.grad(loss_fn)(params)
    updates, opt_state = optax.scale_by_adam().update(grads, opt_state, params)
    return jax.tree_util.tree_map(lambda p, u: p - learning_rate * u, params, updates), opt_state


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    num_classes: int,
    seed: int = 0,
    epochs: int | None = None,
    batch_size: int = _RECIPE["batch_size"],
    learning_rate: float = _RECIPE["learning_rate"],
) -> tuple[SmallCNN, dict]:
    """Fits a `SmallCNN` with Adam (cosine-decayed learning rate) on softmax cross-entropy.

    Returns (module, params). `epochs` defaults to 5, or more to make at least 700 steps
    (small datasets such as the 8x8 digits need them). Deterministic from `seed`: it sets the initialisation and each epoch's shuffle.
    Each epoch takes the full batches of a permutation (the remainder is dropped). One jitted
    step per batch: on XLA:CPU a `lax.scan` over the steps ran convolutions ~8x slower.
    """
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int32)
    if images.shape[0] < batch_size:
        raise ValueError(
            f"train_classifier: {images.shape[0]} training images are fewer than `batch_size`={batch_size}."
        )
    module = SmallCNN(num_classes, _RECIPE["conv"], _RECIPE["dense"])
    params = _init(module, jax.random.key(seed), jnp.zeros((1, *images.shape[1:]), jnp.float32))["params"]
    steps = images.shape[0] // batch_size
    if epochs is None:
        epochs = max(_RECIPE["epochs"], -(-_RECIPE["min_steps"] // steps))
    opt_state = optax.scale_by_adam().init(params)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(images.shape[0])[: steps * batch_size]
        for step, batch in enumerate(order.reshape(steps, batch_size)):
            # Cosine decay to zero over the run (optax.cosine_decay_schedule), on the host.
            rate = np.float32(learning_rate * 0.5 * (1.0 + np.cos(np.pi * (epoch * steps + step) / (epochs * steps))))
            params, opt_state = _train_step(
                module, params, opt_state, jnp.asarray(images[batch]), jnp.asarray(labels[batch]), rate
            )
    return module, jax.device_get(params)


def _load_split(dataset_name: str, split: str) -> tuple[np.ndarray, np.ndarray, int]:
    from jaxgan import data  # only when a classifier is needed: metrics alone do not need the data package

    dataset = data.load(dataset_name, split=split)
    if getattr(dataset, "num_classes", None) is None:
        raise ValueError(
            f"get_classifier: dataset {dataset_name!r} has no labels; a classifier needs a labelled dataset."
        )
    batch = dataset.get(np.arange(len(dataset)))
    return np.asarray(batch["x"], np.float32), np.asarray(batch["label"], np.int32), int(dataset.num_classes)


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """`cache_dir`, else `~/.cache/jaxgan` (no environment variable: the caller chooses)."""
    return Path(cache_dir if cache_dir is not None else "~/.cache/jaxgan").expanduser()


def get_classifier(
    dataset_name: str = "mnist", seed: int = 0, cache_dir: str | os.PathLike | None = None
) -> FeatureClassifier:
    """The feature classifier for a labelled dataset by name: from memory, the disk cache, or trained now."""
    train_x, train_y, num_classes = _load_split(dataset_name, TRAIN_SPLIT)
    digest = hashlib.blake2b(json.dumps(_RECIPE, sort_keys=True).encode(), digest_size=6)
    digest.update(str(train_x.shape).encode())
    digest.update(train_x.tobytes())
    digest.update(train_y.tobytes())
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", dataset_name)
    path = cache_root(cache_dir) / "classifiers" / f"{safe_name}_{seed}_{digest.hexdigest()}.msgpack"
    key = str(path.resolve())
    if key in _LOADED:
        return _LOADED[key]

    cached = path.exists()
    if cached:
        stored = serialization.msgpack_restore(path.read_bytes())
        module, params = SmallCNN(num_classes, _RECIPE["conv"], _RECIPE["dense"]), stored["params"]
    else:
        module, params = train_classifier(train_x, train_y, num_classes=num_classes, seed=seed)
    classifier = FeatureClassifier(
        module=module,
        params=params,
        dataset_name=dataset_name,
        seed=seed,
        input_shape=tuple(train_x.shape[1:]),
        test_accuracy=float(stored["test_accuracy"]) if cached else float("nan"),
        label_distribution=np.bincount(train_y, minlength=num_classes) / train_y.shape[0],
    )
    if not cached:
        test_x, test_y, _ = _load_split(dataset_name, TEST_SPLIT)
        accuracy = float(np.mean(np.argmax(classifier.probabilities(test_x), axis=1) == test_y))
        classifier = dataclasses.replace(classifier, test_accuracy=accuracy)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        temporary.write_bytes(serialization.msgpack_serialize({"params": params, "test_accuracy": accuracy}))
        os.replace(temporary, path)  # atomic: a concurrent reader never sees half a file
    _LOADED[key] = classifier
    return classifier


def get_domain_classifier(domain: str, seed: int = 0, cache_dir: str | os.PathLike | None = None) -> FeatureClassifier:
    """The classifier that reads a digit domain's images (`jaxgan.data.translation.DOMAINS`): the
    classifier of the domain's `classifier` dataset, reading each image after the domain's
    `to_classifier` where it has one (the negatives are read by the digit classifier after negating
    them back); a name that is not a digit domain is a labelled dataset (`get_classifier`)."""
    from jaxgan.data import translation

    spec = translation.DOMAINS.get(domain)
    if spec is None:
        return get_classifier(domain, seed=seed, cache_dir=cache_dir)
    classifier = get_classifier(spec.classifier, seed=seed, cache_dir=cache_dir)
    if spec.to_classifier is None:
        return classifier
    return dataclasses.replace(classifier, preprocess=spec.to_classifier)
