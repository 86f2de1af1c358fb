"""Tests for jaxgan/models/conv.py (loop-safe gradients, fused upsampling) and `layers.maxout`'s gradient.

Both rewrite gradients for XLA:CPU's speed only: values and gradients must equal JAX's own
rules, inside `lax.scan` too (within float rounding: the CPU rewrites of unpadded convolutions
and of large kernel gradients sum the same products, the latter in another order).
"""

import itertools
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jaxgan.models import conv, layers

NHWC = ("NHWC", "HWIO", "NHWC")


def _reference(x, w, strides, padding, dilation):
    return lax.conv_general_dilated(x, w, strides, padding, rhs_dilation=dilation, dimension_numbers=NHWC)


def _custom(x, w, strides, padding, dilation, algorithm="xla"):
    return conv.conv_general_dilated(
        x, w, strides, padding, rhs_dilation=dilation, dimension_numbers=NHWC, algorithm=algorithm
    )


CASES = [
    (size, kernel, *rest)
    for size, kernel, rest in itertools.product(
        (7, 8), (1, 3, 4), ((1, "SAME", 1), (1, "VALID", 1), (2, "SAME", 1), (2, "VALID", 1), (2, ((2, 1), (0, 3)), 2))
    )
]


# Patches run the stride-1 cases; the others fall back to the "xla" path, tested above them.
ALGORITHM_CASES = [(*case, "xla") for case in CASES] + [(*case, "patches") for case in CASES if case[2] == 1]


@pytest.mark.parametrize("size, kernel, stride, padding, dilation, algorithm", ALGORITHM_CASES)
@pytest.mark.slow
def test_values_and_gradients_equal_lax(size, kernel, stride, padding, dilation, algorithm):
    x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (kernel, kernel, 3, 4))
    args = ((stride, stride), padding, (dilation, dilation))

    @jax.jit
    def both(x, w):
        y0, vjp0 = jax.vjp(lambda x, w: _reference(x, w, *args), x, w)
        y1, vjp1 = jax.vjp(lambda x, w: _custom(x, w, *args, algorithm), x, w)
        dy = jnp.cos(y0)
        return (y0, *vjp0(dy)), (y1, *vjp1(dy))

    reference, custom = both(x, w)
    for a, b in zip(reference, custom):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "kernel, padding", [(3, "SAME"), (3, "VALID"), (4, ((2, 1), (0, 3))), (5, ((1, 1), (2, 2))), (1, ((1, 0), (0, 1)))]
)
def test_kernel_gradient_by_taps_equals_lax(kernel, padding, monkeypatch):
    """Where convolutions run on YNNPACK, above `_TAPS_MIN_FLOPS` a tap (lowered here), a stride-1
    kernel gradient is one matrix product per tap on the CPU; a 1x1 kernel's always is."""
    monkeypatch.setattr(conv, "compiler_options", lambda: None)  # YNNPACK's convolutions
    monkeypatch.setattr(conv, "_TAPS_MIN_FLOPS", 0)
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 32, 33, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (kernel, kernel, 3, 4))
    args = ((1, 1), padding, (1, 1))
    y, vjp = jax.vjp(lambda w: _custom(x, w, *args), w)
    y0, vjp0 = jax.vjp(lambda w: _reference(x, w, *args), w)
    dy = jnp.cos(y0)
    np.testing.assert_allclose(y, y0, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(vjp(dy)[0], vjp0(dy)[0], rtol=1e-5, atol=1e-4)
    text = str(jax.make_jaxpr(lambda w: jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy))(w))
    assert text.count("dot_general") == (kernel * kernel if jax.default_backend() == "cpu" else 0)
    monkeypatch.setattr(conv, "_TAPS_MIN_FLOPS", 1e9)  # the default: these products are far too small
    text = str(jax.make_jaxpr(lambda w: jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy))(w))
    assert text.count("dot_general") == (1 if kernel == 1 and jax.default_backend() == "cpu" else 0)


@pytest.mark.parametrize("stride, padding, dilation", [(2, "SAME", 1), (2, ((2, 1), (0, 3)), 2), (3, "VALID", 1)])
def test_kernel_gradient_of_one_example_runs_by_taps_at_any_stride(stride, padding, dilation):
    """A batch of one (a gradient penalty's example under `jax.vmap`) takes the kernel gradient by
    taps at any stride and dilation: strided slices of the padded input, one product each."""
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 13, 12, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 4))
    args = ((stride, stride), padding, (dilation, dilation))
    y0, vjp0 = jax.vjp(lambda w: _reference(x, w, *args), w)
    dy = jnp.cos(y0)
    kernel_grad = lambda w: jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy)[0]  # noqa: E731
    np.testing.assert_allclose(kernel_grad(w), vjp0(dy)[0], rtol=1e-5, atol=1e-5)
    assert _dot_generals(kernel_grad, w) == (9 if jax.default_backend() == "cpu" else 0)


