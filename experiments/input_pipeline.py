"""Images per second the tensorflow-datasets input pipeline delivers with 0, 1 and 2 Grain workers
(`config.data.workers`), beside what a 64x64 DCGAN step consumes on this machine.

    PYTHONPATH=. python experiments/input_pipeline.py [--num=2000] [--calls=40] [--steps=6] [--repeats=2]

Prepares a tensorflow-datasets dataset in a temporary data dir (ArrayRecord files, built without
TensorFlow from JPEG bytes), `jaxgan_photos`, in two configs:

- `s64`: `num` 64x64 RGB JPEGs (quality 90), each a crop of one of scikit-learn's two sample
  photographs resized to 64x64: natural-image statistics, so a realistic JPEG size (~2-3 KB,
  as in downsampled 64x64 photo datasets); read at `image_size` 64 (decoded, nothing to resize).
- `celeba_size`: the same crops at CelebA's 178x218 (~10 KB), centre-cropped and resized to 64x64
  by the pipeline, as `configs/dcgan_celeba64.py` reads CelebA.

Then, for each, on this machine:

- the pipeline alone: the batches of `calls` calls of one step of 64 images (`steps_per_call` 1,
  as configs/dcgan_celeba64.py), read by `jaxgan.data.pipeline.CallReader` in this process
  (workers 0) or by `Loader` with 1 and 2 worker processes, in images/s (the workers' start,
  timed apart, is not in it; nothing else runs in this process meanwhile);
- the step: configs/dcgan_celeba64.py's compiled call on one fixed batch, steps/s x 64 = the
  images/s it consumes;
- end to end: the same call fed by the loop's `Feeder` with 0, 1 and 2 workers, `steps` steps.

Every figure is the median of `repeats` measurements; the machine's load (other processes on its
cores) moves them, so run it more than once. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 64
SIZES = {"s64": (64, 64), "celeba_size": (218, 178)}  # (height, width) of the stored JPEGs


def jpeg_photos(num: int, height: int, width: int) -> list[bytes]:
    """`num` JPEGs (quality 90) of crops of scikit-learn's sample photographs, resized to height x width."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images  # two 427x640 photographs
    rng = np.random.default_rng(0)
    encoded = []
    for i in range(num):
        photo = photos[i % 2]
        crop_h = int(rng.integers(min(96, height), 400))
        crop_w = min(int(round(crop_h * width / height)), photo.shape[1])
        top, left = int(rng.integers(0, photo.shape[0] - crop_h + 1)), int(rng.integers(0, photo.shape[1] - crop_w + 1))
        picture = Image.fromarray(photo[top : top + crop_h, left : left + crop_w]).resize(
            (width, height), Image.Resampling.BICUBIC
        )
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=90)
        encoded.append(buffer.getvalue())
    return encoded


def build(data_dir: str, config: str, num: int) -> None:
    """Prepares `jaxgan_photos/<config>` (`num` images) under `data_dir`, in a process of its own
    (`prepare`): the builder class is defined only there, so the measuring process and Grain's
    workers open the files with tfds's read-only builder and never pickle a class of this script."""

    class JaxganPhotos(tfds.core.GeneratorBasedBuilder):
        """Crops of two photographs as JPEGs, in the sizes of `SIZES` (one builder config each)."""

        VERSION = tfds.core.Version("1.0.0")
        BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=name) for name in SIZES]

        def _info(self):
            height, width = SIZES[self.builder_config.name]
            image = tfds.features.Image(shape=(height, width, 3), encoding_format="jpeg")
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({"image": image}))

        def _split_generators(self, dl_manager):
            del dl_manager
            return {"train": self._generate_examples()}

        def _generate_examples(self):
            for i, encoded in enumerate(jpeg_photos(num, *SIZES[self.builder_config.name])):
                yield i, {"image": io.BytesIO(encoded)}  # encoded already: tfds stores the bytes, no TensorFlow

    JaxganPhotos(config=config, data_dir=data_dir, file_format="array_record").download_and_prepare()


def prepare(data_dir: str, config: str, num: int) -> float:
    """Builds `jaxgan_photos/<config>` under `data_dir` (another process); returns the mean JPEG bytes per image."""
    command = [sys.executable, os.path.abspath(__file__), "--build", data_dir, config, str(num)]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": ROOT})
    return float(np.mean([len(b) for b in jpeg_photos(min(num, 200), *SIZES[config])]))


def pipeline_rate(dataset, workers: int, calls: int) -> tuple[float, float]:
    """(images/s, seconds to the first batch) of `calls` one-step calls of 64 images."""
    from jaxgan.data import pipeline

    reader = pipeline.CallReader(
        [dataset], seeds=(0,), features=("x",), batch_size=BATCH, batches_per_step=1, steps_per_call=1
    )
    if workers == 0:
        start = time.perf_counter()
        for step in range(calls):
            reader(step)
        return calls * BATCH / (time.perf_counter() - start), 0.0
    loader = pipeline.Loader(reader, workers=workers, prefetch=2, stop=calls + 1)
    try:
        start = time.perf_counter()
        loader.get(0)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for step in range(1, calls + 1):
            loader.get(step)
        return calls * BATCH / (time.perf_counter() - start), first
    finally:
        loader.close()


