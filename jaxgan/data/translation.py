"""Datasets for image-to-image translation: paired (`source`, `target`) and unpaired (`x`, `y`).

Offline tasks made from the bundled MNIST digits (`bundled.load_mnist`), whose split is kept:
`split` is the digits' split ("train[:90%]" to train, "test" = "train[90%:]" held out), so a
held-out digit is never trained on.

- "edges2digits" (paired, pix2pix): `source` = the edge map of a digit (its pixels above
  mid-grey that touch a pixel below it, 4-neighbourhood; 1 on the edge, -1 elsewhere),
  `target` = the digit, `label` = its class.
- "digits2inverted" (unpaired, CycleGAN): X = the first half of the split's digits, Y = the
  other half, each dilated (3x3 grey maximum) and inverted (x -> -x): no digit appears in both
  domains, so no pair is ever seen. `label` is x's class, `y_label` y's.
- "digits2negatives" (unpaired, CoGAN's digits/negatives, Liu & Tuzel 2016): the same halves, Y's
  digits negated (x -> -x, light background, dark strokes) and nothing else.
- "lowres2digits" (paired, SRGAN's x4 super-resolution): `source` = the digit area-downsampled
  by 4 (`area_downsample`: the mean of each 4x4 block, 28x28 -> 7x7), `target` = the digit,
  `label` = its class.

tensorflow-datasets, read from prepared data on disk (`tfds.data_source`, never downloaded):
- "cycle_gan/<pair>" (e.g. "cycle_gan/horse2zebra", unpaired): X = split "trainA" / "testA",
  Y = "trainB" / "testB" for config.data.split "train" / "test".
- "tfds_pair:<name>" (paired): any dataset with exactly two image features; the first (in
  the dataset's feature order) is the source, the second the target.

Unpaired batches draw x and y independently: example i of an unpaired dataset of N_x and N_y
images is the pair (x[i // N_y], y[i mod N_y]), so the sampler's permutation of all
N_x·N_y pairs gives every batch x and y drawn uniformly and independently (without
replacement over the pairs within an epoch).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxgan.data import images
from jaxgan.data.bundled import load_mnist
from jaxgan.data.dataset import Dataset, check_indices

NAMES = ("edges2digits", "digits2inverted", "digits2negatives", "lowres2digits")
LOWRES_FACTOR = 4  # lowres2digits: 28x28 digits -> 7x7 sources
# Y's domain of digits2inverted on its own, labelled: the target-domain digit classifier's data.
DOMAIN_NAMES = ("inverted_digits",)
CYCLE_GAN_PREFIX = "cycle_gan/"
PAIRED_PREFIX = "tfds_pair:"
PAIRED = "paired"
UNPAIRED = "unpaired"


def held_out_sources(dataset: Dataset, count: int) -> dict[str, np.ndarray]:
    """The first `count` sources of a translation dataset, in order, with what goes with them.

    Paired: `source`, `target` (and `label`) of its first examples. Unpaired: X's first images as
    `source` (and their `label`); not the dataset's first examples, which are pairs of the
    product X x Y and all share x[0].
    """
    if dataset.kind == UNPAIRED:
        got = dataset.x_source.get(np.arange(min(count, len(dataset.x_source))))
        return {"source": got["x"], **({"label": got["label"]} if "label" in got else {})}
    return dataset.get(np.arange(min(count, len(dataset))))


def is_translation_name(name: Any) -> bool:
    return isinstance(name, str) and (
        name in NAMES
        or name in DOMAIN_NAMES
        or (name.startswith(CYCLE_GAN_PREFIX) and len(name) > len(CYCLE_GAN_PREFIX))
        or (name.startswith(PAIRED_PREFIX) and len(name) > len(PAIRED_PREFIX))
    )


# ---------------------------------------------------------------------------- the digit tasks


def _shifted(x: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """`x [N, H, W, C]` moved by (dy, dx), the uncovered border filled with `fill`."""
    out = np.full_like(x, fill)
    h, w = x.shape[1:3]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def edge_map(digits: np.ndarray) -> np.ndarray:
    """The inner boundary of digits in [-1, 1]: on-pixels (> 0) with an off 4-neighbour -> 1, else -1."""
    on = digits > 0
    neighbours = [_shifted(on, dy, dx, False) for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    interior = np.logical_and.reduce(neighbours)
    return np.where(on & ~interior, 1.0, -1.0).astype(np.float32)


def area_downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """`images [N, H, W, C]` reduced by `factor` on each side by area averaging: output pixel
    (i, j) is the mean of the input block `[factor·i : factor·(i+1), factor·j : factor·(j+1)]`
    (OpenCV's INTER_AREA, PIL's BOX filter, for an integer factor). H and W must be multiples of it."""
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1 or h % factor or w % factor:
        raise ValueError(
            f"area_downsample: the factor must be a positive integer dividing the sides {h}x{w}; got {factor!r}."
        )
    blocks = images.reshape(n, h // factor, factor, w // factor, factor, c)
    return blocks.mean(axis=(2, 4), dtype=np.float64).astype(np.float32)


def dilate_and_invert(digits: np.ndarray) -> np.ndarray:
    """`-max over the 3x3 neighbourhood` of digits in [-1, 1] (the border counts as background, -1)."""
    shifted = [_shifted(digits, dy, dx, -1.0) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return -np.max(np.stack(shifted), axis=0).astype(np.float32)


def negate(images: np.ndarray) -> np.ndarray:
    """`-x` of images in [-1, 1]: the digits' negatives (its own inverse)."""
    return np.negative(np.asarray(images, np.float32))


