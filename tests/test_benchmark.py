"""Fast checks of the benchmark's pure parts (experiments/benchmark.py, experiments/bench_jaxgan.py).

The benchmark itself takes most of an hour; here: FLOP accounting, summaries, the choice of
PyTorch's best setting, the settings a user would try, the tables, and the classing of XLA's
operations by their HLO (on a real compiled program). The PyTorch twins are tested in
tests/test_torch_reference.py.
"""

import importlib.util
import math
import os
import sys

import jax
import jax.numpy as jnp
import pytest

EXPERIMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments")


def _load(name):
    if EXPERIMENTS not in sys.path:
        sys.path.insert(0, EXPERIMENTS)
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXPERIMENTS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


benchmark = _load("benchmark")
bench_jaxgan = _load("bench_jaxgan")


def test_matmul_flops_and_achieved_fraction():
    assert benchmark.matmul_flops(2) == 16.0  # 4 outputs x (2 multiplies + 2 adds)
    assert benchmark.matmul_flops(2048) == 2 * 2048**3
    result = benchmark.achieved(1e9, 20.0, 40e9)
    assert result["flops_per_second"] == 20e9
    assert result["fraction_of_roof"] == 0.5
    assert benchmark.achieved(None, 20.0, 40e9) == {"flops_per_second": None, "fraction_of_roof": None}


def test_summarize_gives_median_range_and_spread_of_steps_per_second():
    summary = benchmark.summarize([0.5, 0.25, 0.1])  # 2, 4, 10 steps/s
    assert summary["median"] == 4.0
    assert summary["min"] == 2.0 and summary["max"] == 10.0
    assert math.isclose(summary["spread"], (10.0 - 2.0) / 4.0)
    assert summary["repeats"] == 3
    assert benchmark.summarize([0.5], per_step=10)["median"] == 20.0  # seed-steps per second


def test_torch_settings_cover_threads_wait_policies_and_compile():
    names = [s.name for s in benchmark.torch_settings(cores=2, compiled=True)]
    assert names == [
        "eager, 2 threads",
        "eager, 2 threads, OMP_WAIT_POLICY=PASSIVE",
        "eager, 1 thread",
        "eager, 1 thread, OMP_WAIT_POLICY=PASSIVE",
        "torch.compile, 2 threads",
        "torch.compile, 1 thread",
    ]
    assert [s.name for s in benchmark.torch_settings(cores=1, compiled=False)] == [
        "eager, 1 thread",
        "eager, 1 thread, OMP_WAIT_POLICY=PASSIVE",
    ]
    assert [s.name for s in benchmark.torch_settings(cores=16, compiled=True, device="cuda")] == [
        "cuda eager",
        "cuda eager, fused Adam",
        "cuda torch.compile",
        "cuda torch.compile reduce-overhead (CUDA graphs), fused Adam",
    ]
    # On a GPU, PyTorch keeps its default threads (fewer would only slow its host side).
    assert {s.threads for s in benchmark.torch_settings(cores=16, compiled=True, device="cuda")} == {16}


def test_best_setting_and_the_ones_later_rounds_retime():
    rate = lambda r: {"median": r, "min": r, "max": r}  # noqa: E731
    summaries = {"eager a": rate(3.0), "eager b": rate(5.0), "compile a": rate(4.0), "compile b": None}
    compiled = {"eager a": False, "eager b": False, "compile a": True, "compile b": True}
    assert benchmark.best_setting(summaries) == "eager b"
    assert benchmark.to_retime(summaries, compiled) == ["eager b", "compile a"]
    assert benchmark.best_setting({"x": None}) is None
    assert benchmark.ratio(rate(6.0), rate(4.0)) == 1.5
    assert benchmark.ratio(rate(6.0), None) is None


def _row(name, jax_rate, torch_rates):
    timing = lambda rate: {"median": rate, "min": rate * 0.9, "max": rate * 1.1, "spread": 0.2, "repeats": 3}  # noqa: E731
    torch = {setting: timing(rate) for setting, rate in torch_rates.items()}
    best = benchmark.best_setting(torch)
    return {
        "name": name,
        "data": "random",
        "batch_size": 64,
        "steps_per_call": 10,
        "compile_cold": {"lower": 0.5, "compile": 2.0},
        "compile_warm": {"lower": 0.5, "compile": 0.1},
        "jaxgan": timing(jax_rate),
        "flops_per_step": 1e9,
        "achieved": benchmark.achieved(1e9, jax_rate, 50e9),
        "xla_buffer_bytes": 2**20,
        "torch": torch,
        "torch_errors": {"torch.compile, 2 threads": "RuntimeError: inplace"},
        "best_setting": best,
        "ratio": benchmark.ratio(timing(jax_rate), torch[best]),
        "target": benchmark.TARGETS.get(name),
    }


