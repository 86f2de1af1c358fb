"""XLA's convolution against the patch matmul (`jaxgan.models.conv`, algorithm "patches"), per shape.

    python experiments/conv_algorithms.py [--shapes=64,32,256,256 64,8,128,128 ...]

For each NHWC shape (batch, size, in channels, out channels) of a 3x3 stride-1 "SAME"
convolution: the best of 3 timings of the forward pass and both gradients inside `lax.scan`
(as the training loop runs them), and the achieved GFLOP/s. The default shapes are the SNGAN
ResNet's at batch 64 (G: 256 channels at 8, 16, 32 and its RGB output; D: 128 channels).
"""

from __future__ import annotations

import argparse
import functools
import time

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.models.conv import conv_general_dilated

SNGAN_SHAPES = (
    "64,8,256,256 64,16,256,256 64,32,256,256 64,32,256,3 64,32,3,128 64,32,128,128 64,16,128,128 64,8,128,128"
)


def seconds(shape: tuple[int, int, int, int], algorithm: str) -> float:
    batch, size, cin, cout = shape
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, size, size, cin))
    w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, cin, cout)) * 0.02
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=SNGAN_SHAPES, help="space-separated batch,size,in,out")
    args = parser.parse_args()
    print("| shape (B, H=W, in, out) | xla ms | xla GFLOP/s | patches ms | patches GFLOP/s | speed-up |")
    print("|---|---|---|---|---|---|")
    for text in args.shapes.split():
        shape = tuple(int(v) for v in text.split(","))
        flops = 3 * 2 * shape[0] * shape[1] ** 2 * 9 * shape[2] * shape[3]  # forward + both gradients
        xla, patches = seconds(shape, "xla"), seconds(shape, "patches")
        print(
            f"| {shape} | {1e3 * xla:.0f} | {flops / xla / 1e9:.0f} | {1e3 * patches:.0f} | "
            f"{flops / patches / 1e9:.0f} | {xla / patches:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
