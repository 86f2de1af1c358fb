"""XLA's convolution against the patch matmul and Winograd's F(2, 3) and F(4, 3) (`jaxgan.models.conv`), per shape.

    python experiments/conv_algorithms.py [--shapes=64,32,256,256 64,8,128,128 ...]

For each NHWC shape (batch, size, in channels, out channels) of a 3x3 stride-1 "SAME"
convolution: the best of 3 timings of the forward pass and both gradients inside `lax.scan`
(as the training loop runs them), in ms, and what `algorithm="auto"` picks for it on this
backend (`conv.winograd_tile`). The default shapes are the SNGAN ResNet's at batch 64 (G: 256
channels at 8, 16, 32 and its RGB output; D: 128 channels) and a few around the rule's edges.
"""

from __future__ import annotations

import argparse
import functools
import time

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.models import conv as conv_lib
from jaxgan.models.conv import conv_general_dilated

SNGAN_SHAPES = (
    "64,8,256,256 64,16,256,256 64,32,256,256 64,32,256,3 64,32,3,128 64,32,128,128 64,16,128,128 64,8,128,128 "
    "64,4,256,1024 64,15,128,128 64,12,128,128 64,9,128,128 64,7,128,256 64,5,256,256 64,16,32,32"
)


def seconds(shape: tuple[int, int, int, int], algorithm: str) -> float:
    """`algorithm`: one of `conv.ALGORITHMS`, or "winograd2" / "winograd4" for a given tile."""
    batch, size, cin, cout = shape
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, size, size, cin))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, cin, cout)) * 0.02
    if algorithm.startswith("winograd") and algorithm != "winograd":
        conv = functools.partial(conv_lib.winograd_conv, pads=((1, 1), (1, 1)), m=int(algorithm[-1]))
    else:
        conv = functools.partial(
            conv_general_dilated,
            window_strides=(1, 1),
            padding="SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            algorithm=algorithm,
        )
    grads = jax.grad(lambda x, w: jnp.sum(conv(x, w) ** 2), argnums=(0, 1))

    def body(carry, _):
        gx, gw = grads(*carry)
        return (carry[0] + 1e-3 * gx, carry[1] + 1e-6 * gw), None

    run = jax.jit(lambda x, w: lax.scan(body, (x, w), None, length=1)[0])
    jax.block_until_ready(run(x, w))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        jax.block_until_ready(run(x, w))
        best = min(best, time.perf_counter() - start)
    return best


def auto_choice(shape: tuple[int, int, int, int]) -> str:
    batch, size, cin, cout = shape
    lhs, rhs = (
        jax.ShapeDtypeStruct((batch, size, size, cin), "float32"),
        jax.ShapeDtypeStruct((3, 3, cin, cout), "float32"),
    )
    tile = conv_lib.winograd_tile("auto", lhs, rhs, (1, 1), (1, 1), ((1, 1), (1, 1)))
    return "xla" if tile is None else f"F({tile}, 3)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=SNGAN_SHAPES, help="space-separated batch,size,in,out")
    args = parser.parse_args()
    print(f"forward + both gradients in lax.scan, ms (best of 3); backend {jax.default_backend()}")
    print("| shape (B, H=W, in, out) | xla | patches | F(2, 3) | F(4, 3) | best / xla | auto picks |")
    print("|---|---|---|---|---|---|---|")
    for text in args.shapes.split():
        shape = tuple(int(v) for v in text.split(","))
        times = {name: seconds(shape, name) for name in ("xla", "patches", "winograd2", "winograd4")}
        cells = " | ".join(f"{1e3 * t:.0f}" for t in times.values())
        print(f"| {shape} | {cells} | {times['xla'] / min(times.values()):.2f}x | {auto_choice(shape)} |", flush=True)


if __name__ == "__main__":
    main()
