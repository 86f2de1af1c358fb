"""The benchmark's PyTorch twins: the same networks as jaxgan's (parameter counts, the same
function), and a step that runs. Skipped when PyTorch (the `benchmark` extra) is not installed.
"""

import math

import pytest

from tests.test_benchmark import _load

torch = pytest.importorskip("torch")
torch_reference = _load("torch_reference")


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


def test_op_classes_of_aten_operators():
    assert torch_reference.op_class("aten::addmm") == "matmul (dot)"
    assert torch_reference.op_class("aten::mm") == "matmul (dot)"
    assert torch_reference.op_class("aten::convolution_backward") == "convolution"
    assert torch_reference.op_class("aten::native_batch_norm_backward") == "batch norm"
    assert torch_reference.op_class("aten::_foreach_add_") == "optimizer (Adam)"
    assert torch_reference.op_class("Optimizer.step#Adam.step") == "optimizer (Adam)"
    assert torch_reference.op_class("aten::softplus") == "elementwise / other"


def test_torch_launch_times_the_steps_it_was_asked_for():
    got = torch_reference.launch(
        {"workload": "pacgan_mlp", "threads": 1, "compiled": False, "steps": 2, "repeats": 2, "profile": True}
    )
    assert len(got["seconds_per_step"]) == 2 and min(got["seconds_per_step"]) > 0
    assert got["profile"]["op_classes"]["matmul (dot)"] > 0


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
