"""What real machines do to a run (issue 32), injected: damaged checkpoints, a second writer, a
full disk. Each case asserts the sentence, which checkpoint was restored (bit for bit against an
intact run) and that no file was deleted.

One trained workdir (steps 2, 4, 6 checkpointed) is shared by the module; each case copies it.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
from flax import serialization

from jaxgan.train import checkpoint as checkpoint_lib
from jaxgan.train import lease as lease_lib
from jaxgan.train import loop, restore, run_axis, sampling, storage, sweeps, train_and_evaluate, writers
from tests.train.helpers import tiny_ring_config


def _config(**overrides):
    return tiny_ring_config(**{"num_steps": 6, "sample_every": 6, **overrides})


def _leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


def _assert_equal(a, b):
    for x, y in zip(_leaves(a), _leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)


def _files(root) -> dict[str, str]:
    """Every file under `root` (relative path -> sha256 of its bytes)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def _moved(before: dict[str, str], after: dict[str, str], step: int) -> None:
    """Every file of `before` is in `after`, those of checkpoint `step` under damaged_<step>/."""
    prefix = f"checkpoints{os.sep}{step}{os.sep}"
    for path, digest in before.items():
        if path.startswith(prefix):
            path = f"checkpoints{os.sep}damaged_{step}{os.sep}{path[len(prefix) :]}"
        assert after.get(path) == digest, path


def _param_sums(state) -> dict[str, str]:
    """The checksums of a state's parameters (`params.*`), as a checkpoint stores them."""
    sums = checkpoint_lib.checksums(serialization.to_state_dict(state))
    return {name: value for name, value in sums.items() if name.startswith("params.")}


def _value_files(workdir, step: int) -> list[str]:
    """The files of a checkpoint's process database (`ocdbt.process_<i>/d/`): the arrays' values and
    the process's own B-tree nodes, which the merged root B-tree (`default/d/`) no longer reads. How
    the values are split among these files depends on the timing of the asynchronous writes, so a
    damage is done to all of them: one file chosen by size may hold no value the restore reads."""
    return sorted(glob.glob(f"{workdir}/checkpoints/{step}/default/ocdbt.process_*/d/*"))


def _flip(workdir, step):
    """Inverts bytes 32-63 of every 64 in each value file: bit rot spread over the whole file. (64
    bytes flipped at each file's middle once left a checkpoint restorable in CI: none of the
    middles held a byte the restore reads.)"""
    for path in _value_files(workdir, step):
        data = bytearray(open(path, "rb").read())
        for i in range(len(data)):
            if i % 64 >= 32:
                data[i] ^= 0xFF
        open(path, "wb").write(bytes(data))


def _truncate(workdir, step):
    for path in _value_files(workdir, step):
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])


def _lose_manifest(workdir, step):
    os.remove(os.path.join(workdir, "checkpoints", str(step), "default", "manifest.ocdbt"))