def _dot_generals(fn, *args) -> int:
    return str(jax.make_jaxpr(fn)(*args)).count("dot_general")


def _ynnpack(monkeypatch, ynnpack: bool) -> None:
    """The routes for convolutions on YNNPACK (no compiler options) or on XLA's own kernels (jaxgan's
    `compiler_options`, the CPU default of its compiled calls)."""
    if ynnpack:
        monkeypatch.setattr(conv, "compiler_options", lambda: None)
    else:
        monkeypatch.setattr(conv, "compiler_options", lambda: {conv.YNN_FUSION_OPTION: "LIBRARY_FUSION_TYPE_REDUCE"})


@pytest.mark.parametrize("ynnpack", [True, False])
@pytest.mark.parametrize(
    "batch, stride, features, taps", [(16, 1, 16, True), (16, 1, 8, False), (64, 2, 16, True), (16, 2, 16, False)]
)
def test_kernel_gradient_of_a_large_image_runs_by_taps(batch, stride, features, taps, ynnpack, monkeypatch):
    """Where convolutions run on YNNPACK, from 12x12 output pixels an example, 64x14x14 in the batch
    and 16 features in and out, a kernel gradient is one product per tap on the CPU at any stride,
    whatever its FLOPs (measured: the convolution form is slower there, `_kernel_grad_by_taps`);
    below, the convolution form. On XLA's own convolutions (jaxgan's compiled calls), always the
    convolution form (measured faster at every size)."""
    _ynnpack(monkeypatch, ynnpack)
    taps = taps and ynnpack
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, 28, 28, features))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, features, 16))
    _check_kernel_gradient_route(x, w, ((stride, stride), "SAME", (1, 1)), taps, atol=1e-3)


def _check_kernel_gradient_route(x, w, args, taps: bool, atol: float) -> None:
    """The kernel gradient equals JAX's own within rounding, and on the CPU is 9 products (by taps)
    or none (a convolution)."""
    y0, vjp0 = jax.vjp(lambda w: _reference(x, w, *args), w)
    dy = jnp.cos(y0)
    kernel_grad = lambda w: jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy)[0]  # noqa: E731
    np.testing.assert_allclose(kernel_grad(w), vjp0(dy)[0], rtol=1e-5, atol=atol)
    cpu = jax.default_backend() == "cpu"
    assert _dot_generals(kernel_grad, w) == (9 if taps and cpu else 0)


@pytest.mark.parametrize("ynnpack", [True, False])
@pytest.mark.parametrize(
    "batch, size, padding, features_in, features_out, taps",
    [
        (100, 12, "VALID", 64, 64, True),  # Triple-GAN's C: 10x10 out, 10,000 rows
        (64, 11, "SAME", 64, 64, True),  # 11x11, 7,744 rows
        (64, 10, "SAME", 64, 64, False),  # 6,400 rows
        (100, 9, "SAME", 64, 64, False),  # 9x9 out
        (64, 14, "VALID", 16, 32, False),  # 12x12 out, 9,216 rows, few features
    ],
)
def test_kernel_gradient_of_a_medium_image_at_stride_1_runs_by_taps(
    batch, size, padding, features_in, features_out, taps, ynnpack, monkeypatch
):
    """Where convolutions run on YNNPACK, at stride 1, from 10x10 output pixels an example, 7,500 in
    the batch and 64 features in and out, a kernel gradient is one product per tap on the CPU
    (measured faster: `_kernel_grad_by_taps`); below, and on XLA's own convolutions at any size, the
    convolution form. The values are JAX's own, within rounding."""
    _ynnpack(monkeypatch, ynnpack)
    taps = taps and ynnpack
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, size, size, features_in))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, features_in, features_out)) / 8.0
    _check_kernel_gradient_route(x, w, ((1, 1), padding, (1, 1)), taps, atol=2e-3)


def test_per_example_gradient_penalty_takes_no_grouped_convolution():
    """A gradient penalty differentiates D one example at a time under `jax.vmap`
    (`penalties.per_example_input_gradients`); the kernel gradient of a convolution inside it is then
    one per example, which JAX writes as a grouped convolution (37 ms a step against 5.8 ms by taps
    for ProGAN's 28x28 16 -> 32 layer, batch 64, 2 cores). A batch of one takes the products by
    taps, which vmap batches as matrix products. Same values as JAX's own rules, within rounding."""
    from jaxgan import penalties

    x = jax.random.normal(jax.random.PRNGKey(0), (4, 9, 9, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 5))

    def penalty(conv_fn):
        def f(w):
            d = lambda x: jnp.tanh(conv_fn(x, w, (1, 1), "SAME", (1, 1))).sum(axis=(1, 2, 3))  # noqa: E731
            return jnp.sum(penalties.per_example_input_gradients(d, x) ** 2)

        return jax.grad(f)

    np.testing.assert_allclose(penalty(_custom)(w), penalty(_reference)(w), rtol=1e-5, atol=1e-4)

    def groups(fn) -> set[str]:  # the group counts of the convolutions XLA is given
        text = jax.jit(fn).lower(w).as_text()
        return set(re.findall(r"(?:batch|feature)_group_count = (\d+)", text))

    # (without the rule, the per-example kernel gradients were one convolution in 4 groups)
    assert groups(penalty(_custom)) == ({"1"} if jax.default_backend() == "cpu" else groups(penalty(_reference)))


