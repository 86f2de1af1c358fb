"""The file sources: `folder:<path>` (PNG/JPEG/WebP, labels, sizes, bad files) and `array:<file>`."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from jaxgan import data
from jaxgan.data import folder


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "DEFAULT_CACHE_DIR", tmp_path / "default_cache")


def _pixels(seed, size=(6, 6), channels=3):
    shape = (*size, channels) if channels == 3 else size
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _write(path, pixels, **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **save)
    return pixels


def _listing(root):
    return sorted((p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*"))


@pytest.fixture
def classes(tmp_path):
    """Three class subfolders named out of sorted order, PNG, JPEG and WebP, and a stray text file."""
    root = tmp_path / "classes"
    written = {}
    for k, name in enumerate(("zebra", "ant", "mole")):
        for i in range(2):
            written[f"{name}/{i}.png"] = _write(root / name / f"{i}.png", _pixels(10 * k + i))
    ramp = np.linspace(0, 255, 36).reshape(6, 6).astype(np.uint8)
    _write(root / "ant" / "deep" / "2.jpg", np.dstack([ramp, ramp[::-1], ramp.T]), quality=95)
    written["mole/2.webp"] = _write(root / "mole" / "2.webp", _pixels(98), lossless=True)
    (root / "notes.txt").write_text("not an image, not read")
    return root, written


def test_folder_labels_follow_sorted_subfolder_names_and_pngs_decode_exactly(classes):
    root, written = classes
    before = _listing(root)
    dataset = data.load(f"folder:{root}", labels="auto")
    assert dataset.metadata["label_names"] == ["ant", "mole", "zebra"]
    assert dataset.num_classes == 3 and dataset.element_shape == (6, 6, 3)
    files = dataset.files
    assert files == sorted(files) and "notes.txt" not in files and "ant/deep/2.jpg" in files
    got = dataset.get(np.arange(len(dataset)))
    expected_labels = [{"ant": 0, "mole": 1, "zebra": 2}[f.split("/")[0]] for f in files]
    np.testing.assert_array_equal(got["label"], expected_labels)
    for i, relative in enumerate(files):
        if relative.endswith((".png", ".webp")):  # lossless: x = v / 127.5 - 1 exactly
            np.testing.assert_allclose(got["x"][i], written[relative] / 127.5 - 1.0, atol=1e-6)
    jpeg = got["x"][files.index("ant/deep/2.jpg")]
    with Image.open(root / "ant" / "deep" / "2.jpg") as decoded:  # lossy: what Pillow decodes
        np.testing.assert_allclose(jpeg, np.asarray(decoded.convert("RGB")) / 127.5 - 1.0, atol=1e-6)
    assert _listing(root) == before  # nothing written into the user's folder
    assert data.load(f"folder:{root}", labels="none").num_classes is None


def test_dataset_json_labels_and_their_range(tmp_path):
    root = tmp_path / "sg"
    for i in range(4):
        _write(root / "00000" / f"img{i}.png", _pixels(i))
    listed = [[f"00000/img{i}.png", [3, 0, 5, 3][i]] for i in range(4)]
    (root / "dataset.json").write_text(json.dumps({"labels": listed}))
    dataset = data.load(f"folder:{root}")
    np.testing.assert_array_equal(dataset.get(np.arange(4))["label"], [3, 0, 5, 3])
    assert dataset.num_classes == 6  # the largest label + 1
    assert data.load(f"folder:{root}", num_classes=8).num_classes == 8
    with pytest.raises(ValueError, match=r"label 5 \('00000/img2.png'\), out of range for config.data.num_classes=4"):
        data.load(f"folder:{root}", num_classes=4)
    (root / "dataset.json").write_text(json.dumps({"labels": listed[:3]}))
    with pytest.raises(ValueError, match="gives no label for 1 image"):
        data.load(f"folder:{root}")
    (root / "dataset.json").write_text(json.dumps({"labels": [*listed[:3], ["00000/img3.png", -1]]}))
    with pytest.raises(ValueError, match="negative label -1"):
        data.load(f"folder:{root}")


def test_bad_files_are_named_or_skipped_and_counted(tmp_path, capsys):
    root = tmp_path / "bad"
    for i in range(3):
        _write(root / f"{i}.png", _pixels(i))
    (root / "fake.png").write_bytes(b"this is text")
    _write(root / "cut.jpg", _pixels(7, (32, 32)), quality=90)
    whole = (root / "cut.jpg").read_bytes()
    (root / "cut.jpg").write_bytes(whole[: len(whole) // 2])  # truncated
    before = _listing(root)
    with pytest.raises(
        ValueError, match=r"cut.jpg cannot be read: it does not decode .*\(and 1 more\).*skip_bad_files"
    ):
        data.load(f"folder:{root}")
    dataset = folder.load_folder(f"folder:{root}", skip_bad_files=True, cache_dir=tmp_path / "cache")
    assert len(dataset) == 3 and dataset.metadata["skipped"] == ["cut.jpg", "fake.png"]
    assert "skipped 2 of 5 files" in capsys.readouterr().err
    assert _listing(root) == before
    # The scan is kept by the folder's fingerprint; a changed folder is scanned again.
    assert len(list((tmp_path / "cache" / "folders").glob("*.json"))) == 1
    (root / "fake.png").unlink()
    assert len(folder.load_folder(f"folder:{root}", skip_bad_files=True, cache_dir=tmp_path / "cache")) == 3
    assert len(list((tmp_path / "cache" / "folders").glob("*.json"))) == 2


def test_sizes_channels_and_conversions(tmp_path, capsys):
    root = tmp_path / "mixed"
    _write(root / "a.png", _pixels(0, (8, 12)))
    _write(root / "b.png", np.dstack([_pixels(1, (10, 10)), np.full((10, 10, 1), 255, np.uint8)]))  # RGBA
    _write(root / "c.png", _pixels(2, (10, 10), channels=1))  # grey
    with pytest.raises(
        ValueError,
        match=r"holds images of 2 sizes: 12x8 \(1, e.g. a.png\), 10x10 \(2, e.g. b.png\); set config.data.image_size",
    ):
        data.load(f"folder:{root}")
    dataset = data.load(f"folder:{root}", image_size=4, resize_filter="box")
    assert dataset.element_shape == (4, 4, 3)
    err = capsys.readouterr().err
    assert "1 grey (to RGB)" in err and "1 with alpha (dropped)" in err
    x = dataset.get(np.arange(3))["x"]
    # a.png: centre crop 8x8 of 8x12, then a box filter 8 -> 4 averages 2x2 blocks (PIL's fixed point: +-1).
    crop = _pixels(0, (8, 12))[:, 2:10].astype(np.float64)
    blocks = crop.reshape(4, 2, 4, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose((x[0] + 1) * 127.5, blocks, atol=1.0 + 1e-4)
    grey = data.load(f"folder:{root}", image_size=4, channels=1)
    assert grey.element_shape == (4, 4, 1)
    with pytest.raises(ValueError, match="config.data.resize_filter 'cubic' is not accepted"):
        data.load(f"folder:{root}", image_size=4, resize_filter="cubic")


def test_missing_or_empty_folder_and_unlabelled_conditional(tmp_path):
    with pytest.raises(ValueError, match="does not exist; pass a folder of PNG, JPEG or WebP images"):
        data.load(f"folder:{tmp_path / 'nowhere'}")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "readme.md").write_text("x")
    with pytest.raises(ValueError, match="holds no PNG, JPEG or WebP file"):
        data.load(f"folder:{tmp_path / 'empty'}")
    _write(tmp_path / "loose" / "a.png", _pixels(0))
    with pytest.raises(ValueError, match="config.data.labels='folders' needs every image"):
        data.load(f"folder:{tmp_path / 'loose'}", labels="folders")


def test_fingerprint_sees_added_and_resized_files_only(tmp_path):
    root = tmp_path / "f"
    _write(root / "a" / "1.png", _pixels(0))
    first = data.fingerprint(f"folder:{root}")
    assert first["files"] == 1 and data.fingerprint(f"folder:{root}") == first
    os.utime(root / "a" / "1.png", (0, 0))  # a touched file is the same data
    assert data.fingerprint(f"folder:{root}") == first
    _write(root / "a" / "2.png", _pixels(1))
    assert data.fingerprint(f"folder:{root}")["files"] == 2
    (root / "a" / "loop").symlink_to(root)  # linked folders are followed, a cycle once
    assert folder.image_files(root) == ["a/1.png", "a/2.png"]
    assert data.fingerprint("mnist") is None


def test_array_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    np.save(tmp_path / "x.npy", images)
    dataset = data.load(f"array:{tmp_path / 'x.npy'}")
    np.testing.assert_allclose(dataset.get(np.arange(5))["x"], images / 127.5 - 1.0, atol=1e-6)
    assert dataset.num_classes is None and dataset.arrays()["x"].shape == (5, 4, 4, 3)
    signed = images / 127.5 - 1.0
    np.savez(tmp_path / "s.npz", x=signed.astype(np.float32), label=np.array([0, 2, 1, 2, 0]))
    # Slices are of the class-interleaved order [0, 1, 2, 4, 3] (labels 0, 2, 1, 0, 2): stratified.
    labelled = data.load(f"array:{tmp_path / 's.npz'}", split="train[1:4]")
    got = labelled.get(np.arange(3))
    np.testing.assert_allclose(got["x"], signed[[1, 2, 4]], atol=1e-6)
    np.testing.assert_array_equal(got["label"], [2, 1, 0])
    assert labelled.num_classes == 3
    held_out = data.load(f"array:{tmp_path / 's.npz'}", split="test")  # "train[90%:]": the last of the order
    np.testing.assert_array_equal(held_out.get(np.arange(1))["label"], [2])
    np.save(tmp_path / "f.npy", images.astype(np.float32))  # 0..255 as floats: not jaxgan's range
    with pytest.raises(
        ValueError, match=r"float pixels in \[0, 255\]; float images are read in jaxgan's range \[-1, 1\]"
    ):
        data.load(f"array:{tmp_path / 'f.npy'}")
    np.savez(tmp_path / "l.npz", x=images, label=np.array([0, 1, 2, 3, 9]))
    with pytest.raises(ValueError, match=r"label 9 \(example 4\), out of range for config.data.num_classes=4"):
        data.load(f"array:{tmp_path / 'l.npz'}", num_classes=4)
    print_ = data.fingerprint(f"array:{tmp_path / 'x.npy'}")
    np.save(tmp_path / "x.npy", images[::-1])
    assert data.fingerprint(f"array:{tmp_path / 'x.npy'}")["blake2b"] != print_["blake2b"]


def test_grain_style_random_access(classes):
    root, written = classes
    dataset = data.load(f"folder:{root}", labels="folders")
    example = dataset[0]
    assert example["x"].dtype == np.uint8 and example["x"].shape == (6, 6, 3)
    np.testing.assert_array_equal(example["x"], written[dataset.files[0]])
    assert int(example["label"]) == 0 and len(dataset) == 8
    assert folder.IN_MEMORY_BYTES >= 8 * 6 * 6 * 3  # this one is held in memory: arrays() for the device
    assert dataset.arrays() is not None