def test_markdown_names_the_setting_beaten_and_the_target():
    report = {
        "mode": "full",
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "platform": "linux",
            "python": "3.11",
            "jax": "0.10",
            "jaxlib": "0.10",
            "flax": "0.12",
            "optax": "0.2",
            "torch": "2.13",
            "load_before": 0.5,
            "load_after": 0.7,
        },
        "matmul_roof_flops_per_second": 50e9,
        "matmul_roof_end_flops_per_second": 49e9,
        "workloads": [
            _row("dcgan_mnist", 3.0, {"eager, 2 threads": 2.0, "eager, 1 thread": 1.0}),
            _row("pacgan_mlp", 30.0, {"eager, 2 threads": 10.0, "eager, 1 thread": 12.0}),
            {
                "name": "many_seeds",
                "num_seeds": 10,
                "sides": {"one program": {"median": 300.0, "min": 290.0, "max": 310.0}, "separate": None},
                "best_setting": "separate, two at a time",
                "ratio": 1.2,
                "target": 1.5,
            },
            {
                "name": "inception_features",
                "batch_size": 50,
                "images": 200,
                "input": "test images",
                "jaxgan": {"median": 10.0, "min": 9.0, "max": 11.0, "n": 4},
                "jaxgan_first_call_s": [9.5],
                "torch": {"TorchScript, 2 threads (default)": {"median": 8.0, "min": 7.5, "max": 8.5, "n": 4}},
                "torch_errors": {"optimize_for_inference, 1 thread": "RuntimeError: boom"},
                "best_setting": "TorchScript, 2 threads (default)",
                "ratio": 1.25,
                "target": 1.0,
            },
        ],
        "notes": ["a note"],
    }
    page = benchmark.markdown(report)
    lines = page.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| workload | data"))
    columns = lines[header].count("|")
    rows = [line for line in lines[header + 2 :] if line.startswith("| ")][:2]
    assert [r.split("|")[1].strip() for r in rows] == ["dcgan_mnist", "pacgan_mlp"]
    assert all(r.count("|") == columns for r in rows)
    assert "| eager, 2 threads | **1.50x** (not reached: target 2x) |" in rows[0]
    assert "| eager, 1 thread | **2.50x** (reached: target 2x) |" in rows[1]
    assert "| 2.50 (0.50 / 2.00) |" in rows[0]
    assert "**1.20x** (not reached: target 1.5x)" in page
    assert "Test CPU, 2 cores" in page and "- a note" in page
    # The Inception features: their own table (images/s), not a row of the steps table or of PyTorch's settings.
    assert "| PyTorch: TorchScript, 2 threads (default) | 8 (7.5-8.5) |" in page
    assert "| PyTorch: optimize_for_inference, 1 thread | n/a (RuntimeError: boom) |" in page
    assert "**1.25x** (reached: target 1x)" in page
    assert not any(line.startswith("| inception_features |") for line in lines)
    # A report written while the run is under way (after each workload): no end roof yet, the rest named.
    partial = benchmark.markdown(
        {**report, "workloads": report["workloads"][:1], "matmul_roof_end_flops_per_second": None,
         "unfinished": ["pacgan_mlp", "many_seeds"]}
    )  # fmt: skip
    assert "/ n/a GFLOP/s. Not yet measured (the run stopped or is running): pacgan_mlp, many_seeds." in partial


def test_hlo_operations_are_classed_by_opcode_and_fusion_contents():
    def step(x, w, k):
        y = jnp.tanh(x @ w)  # a dot, then elementwise
        image = jax.lax.conv_general_dilated(
            y.reshape(1, 8, 8, 1), k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return image.sum(), jnp.cumsum(y, axis=0)

    args = (jnp.ones((8, 8)), jnp.ones((8, 8)), jnp.ones((3, 3, 1, 2)))
    text = jax.jit(step).lower(*args).compile().as_text()
    classes = bench_jaxgan.classify_hlo(text)
    assert "convolution" in classes.values() and "matmul (dot)" in classes.values()
    for name, label in classes.items():
        if name.startswith("convolution"):
            assert label == "convolution"
        if name.startswith("dot"):
            assert label == "matmul (dot)"
    seconds = bench_jaxgan.op_class_seconds({**{name: 1.0 for name in classes}, "not-an-op": 2.0}, classes)
    assert seconds["runtime"] == 2.0
    assert math.isclose(sum(seconds.values()), len(classes) + 2.0)


def test_classify_hlo_reads_fusions_by_their_computation():
    text = """HloModule m

%fused_computation (p0: f32[4,4], p1: f32[4,4]) -> f32[4,4] {
  %p0 = f32[4,4]{1,0} parameter(0)
  %p1 = f32[4,4]{1,0} parameter(1)
  ROOT %dot.1 = f32[4,4]{1,0} dot(%p0, %p1), lhs_contracting_dims={1}, rhs_contracting_dims={0}
}

%fused_add (p0.1: f32[4,4]) -> f32[4,4] {
  %p0.1 = f32[4,4]{1,0} parameter(0)
  ROOT %add.3 = f32[4,4]{1,0} add(%p0.1, %p0.1)
}

ENTRY %main (a: f32[4,4]) -> f32[4,4] {
  %a = f32[4,4]{1,0} parameter(0)
  %fusion.7 = f32[4,4]{1,0} fusion(%a, %a), kind=kOutput, calls=%fused_computation
  %fusion.8 = f32[4,4]{1,0} fusion(%fusion.7), kind=kLoop, calls=%fused_add
  ROOT %reduce.2 = f32[4]{0} reduce(%fusion.8, %c), dimensions={1}, to_apply=%add
}
"""
    classes = bench_jaxgan.classify_hlo(text)
    assert classes["fusion.7"] == "matmul (dot)"
    assert classes["fusion.8"] == "elementwise (fused)"
    assert classes["reduce.2"] == "reduction"
    assert classes["a"] == "bookkeeping"


@pytest.mark.parametrize("name", ["dcgan_mnist", "pacgan_mlp", "sngan_cifar10", "many_seeds"])
def test_workload_configs_are_the_benchmarked_ones(name):
    config = bench_jaxgan.workload_config(name, steps_per_call=7, num_seeds=3 if name == "many_seeds" else 1)
    assert config.steps_per_call == 7
    assert config.num_seeds == (3 if name == "many_seeds" else 1)
    assert config.log_every == config.checkpoint_every == config.sample_every == config.eval_every == 0