@dataclasses.dataclass(frozen=True)
class DigitDomain:
    """A domain made from the bundled digits by a fixed `transform`, and how its digits are read:
    by the classifier of the labelled dataset `classifier`, after `to_classifier` (the transform's
    inverse where it has one, so the bundled digit classifier reads the domain exactly as it reads
    the digits; else None, and `classifier` is a dataset of the domain's own images)."""

    transform: Callable[[np.ndarray], np.ndarray]
    classifier: str
    to_classifier: Callable[[np.ndarray], np.ndarray] | None = None


# The target domains of the unpaired digit tasks, by the name their datasets give as
# `metadata["target_domain"]` (`jaxgan.metrics.classifier.get_domain_classifier` reads this).
DOMAINS = types.MappingProxyType(
    {
        "inverted_digits": DigitDomain(dilate_and_invert, "inverted_digits"),
        "negative_digits": DigitDomain(negate, "mnist", to_classifier=negate),
    }
)
_UNPAIRED_DIGIT_TASKS = {"digits2inverted": "inverted_digits", "digits2negatives": "negative_digits"}


class PairedDataset(Dataset):
    """`source` and `target` images of one example each (and its `label` when there is one)."""

    kind = PAIRED

    def __init__(self, name, source, target, label=None, *, num_classes=None, metadata=None):
        self.name = name
        self._arrays = {"source": np.asarray(source, np.float32), "target": np.asarray(target, np.float32)}
        if label is not None:
            self._arrays["label"] = np.asarray(label, np.int32)
        self.num_examples = int(self._arrays["source"].shape[0])
        self.element_shape = tuple(self._arrays["target"].shape[1:])
        self.num_classes = num_classes if label is not None else None
        self.metadata = dict(metadata or {})

    def feature_specs(self):
        return {name: (tuple(a.shape[1:]), a.dtype) for name, a in self._arrays.items()}

    def get(self, indices):
        indices = check_indices(indices, self.num_examples)
        return {name: a[indices] for name, a in self._arrays.items()}

    def arrays(self):
        return dict(self._arrays)


