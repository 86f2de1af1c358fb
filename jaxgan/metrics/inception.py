"""InceptionV3 as used for FID (the TF "2015-12-05" graph, as ported by pytorch-fid), in Flax.

Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision"; Heusel et
al. 2017 take FID features from its 2048-wide `pool3` layer. The FID graph differs from the
ImageNet classifier in torchvision in three ways that pytorch-fid reproduces and so do we:
the average pools inside the blocks exclude the padding (`count_include_pad=False`), the last
block (Mixed_7c) uses a max pool in its pool branch, and the classifier has 1008 outputs.

    model = InceptionV3()
    pool3, logits = model.apply(variables, images)   # images [B, 299, 299, 3] in [-1, 1]
                                                     # -> [B, 2048], [B, 1008]

Weights are not shipped. Get pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (see
`WEIGHTS_URL`) and pass its path as `weights=` / `inception_weights=`, or set
`$JAXGAN_INCEPTION_WEIGHTS`. Accepted files:

- `.pth`: the pytorch-fid state dict itself (needs `torch` installed to read it);
- `.npz` of that state dict, written once wherever torch is installed with
  `np.savez("pt_inception.npz", **{k: v.numpy() for k, v in torch.load(path).items()})`;
- `.npz` of this module's variables, keys "params/Mixed_5b/branch1x1/conv/kernel", ...;
- `.msgpack`: `flax.serialization.msgpack_serialize({"params": ..., "batch_stats": ...})`.

Module names follow pytorch-fid's, so `Mixed_6b.branch7x7_2.conv.weight` [O, I, H, W] maps to
params `Mixed_6b/branch7x7_2/conv/kernel` [H, W, I, O]; `bn.weight`, `bn.bias` to
params `bn/scale`, `bn/bias`; `bn.running_mean`, `bn.running_var` to batch_stats `bn/mean`,
`bn/var`; `fc.weight` [1008, 2048] to `fc/kernel` [2048, 1008] (`from_pytorch_fid`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization, traverse_util

WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "JAXGAN_INCEPTION_WEIGHTS"
INPUT_SIZE = 299
NUM_LOGITS = 1008


class BasicConv(nn.Module):
    """Convolution without bias, batch norm (ε = 1e-3, running statistics), ReLU."""

    features: int
    kernel_size: tuple[int, int]
    strides: int = 1
    padding: tuple[int, int] = (0, 0)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        (ph, pw) = self.padding
        x = nn.Conv(
            self.features, self.kernel_size, strides=self.strides, padding=((ph, ph), (pw, pw)), use_bias=False, name="conv"
        )(x)
        x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
        return nn.relu(x)


def _avg_pool_3x3(x: jax.Array) -> jax.Array:
    return nn.avg_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool_3x3_s2(x: jax.Array) -> jax.Array:
    return nn.max_pool(x, (3, 3), strides=(2, 2), padding="VALID")


class InceptionA(nn.Module):
    """35x35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1 (Mixed_5b-d)."""

    pool_features: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b1 = BasicConv(64, (1, 1), name="branch1x1")(x)
        b5 = BasicConv(48, (1, 1), name="branch5x5_1")(x)
        b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
        b3 = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
        bp = BasicConv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
        return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
    """35x35 -> 17x17 reduction (Mixed_6a)."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b3 = BasicConv(384, (3, 3), strides=2, name="branch3x3")(x)
        bd = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
        bd = BasicConv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
        return jnp.concatenate([b3, bd, _max_pool_3x3_s2(x)], axis=-1)


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (Mixed_6b-e)."""

    channels_7x7: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c7 = self.channels_7x7
        b1 = BasicConv(192, (1, 1), name="branch1x1")(x)
        b7 = BasicConv(c7, (1, 1), name="branch7x7_1")(x)
        b7 = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
        b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
        bd = BasicConv(c7, (1, 1), name="branch7x7dbl_1")(x)
        bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
        bd = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
        bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
        bd = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
        bp = BasicConv(192, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
        return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
    """17x17 -> 8x8 reduction (Mixed_7a)."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b3 = BasicConv(192, (1, 1), name="branch3x3_1")(x)
        b3 = BasicConv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
        b7 = BasicConv(192, (1, 1), name="branch7x7x3_1")(x)
        b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
        b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
        b7 = BasicConv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
        return jnp.concatenate([b3, b7, _max_pool_3x3_s2(x)], axis=-1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3/3x1 outputs (Mixed_7b: avg pool; Mixed_7c: max pool, FID graph)."""

    max_pool: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b1 = BasicConv(320, (1, 1), name="branch1x1")(x)
        b3 = BasicConv(384, (1, 1), name="branch3x3_1")(x)
        b3 = jnp.concatenate(
            [
                BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3),
            ],
            axis=-1,
        )
        bd = BasicConv(448, (1, 1), name="branch3x3dbl_1")(x)
        bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
        bd = jnp.concatenate(
            [
                BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd),
            ],
            axis=-1,
        )
        if self.max_pool:
            pooled = nn.max_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1)))
        else:
            pooled = _avg_pool_3x3(x)
        bp = BasicConv(192, (1, 1), name="branch_pool")(pooled)
        return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class InceptionV3(nn.Module):
    """The FID InceptionV3: images [B, 299, 299, 3] in [-1, 1] -> (pool3 [B, 2048], logits [B, 1008])."""

    num_logits: int = NUM_LOGITS

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        x = BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3")(x)  # 149
        x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)  # 147
        x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
        x = _max_pool_3x3_s2(x)  # 73
        x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1")(x)
        x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x)  # 71
        x = _max_pool_3x3_s2(x)  # 35
        x = InceptionA(32, name="Mixed_5b")(x)  # 256
        x = InceptionA(64, name="Mixed_5c")(x)  # 288
        x = InceptionA(64, name="Mixed_5d")(x)
        x = InceptionB(name="Mixed_6a")(x)  # 17x17x768
        x = InceptionC(128, name="Mixed_6b")(x)
        x = InceptionC(160, name="Mixed_6c")(x)
        x = InceptionC(160, name="Mixed_6d")(x)
        x = InceptionC(192, name="Mixed_6e")(x)
        x = InceptionD(name="Mixed_7a")(x)  # 8x8x1280
        x = InceptionE(name="Mixed_7b")(x)  # 2048
        x = InceptionE(max_pool=True, name="Mixed_7c")(x)
        pool3 = jnp.mean(x, axis=(1, 2))
        return pool3, nn.Dense(self.num_logits, name="fc")(pool3)


def from_pytorch_fid(state_dict: Mapping[str, np.ndarray]) -> dict:
    """pytorch-fid's state dict (names -> numpy arrays) -> `{"params": ..., "batch_stats": ...}`.

    Needs no torch: pass `{k: v.numpy() for k, v in torch_state_dict.items()}` or a loaded `.npz`.
    `num_batches_tracked` buffers and auxiliary-classifier weights are ignored.
    """
    params, batch_stats = {}, {}
    for name, value in state_dict.items():
        value = np.asarray(value)
        *path, leaf = name.split(".")
        if leaf == "num_batches_tracked" or name.startswith("AuxLogits."):
            continue
        path = tuple(path)
        if path == ("fc",) and leaf in ("weight", "bias"):
            params[path + ({"weight": "kernel", "bias": "bias"}[leaf],)] = value.T if leaf == "weight" else value
        elif path and path[-1] == "conv" and leaf == "weight":
            params[path + ("kernel",)] = np.transpose(value, (2, 3, 1, 0))
        elif path and path[-1] == "bn" and leaf in ("weight", "bias"):
            params[path + ({"weight": "scale", "bias": "bias"}[leaf],)] = value
        elif path and path[-1] == "bn" and leaf in ("running_mean", "running_var"):
            batch_stats[path + ({"running_mean": "mean", "running_var": "var"}[leaf],)] = value
        else:
            raise ValueError(f"from_pytorch_fid: unexpected entry {name!r}; pass the state dict of pytorch-fid's FID InceptionV3.")
    variables = {"params": traverse_util.unflatten_dict(params), "batch_stats": traverse_util.unflatten_dict(batch_stats)}
    check_variables(variables)
    return variables


@functools.cache
def _expected_shapes() -> dict[tuple[str, ...], tuple[int, ...]]:
    abstract = jax.eval_shape(
        InceptionV3().init, jax.random.key(0), jax.ShapeDtypeStruct((1, INPUT_SIZE, INPUT_SIZE, 3), jnp.float32)
    )
    return {path: tuple(leaf.shape) for path, leaf in traverse_util.flatten_dict(abstract).items()}


def check_variables(variables: Mapping) -> None:
    """Raises ValueError unless `variables` has exactly the InceptionV3 params and batch_stats shapes."""
    got = {path: tuple(np.shape(v)) for path, v in traverse_util.flatten_dict(dict(variables)).items()}
    expected = _expected_shapes()
    for path in sorted(set(expected) | set(got)):
        if got.get(path) != expected.get(path):
            raise ValueError(
                f"InceptionV3 weights: {'/'.join(path)} has shape {got.get(path)} but the model expects "
                f"{expected.get(path)}; pass the FID InceptionV3 weights (pytorch-fid's pt_inception-2015-12-05)."
            )


def load_variables(path: str | os.PathLike) -> dict:
    """Reads InceptionV3 variables from a `.pth`, `.npz` or `.msgpack` file (see the module docstring)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(missing_weights_message(path))
    if path.suffix == ".msgpack":
        variables = serialization.msgpack_restore(path.read_bytes())
    elif path.suffix == ".npz":
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
        if all("/" in key for key in arrays):
            variables = traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in arrays.items()})
        else:
            return from_pytorch_fid(arrays)
    elif path.suffix in (".pth", ".pt"):
        import torch  # only for this format

        state = torch.load(path, map_location="cpu", weights_only=True)
        return from_pytorch_fid({k: v.numpy() for k, v in state.items()})
    else:
        raise ValueError(f"InceptionV3 weights: {path.name} is not a .pth, .npz or .msgpack file.")
    check_variables(variables)
    return variables