@pytest.mark.parametrize("stride", [1, 2])
def test_gradient_penalty_inside_scan_runs_canonical_convolutions_only(stride):
    """The gradient of an input gradient (a gradient penalty's) takes the loop-safe rules too: every
    convolution XLA:CPU compiles for it is NHWC x HWIO -> NHWC (`b01f_01io->b01f`), the layout it
    runs on its fast path inside a `while` loop; JAX's own transpose of the input gradient's
    convolution with respect to the kernel was a permuted one there (330 ms of a step at ProGAN's
    28x28 stage, 10 steps a call)."""
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 9, 9, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 4))

    def scanned(conv_fn):
        def f(w):
            grad_x = jax.grad(lambda x: jnp.sum(jnp.tanh(conv_fn(x, w, (stride, stride), "SAME", (1, 1)))))(x)
            return jnp.sum(grad_x**2)

        return jax.jit(
            lambda w: lax.scan(lambda c, _: (c + jax.grad(f)(w), None), jnp.zeros_like(w), None, length=2)[0]
        )

    np.testing.assert_allclose(scanned(_custom)(w), scanned(_reference)(w), rtol=1e-5, atol=1e-4)
    hlo = scanned(_custom).lower(w).compile().as_text()
    labels = [line.split("dim_labels=")[1].split(",")[0] for line in hlo.splitlines() if "dim_labels=" in line]
    if jax.default_backend() == "cpu":
        assert labels and set(labels) == {"b01f_01io->b01f"}, labels


@pytest.mark.parametrize("algorithm, stride", [("xla", 2), ("patches", 1)])
@pytest.mark.slow
def test_second_order_gradient_and_scan_match_lax(algorithm, stride):
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 9, 9, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (5, 5, 3, 4))

    def penalty(conv_fn):
        def f(w):  # a gradient penalty: reverse mode over reverse mode
            grad_x = jax.grad(lambda x: jnp.sum(jnp.tanh(conv_fn(x, w, (stride, stride), "SAME", (1, 1)))))(x)
            return jnp.sum(grad_x**2)

        return jax.jit(
            lambda w: lax.scan(lambda c, _: (c + jax.grad(f)(w), None), jnp.zeros_like(w), None, length=2)[0]
        )

    custom = lambda *args: _custom(*args, algorithm)  # noqa: E731
    tolerance = 1e-5 if algorithm == "xla" else 1e-4  # patches sum the products in another order
    np.testing.assert_allclose(penalty(custom)(w), penalty(_reference)(w), rtol=tolerance, atol=1e-3)


def test_patches_run_as_one_matmul_and_auto_picks_winograd_on_cpu_for_large_3x3_layers():
    x, w3, w1 = jnp.ones((2, 8, 8, 3)), jnp.ones((3, 3, 3, 4)), jnp.ones((1, 1, 3, 4))

    def primitives(w, algorithm, stride=1, x=x):
        fn = lambda x, w: _custom(x, w, (stride, stride), "SAME", (1, 1), algorithm)  # noqa: E731
        text = str(jax.make_jaxpr(jax.grad(lambda x, w: fn(x, w).sum(), argnums=(0, 1)))(x, w))
        return "conv_general_dilated" in text, "dot_general" in text

    assert primitives(w3, "patches") == (False, True)
    assert primitives(w3, "winograd") == (False, True)
    assert primitives(w3, "xla") == (True, False)
    assert primitives(w3, "auto") == (True, False)  # 3 channels: XLA's convolution everywhere
    wide_x, wide_w = jnp.ones((2, 16, 16, 32)), jnp.ones((3, 3, 32, 32))
    cpu = jax.default_backend() == "cpu"
    assert primitives(wide_w, "auto", x=wide_x) == ((False, True) if cpu else (True, False))
    # An unpadded 1x1 convolution: on the CPU its forward pass, input gradient and kernel gradient
    # are the matrix products they are (XLA:CPU runs them slower as convolutions).
    assert primitives(w1, "auto") == ((False, True) if cpu else (True, False))
    assert primitives(w3, "patches", stride=2) == (True, False)  # strided: XLA's convolution
    assert primitives(w3, "winograd", stride=2) == (True, False)
    with pytest.raises(
        ValueError, match=r"conv algorithm must be one of \('auto', 'xla', 'patches', 'winograd'\); got 'im2col'"
    ):
        _custom(x, w3, (1, 1), "SAME", (1, 1), "im2col")


