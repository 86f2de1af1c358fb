"""jaxgan.train.workdir: `check` refuses with one sentence and writes nothing; `commit` writes atomically."""

import hashlib
import json
import os

import ml_collections
import pytest

from jaxgan.train import workdir as workdir_lib


def _config(**changes) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {"overwrite": False, "seed": 0, "num_steps": 10, "log_every": 5, "loss": {"name": "hinge", "params": {}}}
    )
    config.update(changes)
    return config


def _snapshot(root) -> dict:
    """Every path under `root` with its bytes' hash (None for a folder)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def _one_sentence(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    return message


def test_check_writes_nothing_and_commit_writes_config_json(tmp_path):
    workdir = tmp_path / "runs" / "a"
    workdir_lib.check(str(workdir), _config())
    assert not (tmp_path / "runs").exists()
    workdir_lib.commit(str(workdir), _config())
    assert json.loads((workdir / "config.json").read_text()) == workdir_lib.config_to_dict(_config())
    assert sorted(os.listdir(workdir)) == ["config.json"]  # no temporary file left behind


def test_relaunch_with_launch_only_changes_rewrites_them_in_commit_only(tmp_path):
    workdir = str(tmp_path / "run")
    workdir_lib.prepare(workdir, _config())
    before = _snapshot(tmp_path)
    longer = _config(num_steps=20, log_every=10, keep_checkpoints=7)  # a longer run keeps more checkpoints
    workdir_lib.check(workdir, longer)
    assert _snapshot(tmp_path) == before
    workdir_lib.commit(workdir, longer)
    assert workdir_lib.load_config(workdir).num_steps == 20
    assert workdir_lib.load_config(workdir).keep_checkpoints == 7


def test_same_launch_again_leaves_config_json_untouched(tmp_path):
    workdir = str(tmp_path / "run")
    workdir_lib.prepare(workdir, _config())
    path = os.path.join(workdir, "config.json")
    os.utime(path, (1_000_000, 1_000_000))
    workdir_lib.prepare(workdir, _config())
    assert os.stat(path).st_mtime == 1_000_000


def test_a_different_experiment_is_refused_and_nothing_moves(tmp_path):
    workdir = str(tmp_path / "run")
    workdir_lib.prepare(workdir, _config())
    (tmp_path / "run" / "metrics.jsonl").write_text('{"step": 5}\n')
    before = _snapshot(tmp_path)
    with pytest.raises(ValueError, match=r"different config \(differs in loss\.name\)") as error:
        workdir_lib.check(workdir, _config(loss={"name": "wgan", "params": {}}))
    _one_sentence(error)
    with pytest.raises(ValueError, match="different config"):
        workdir_lib.commit(workdir, _config(loss={"name": "wgan", "params": {}}))
    assert _snapshot(tmp_path) == before


def test_overwrite_is_checked_without_writing_then_commit_moves_the_old_run_aside(tmp_path):
    workdir = tmp_path / "run"
    workdir_lib.prepare(str(workdir), _config())
    (workdir / "metrics.jsonl").write_text('{"step": 5}\n')
    before = _snapshot(tmp_path)
    replacement = _config(overwrite=True, seed=1)
    workdir_lib.check(str(workdir), replacement)
    assert _snapshot(tmp_path) == before
    workdir_lib.commit(str(workdir), replacement)
    (archive,) = [name for name in os.listdir(workdir) if name.startswith("replaced_")]
    assert sorted(os.listdir(workdir / archive)) == ["config.json", "metrics.jsonl"]
    assert (workdir / archive / "metrics.jsonl").read_text() == '{"step": 5}\n'
    assert workdir_lib.load_config(str(workdir)).seed == 1
    # A second replacement within the same second gets a folder of its own.
    workdir_lib.prepare(str(workdir), _config(overwrite=True, seed=2))
    assert len([name for name in os.listdir(workdir) if name.startswith("replaced_")]) == 2


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda root: (root / "run").write_text("x"), r"is a file, not a directory"),
        (lambda root: (root / "file").write_text("x"), r"lies below .*file, which is a file"),
    ],
    ids=["file", "below_a_file"],
)
def test_workdir_paths_that_cannot_be_a_workdir(tmp_path, make, expected):
    make(tmp_path)
    workdir = tmp_path / "run" if (tmp_path / "run").exists() else tmp_path / "file" / "sub" / "run"
    before = _snapshot(tmp_path)
    with pytest.raises(ValueError, match=expected) as error:
        workdir_lib.check(str(workdir), _config())
    assert str(workdir) in _one_sentence(error)
    assert _snapshot(tmp_path) == before


def test_workdir_that_is_not_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("this user (root) may write to a folder without write permission")
        for workdir in (locked, locked / "run"):
            with pytest.raises(ValueError, match="is not writable") as error:
                workdir_lib.check(str(workdir), _config())
            _one_sentence(error)
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    "text, expected",
    [("", "is empty"), ('{"seed": 0, "loss": {"na', "is not valid JSON"), ("[1, 2]", "does not hold a JSON object")],
    ids=["empty", "torn", "not_an_object"],
)
def test_a_torn_config_json_names_the_file_and_what_to_do(tmp_path, text, expected):
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "config.json").write_text(text)
    before = _snapshot(tmp_path)
    for read in (lambda: workdir_lib.check(str(workdir), _config()), lambda: workdir_lib.load_config(str(workdir))):
        with pytest.raises(ValueError, match=expected) as error:
            read()
        message = _one_sentence(error)
        assert str(workdir / "config.json") in message and "delete the file" in message
    assert _snapshot(tmp_path) == before


def test_config_json_that_is_a_folder(tmp_path):
    (tmp_path / "run" / "config.json").mkdir(parents=True)
    with pytest.raises(ValueError, match="is a directory, not the run's config file") as error:
        workdir_lib.check(str(tmp_path / "run"), _config())
    _one_sentence(error)


def test_load_config_of_a_workdir_without_a_run(tmp_path):
    with pytest.raises(ValueError, match="holds no config.json") as error:
        workdir_lib.load_config(str(tmp_path))
    _one_sentence(error)


def test_commit_is_atomic(tmp_path, monkeypatch):
    workdir = tmp_path / "run"
    workdir_lib.prepare(str(workdir), _config())
    before = _snapshot(tmp_path)

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workdir_lib.os, "replace", fail)
    with pytest.raises(OSError):
        workdir_lib.commit(str(workdir), _config(num_steps=20))
    assert _snapshot(tmp_path) == before  # the old config.json whole, no temporary file left


def test_only_the_writer_commits(tmp_path):
    workdir_lib.commit(str(tmp_path / "run"), _config(), is_writer=False)
    assert not (tmp_path / "run").exists()


def test_workdir_that_is_not_writable_as_the_os_reports_it(tmp_path, monkeypatch):
    # Root may write anywhere, so the permission itself is simulated here.
    locked = str(tmp_path / "locked")
    os.mkdir(locked)
    real_access = os.access
    monkeypatch.setattr(workdir_lib.os, "access", lambda path, mode: path != locked and real_access(path, mode))
    with pytest.raises(ValueError, match=r"--workdir .*locked is not writable: it does not let") as error:
        workdir_lib.check(locked, _config())
    _one_sentence(error)
    with pytest.raises(ValueError, match=r"locked/run is not writable: .*locked, the folder it would be created in,"):
        workdir_lib.check(os.path.join(locked, "run"), _config())
    os.mkdir(os.path.join(tmp_path, "run"))
    os.mkdir(os.path.join(tmp_path, "run", "checkpoints"))
    checkpoints = os.path.join(tmp_path, "run", "checkpoints")
    monkeypatch.setattr(workdir_lib.os, "access", lambda path, mode: path != checkpoints and real_access(path, mode))
    with pytest.raises(ValueError, match=r"holds .*checkpoints, which this user may not write to"):
        workdir_lib.check(str(tmp_path / "run"), _config())


def test_a_workdir_of_an_earlier_version_loads_with_the_new_fields_at_their_defaults(tmp_path):
    from jaxgan.config import default_config

    config = default_config()
    saved = workdir_lib.config_to_dict(config)
    del saved["data"]["labelled_per_class"], saved["program"]  # fields added after the run was made
    saved["model"]["generator"] = {"name": "dcgan28", "features": 8}  # a model dict stays as saved
    (tmp_path / "config.json").write_text(json.dumps(saved))
    loaded = workdir_lib.load_config(str(tmp_path))
    assert loaded.data.labelled_per_class == 0 and loaded.program == "gan"
    assert loaded.model.generator.to_dict() == {"name": "dcgan28", "features": 8}
    config.model.generator = ml_collections.ConfigDict({"name": "dcgan28", "features": 8})
    workdir_lib.check(str(tmp_path), config)  # resuming it with today's config is the same experiment