def missing_weights_message(path: object = None) -> str:
    where = f"{path} does not exist; " if path else ""
    return (
        f"InceptionV3 weights are needed for RGB images: {where}download pt_inception-2015-12-05-6726825d.pth from "
        f"{WEIGHTS_URL} and pass its path as `inception_weights` or set ${WEIGHTS_ENV} (a .pth needs torch; "
        f"the docstring of jaxgan/metrics/inception.py shows how to convert it to .npz)."
    )


def preprocess(images: jax.Array) -> jax.Array:
    """[B, H, W, 1 or 3] in [-1, 1] -> [B, 299, 299, 3]: grey repeated to RGB, bilinear resize.

    pytorch-fid resizes with `F.interpolate(mode="bilinear", align_corners=False)`, as here
    (no antialiasing); the TF graph's own resize differs slightly, so FIDs are close to but
    not identical to TF-computed ones.
    """
    if images.shape[-1] == 1:
        images = jnp.repeat(images, 3, axis=-1)
    if images.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
        images = jax.image.resize(images, (images.shape[0], INPUT_SIZE, INPUT_SIZE, 3), "bilinear", antialias=False)
    return images


@functools.partial(jax.jit, static_argnums=0)
def _features_and_logits(model: InceptionV3, variables, images):
    return model.apply(variables, preprocess(images))