DAMAGES = {
    # flipped bytes inside zstd-compressed data usually stop the decoder; elsewhere the sums catch them
    "flipped_bytes": (_flip, r"(the checksum of \d+ of its \d+ arrays differs \(\w+\.|a file of it cannot be read \()"),
    "truncated_file": (_truncate, r"a file of it cannot be read \(OUT_OF_RANGE: Error reading \"\w+"),
    "lost_manifest": (_lose_manifest, r"its file default/manifest\.ocdbt is missing"),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(workdir of a finished 6-step run, {step: its state}) for steps 2, 4 and 6."""
    workdir = str(tmp_path_factory.mktemp("trained") / "run")
    final = train_and_evaluate(_config(), workdir)
    checkpointer = checkpoint_lib.Checkpointer(os.path.join(workdir, "checkpoints"))
    template = run_axis.initial_state(sweeps.build_experiment(_config()), sweeps.runs_of(_config()))
    states = {step: checkpointer.restore(template, step) for step in (2, 4)}
    checkpointer.close()
    return workdir, {**states, 6: jax.device_get(final)}


def _copy(trained, tmp_path) -> str:
    workdir = str(tmp_path / "run")
    shutil.copytree(trained[0], workdir)
    return workdir


def _one_line(text: str, pattern: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("jaxgan: checkpoint")]
    assert len(lines) == 1, text
    assert lines[0].endswith("."), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def test_a_checksum_mismatch_is_found_and_the_previous_checkpoint_restored(tmp_path, capsys, monkeypatch):
    """Quick tier: a checkpointer's own save and restore, no training. Step 4's arrays are saved with
    the sums of other values (what a silent corruption of readable bytes looks like at restore)."""
    config = tiny_ring_config()
    template = run_axis.initial_state(sweeps.build_experiment(config), sweeps.runs_of(config))
    directory = str(tmp_path / "checkpoints")
    checkpointer = checkpoint_lib.Checkpointer(directory)
    states = {}
    true_sums = checkpoint_lib.checksums
    for step in (2, 4):
        states[step] = template.replace(
            step=template.step + step, params=jax.tree.map(lambda x, s=step: x + s, template.params)
        )
        if step == 4:  # the sums of step 2's parameters beside step 4's arrays
            wrong = {**true_sums(serialization.to_state_dict(states[4])), **_param_sums(states[2])}
            monkeypatch.setattr(checkpoint_lib, "checksums", lambda state_dict, wrong=wrong: wrong)
        checkpointer.save(states[step])
        checkpointer.wait()
    monkeypatch.setattr(checkpoint_lib, "checksums", true_sums)
    sums = checkpointer._manager.metadata(2).custom_metadata["checksums"]
    assert len(sums) == len(jax.tree.leaves(template)) and all(v.startswith("crc32:") for v in sums.values())
    before = _files(tmp_path)
    restored = checkpoint_lib.Checkpointer(directory).restore(template)
    _assert_equal(restored, states[2])
    num_params = len(jax.tree.leaves(template.params))
    line = _one_line(
        capsys.readouterr().err, rf"the checksum of {num_params} of its {len(sums)} arrays differs \(params\."
    )
    assert f"checkpoint step 4 in {directory} is damaged" in line
    assert line.endswith(f"moved it aside to {directory}/damaged_4/; restoring step 2.")
    _moved(before, _files(tmp_path), 4)


@pytest.mark.slow
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_sample_and_eval_restore_the_newest_intact_checkpoint(trained, tmp_path, capsys, damage):
    workdir = _copy(trained, tmp_path)
    make, pattern = DAMAGES[damage]
    make(workdir, 6)
    before = _files(workdir)
    _, _, state = restore.load_latest(workdir)  # what `jaxgan sample` and `jaxgan eval` restore
    _assert_equal(state, trained[1][4])
    line = _one_line(capsys.readouterr().err, pattern)
    assert line.startswith(f"jaxgan: checkpoint step 6 in {workdir}/checkpoints is damaged: ")
    assert line.endswith(f"moved it aside to {workdir}/checkpoints/damaged_6/; restoring step 4.")
    _moved(before, _files(workdir), 6)


@pytest.mark.slow
def test_train_resumes_from_the_newest_intact_checkpoint_bit_for_bit(trained, tmp_path, capsys):
    workdir = _copy(trained, tmp_path)
    _flip(workdir, 6)
    _truncate(workdir, 4)
    before = _files(workdir)
    final = train_and_evaluate(_config(), workdir)  # steps 2 -> 6 again
    _assert_equal(final, trained[1][6])
    err = capsys.readouterr().err
    assert "checkpoint step 6 " in err and "restoring step 4." in err and "restoring step 2." in err
    assert "jaxgan: resuming at step 2" in err
    after = _files(workdir)  # metrics.jsonl and tensorboard/ are rewritten from step 2 on
    _moved({k: v for k, v in before.items() if k.startswith(f"checkpoints{os.sep}6")}, after, 6)
    _moved({k: v for k, v in before.items() if k.startswith(f"checkpoints{os.sep}4")}, after, 4)
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["2", "4", "6", "damaged_4", "damaged_6"]


@pytest.mark.slow
def test_none_intact_is_refused_in_one_sentence(trained, tmp_path):
    workdir = _copy(trained, tmp_path)
    for step in (2, 4, 6):
        _flip(workdir, step)
    with pytest.raises(checkpoint_lib.NoIntactCheckpoint) as refusal:
        restore.load_latest(workdir)
    message = str(refusal.value)
    assert message == (
        f"{workdir}/checkpoints holds no intact checkpoint: steps 6, 4, 2 are damaged and moved aside into "
        "damaged_<step>/; copy intact ones back from a backup, or train anew in another --workdir."
    )
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["damaged_2", "damaged_4", "damaged_6"]


@pytest.mark.slow
def test_the_nan_message_names_the_checkpoint_it_verified(trained, tmp_path, monkeypatch):
    workdir = _copy(trained, tmp_path)
    _flip(workdir, 6)
    original_setup = loop.setup

    def setup_with_a_nan_at_step_5(config, **kwargs):
        run = original_setup(config, **kwargs)
        call = run.call

        def poisoned(state, *inputs):
            state, metrics = call(state, *inputs)
            if int(jax.device_get(state.step)) == 6:
                metrics = {**metrics, "g_loss": metrics["g_loss"].at[0].set(np.nan)}
            return state, metrics

        run.call = poisoned
        return run

    monkeypatch.setattr(loop, "setup", setup_with_a_nan_at_step_5)
    with pytest.raises(loop.NonFiniteError) as stop:
        train_and_evaluate(_config(num_steps=8), workdir)
    assert str(stop.value) == (
        "Training stopped: g_loss became nan at step 5; the last good checkpoint (step 4, restored and verified at "
        f"launch) is kept in {workdir}/checkpoints."
    )


def test_checksums_are_of_bytes_dtype_and_shape():
    a = {"x": np.arange(6, dtype=np.float32)}
    sums = checkpoint_lib.checksums(a)
    assert list(sums) == ["x"]
    import zlib

    expected = zlib.crc32(a["x"].tobytes(), zlib.crc32(b"<f4(6,)"))
    assert sums["x"] == f"crc32:{expected:08x}"
    assert checkpoint_lib.checksums({"x": a["x"].reshape(2, 3)})["x"] != sums["x"]
    assert checkpoint_lib.checksums({"x": a["x"].view(np.int32)})["x"] != sums["x"]


# ----------------------------------------------------------------------------------------------
# One writer per workdir.


def _holder(workdir, *, pid: int, host: str | None = None, age: float = 0.0) -> dict:
    """Write a lease of `pid` on `host` (default: this host) whose last heartbeat was `age` s ago."""
    now = time.time()
    record = {
        "host": host or socket.gethostname(),
        "pid": pid,
        "start": now - age - 60,
        "heartbeat": now - age,
        "token": "earlier",
    }
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, lease_lib.LEASE_FILE), "w") as f:
        json.dump(record, f)
    return record


@pytest.fixture
def live_pid():
    """The pid of a live process of this host (not this one)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_lease_fresh_stale_and_taken_over(tmp_path, live_pid, dead_pid):
    """Quick tier: the lease alone, no training."""
    workdir = str(tmp_path / "run")
    notes = []
    for holder, stale in [
        (dict(pid=live_pid), None),  # alive on this host: fresh, however old its heartbeat
        (dict(pid=live_pid, age=10_000), None),
        (dict(pid=dead_pid), f"its process {dead_pid} on this host has ended"),
        (dict(pid=live_pid, host="elsewhere", age=599), None),
        (dict(pid=live_pid, host="elsewhere", age=601), "its last heartbeat was 601 s ago, more than"),
    ]:
        record = _holder(workdir, **holder)
        why = lease_lib.stale_because(record, 600.0)
        assert (why is None) if stale is None else why.startswith(stale), (holder, why)
        if why is None:
            with pytest.raises(lease_lib.LeaseHeld) as held:
                lease_lib.Lease(workdir, 600.0, notify=notes.append).acquire()
            assert str(held.value).startswith(f"--workdir {workdir} is in use by another launch (host ")
            assert f"kill {record['pid']} on {record['host']}" in str(held.value)
            assert json.load(open(os.path.join(workdir, "lease.json"))) == record  # untouched
        else:
            lease = lease_lib.Lease(workdir, 600.0, notify=notes.append).acquire()
            assert notes.pop().startswith(f"took over the lease of --workdir {workdir} from an earlier launch")
            written = json.load(open(os.path.join(workdir, "lease.json")))
            assert written["pid"] == os.getpid() and written["token"] == lease._record["token"]
            lease.release()
            assert not os.path.exists(os.path.join(workdir, "lease.json"))
    # Two launches that took a stale lease at once: the one whose token is not in the file stops.
    first = lease_lib.Lease(workdir, 600.0).acquire()
    _holder(workdir, pid=live_pid, host="elsewhere")
    with pytest.raises(lease_lib.LeaseLost, match=r"^another launch \(host elsewhere, pid \d+, .*\) took over"):
        first.renew()
    first.release()
    assert json.load(open(os.path.join(workdir, "lease.json")))["host"] == "elsewhere"  # not its to remove


@pytest.mark.slow
def test_a_second_live_launch_is_refused_in_one_sentence(tmp_path, live_pid):
    """`jaxgan train` into a workdir whose lease a live process holds: exit 1, one sentence, nothing written."""
    from tests.test_cli import RING, TINY, assert_refused, jaxgan, snapshot

    workdir = tmp_path / "run"
    record = _holder(str(workdir), pid=live_pid)
    before = snapshot(tmp_path)
    result = jaxgan("train", f"--config={RING}", f"--workdir={workdir}", *TINY)
    assert result.returncode == 1
    line = assert_refused(result, f"--workdir {workdir} is in use by another launch (host {record['host']}, pid ")
    assert line.endswith(
        f"its lease {workdir}/lease.json is fresh); wait for that run to end, or stop it (kill {live_pid} on "
        f"{record['host']}) and launch again to take over its lease (from another host: once its heartbeat is "
        "older than config.lease_timeout=600 s)."
    )
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_overwrite_never_moves_aside_a_live_run(trained, tmp_path, live_pid):
    workdir = _copy(trained, tmp_path)
    _holder(workdir, pid=live_pid)
    before = _files(workdir)
    with pytest.raises(lease_lib.LeaseHeld) as held:
        train_and_evaluate(_config(**{"loss.name": "hinge", "overwrite": True}), workdir)
    assert str(held.value).startswith(
        f"--config.overwrite=True would move aside the run in --workdir {workdir}, which another launch is still "
        f"writing (host {socket.gethostname()}, pid {live_pid}, "
    )
    assert _files(workdir) == before


@pytest.mark.slow
def test_a_killed_writers_lease_is_taken_over_and_the_run_resumes_bit_for_bit(trained, tmp_path, dead_pid, capsys):
    workdir = _copy(trained, tmp_path)
    shutil.rmtree(os.path.join(workdir, "checkpoints", "6"))  # killed after saving step 4
    _holder(workdir, pid=dead_pid)
    final = train_and_evaluate(_config(), workdir)
    _assert_equal(final, trained[1][6])
    err = capsys.readouterr().err
    assert f"jaxgan: took over the lease of --workdir {workdir} from an earlier launch (host " in err
    assert f"its process {dead_pid} on this host has ended.\njaxgan: resuming at step 4" in err
    assert not os.path.exists(os.path.join(workdir, "lease.json"))  # released at the end


# ----------------------------------------------------------------------------------------------
# A full disk.


@pytest.mark.slow
def test_a_full_disk_is_one_sentence_and_the_relaunch_finishes_bit_for_bit(trained, tmp_path, monkeypatch):
    workdir = _copy(trained, tmp_path)
    shutil.rmtree(os.path.join(workdir, "checkpoints", "6"))  # as if stopped after step 4
    metrics = os.path.join(workdir, "metrics.jsonl")
    original = writers.MetricWriter.scalars

    def scalars_on_a_full_disk(self, step, values):
        if step == 6:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), metrics)
        return original(self, step, values)

    with monkeypatch.context() as patch:
        patch.setattr(writers.MetricWriter, "scalars", scalars_on_a_full_disk)
        before = _files(os.path.join(workdir, "checkpoints"))
        with pytest.raises(storage.WriteFailed) as failure:
            train_and_evaluate(_config(), workdir)
    message = str(failure.value)
    free = re.search(r"the disk is full \(([\d.]+ [KMGT]?B) free there\)", message)
    assert free, message
    assert message == (
        f"writing {metrics} failed: the disk is full ({free.group(1)} free there); the checkpoints of steps 2, 4 "
        f"are kept in {workdir}/checkpoints; free some space (or pass another --workdir), then run the same command "
        "again to continue from the last checkpoint."
    )
    after = _files(os.path.join(workdir, "checkpoints"))
    assert all(after.get(path) == digest for path, digest in before.items())  # step 4 and earlier kept
    final = train_and_evaluate(_config(), workdir)
    _assert_equal(final, trained[1][6])


