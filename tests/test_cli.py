"""`jaxgan` on bad input, in subprocesses: exit code != 0, one sentence on stderr, no traceback,
every file already on disk byte-identical (issue 12).

Refusals that need no config run before JAX is imported and cost ~0.3 s each; the others load
the config file (~3 s, for the model imports). No test trains: what is refused is refused
before anything is compiled.
"""

import hashlib
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RING = os.path.join(ROOT, "configs", "ring_ns.py")
# The tiniest real run of the ring config: one call of 10 steps, small networks.
TINY = [
    "--config.num_steps=10",
    "--config.steps_per_call=10",
    "--config.log_every=10",
    "--config.checkpoint_every=10",
    "--config.sample_every=10",
    "--config.evaluators=",
    "--config.model.generator.width=16",
    "--config.model.discriminator.width=16",
]


def _env() -> dict:
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)  # one CPU device, as a user's launch
    env["JAX_PLATFORMS"] = "cpu"  # the compilation cache comes from conftest's environment
    return env


def jaxgan(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jaxgan.cli", *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def snapshot(root) -> dict:
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


def assert_refused(result: subprocess.CompletedProcess, *expected: str) -> str:
    """Exit code != 0, one line on stderr that names `expected`, no traceback; the line."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def workdir(tmp_path):
    """A workdir holding a run (a config.json of another experiment, a checkpoint, metrics)."""
    run = tmp_path / "run"
    (run / "checkpoints" / "10").mkdir(parents=True)
    (run / "checkpoints" / "10" / "state").write_bytes(b"\x00\x01 checkpoint bytes")
    (run / "metrics.jsonl").write_text('{"step": 10, "d_loss": 1.0}\n')
    (run / "config.json").write_text('{"seed": 123, "overwrite": false}')
    return run


# ---------------------------------------------------------------------------------------------
# Before JAX: the command, the flags, the config file.


def test_unknown_command_is_named_with_the_commands(tmp_path):
    line = assert_refused(jaxgan("trian", f"--workdir={tmp_path}"), "'trian'", "train, sample, eval")
    assert "did you mean train?" in line
    assert_refused(jaxgan(), "no command given", "train, sample, eval")


@pytest.mark.parametrize(
    "command, own, foreign",
    [
        ("train", ["--config=", "--workdir=", "--multihost", "--config.<field>=<value>"], ["--num=", "--out="]),
        ("sample", ["--workdir=", "--out=", "--num=", "--seed=", "--truncation="], ["--config=", "--multihost"]),
        ("eval", ["--workdir=", "--multihost"], ["--config=", "--out="]),
        ("classify", ["--workdir=", "--input=", "--out="], ["--config=", "--num=", "--multihost"]),
        ("fid", ["--a=", "--b=", "--kid", "--save_stats=", "--num=", "--features="], ["--config=", "--workdir="]),
    ],
)
def test_help_lists_the_commands_own_flags(command, own, foreign):
    result = jaxgan(command, "--help")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.startswith(f"usage: jaxgan {command}")
    for flag in own:
        assert flag in result.stdout, flag
    for flag in foreign:
        assert flag not in result.stdout, flag


@pytest.mark.slow
def test_help_with_a_config_lists_its_fields():
    result = jaxgan("train", f"--config={RING}", "--help")
    assert result.returncode == 0, result.stderr
    assert "--config.num_steps=400000" in result.stdout and "--config.loss.name='non_saturating'" in result.stdout


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "missing.py", ["missing.py", "no such file", "get_config()"]),
        (lambda d: _write(d / "broken.py", "def get_config(:\n    pass\n"), ["broken.py", "syntax error at line 1"]),
        (lambda d: _write(d / "empty.py", "import ml_collections\nx = 1\n"), ["empty.py", "defines no get_config()"]),
        (lambda d: d, ["is a directory", "get_config()"]),
        (
            lambda d: _write(d / "raises.py", "def get_config():\n    raise KeyError('foo')\n"),
            ["raises.py", "failed while loading at line 2", "KeyError"],
        ),
        (lambda d: _write(d / "none.py", "def get_config():\n    pass\n"), ["none.py", "returned NoneType"]),
    ],
    ids=["missing", "syntax_error", "no_get_config", "directory", "get_config_raises", "get_config_returns_none"],
)
def test_config_file_problems(tmp_path, workdir, make, expected):
    config = make(tmp_path)
    before = snapshot(tmp_path)
    assert_refused(jaxgan("train", f"--config={config}", f"--workdir={workdir}"), *expected)
    assert snapshot(tmp_path) == before


def test_a_config_file_is_refused_before_jax_is_imported(tmp_path):
    code = (
        "import sys\nfrom jaxgan import cli\n"
        f"try:\n    cli.main(['jaxgan', 'train', '--config={tmp_path}/missing.py', '--workdir={tmp_path}/run'])\n"
        "except SystemExit as e:\n    print(e.code, 'jax' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["2", "False"], (result.stdout, result.stderr)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", f"--config={RING}", "--wrokdir=W"], ["unknown flag --wrokdir", "did you mean --workdir?"]),
        (["train", f"--config={RING}", "--workdir=W", "--num=3"], ["--num is a flag of jaxgan sample", "--workdir"]),
        (["train", "--workdir=W"], ["missing --config", "usage: jaxgan train"]),
        (["train", f"--config={RING}", "--workdir=W", "oops"], ["positional", "'oops'"]),
        (["sample", "--workdir=W", "--out=x.png", "--config.num_steps=3"], ["--config.num_steps", "config.json"]),
        (["sample", "--workdir=W"], ["missing --out"]),
        (["classify", "--workdir=W", "--out=labels.npy"], ["missing --input", "usage: jaxgan classify"]),
        (["classify", "--workdir=W", "--input=x.npy", "--out=l.npy", "--num=3"], ["--num is a flag of jaxgan sample"]),
        (["fid", "--b=W"], ["missing --a", "usage: jaxgan fid"]),
        (
            ["fid", "--a=W", "--workdir=W"],
            ["--workdir is a flag of jaxgan train, sample, eval and classify, not of jaxgan fid"],
        ),
        (
            ["sample", "--workdir=W", "--out=x.npy", "--reconstruct=test", "--step=4"],
            ["--step is for samples drawn from latents; leave it out with --reconstruct and --input."],
        ),
        (
            ["train", f"--config={RING}", "--workdir=W", "--profile_steps=-1"],
            ["jaxgan train: --profile_steps=-1 is not accepted; use a non-negative int (0: no trace"],
        ),
    ],
    ids=[
        "unknown_flag",
        "flag_of_another_command",
        "missing_flag",
        "positional",
        "override_in_sample",
        "sample_out",
        "classify_input",
        "classify_num",
        "fid_without_a",
        "fid_with_workdir",
        "step_with_reconstruct",
        "negative_profile_steps",
    ],
)
def test_flag_problems(workdir, args, expected):
    before = snapshot(workdir.parent)
    assert_refused(jaxgan(*[a.replace("=W", f"={workdir}") for a in args]), *expected)
    assert snapshot(workdir.parent) == before


# ---------------------------------------------------------------------------------------------
# After the config is loaded, before anything is built: its fields and the workdir.


@pytest.mark.slow
def test_misspelled_fields_are_named_with_the_nearest_field(workdir):
    before = snapshot(workdir.parent)
    result = jaxgan(
        "train", f"--config={RING}", f"--workdir={workdir}", "--config.num_stpes=5", "--config.loss.nmae=hinge"
    )
    assert_refused(result, "--config.num_stpes", "--config.num_steps", "--config.loss.nmae", "--config.loss.name")
    assert snapshot(workdir.parent) == before


@pytest.mark.slow
def test_a_value_of_the_wrong_type(workdir):
    before = snapshot(workdir.parent)
    assert_refused(
        jaxgan("train", f"--config={RING}", f"--workdir={workdir}", "--config.num_steps=abc"), "--config.num_steps=abc"
    )
    assert snapshot(workdir.parent) == before


@pytest.mark.slow
def test_unknown_keyword_of_a_loss_is_refused_by_the_builder_before_anything_is_written(tmp_path):
    result = jaxgan("train", f"--config={RING}", f"--workdir={tmp_path / 'run'}", *TINY, "--config.loss.params.bogus=1")
    assert_refused(result, "bogus")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["file", "below_a_file", "not_writable", "torn_config", "different_config"])
@pytest.mark.slow
def test_workdir_problems(tmp_path, workdir, kind):
    target, expected = workdir, []
    if kind == "file":
        target = _write(tmp_path / "a_file", "not a folder")
        expected = ["is a file, not a directory"]
    elif kind == "below_a_file":
        target = _write(tmp_path / "a_file", "not a folder") / "sub" / "run"
        expected = ["lies below", "a_file, which is a file"]
    elif kind == "not_writable":
        target = tmp_path / "locked"
        target.mkdir()
        target.chmod(0o500)
        if os.access(target, os.W_OK):
            target.chmod(0o700)
            pytest.skip("this user (root) may write to a folder without write permission")
        expected = ["is not writable"]
    elif kind == "torn_config":
        (workdir / "config.json").write_text('{"seed": 0, "loss": {"na')
        expected = [f"{workdir / 'config.json'} is not valid JSON", "delete the file"]
    elif kind == "different_config":
        expected = ["holds a run of a different config", "--config.overwrite=True"]
    before = snapshot(tmp_path)
    try:
        assert_refused(jaxgan("train", f"--config={RING}", f"--workdir={target}"), *expected)
    finally:
        if kind == "not_writable":
            target.chmod(0o700)
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_sample_of_a_torn_config_json(workdir):
    (workdir / "config.json").write_text("")
    before = snapshot(workdir.parent)
    assert_refused(
        jaxgan("sample", f"--workdir={workdir}", f"--out={workdir.parent / 'x.png'}"),
        f"{workdir / 'config.json'} is empty",
    )
    assert snapshot(workdir.parent) == before


# ---------------------------------------------------------------------------------------------
# A diverging run (NonFiniteError, a FloatingPointError) and the console. The loop's tests
# check when a run stops; here train_and_evaluate is replaced by one that brings up JAX and
# an orbax CheckpointManager (both log INFO lines) and then stops as a diverging run does.

_DIVERGING = """
import sys
import jax
import orbax.checkpoint as ocp
import jaxgan.train
from jaxgan.train.loop import NonFiniteError

def diverge(config, workdir, **launch):
    jax.devices()
    ocp.CheckpointManager(workdir + "/checkpoints").close()
    raise NonFiniteError("Training stopped: d_loss became nan at step 2; no checkpoint had been saved yet.")

jaxgan.train.train_and_evaluate = diverge
from jaxgan import cli
cli.main(["jaxgan", "train", *sys.argv[1:]])
"""


def _diverging_launch(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _DIVERGING, f"--config={RING}", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


_LOG_LINE = re.compile(r"^[IW]\d{4} ", re.MULTILINE)  # absl's format: I1201 22:10:57.908843 ...


@pytest.mark.slow
def test_a_diverging_run_is_one_sentence_and_the_console_holds_no_info_lines(tmp_path):
    result = _diverging_launch(f"--workdir={tmp_path / 'run'}")
    assert_refused(result, "jaxgan train: Training stopped: d_loss became nan at step 2")
    assert not _LOG_LINE.search(result.stderr)
    # The INFO lines are there when asked for: the check above can see them.
    shown = _diverging_launch(f"--workdir={tmp_path / 'other'}", "--verbosity=0")
    assert "CheckpointManager" in shown.stderr and _LOG_LINE.search(shown.stderr), shown.stderr
    assert shown.returncode != 0 and "Traceback" not in shown.stderr
    assert shown.stderr.strip().splitlines()[-1].startswith("jaxgan train: Training stopped:")


def _tiny_ring_config():
    """configs/ring_ns.py with the TINY overrides, as `jaxgan train ... *TINY` builds it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ring_ns_config", RING)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    for arg in TINY:
        path, value = arg[len("--config.") :].split("=")
        *parents, name = path.split(".")
        node = config
        for parent in parents:
            node = node[parent]
        node[name] = type(node[name])(value) if value else value
    return config


@pytest.mark.slow
def test_a_bad_launch_only_value_leaves_a_finished_runs_config_json_as_it_was(tmp_path):
    from jaxgan.train import workdir as workdir_lib

    run = tmp_path / "run"
    workdir_lib.commit(str(run), _tiny_ring_config())
    (run / "metrics.jsonl").write_text('{"step": 10}\n')
    before = snapshot(tmp_path)
    # num_steps may change between launches, but 15 is no multiple of steps_per_call (10).
    result = jaxgan("train", f"--config={RING}", f"--workdir={run}", *TINY, "--config.num_steps=15")
    assert_refused(result, "config.num_steps (15)", "steps_per_call")
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_a_launch_of_many_runs_takes_a_cpu_device_a_core_and_trains_them_in_turn(tmp_path):
    cores = len(os.sched_getaffinity(0))
    result = jaxgan("train", f"--config={RING}", f"--workdir={tmp_path / 'run'}", *TINY, "--config.num_seeds=2")
    assert result.returncode == 0, result.stderr[-2000:]
    devices = "2 CPU devices (1 a device" if cores >= 2 else "1 CPU device (2 a device"
    assert f"(to step 10), 2 runs over {devices}, in turn)" in result.stderr, result.stderr[-2000:]
    bad = jaxgan("train", f"--config={RING}", f"--workdir={tmp_path / 'bad'}", *TINY, "--config.run_devices=3")
    assert_refused(bad, "config.run_devices=3 must divide both the runs (1) and the devices")
    assert not os.path.exists(tmp_path / "bad" / "checkpoints")
