"""The README's "Your own family" file, run as a user runs it: `jaxgan train / sample / eval`
with `config.program = "lsgan_fm.py:FAMILY"` from the working directory, resumed bit for bit.

The file is read out of the README, so the README's code is what is tested.
"""

import json
import os
import re

import numpy as np
import pytest

from jaxgan import data as data_lib
from jaxgan.train import evaluation
from tests.test_cli import RING, ROOT, TINY, jaxgan

pytestmark = pytest.mark.slow


def readme_family() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme[readme.index("### Your own family") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.splitlines()) <= 60, "the README promises a file of at most 60 lines"
    return code


def _train(cwd, workdir, *overrides):
    args = [
        "train",
        f"--config={RING}",
        f"--workdir={workdir}",
        "--config.program=lsgan_fm.py:FAMILY",
        *TINY,
        "--config.evaluators=mode_coverage,mean_gap",
        "--config.num_eval_samples=200",
        *overrides,
    ]
    done = jaxgan(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def test_the_readme_family_trains_resumes_samples_and_evaluates(tmp_path):
    (tmp_path / "lsgan_fm.py").write_text(readme_family())

    _train(tmp_path, "straight", "--config.num_steps=20", "--config.checkpoint_every=20")
    _train(tmp_path, "resumed", "--config.num_steps=10")
    _train(tmp_path, "resumed", "--config.num_steps=20", "--config.checkpoint_every=20")

    samples = {}
    for run in ("straight", "resumed"):
        done = jaxgan("sample", f"--workdir={run}", f"--out={run}.npy", "--num=50", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        samples[run] = np.load(tmp_path / f"{run}.npy")
    assert samples["straight"].shape == (50, 2)
    np.testing.assert_array_equal(samples["resumed"], samples["straight"])  # resumed bit for bit

    done = jaxgan("eval", "--workdir=resumed", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "mean_gap" in done.stdout
    results = json.loads((tmp_path / "resumed" / "eval_00000020.json").read_text())
    # The family's own evaluator, recomputed from what the evaluation saw: the config's 200
    # real examples (seed 0) and 200 samples drawn with the evaluation's key (seed + 2).
    done = jaxgan("sample", "--workdir=resumed", "--out=eval.npy", "--num=200", "--seed=2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    fake = np.load(tmp_path / "eval.npy")
    real = evaluation.real_samples(data_lib.load("ring", split="train", seed=0, num_examples=100_000), 200, seed=0)
    expected = np.linalg.norm(fake.mean(axis=0) - real.mean(axis=0))
    np.testing.assert_allclose(results["mean_gap"], expected, rtol=1e-5)
    assert 0 <= results["modes"] <= 8


def test_a_family_file_that_is_missing_or_holds_no_record_is_one_sentence(tmp_path, monkeypatch):
    """The CLI prints the sentence (no traceback) and writes nothing for a missing file; the
    registry raises the others' sentences the same way (in-process: one CLI launch is enough
    to show how a refusal reaches the user)."""
    from jaxgan.programs import registry

    done = jaxgan("train", f"--config={RING}", "--workdir=w", "--config.program=missing.py:FAMILY", *TINY, cwd=tmp_path)
    assert done.returncode != 0
    assert "no such file" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "w").exists()
    (tmp_path / "not_a_family.py").write_text("FAMILY = 3\n")
    monkeypatch.chdir(tmp_path)
    for program, expected in (
        ("not_a_family.py:FAMILY", "not a jaxgan.programs.family.Family record"),
        ("nonsense", "is not a family; use one of"),
    ):
        with pytest.raises(ValueError, match=re.escape(expected)):
            registry.get(program)