def test_write_failures_in_one_sentence(tmp_path):
    for number, why, todo in [
        (errno.EROFS, "the file system is read-only", "make the workdir writable"),
        (errno.ENOENT, "the workdir has vanished (deleted or unmounted)", "mount or recreate the workdir"),
    ]:
        path = str(tmp_path / "metrics.jsonl")
        failure = storage.write_failed(OSError(number, os.strerror(number), path), path, kept="k")
        assert str(failure).startswith(f"writing {path} failed: {why} (") and f"; k; {todo} (or pass" in str(failure)
    orbax_words = ValueError('RESOURCE_EXHAUSTED: Error writing local file "/x": No space left on device')
    assert storage.write_failure(orbax_words) == errno.ENOSPC
    assert storage.write_failed(ValueError("something else"), "/x", kept="k") is None


# ----------------------------------------------------------------------------------------------
# A workdir on an object store: a real GCS emulator on loopback.


@pytest.fixture
def gcs(monkeypatch):
    """A bucket `jaxgan-test` on a local GCS emulator (gcp-storage-emulator), for gcsfs (etils.epath)
    and TensorStore (orbax)."""
    pytest.importorskip("gcp_storage_emulator")
    pytest.importorskip("gcsfs")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = subprocess.Popen(
        [sys.executable, "-m", "gcp_storage_emulator", "start", "--host=127.0.0.1", f"--port={port}"]
        + ["--in-memory", "--default-bucket=jaxgan-test"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    for name, value in {
        "STORAGE_EMULATOR_HOST": url,  # gcsfs and google-cloud-storage
        "TENSORSTORE_GCS_HTTP_URL": url,  # orbax's TensorStore
        "FSSPEC_GCS_TOKEN": "anon",
        "GOOGLE_CLOUD_PROJECT": "jaxgan-test",
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",  # else gcsfs asks the emulator over gRPC (60 s timeout)
    }.items():
        monkeypatch.setenv(name, value)
    import fsspec

    fsspec.filesystem("gs").clear_instance_cache()
    yield "gs://jaxgan-test"
    emulator.kill()
    emulator.wait()


@pytest.mark.slow
def test_a_gs_workdir_holds_the_runs_files_and_its_lease(tmp_path, gcs, live_pid, dead_pid, capsys):
    """Everything jaxgan writes itself into a workdir, on the emulator: config.json, the lease, metrics.jsonl (rows past a resumed step dropped), sample pictures
    and TensorBoard events. Orbax's checkpoints are not written here: the emulator sends no object
    generation with a read (TensorStore: "Malformed StorageGeneration"), which OCDBT's conditional
    manifest writes need."""
    from etils import epath

    from jaxgan.train import workdir as workdir_lib

    workdir = f"{gcs}/run"
    config = _config()
    workdir_lib.check(workdir, config)
    lease = lease_lib.Lease(workdir, 600.0).acquire()
    workdir_lib.commit(workdir, config)
    assert workdir_lib.load_config(workdir).num_steps == 6
    assert json.loads(epath.Path(workdir, "config.json").read_text()) == workdir_lib.config_to_dict(config)
    writer = writers.MetricWriter(workdir, enabled=True)
    for step in (2, 4, 6):
        writer.scalars(step, {"d_loss": step / 10})
        lease.renew()
    writer.picture(6, np.zeros((8, 8, 3), np.uint8))
    writer.close()
    writer = writers.MetricWriter(workdir, enabled=True, resume_step=4)  # a relaunch from step 4
    writer.scalars(6, {"d_loss": 0.25})
    writer.close()
    rows = [json.loads(line) for line in epath.Path(workdir, "metrics.jsonl").read_text().splitlines()]
    assert rows == [{"step": 2, "d_loss": 0.2}, {"step": 4, "d_loss": 0.4}, {"step": 6, "d_loss": 0.25}]
    png = epath.Path(workdir, "samples", "step_00000006.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    events = sorted(p.name for p in epath.Path(workdir, "tensorboard").iterdir())
    assert len(events) == 2 and all(name.startswith("events.out.tfevents.") for name in events)
    # Another live launch holds the lease: refused, also with overwrite; this launch loses its lease.
    epath.Path(workdir, "lease.json").write_text(json.dumps(_holder(str(tmp_path), pid=live_pid)))
    with pytest.raises(lease_lib.LeaseHeld, match=f"^--workdir {workdir} is in use by another launch"):
        workdir_lib.check(workdir, config)
    other = _config(**{"loss.name": "hinge", "overwrite": True})
    with pytest.raises(lease_lib.LeaseHeld, match="^--config.overwrite=True would move aside the run in"):
        workdir_lib.check(workdir, other)
    with pytest.raises(lease_lib.LeaseLost):
        lease.renew()
    # Its holder killed: taken over with a notice. (Moving a run aside on the store, for overwrite or a
    # damaged checkpoint, is fsspec's copy, which is GCS's rewrite call: it fails on the emulator.)
    epath.Path(workdir, "lease.json").write_text(json.dumps(_holder(str(tmp_path), pid=dead_pid)))
    workdir_lib.check(workdir, config)
    taken = lease_lib.Lease(workdir, 600.0).acquire()
    assert f"took over the lease of --workdir {workdir}" in capsys.readouterr().err
    assert json.loads(epath.Path(workdir, "lease.json").read_text())["token"] == taken._record["token"]
    taken.release()
    assert not epath.Path(workdir, "lease.json").exists()


@pytest.mark.slow
def test_a_kept_step_restores_that_checkpoint_and_another_is_refused_in_one_sentence(trained, tmp_path):
    workdir = _copy(trained, tmp_path)
    before = _files(workdir)
    _, _, state = restore.load_latest(workdir, step=4)  # what experiments/limited_data.py --fid_every reads
    _assert_equal(state, trained[1][4])
    with pytest.raises(ValueError) as refusal:
        restore.load_latest(workdir, step=3)
    assert str(refusal.value) == f"step 3 is not a kept checkpoint of {workdir} (kept: steps 2, 4, 6)."
    with pytest.raises(ValueError, match=r"^give a stage \(0\) or a step \(4\) to restore, not both\.$"):
        restore.load_latest(workdir, stage=0, step=4)
    assert _files(workdir) == before
    # `jaxgan sample --step=4` / `jaxgan eval --step=4`: that checkpoint's samples and evaluation
    config, experiment, _ = restore.load_latest(workdir)
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
    for step in (4, 6):
        out, _ = restore.write_samples(workdir, num=16, out=str(tmp_path / f"s{step}.npy"), seed=3, step=step)
        expected = sampler.draw(trained[1][step], jax.random.PRNGKey(3), 16)["x"][0]
        np.testing.assert_array_equal(np.load(out), np.asarray(expected))
    assert not np.array_equal(np.load(tmp_path / "s4.npy"), np.load(tmp_path / "s6.npy"))
    results = restore.evaluate_workdir(workdir, step=4)
    assert results["step"] == 4
    assert json.load(open(os.path.join(workdir, "eval_00000004.json")))["step"] == 4