class InceptionFeatures:
    """pool3 features and softmax probabilities of images, in fixed-size batches."""

    def __init__(self, variables: Mapping):
        check_variables(variables)
        self.variables = jax.device_put(dict(variables))
        self.model = InceptionV3()

    def features_and_probabilities(self, images, *, batch_size: int = 50) -> tuple[np.ndarray, np.ndarray]:
        """`images` float [n, H, W, 1 or 3] in [-1, 1] -> (pool3 [n, 2048], p(y|x) [n, 1008])."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.shape[0] == 0:
            raise ValueError(f"InceptionV3: images must be [n >= 1, H, W, 1 or 3] in [-1, 1]; got shape {images.shape}.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"InceptionV3: `batch_size` must be a positive integer; got {batch_size!r}.")
        feats, probs = [], []
        for start in range(0, images.shape[0], batch_size):
            batch = images[start : start + batch_size]
            valid = batch.shape[0]
            batch = np.concatenate([batch, np.zeros((batch_size - valid, *batch.shape[1:]), np.float32)])
            pool3, logits = _features_and_logits(self.model, self.variables, jnp.asarray(batch))
            feats.append(np.asarray(pool3)[:valid])
            probs.append(np.asarray(jax.nn.softmax(logits))[:valid])
        return np.concatenate(feats), np.concatenate(probs)


@functools.cache
def _cached_extractor(path: str) -> InceptionFeatures:
    return InceptionFeatures(load_variables(path))


def get_inception(weights: str | os.PathLike | None = None) -> InceptionFeatures:
    """The FID InceptionV3 with weights from `weights`, else `$JAXGAN_INCEPTION_WEIGHTS` (loaded once per path)."""
    weights = weights or os.environ.get(WEIGHTS_ENV)
    if not weights:
        raise FileNotFoundError(missing_weights_message())
    return _cached_extractor(str(Path(weights).expanduser().resolve()))
