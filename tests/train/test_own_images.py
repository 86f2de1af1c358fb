"""Training on a folder of one's own images: a conditional family on class subfolders, the data's
fingerprint in config.json, a resume on a changed folder refused, a workdir scored by `jaxgan fid`."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from jaxgan.data import bundled, folder
from jaxgan.train import compare, loop
from jaxgan.train import workdir as workdir_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cgan_config(data_name):
    """configs/cgan_mnist.py with tiny networks and two steps."""
    from jaxgan.cli import _load_config_file

    config = _load_config_file(os.path.join(ROOT, "configs", "cgan_mnist.py"))
    config.data.name = data_name
    config.latent_dim = 8
    config.model.generator.features = 8
    config.model.discriminator.features = 8
    config.conditional.num_classes = 3
    config.batch_size = 6
    config.num_steps = 2
    config.steps_per_call = 2
    config.log_every = 2
    config.checkpoint_every = 2
    config.sample_every = 2
    config.num_samples = 6
    config.evaluators = ""
    return config


@pytest.fixture
def labelled_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "DEFAULT_CACHE_DIR", tmp_path / "cache")
    raw, labels = bundled.load_mnist_arrays()
    root = tmp_path / "digits"
    for digit, name in ((0, "c_zero"), (1, "a_one"), (7, "b_seven")):  # classes: a_one 0, b_seven 1, c_zero 2
        (root / name).mkdir(parents=True)
        for i in np.flatnonzero(labels == digit)[:4]:
            Image.fromarray(raw[i]).save(root / name / f"{i}.png")
    return root


@pytest.mark.slow
def test_conditional_family_on_a_labelled_folder_and_a_changed_folder(tmp_path, labelled_folder, monkeypatch):
    config = _cgan_config(f"folder:{labelled_folder}")
    config.data.on_device = False  # read on the host, batch by batch: the path of the tfds sources
    workdir = tmp_path / "run"
    state = loop.train_and_evaluate(config, str(workdir))
    assert int(np.asarray(state.step).reshape(-1)[0]) == 2
    metrics = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    assert np.isfinite(metrics[-1]["d_loss"]) and np.isfinite(metrics[-1]["g_loss"])
    saved = json.loads((workdir / "config.json").read_text())[workdir_lib.FINGERPRINT_KEY]
    assert (saved["source"], saved["files"]) == ("folder", 12)
    # The program's labels are the sorted folder names: class 0 is a_one, whose images are ones.
    dataset = folder.load_folder(f"folder:{labelled_folder}")
    assert dataset.metadata["label_names"] == ["a_one", "b_seven", "c_zero"]
    ones = dataset.get(np.flatnonzero(dataset.get(np.arange(12))["label"] == 0))["x"]
    raw, labels = bundled.load_mnist_arrays()
    np.testing.assert_allclose(ones[..., 0], raw[np.flatnonzero(labels == 1)[:4]] / 127.5 - 1.0, atol=1e-6)

    # A workdir is a source of `jaxgan fid`: --num samples of its latest checkpoint (stub features: plumbing).
    seen = []
    stub = lambda x: (seen.append(x.shape), x.reshape(len(x), -1)[:, :5].astype(np.float64))[1]  # noqa: E731
    monkeypatch.setattr(compare, "features_for", lambda *a, **k: compare.Features("inception", "stub", lambda: stub))
    got = compare.score(str(workdir), f"folder:{labelled_folder}", num=7, cache_dir=None)
    assert (got["num_a"], got["num_b"]) == (7, 7) and seen[0] == (7, 28, 28, 1)  # a seeded subset of the folder

    # One more image: a resume is refused in one sentence, unless the setting accepts the change.
    Image.fromarray(raw[0]).save(labelled_folder / "a_one" / "extra.png")
    before = (workdir / "config.json").read_text()
    config.num_steps = 4
    with pytest.raises(
        ValueError,
        match=r"changed since the run .* \(then 12 image files, .* now 13 image files.*accept_changed_data=True",
    ):
        workdir_lib.check(str(workdir), config)
    assert (workdir / "config.json").read_text() == before
    config.accept_changed_data = True
    workdir_lib.check(str(workdir), config)  # accepted: the launch goes on


def test_a_conditional_family_on_an_unlabelled_folder_is_refused_before_compiling(tmp_path, labelled_folder):
    from jaxgan.train import build

    config = _cgan_config(f"folder:{labelled_folder}")
    config.data.labels = "none"
    with pytest.raises(
        ValueError,
        match=r"needs a dataset with features \['x', 'label'\].*has \['x'\]; give the files labels: class subfolders",
    ):
        build.build(config)
    config.data.labels = "folders"
    config.data.num_classes = 2
    with pytest.raises(ValueError, match=r"label 2 \('c_zero/0.png'\), out of range for config.data.num_classes=2"):
        build.build(config)