@pytest.mark.parametrize(
    "size, cin, cout, padding, dtype, expected",
    [
        (32, 256, 256, "SAME", jnp.float32, 4),
        (15, 128, 128, "SAME", jnp.float32, 4),  # 15x15 in 16x16 tiles: 12% waste
        (16, 32, 32, "SAME", jnp.float32, 4),
        (9, 128, 128, "SAME", jnp.float32, None),  # 9x9 in 12x12: 44% waste, and odd
        (8, 256, 256, "SAME", jnp.float32, 2),
        (8, 64, 64, "SAME", jnp.float32, None),  # F(2, 3) needs 128 channels
        (4, 256, 1024, "SAME", jnp.float32, 2),
        (7, 128, 256, "SAME", jnp.float32, None),
        (32, 3, 128, "SAME", jnp.float32, None),  # the RGB layers
        (32, 256, 3, "SAME", jnp.float32, None),
        (34, 64, 64, "VALID", jnp.float32, 4),  # 32x32 out
        (32, 256, 256, "SAME", jnp.bfloat16, None),  # float32 only
    ],
)
@pytest.mark.parametrize("kernel", [3, 5])
def test_auto_picks_the_measured_winograd_tile_on_cpu(size, cin, cout, padding, dtype, expected, kernel, monkeypatch):
    if kernel == 5:  # the same rule, without F(2, 5) (slower than F(4, 5) at every measured shape)
        expected = None if expected == 2 else expected
        size = size + 2 if padding == "VALID" else size  # the same output sizes
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    pads = conv._pairs(padding, (size, size), (kernel, kernel), (1, 1), (1, 1))
    lhs = jax.ShapeDtypeStruct((64, size, size, cin), dtype)
    rhs = jax.ShapeDtypeStruct((kernel, kernel, cin, cout), dtype)
    assert conv.winograd_tile("auto", lhs, rhs, (1, 1), (1, 1), pads) == expected
    assert conv.winograd_tile("xla", lhs, rhs, (1, 1), (1, 1), pads) is None
    assert conv.winograd_tile("auto", lhs, rhs, (2, 2), (1, 1), pads) is None
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert conv.winograd_tile("auto", lhs, rhs, (1, 1), (1, 1), pads) is None  # XLA's convolution elsewhere
    assert conv.winograd_tile("winograd", lhs, rhs, (1, 1), (1, 1), pads) == (4 if size >= 14 else 2)
    other = jax.ShapeDtypeStruct((4, 4, cin, cout), dtype)  # only 3x3 and 5x5 kernels
    assert conv.winograd_tile("winograd", lhs, other, (1, 1), (1, 1), pads) is None


def _float64_conv_and_vjp(x, w, padding, dy):
    with jax.enable_x64(True):
        x, w, dy = (jnp.asarray(np.asarray(a, np.float64)) for a in (x, w, dy))
        fn = lambda x, w: lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=NHWC)  # noqa: E731
        y, vjp = jax.vjp(fn, x, w)
        return [np.asarray(t) for t in (y, *vjp(dy))]


@pytest.mark.parametrize(
    "size, cin, cout, padding, kernel",
    [
        (8, 64, 32, "SAME", 3),
        (13, 48, 40, "VALID", 3),
        (12, 72, 64, ((2, 0), (1, 2)), 3),
        (7, 40, 36, ((0, 1), (1, 0)), 3),
        (14, 48, 32, "SAME", 5),
        (11, 24, 40, ((3, 1), (0, 2)), 5),
    ],
)
def test_winograd_values_and_gradients_equal_float64_within_rounding(size, cin, cout, padding, kernel):
    """F(2, 3) is as close to the float64 convolution as XLA's own float32 one (measured: within
    1e-6 of the outputs' and gradients' largest magnitude, both); F(4, 3)'s and the 5x5 tiles'
    transforms amplify the rounding about 10x (measured 2e-6 to 1.2e-5 up to 32x32x256; F(4, 5)
    5.7e-6 at 14x14x64), as Lavin & Gray note."""
    x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, cin))
    w = jax.random.normal(jax.random.PRNGKey(1), (kernel, kernel, cin, cout)) / np.sqrt(kernel * kernel * cin)
    pads = conv._pairs(padding, x.shape[1:3], (kernel, kernel), (1, 1), (1, 1))
    out_shape = _reference(x, w, (1, 1), padding, (1, 1)).shape
    dy = jnp.cos(0.37 * jnp.arange(np.prod(out_shape))).reshape(out_shape)
    exact = _float64_conv_and_vjp(x, w, padding, dy)

    def relative_errors(fn):
        def values(x, w):
            y, vjp = jax.vjp(fn, x, w)
            return (y, *vjp(dy))

        # Inside `lax.scan`, as the training loop runs them.
        got = jax.jit(lambda x, w: lax.scan(lambda c, _: (c, values(x, w)), 0, None, length=1)[1])(x, w)
        return [float(np.max(np.abs(np.asarray(a[0]) - b)) / np.max(np.abs(b))) for a, b in zip(got, exact)]

    xla = relative_errors(lambda x, w: _reference(x, w, (1, 1), padding, (1, 1)))
    f2 = relative_errors(lambda x, w: conv.winograd_conv(x, w, pads, 2))
    f4 = relative_errors(lambda x, w: conv.winograd_conv(x, w, pads, 4))
    forced = relative_errors(lambda x, w: _custom(x, w, (1, 1), padding, (1, 1), "winograd"))  # what networks call
    assert max(xla) < 2e-6 and max(f2) < (2e-6 if kernel == 3 else 3e-5)
    assert max(f4) < 3e-5 and max(forced) < 3e-5


