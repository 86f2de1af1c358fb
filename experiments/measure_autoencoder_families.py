"""The measured figures of EBGAN, BEGAN, MAD-GAN and VAE-GAN from their trained workdirs.

    python experiments/measure_autoencoder_families.py --runs=runs [--out=results]

Reads `<runs>/{ebgan_mnist,began_mnist,madgan_ring,vaegan_mnist}` (whichever exist; train them
with `jaxgan train --config=configs/<name>.py --workdir=<runs>/<name>`) and writes into `--out`:
- `began_mnist_M.png`: BEGAN's convergence measure M and k_t over the run (metrics.jsonl);
- `<name>_samples.png` for the image runs; `madgan_ring_samples.png` coloured by generator;
- `vaegan_mnist_reconstructions.png`: held-out digits above their reconstructions;
- `autoencoder_families.json`: fid_classifier of EBGAN / BEGAN (2,500 samples, as `jaxgan eval`),
  MAD-GAN's modes, HQ fraction, reverse KL and, per mode, the share of its HQ samples drawn by
  its most frequent generator; VAE-GAN's bundled-classifier accuracy on the reconstructions of
  the 500 held-out digits and their pixel MSE.
"""

from __future__ import annotations

import argparse
import json
import os

import jax
import numpy as np


def began_curve(workdir: str, out: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    rows = [r for r in rows if "M" in r]  # the training rows (not the loop's evaluations)
    steps = [r["step"] for r in rows]
    fig, left = plt.subplots(figsize=(6, 3.2), dpi=120)
    left.plot(steps, [r["M"] for r in rows], color="tab:blue", label="M")
    left.set_xlabel("step")
    left.set_ylabel("convergence measure M", color="tab:blue")
    right = left.twinx()
    right.plot(steps, [r["began/k_t"] for r in rows], color="tab:orange", label="k_t")
    right.set_ylabel("k_t", color="tab:orange")
    left.set_title("BEGAN on MNIST (configs/began_mnist.py)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return {
        "M_first": rows[0]["M"],
        "M_last": rows[-1]["M"],
        "M_min": min(r["M"] for r in rows),
        "k_t_last": rows[-1]["began/k_t"],
    }


def image_figures(workdir: str, name: str, out_dir: str) -> dict:
    from jaxgan.train import evaluation, restore, sampling, sweeps

    restore.write_samples(workdir, num=64, out=os.path.join(out_dir, f"{name}_samples.png"))
    # As `jaxgan eval` computes fid_classifier (2,500 samples against 2,500 real digits), without
    # the Inception evaluators it adds when their weights are installed (half an hour on 2 cores).
    config, experiment, state = restore.load_latest(workdir)
    config.unlock()
    config.evaluators = "fid,precision_recall"
    sampler = sampling.Sampler(experiment.program, sweeps.num_runs(config))
    results = {
        "step": int(jax.device_get(state.step)),
        **evaluation.evaluator(config, experiment.dataset, sampler)(state),
    }
    return {
        key: results[key]
        for key in ("step", "fid_classifier", "precision_classifier", "recall_classifier")
        if key in results
    }


def madgan_figures(workdir: str, out_dir: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jaxgan.metrics.mode_coverage import mode_coverage
    from jaxgan.train import restore

    path = os.path.join(out_dir, "madgan_ring_samples.npz")
    restore.write_samples(workdir, num=2500, out=path)
    drawn = np.load(path)
    os.remove(path)
    x, generator = drawn["x"], drawn["generator"]
    config, experiment, _ = restore.load_latest(workdir)
    centers, std = experiment.dataset.metadata["centers"], experiment.dataset.metadata["std"]
    coverage = mode_coverage(x, centers, std)
    distances = np.linalg.norm(x[:, None] - centers[None], axis=-1) / std
    nearest, high_quality = distances.argmin(1), distances.min(1) < 3.0
    per_mode = []
    for mode in range(len(centers)):
        drawn_by = generator[high_quality & (nearest == mode)]
        if len(drawn_by) == 0:
            per_mode.append({"mode": mode, "hq_samples": 0})
            continue
        counts = np.bincount(drawn_by, minlength=config.madgan.num_generators)
        per_mode.append(
            {
                "mode": mode,
                "hq_samples": int(len(drawn_by)),
                "top_generator": int(counts.argmax()),
                "top_share": float(counts.max() / len(drawn_by)),
            }
        )
    fig, axis = plt.subplots(figsize=(4, 4), dpi=120)
    axis.scatter(*centers.T, marker="x", color="black", s=40)
    colours = plt.get_cmap("tab10" if config.madgan.num_generators <= 10 else "tab20")
    for index in range(config.madgan.num_generators):
        mine = generator == index
        axis.scatter(x[mine, 0], x[mine, 1], color=colours(index), s=3, label=f"G_{index + 1}")
    axis.set_aspect("equal")
    axis.set_title(f"MAD-GAN, {config.madgan.num_generators} generators")
    axis.legend(loc="center", markerscale=3, fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "madgan_ring_samples.png"))
    plt.close(fig)
    return {
        "modes": int(coverage.modes),
        "high_quality_fraction": float(coverage.high_quality_fraction),
        "reverse_kl": float(coverage.reverse_kl),
        "per_mode": per_mode,
        "generators_used": int(len(np.unique(generator[high_quality]))),
    }


def vaegan_figures(workdir: str, out_dir: str) -> dict:
    from jaxgan.metrics.classifier import get_classifier
    from jaxgan.train import restore

    path = os.path.join(out_dir, "vaegan_mnist_reconstructions.npz")
    restore.write_reconstructions(workdir, out=path, split="test")
    arrays = np.load(path)
    os.remove(path)
    restore.write_reconstructions(
        workdir, out=os.path.join(out_dir, "vaegan_mnist_reconstructions.png"), split="test", num=64
    )
    restore.write_samples(workdir, num=64, out=os.path.join(out_dir, "vaegan_mnist_samples.png"))
    classifier = get_classifier("mnist")
    predicted = classifier.probabilities(arrays["reconstruction"]).argmax(1)
    on_inputs = classifier.probabilities(arrays["x"]).argmax(1)
    return {
        "num_held_out": int(len(arrays["x"])),
        "accuracy_on_reconstructions": float(np.mean(predicted == arrays["label"])),
        "accuracy_on_inputs": float(np.mean(on_inputs == arrays["label"])),
        "pixel_mse": float(np.mean((arrays["reconstruction"] - arrays["x"]) ** 2)),  # images in [-1, 1]
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--out", default="results")
    parser.add_argument("--only", default="ebgan_mnist,began_mnist,madgan_ring,vaegan_mnist")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    summary_path = os.path.join(args.out, "autoencoder_families.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    for name in args.only.split(","):
        workdir = os.path.join(args.runs, name)
        if not os.path.isdir(workdir):
            continue
        if name == "began_mnist":
            summary[name] = {
                **image_figures(workdir, name, args.out),
                **began_curve(workdir, os.path.join(args.out, "began_mnist_M.png")),
            }
        elif name == "ebgan_mnist":
            summary[name] = image_figures(workdir, name, args.out)
        elif name == "madgan_ring":
            summary[name] = madgan_figures(workdir, args.out)
        elif name == "vaegan_mnist":
            summary[name] = vaegan_figures(workdir, args.out)
        print(name, json.dumps(summary[name]), flush=True)
        with open(summary_path, "w") as f:
            json.dump(summary, f, indent=1)
    jax.clear_caches()


if __name__ == "__main__":
    main()
