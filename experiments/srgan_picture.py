"""The picture of results/srgan.md: held-out digits as rows of columns low-res | bicubic | SRResNet | SRGAN | truth.

    PYTHONPATH=$PWD python experiments/srgan_picture.py --srgan=runs/srgan --srresnet=runs/srresnet \
        --out=results/srgan_mnist.png --num=16 --per_row=2

Each workdir's latest checkpoint upscales the first `num` held-out sources (the 7x7 digits, shown
enlarged by pixel repetition); bicubic is `jaxgan.programs.srgan.bicubic_upsample`.
"""

from __future__ import annotations

import argparse

import numpy as np

from jaxgan.data import translation as data_translation
from jaxgan.metrics import translation as metrics
from jaxgan.programs import srgan
from jaxgan.train import restore, writers


def upscaled(workdir: str, sources: np.ndarray) -> np.ndarray:
    _, experiment, state = restore.load_latest(workdir)
    return metrics.Translator(experiment.program)(state, sources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--srgan", required=True)
    parser.add_argument("--srresnet", required=True)
    parser.add_argument("--out", default="results/srgan_mnist.png")
    parser.add_argument("--num", type=int, default=16)
    parser.add_argument("--per_row", type=int, default=2, help="digits side by side in a row")
    args = parser.parse_args()
    config, _, _ = restore.load_latest(args.srgan)
    got = data_translation.held_out_sources(metrics.held_out(config, "test"), args.num)
    truth = got["target"]
    columns = [
        writers.enlarged(got["source"], truth.shape[1:]),
        srgan.bicubic_upsample(got["source"], truth.shape[1:]),
        upscaled(args.srresnet, got["source"]),
        upscaled(args.srgan, got["source"]),
        truth,
    ]
    tiles = np.stack(columns, axis=1).reshape(-1, *truth.shape[1:])  # example-major: a digit's 5 columns together
    writers.save_png(writers.image_grid(tiles, columns=len(columns) * args.per_row), args.out)
    print(f"wrote {args.out}: {args.num} digits, {args.per_row} to a row, low-res | bicubic | SRResNet | SRGAN | truth")


if __name__ == "__main__":
    main()
