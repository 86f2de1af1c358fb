"""Fast checks of experiments/benchmark.py's pure parts and of the twin PyTorch networks.

The benchmark itself takes minutes; here: FLOP accounting, summaries, the markdown table,
and that the PyTorch networks have the same parameter counts as jaxgan's (same networks).
Skipped when PyTorch (the `benchmark` extra) is not installed.
"""

import importlib.util
import math
import os
import sys

import pytest

torch = pytest.importorskip("torch")

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
torch_reference = _load("torch_reference")


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


def _row(name, jax_rate, torch_rate):
    timing = lambda rate: {"median": rate, "min": rate * 0.9, "max": rate * 1.1, "spread": 0.2, "repeats": 3}
    compile_times = {"lower": 0.5, "compile": 2.0, "total": 2.5, "flops": 1e9, "xla_buffer_bytes": 2**20}
    return {
        "name": name,
        "data": "random",
        "batch_size": 64,
        "steps_per_call": 10,
        "compile_cold": compile_times,
        "compile_warm": dict(compile_times, compile=0.1, total=0.6),
        "jaxgan": timing(jax_rate),
        "flops_per_step": 1e9,
        "achieved": benchmark.achieved(1e9, jax_rate, 50e9),
        "peak_memory_bytes": None,
        "xla_buffer_bytes": 2**20,
        "torch_eager": timing(torch_rate),
        "torch_compile_error": "skipped in --quick",
    }


def test_markdown_table_has_one_row_per_workload_with_ratios_and_na():
    report = {
        "mode": "quick",
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
            "xla_flags": "",
        },
        "matmul_roof_flops_per_second": 50e9,
        "workloads": [_row("dcgan_mnist", 3.0, 2.0), _row("pacgan_mlp", 30.0, 10.0)],
        "notes": ["a note"],
    }
    page = benchmark.markdown(report)
    lines = page.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| workload"))
    columns = lines[header].count("|")
    rows = [line for line in lines[header + 2 :] if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows] == ["dcgan_mnist", "pacgan_mlp"]
    assert all(r.count("|") == columns for r in rows)
    assert "1.50x" in rows[0] and "3.00x" in rows[1]  # jaxgan / torch eager
    assert "n/a (skipped in --quick)" in rows[0]
    assert "Test CPU, 2 cores" in page and "- a note" in page
    assert "| 2.50 (0.50 / 2.00) |" in rows[0]


def _count(params):
    return sum(int(p.numel()) for p in params)


@pytest.mark.parametrize(
    "workload, g_name, d_name, g_kwargs, d_kwargs, data_shape",
    [
        ("dcgan_mnist", "dcgan28", "dcgan28", {}, {}, (28, 28, 1)),
        ("pacgan_mlp", "mlp", "mlp", {"width": 400, "depth": 4}, {"width": 200, "depth": 3, "maxout_pieces": 5}, (2,)),
    ],
)
def test_torch_networks_have_jaxgan_parameter_counts(workload, g_name, d_name, g_kwargs, d_kwargs, data_shape):
    import jax
    import numpy as np

    from jaxgan import models

    spec = torch_reference.WORKLOADS[workload]
    generator = models.generator(g_name, **g_kwargs)
    discriminator = models.discriminator(d_name, **d_kwargs)
    z = np.zeros((2, spec.latent_dim), np.float32)
    x = np.zeros((2, *data_shape), np.float32)
    g_params = jax.eval_shape(lambda: generator.init(jax.random.PRNGKey(0), z, train=False))["params"]
    d_params = jax.eval_shape(
        lambda: discriminator.init({"params": jax.random.PRNGKey(0), "dropout": jax.random.PRNGKey(1)}, x, train=False)
    )["params"]
    size = lambda tree: sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(tree))
    assert _count(spec.make_generator().parameters()) == size(g_params)
    assert _count(spec.make_discriminator().parameters()) == size(d_params)


def test_torch_step_runs_and_reports_time():
    torch.set_num_threads(1)
    trainer = torch_reference.Trainer("pacgan_mlp", num_examples=200)
    seconds = trainer.run(2)
    assert seconds > 0


def test_torch_dcgan_generator_computes_jaxgan_function():
    # Same networks, not only the same sizes: jaxgan's parameters copied into the PyTorch twin
    # give the same images, with jaxgan's fused upsampling convolutions and without them.
    import jax
    import numpy as np

    from jaxgan import models

    z = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (4, 100)), np.float32)
    params = models.generator("dcgan28").init(jax.random.PRNGKey(1), z, train=False)["params"]
    twin = torch_reference.DCGAN28Generator()
    project = np.asarray(params["project"]["kernel"])  # [100, 7*7*128], units ordered (y, x, c)
    order = np.arange(7 * 7 * 128).reshape(7, 7, 128).transpose(2, 0, 1).reshape(-1)  # torch's (c, y, x)
    with torch.no_grad():
        twin.project.weight.copy_(torch.from_numpy(project[:, order].T.copy()))
        twin.project.bias.copy_(torch.from_numpy(np.asarray(params["project"]["bias"])[order]))
        for name in ("conv_0", "conv_1"):
            layer = getattr(twin, name)
            layer.weight.copy_(torch.from_numpy(np.asarray(params[name]["kernel"]).transpose(3, 2, 0, 1).copy()))
            layer.bias.copy_(torch.from_numpy(np.array(params[name]["bias"])))
        expected = twin(torch.tensor(z)).numpy().transpose(0, 2, 3, 1)  # NCHW -> NHWC
    for fused in (True, False):
        images = models.generator("dcgan28", fused_upsampling=fused).apply({"params": params}, z, train=False)
        np.testing.assert_allclose(np.asarray(images), expected, rtol=1e-4, atol=1e-5)