@pytest.mark.parametrize("m, r", [(2, 3), (4, 3), (2, 5), (4, 5), (6, 3)])
def test_winograd_matrices_compute_the_correlation(m, r):
    """`A^T [(G g) * (B^T d)] = [sum_k g_k d_(i+k)]_i` for random d and g, in float64; F(4, 3) is
    Lavin & Gray's section 4.2 to the entry."""
    bt, g, at = conv.winograd_matrices(m, r)
    assert bt.shape == (m + r - 1, m + r - 1) and g.shape == (m + r - 1, r) and at.shape == (m, m + r - 1)
    rng = np.random.default_rng(0)
    d, k = rng.normal(size=m + r - 1), rng.normal(size=r)
    expected = np.array([np.dot(k, d[i : i + r]) for i in range(m)])
    np.testing.assert_allclose(at @ ((g @ k) * (bt @ d)), expected, rtol=1e-12, atol=1e-12)
    if (m, r) == (4, 3):
        lavin_bt = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0]]
        lavin_bt += [[0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
        lavin_g = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6]]
        lavin_g += [[1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
        lavin_at = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
        np.testing.assert_array_equal(bt, lavin_bt)
        np.testing.assert_allclose(g, lavin_g, rtol=1e-15)
        np.testing.assert_array_equal(at, lavin_at)


@pytest.mark.slow
def test_winograd_second_order_gradient_and_jvp_match_lax():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 14, 14, 8))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 8, 6)) / np.sqrt(72)

    def penalty(conv_fn):  # a gradient penalty: reverse mode over reverse mode
        def f(w):
            grad_x = jax.grad(lambda x: jnp.sum(jnp.tanh(conv_fn(x, w))))(x)
            return jnp.sum(grad_x**2)

        return jax.jit(jax.grad(f))(w)

    wino = lambda x, w: _custom(x, w, (1, 1), "SAME", (1, 1), "winograd")  # noqa: E731
    plain = lambda x, w: _reference(x, w, (1, 1), "SAME", (1, 1))  # noqa: E731
    np.testing.assert_allclose(penalty(wino), penalty(plain), rtol=1e-4, atol=1e-4)
    _, tangent = jax.jvp(wino, (x, w), (jnp.ones_like(x), jnp.zeros_like(w)))
    _, expected = jax.jvp(plain, (x, w), (jnp.ones_like(x), jnp.zeros_like(w)))
    np.testing.assert_allclose(tangent, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_conv_module_has_flax_conv_parameters_and_outputs():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 8, 8, 3))
    plain = nn.Conv(5, (3, 3), strides=(2, 2))
    ours = conv.Conv(5, (3, 3), strides=(2, 2))
    variables = plain.init(jax.random.PRNGKey(1), x)
    assert jax.tree.structure(ours.init(jax.random.PRNGKey(1), x)) == jax.tree.structure(variables)
    np.testing.assert_allclose(ours.apply(variables, x), plain.apply(variables, x), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_grouped_or_input_dilated_convolutions_fall_back_to_lax():
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 6, 6, 4))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 2, 4))
    grouped = conv.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=NHWC, feature_group_count=2)
    expected = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=NHWC, feature_group_count=2)
    np.testing.assert_array_equal(grouped, expected)