def training_thread_ms(dataset, workers: int, rounds: int = 3, prefetch: int = 4) -> float:
    """Milliseconds the training process spends per batch of 64 until it is on the device (`jax.device_put`):
    reading it itself (workers 0), or taking a batch the workers have ready (after a pause that lets
    them fill their buffers) from shared memory."""
    import jax

    from jaxgan.data import pipeline

    def to_device(batch):
        jax.block_until_ready(jax.device_put(batch))

    reader = pipeline.CallReader(
        [dataset], seeds=(0,), features=("x",), batch_size=BATCH, batches_per_step=1, steps_per_call=1
    )
    if workers == 0:
        start = time.perf_counter()
        for step in range(rounds * 4):
            to_device(reader(step))
        return (time.perf_counter() - start) / (rounds * 4) * 1e3
    loader = pipeline.Loader(reader, workers=workers, prefetch=prefetch)
    times = []
    try:
        loader.get(0)
        step = 1
        for _ in range(rounds):
            time.sleep(2.0)
            for _ in range(workers * prefetch - 1):  # what the buffers hold
                start = time.perf_counter()
                to_device(loader.get(step))
                times.append(time.perf_counter() - start)
                step += 1
    finally:
        loader.close()
    return statistics.median(times) * 1e3


def step_rates(config_name: str, data_dir: str, steps: int, workers_list, repeats: int) -> dict:
    """Images/s of the DCGAN's call on a fixed batch ("step"), and fed by the Feeder per worker count."""
    import jax

    from jaxgan.cli import _load_config_file
    from jaxgan.train import feeding, loop, run_axis

    config = _load_config_file(os.path.join(ROOT, "configs", "dcgan_celeba64.py"))
    config.data.name = f"tfds:jaxgan_photos/{config_name}"
    config.data.data_dir = data_dir
    config.num_steps = 10_000
    run = loop.setup(config)
    state = run_axis.place(run.state, run.mesh)
    fixed = run.feeder.inputs(0)
    state, metrics = run.call(state, *fixed)  # compiles
    jax.block_until_ready((state, metrics))

    def timed(feed) -> float:
        nonlocal state
        start = time.perf_counter()
        for step in range(steps):
            state, _ = run.call(state, *feed(step))
        jax.block_until_ready(state)
        return steps * BATCH / (time.perf_counter() - start)

    results = {"step": [timed(lambda step: fixed) for _ in range(repeats)]}
    for workers in workers_list:
        feeder = feeding.Feeder(
            run.feeder.datasets,
            run.mesh,
            seeds=run.runs.seeds,
            features=run.experiment.program.features,
            batch_size=config.batch_size,
            batches_per_step=run.experiment.program.batches_per_step,
            steps_per_call=config.steps_per_call,
            on_device=False,
            workers=workers,
            prefetch=2,
        )
        try:
            feeder.inputs(0)  # the workers' start is not timed
            # The stream goes on from where it is (no restart): repeat r reads steps 1 + r * steps, ...
            results[f"end_to_end_{workers}"] = [
                timed(lambda step, f=feeder, o=1 + r * steps: f.inputs(o + step)) for r in range(repeats)
            ]
        finally:
            feeder.close()
    return results


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        data_dir, config, num = sys.argv[2:]
        build(data_dir, config, int(num))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--num", type=int, default=2000, help="images in the dataset")
    parser.add_argument("--calls", type=int, default=40, help="calls of 64 images per pipeline measurement")
    parser.add_argument("--steps", type=int, default=6, help="DCGAN steps per step measurement")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--configs", default="s64,celeba_size")
    parser.add_argument("--step_configs", default="s64", help="the configs whose data also feed the DCGAN step")
    args = parser.parse_args()
    from absl import flags

    flags.FLAGS.mark_as_parsed()
    from jaxgan import data

    workers_list = (0, 1, 2)
    lines = [
        f"cores: {os.cpu_count()}; {args.num} images; batches of {BATCH}; median of {args.repeats}; "
        f"command: PYTHONPATH=. python experiments/{os.path.basename(__file__)} {' '.join(sys.argv[1:])}".rstrip(),
        "",
        "| stored JPEGs | JPEG bytes | pipeline img/s, 0 workers | 1 worker | 2 workers | workers' start s (1, 2) "
        "| training thread ms per batch to the device, 0 / 1 / 2 workers | DCGAN 64x64 step consumes img/s "
        "| end to end img/s, 0 / 1 / 2 workers |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as data_dir:
        for config_name in args.configs.split(","):
            jpeg_bytes = prepare(data_dir, config_name, args.num)
            dataset = data.load(f"tfds:jaxgan_photos/{config_name}", image_size=64, data_dir=data_dir)
            rates, starts = {w: [] for w in workers_list}, {w: [] for w in workers_list}
            for _ in range(args.repeats):
                for workers in workers_list:  # alternate, so that a change of load falls on every count
                    rate, first = pipeline_rate(dataset, workers, args.calls)
                    rates[workers].append(rate)
                    starts[workers].append(first)
                    print(
                        f"{config_name} pipeline workers={workers}: {rate:,.0f} img/s (start {first:.1f} s)", flush=True
                    )
            costs = {w: training_thread_ms(dataset, w) for w in workers_list}
            print(f"{config_name} training thread ms per batch: {costs}", flush=True)
            feeds_step = config_name in args.step_configs.split(",")
            step = step_rates(config_name, data_dir, args.steps, workers_list, args.repeats) if feeds_step else {}
            print(f"{config_name} step: { {k: [round(v, 1) for v in vs] for k, vs in step.items()} }", flush=True)
            height, width = SIZES[config_name]
            median = lambda values: statistics.median(values) if values else float("nan")  # noqa: E731
            lines.append(
                f"| {width}x{height} (`{config_name}`) | {jpeg_bytes:,.0f} | "
                + " | ".join(f"{median(rates[w]):,.0f}" for w in workers_list)
                + f" | {median(starts[1]):.1f}, {median(starts[2]):.1f} | "
                + " / ".join(f"{costs[w]:.1f}" for w in workers_list)
                + f" | {median(step.get('step', [])):,.1f} | "
                + " / ".join(f"{median(step.get(f'end_to_end_{w}', [])):,.1f}" for w in workers_list)
                + " |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
