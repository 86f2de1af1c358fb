"""Images per second the `folder:` source delivers at 64x64, beside what the seed DCGAN's step consumes.

    PYTHONPATH=. python experiments/folder_throughput.py [--num=2000] [--steps=4]

Writes a folder of `num` 64x64 RGB images (PNG, and the same as JPEG quality 90) under a
temporary directory, then measures on this machine:

- the first load's decoding pass (every file decoded once, in threads; the check for truncated
  files), in images/s;
- `FolderDataset.get` of batches of 64 random indices, decoded from the files each time
  (`IN_MEMORY_BYTES = 0`: what a folder too large for memory gets), in images/s;
- the same from memory (a folder under `IN_MEMORY_BYTES`, the default for this one);
- the seed DCGAN at 64x64 (`configs/dcgan_celeba64.py`, batch 64, read from the host as its
  config says) trained on the PNG folder: steps/s x batch = the images/s its step consumes.

Prints a Markdown table; numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def write_folder(root: Path, num: int, suffix: str) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    for i in range(num):
        a, b, c = rng.uniform(0, 1, 3)
        picture = np.stack([np.sin(6 * a * xx + b), np.cos(5 * b * yy + c), xx * yy * c], axis=-1)
        noise = rng.normal(0, 0.05, picture.shape)
        pixels = np.clip((picture + noise + 1) * 127.5 / 2 + 40, 0, 255).astype(np.uint8)
        (root / f"{i % 10}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(
            root / f"{i % 10}" / f"{i:06d}{suffix}", **({"quality": 90} if suffix == ".jpg" else {})
        )


def measure_reads(name: str, cache: Path, *, in_memory: bool, batches: int = 30) -> tuple[float, float]:
    from jaxgan.data import folder

    folder.IN_MEMORY_BYTES = 256 * 2**20 if in_memory else 0
    start = time.perf_counter()
    dataset = folder.load_folder(name, cache_dir=None)  # no cache: the decoding pass is timed
    load_seconds = time.perf_counter() - start
    rng = np.random.default_rng(1)
    dataset.get(rng.integers(0, len(dataset), 64))  # warm the thread pool and page cache
    start = time.perf_counter()
    for _ in range(batches):
        dataset.get(rng.integers(0, len(dataset), 64))
    per_second = batches * 64 / (time.perf_counter() - start)
    return len(dataset) / load_seconds, per_second


def dcgan_images_per_second(name: str, workdir: Path, steps: int) -> float:
    command = [
        sys.executable, "-m", "jaxgan.cli", "train", f"--config={ROOT / 'configs' / 'dcgan_celeba64.py'}",
        f"--workdir={workdir}", f"--config.data.name={name}", f"--config.num_steps={steps}",
        "--config.steps_per_call=1", "--config.log_every=1", f"--config.checkpoint_every={steps}",
        f"--config.sample_every={steps}", "--config.evaluators=",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    speeds = [row["steps_per_second"] for row in rows[1:] if "steps_per_second" in row]  # the first call compiles
    return float(np.median(speeds)) * 64


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = []
        for suffix in (".png", ".jpg"):
            root = tmp / suffix[1:]
            write_folder(root, args.num, suffix)
            scan, from_files = measure_reads(f"folder:{root}", tmp / "cache", in_memory=False)
            _, from_memory = measure_reads(f"folder:{root}", tmp / "cache", in_memory=True)
            rows.append((suffix[1:].upper(), scan, from_files, from_memory))
        print(f"cores: {os.cpu_count()}; {args.num} images of 64x64x3; batches of 64 random indices\n")
        print("| files | first load (decode all) img/s | get() from files img/s | get() from memory img/s |")
        print("| --- | --- | --- | --- |")
        for kind, scan, from_files, from_memory in rows:
            print(f"| {kind} | {scan:,.0f} | {from_files:,.0f} | {from_memory:,.0f} |", flush=True)
        consumed = dcgan_images_per_second(f"folder:{tmp / 'png'}", tmp / "run", args.steps)
    print(f"\nseed DCGAN 64x64 (configs/dcgan_celeba64.py, batch 64) on the PNG folder: {consumed:,.1f} img/s consumed")


if __name__ == "__main__":
    main()