@pytest.mark.slow
def test_maxout_gradient_is_jnp_max_rule_with_ties():
    x = jax.random.normal(jax.random.PRNGKey(0), (4, 15))
    x = x.at[0, :5].set(1.0).at[1, 5:8].set(2.0)  # a 5-way and a 3-way tie
    g = jax.random.normal(jax.random.PRNGKey(1), (4, 3))
    reference = lambda x: jnp.max(x.reshape(4, 3, 5), axis=-1)
    np.testing.assert_array_equal(layers.maxout(x, 5), reference(x))
    np.testing.assert_array_equal(jax.vjp(lambda x: layers.maxout(x, 5), x)[1](g)[0], jax.vjp(reference, x)[1](g)[0])
    second = lambda f: jax.grad(lambda x: jnp.sum(jax.grad(lambda x: jnp.sum(jnp.sin(f(x))))(x) ** 2))(x)
    np.testing.assert_allclose(second(lambda x: layers.maxout(x, 5)), second(reference), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# UpsampleConv: nearest upsampling + SAME convolution as one convolution of the source image.


def _upsample_then_conv(x, w, factor):
    return lax.conv_general_dilated(layers.upsample_nearest(x, factor), w, (1, 1), "SAME", dimension_numbers=NHWC)


def test_phase_taps_of_a_5x5_kernel_at_factor_2():
    # Upsampled row 2i + p + kh - 2 reads source row i + floor((p + kh - 2) / 2).
    matrix, lo, hi = conv._phase_matrix(5, 2)
    assert (lo, hi) == (1, 1)
    taps = [[list(np.flatnonzero(row)) for row in phase] for phase in matrix]
    assert taps == [[[0, 1], [2, 3], [4]], [[0], [1, 2], [3, 4]]]


@pytest.mark.parametrize("kernel_h, kernel_w", [(1, 1), (2, 3), (3, 3), (4, 4), (5, 5)])
@pytest.mark.parametrize("factor", [1, 2, 3])
@pytest.mark.slow
def test_upsample_conv_equals_upsampling_then_conv(kernel_h, kernel_w, factor):
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 6, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (kernel_h, kernel_w, 3, 4))
    loss = lambda f: lambda x, w: jnp.sum(jnp.sin(f(x, w)))
    fused = lambda x, w: conv.upsample_conv(x, w, factor)
    plain = lambda x, w: _upsample_then_conv(x, w, factor)
    np.testing.assert_allclose(fused(x, w), plain(x, w), rtol=1e-5, atol=2e-5)
    for got, want in zip(jax.grad(loss(fused), (0, 1))(x, w), jax.grad(loss(plain), (0, 1))(x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)


def test_upsample_conv_of_a_3x3_kernel_on_each_phases_own_taps_equals_upsampling_then_conv():
    """3x3 at factor 2: each phase reads 2 of the 3 source rows the phases read together, so with 64
    stacked outputs it runs on a grid one pixel larger (`_phase_convolution`); values and gradients."""
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 6, 5, 3))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 16))
    loss = lambda f: lambda x, w: jnp.sum(jnp.sin(f(x, w)))  # noqa: E731
    fused = lambda x, w: conv.upsample_conv(x, w, 2)  # noqa: E731
    plain = lambda x, w: _upsample_then_conv(x, w, 2)  # noqa: E731
    np.testing.assert_allclose(fused(x, w), plain(x, w), rtol=1e-5, atol=2e-5)
    for got, want in zip(jax.grad(loss(fused), (0, 1))(x, w), jax.grad(loss(plain), (0, 1))(x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)


def test_upsample_conv_does_0_36_of_the_flops_for_5x5_at_factor_2():
    # Per source pixel: 4 phases x 3x3 taps against 4 upsampled pixels x 5x5 taps.
    x = jnp.zeros((8, 7, 7, 16))
    w = jnp.zeros((5, 5, 16, 8))

    def flops(f):
        cost = jax.jit(f).lower(x, w).compile().cost_analysis()
        return (cost[0] if isinstance(cost, (list, tuple)) else cost)["flops"]

    ratio = flops(lambda x, w: conv.upsample_conv(x, w, 2)) / flops(lambda x, w: _upsample_then_conv(x, w, 2))
    assert ratio == pytest.approx(36 / 100, rel=0.05)


@pytest.mark.slow
def test_upsample_conv_module_has_flax_conv_parameters_and_gradients_in_scan():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 7, 7, 6))
    ours = conv.UpsampleConv(4, (5, 5))
    plain = nn.Conv(4, (5, 5))
    variables = ours.init(jax.random.PRNGKey(1), x)
    up = layers.upsample_nearest(x)
    assert jax.tree.map(jnp.shape, variables) == jax.tree.map(jnp.shape, plain.init(jax.random.PRNGKey(1), up))
    np.testing.assert_allclose(ours.apply(variables, x), plain.apply(variables, up), rtol=1e-5, atol=1e-5)

    def summed_grads(module, inputs):
        grad = jax.grad(lambda v: jnp.sum(jnp.tanh(module.apply(v, inputs))))
        return jax.jit(
            lambda v: lax.scan(
                lambda c, _: (jax.tree.map(jnp.add, c, grad(v)), None), jax.tree.map(jnp.zeros_like, v), None, length=2
            )[0]
        )(variables)

    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4),
        summed_grads(ours, x),
        summed_grads(plain, up),
    )


def test_upsample_conv_rejects_a_bad_factor_in_one_sentence():
    with pytest.raises(ValueError, match=r"UpsampleConv: `factor` must be a positive integer; got 0"):
        conv.UpsampleConv(4, (3, 3), factor=0).init(jax.random.PRNGKey(0), jnp.zeros((1, 4, 4, 2)))