class UnpairedDataset(Dataset):
    """Two datasets as one: example i is (x[i // N_y], y[i mod N_y]), see the module doc.

    `x_source`, `y_source`: datasets whose `get` gives images `x` (and `label`); their labels
    become `label` (x's) and `y_label`.
    """

    kind = UNPAIRED

    def __init__(self, name: str, x_source: Dataset, y_source: Dataset, *, metadata=None):
        self.name = name
        self.x_source, self.y_source = x_source, y_source
        self.num_examples = len(x_source) * len(y_source)
        self.element_shape = tuple(x_source.element_shape)
        self.num_classes = x_source.num_classes
        self.metadata = dict(metadata or {})

    def feature_specs(self):
        specs = {"x": (tuple(self.x_source.element_shape), np.dtype(np.float32))}
        specs["y"] = (tuple(self.y_source.element_shape), np.dtype(np.float32))
        if self.x_source.num_classes is not None:
            specs["label"] = ((), np.dtype(np.int32))
        if self.y_source.num_classes is not None:
            specs["y_label"] = ((), np.dtype(np.int32))
        return specs

    def get(self, indices):
        indices = check_indices(indices, self.num_examples)
        x_part = self.x_source.get(indices // len(self.y_source))
        y_part = self.y_source.get(indices % len(self.y_source))
        batch = {"x": x_part["x"], "y": y_part["x"]}
        if "label" in x_part:
            batch["label"] = x_part["label"]
        if "label" in y_part:
            batch["y_label"] = y_part["label"]
        return batch


def load_edges2digits(*, split: str = "train", image_size: int = 0) -> PairedDataset:
    digits = load_mnist(split=split, image_size=image_size)
    batch = digits.get(np.arange(len(digits)))
    return PairedDataset(
        "edges2digits",
        edge_map(batch["x"]),
        batch["x"],
        batch["label"],
        num_classes=10,
        metadata={"split": split, "source_indices": digits.metadata["source_indices"], "target_domain": "mnist"},
    )


def load_lowres2digits(*, split: str = "train", image_size: int = 0) -> PairedDataset:
    """The digits (resized to `image_size` first when it is not 0, a multiple of 4) as targets,
    their 4x area downsampling as sources."""
    digits = load_mnist(split=split, image_size=image_size)
    batch = digits.get(np.arange(len(digits)))
    side = batch["x"].shape[1]
    if side % LOWRES_FACTOR:
        raise ValueError(
            f"config.data.image_size={image_size!r} does not fit 'lowres2digits', whose sources are the digits "
            f"downsampled by {LOWRES_FACTOR}; use 0 (28x28 digits, 7x7 sources) or a multiple of {LOWRES_FACTOR}."
        )
    return PairedDataset(
        "lowres2digits",
        area_downsample(batch["x"], LOWRES_FACTOR),
        batch["x"],
        batch["label"],
        num_classes=10,
        metadata={"split": split, "source_indices": digits.metadata["source_indices"], "target_domain": "mnist"},
    )


def load_unpaired_digits(name: str, *, split: str = "train", image_size: int = 0) -> UnpairedDataset:
    """ "digits2inverted" or "digits2negatives": X the first half of the split's digits, Y the other
    half in the task's target domain (`DOMAINS`), so no digit is in both."""
    from jaxgan.data.dataset import ArrayDataset

    domain = _UNPAIRED_DIGIT_TASKS[name]
    digits = load_mnist(split=split, image_size=image_size)
    batch = digits.get(np.arange(len(digits)))
    half = len(digits) // 2  # the class-interleaved order makes both halves stratified
    x = ArrayDataset(f"{name}/x", batch["x"][:half], batch["label"][:half], num_classes=10)
    y_images = DOMAINS[domain].transform(batch["x"][half:])
    y = ArrayDataset(f"{name}/y", y_images, batch["label"][half:], num_classes=10)
    return UnpairedDataset(name, x, y, metadata={"split": split, "target_domain": domain})


def load_inverted_digits(*, split: str = "train", image_size: int = 0):
    """Every digit of the split dilated and inverted (Y's domain, labelled): for Y's digit classifier."""
    from jaxgan.data.dataset import ArrayDataset

    digits = load_mnist(split=split, image_size=image_size)
    batch = digits.get(np.arange(len(digits)))
    return ArrayDataset(
        "inverted_digits", dilate_and_invert(batch["x"]), batch["label"], num_classes=10, metadata={"split": split}
    )


# ---------------------------------------------------------------------------- tensorflow-datasets


class TfdsPairedDataset(Dataset):
    """Two image features of a tfds split as `source` and `target`, read by random access."""

    kind = PAIRED

    def __init__(self, name, source, *, features: tuple[str, str], shapes, image_size: int, metadata):
        self.name = name
        self._source = source
        self._features = features
        self._shapes = shapes
        self._image_size = image_size
        self.num_examples = len(source)
        self.element_shape = shapes[1]
        self.num_classes = None
        self.metadata = metadata

    def feature_specs(self):
        return {"source": (self._shapes[0], np.dtype(np.float32)), "target": (self._shapes[1], np.dtype(np.float32))}

    def get(self, indices):
        indices = check_indices(indices, self.num_examples)
        examples = [self._source[int(i)] for i in indices]  # one read per index, as TfdsDataset
        batch = {}
        for out, feature, shape in zip(("source", "target"), self._features, self._shapes):
            raw = [np.asarray(example[feature], np.uint8) for example in examples]
            if self._image_size:
                raw = [images.square_resize(image, self._image_size) for image in raw]
            pixels = np.stack(raw) if raw else np.zeros((0, *shape), np.uint8)
            batch[out] = images.to_signed_unit(pixels)
        return batch


def _load_tfds_paired(name: str, tfds_name: str, *, split: str, image_size: int, data_dir) -> TfdsPairedDataset:
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.features import Image

    from jaxgan.data import tfds_source

    image_size = images.check_image_size(image_size)
    builder = tfds_source._builder(tfds_name, data_dir)
    features = builder.info.features
    image_features = [key for key in features if isinstance(features[key], Image)]
    if len(image_features) != 2:
        raise ValueError(
            f"config.data.name {name!r} needs a tfds dataset with exactly two image features (source, target); "
            f"{tfds_name!r} has {image_features or 'none'}."
        )
    shapes = []
    for key in image_features:
        shape = features[key].shape
        if image_size == 0 and None in shape:
            raise ValueError(
                f"config.data.image_size 0 is not accepted for {name!r}, whose {key!r} images vary in size "
                f"{shape}; use a positive square size such as 256."
            )
        shapes.append((image_size, image_size, shape[-1]) if image_size else tuple(int(d) for d in shape))
    tfds_source._check_split(tfds_name, split, list(builder.info.splits.keys()))
    try:
        source = tfds.data_source(tfds_name, split=split, data_dir=data_dir, download=False)
    except Exception as error:  # tfds raises several types for data that is missing or unreadable
        raise tfds_source.OfflineDatasetError(tfds_source._offline_message(tfds_name, str(builder.data_dir))) from error
    return TfdsPairedDataset(
        name,
        source,
        features=tuple(image_features),
        shapes=tuple(shapes),
        image_size=image_size,
        metadata={"tfds_name": tfds_name, "split": split, "features": list(image_features)},
    )


_CYCLE_GAN_SPLITS = {"train": ("trainA", "trainB"), "test": ("testA", "testB")}


def _load_cycle_gan(name: str, *, split: str, image_size: int, data_dir) -> UnpairedDataset:
    from jaxgan.data.tfds_source import load_tfds

    if split not in _CYCLE_GAN_SPLITS:
        raise ValueError(
            f"config.data.split {split!r} is not accepted for {name!r}; use 'train' (trainA, trainB) or "
            f"'test' (testA, testB)."
        )
    if images.check_image_size(image_size) == 0:
        raise ValueError(
            f"config.data.image_size 0 is not accepted for {name!r}, whose images vary in size; use a positive "
            "square size such as 256."
        )
    x_split, y_split = _CYCLE_GAN_SPLITS[split]
    x = load_tfds(f"{name}/x", name, split=x_split, image_size=image_size, data_dir=data_dir)
    y = load_tfds(f"{name}/y", name, split=y_split, image_size=image_size, data_dir=data_dir)
    return UnpairedDataset(name, x, y, metadata={"tfds_name": name, "split": split})


def load(name: str, *, split: str = "train", image_size: int = 0, data_dir: str | None = None) -> Dataset:
    """The translation dataset `name` (see the module doc)."""
    if name == "edges2digits":
        return load_edges2digits(split=split, image_size=image_size)
    if name == "lowres2digits":
        return load_lowres2digits(split=split, image_size=image_size)
    if name in _UNPAIRED_DIGIT_TASKS:
        return load_unpaired_digits(name, split=split, image_size=image_size)
    if name == "inverted_digits":
        return load_inverted_digits(split=split, image_size=image_size)
    if name.startswith(CYCLE_GAN_PREFIX):
        return _load_cycle_gan(name, split=split, image_size=image_size, data_dir=data_dir)
    tfds_name = name[len(PAIRED_PREFIX) :]
    return _load_tfds_paired(name, tfds_name, split=split, image_size=image_size, data_dir=data_dir)