def test_transpose_phase_taps_of_a_4x4_kernel_at_stride_2():
    """flax's ConvTranspose(4x4, stride 2, SAME): output row 2i reads source rows i-1, i with kernel
    rows 0, 2; row 2i+1 reads rows i, i+1 with kernel rows 1, 3 (the zeros of the dilation skip the rest)."""
    matrix, lo, hi = conv._transpose_phase_matrix(4, 2)
    assert (lo, hi) == (1, 1)
    np.testing.assert_array_equal(np.argwhere(matrix[0]), [[0, 0], [1, 2]])  # (tap a, kernel row)
    np.testing.assert_array_equal(np.argwhere(matrix[1]), [[1, 1], [2, 3]])


@pytest.mark.parametrize(
    "kernel,stride,size,features",
    # 4x4 at 16 features (64 stacked outputs): each phase on its own taps (`_phase_convolution`); else one window
    [
        (4, 2, 7, 4),
        (4, 2, 7, 16),
        (4, 2, 14, 16),
        (3, 2, 5, 4),
        (3, 2, 5, 16),
        (5, 2, 6, 4),
        (3, 1, 5, 4),
        (5, 3, 4, 4),
    ],
)
def test_conv_transpose_equals_flax_conv_transpose_with_its_gradients(kernel, stride, size, features):
    x = jax.random.normal(jax.random.PRNGKey(0), (3, size, size, 5))
    reference = nn.ConvTranspose(features, (kernel, kernel), strides=(stride, stride), padding="SAME")
    variables = reference.init(jax.random.PRNGKey(1), x)
    ours = conv.ConvTranspose(features, (kernel, kernel), stride=stride)
    assert jax.tree.map(jnp.shape, ours.init(jax.random.PRNGKey(1), x)) == jax.tree.map(jnp.shape, variables)
    want, got = reference.apply(variables, x), ours.apply(variables, x)
    assert got.shape == (3, size * stride, size * stride, features)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    loss = lambda module: lambda v, x: jnp.sum(jnp.sin(module.apply(v, x)))  # noqa: E731
    for g, w in zip(
        jax.tree.leaves(jax.grad(loss(ours), argnums=(0, 1))(variables, x)),
        jax.tree.leaves(jax.grad(loss(reference), argnums=(0, 1))(variables, x)),
    ):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


def test_compact_phases_of_a_4x4_transposed_kernel_at_stride_2():
    """Phase 0 reads source rows i-1, i (kernel rows 0, 2), phase 1 rows i, i+1 (1, 3): 2 taps each
    on a grid one row larger, phase 1 one row further on, instead of 3 taps each."""
    matrix, lo, hi = conv._transpose_phase_matrix(4, 2)
    compact, new_lo, new_hi, shifts = conv._compact_phases(matrix, lo, hi)
    assert compact.shape == (2, 2, 4) and (new_lo, new_hi) == (1, 1) and shifts == [0, 1]
    np.testing.assert_array_equal(np.argwhere(compact[0]), [[0, 0], [1, 2]])  # (tap b, kernel row)
    np.testing.assert_array_equal(np.argwhere(compact[1]), [[0, 1], [1, 3]])
    upsample, *_ = conv._compact_phases(*conv._phase_matrix(5, 2))  # 5x5 at factor 2: every phase spans 3
    assert upsample.shape == (2, 3, 5)


@pytest.mark.parametrize("kernel,size,ratio", [(4, 7, (14 / 19) ** 2), (4, 14, (28 / 40) ** 2), (5, 6, 1.0)])
def test_conv_transpose_multiplies_each_phase_by_its_own_taps_only(kernel, size, ratio):
    """XLA's FLOPs (in-bounds products) of `conv_transpose` at stride 2 against one 3x3 window of
    every phase's taps: per source row 2H products (each row read by 2 taps) against 3H - 2 for a
    4x4 kernel; for 5x5 every phase spans 3 rows, so the construction stays as it was."""
    x, w = jnp.zeros((32, size, size, 8)), jnp.zeros((kernel, kernel, 8, 16))
    rows, lo, hi = conv._transpose_phase_matrix(kernel, 2)

    def flops(f):
        cost = jax.jit(f).lower(x, w).compile().cost_analysis()
        return (cost[0] if isinstance(cost, (list, tuple)) else cost)["flops"]

    def one_window(x, w):
        return conv._phases_to_image(x, conv._stack_phases(w, rows, rows), ((lo, hi), (lo, hi)), 2, 16, None, "xla")

    np.testing.assert_allclose(one_window(x + 1.0, w + 1.0), conv.conv_transpose(x + 1.0, w + 1.0, 2))
    assert flops(lambda x, w: conv.conv_transpose(x, w, 2)) / flops(one_window) == pytest.approx(ratio, rel=0.02)


def test_compact_phases_of_a_phase_without_taps_sits_at_the_first_start():
    """A 2x2 transposed kernel at stride 3: one phase of three reads no source row at all."""
    matrix, lo, hi = conv._transpose_phase_matrix(2, 3)
    assert not matrix.any(axis=(1, 2)).all()  # the case: some phase has no taps
    compact, new_lo, new_hi, shifts = conv._compact_phases(matrix, lo, hi)
    assert min(shifts) == 0 and new_lo >= 0 and new_hi >= 0
    empty = [p for p in range(3) if not matrix[p].any()]
    assert all(not compact[p].any() for p in empty)


@pytest.mark.parametrize(
    "batch, size, padding, kernel, features_in, features_out, shifted",
    [
        (8, 14, "SAME", 3, 64, 4, True),  # the seed DCGAN's last layer, its four phases stacked
        (8, 14, "SAME", 5, 64, 1, True),
        (4, 9, ((2, 1), (0, 3)), 4, 32, 16, True),  # uneven padding
        (4, 7, ((2, 2), (2, 2)), 3, 32, 8, True),  # an output larger than the input (a phase grid)
        (4, 9, "VALID", 3, 64, 32, True),  # x^T S (72 shifted features and more)
        (8, 14, "SAME", 3, 32, 32, False),  # as many outputs as inputs
        (8, 14, "SAME", 3, 128, 64, False),  # more than _SHIFT_DY_MAX_OUTPUTS outputs
        (8, 14, "SAME", 3, 16, 4, False),  # fewer than _SHIFT_DY_MIN_INPUTS inputs
    ],
)
def test_kernel_gradient_of_few_outputs_shifts_dy_at_stride_1(
    batch, size, padding, kernel, features_in, features_out, shifted
):
    """At stride 1, with at most 32 outputs, twice as many inputs and 32 inputs or more, a kernel
    gradient is one product of x with dy shifted once per tap, on the CPU; its values and its
    second-order gradient are JAX's own within rounding (a batch of one keeps its own route)."""
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, size, size + 1, features_in))
    w = jax.random.normal(jax.random.PRNGKey(1), (kernel, kernel, features_in, features_out)) / 8.0
    args = ((1, 1), padding, (1, 1))
    y0, vjp0 = jax.vjp(lambda w: _reference(x, w, *args), w)
    dy = jnp.cos(y0)
    kernel_grad = lambda w: jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy)[0]  # noqa: E731
    np.testing.assert_allclose(kernel_grad(w), vjp0(dy)[0], rtol=1e-5, atol=1e-4)
    text = str(jax.make_jaxpr(kernel_grad)(w))
    if jax.default_backend() == "cpu" and shifted:
        assert text.count("dot_general") == 1
    else:
        assert text.count("dot_general") in (0, kernel * kernel)
    # The second-order gradient (a penalty's) through this route is JAX's own too.
    g_w = jnp.cos(w)
    second = jax.grad(lambda x: jnp.vdot(jax.vjp(lambda w: _custom(x, w, *args), w)[1](dy)[0], g_w))(x)
    second0 = jax.grad(lambda x: jnp.vdot(jax.vjp(lambda w: _reference(x, w, *args), w)[1](dy)[0], g_w))(x)
    np.testing.assert_allclose(second, second0, rtol=1e-4, atol=1e-4)


def test_compiler_options_move_convolutions_off_ynnpack_on_cpu_with_the_same_values(monkeypatch):
    """`conv.compiler_options()`: on the CPU, convolutions compile to XLA's own kernels (no
    YNNPACK fusion holds one), their values and gradients YNNPACK's within float rounding; a
    user's own XLA_FLAGS setting of the library fusions is left to rule."""
    x = jax.random.normal(jax.random.PRNGKey(0), (8, 14, 14, 16))
    w = jax.random.normal(jax.random.PRNGKey(1), (5, 5, 16, 32)) / 10.0

    def loss(x, w):
        return jnp.sum(jnp.sin(_custom(x, w, (2, 2), "SAME", (1, 1))))

    def compiled(options):
        return jax.jit(jax.value_and_grad(loss, (0, 1)), compiler_options=options).lower(x, w).compile()

    options = conv.compiler_options()
    if jax.default_backend() != "cpu":
        assert options is None
        return
    assert options == {conv.YNN_FUSION_OPTION: "LIBRARY_FUSION_TYPE_REDUCE,LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}
    ours, default = compiled(options), compiled(None)
    fusions = re.findall(
        r"calls=%([\w.\-]+), backend_config=\{\"fusion_config\":\{\"kind\":\"__ynn_fusion\"", ours.as_text()
    )
    bodies = {name: re.search(rf"%{re.escape(name)} .*?\n}}", ours.as_text(), re.S).group(0) for name in fusions}
    assert not any("convolution(" in body for body in bodies.values())
    assert "convolution(" in ours.as_text()
    for a, b in zip(jax.tree.leaves(ours(x, w)), jax.tree.leaves(default(x, w))):  # sums of ~400 products
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4 * float(jnp.max(jnp.abs(b))))
    conv.compiler_options.cache_clear()
    monkeypatch.setenv("XLA_FLAGS", f"--{conv.YNN_FUSION_OPTION}=-individual_dot")
    try:
        assert conv.compiler_options() is None
    finally:
        monkeypatch.undo()
        conv.compiler_options.cache_clear()
    assert conv.compiler_options() == options
