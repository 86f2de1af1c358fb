"""`jaxgan train | sample | eval`: thin launchers around `jaxgan.train` and `jaxgan.metrics`.

    jaxgan train --config=configs/dcgan_mnist.py --workdir=runs/dcgan [--config.loss.name=hinge]
    jaxgan sample --workdir=runs/dcgan --num=64 --out=samples.png   (or .npy)
    jaxgan eval --workdir=runs/dcgan
"""

from __future__ import annotations

import sys

from absl import app, flags
from ml_collections import config_flags

COMMANDS = ("train", "sample", "eval")

_CONFIG = config_flags.DEFINE_config_file("config", None, "An experiment config file (configs/*.py).", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where the run's checkpoints, metrics and samples live.")
_NUM = flags.DEFINE_integer("num", 64, "sample: how many samples to draw.")
_OUT = flags.DEFINE_string("out", None, "sample: output file, .npy (raw samples) or .png (a grid or scatter plot).")
_SEED = flags.DEFINE_integer("seed", 0, "sample: the seed of the latent vectors.")
_MULTIHOST = flags.DEFINE_bool("multihost", False, "Call jax.distributed.initialize() before anything else.")
_COORDINATOR = flags.DEFINE_string("coordinator_address", None, "multihost: host:port of process 0 (else from the environment).")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "multihost: number of processes (else from the environment).")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "multihost: this process's index (else from the environment).")


def _initialize_distributed(multihost: bool) -> None:
    if not multihost:
        return
    import jax

    jax.distributed.initialize(
        coordinator_address=_COORDINATOR.value, num_processes=_NUM_PROCESSES.value, process_id=_PROCESS_ID.value
    )


def _train() -> None:
    from jaxgan.train import train_and_evaluate

    if _CONFIG.value is None or _WORKDIR.value is None:
        raise app.UsageError("jaxgan train needs --config=configs/<experiment>.py and --workdir=<dir>.")
    _initialize_distributed(_MULTIHOST.value or bool(_CONFIG.value.get("multihost", False)))
    train_and_evaluate(_CONFIG.value, _WORKDIR.value)


def _sample() -> None:
    from jaxgan.train import restore

    if _WORKDIR.value is None or _OUT.value is None:
        raise app.UsageError("jaxgan sample needs --workdir=<dir> and --out=<file.npy|file.png>.")
    path = restore.write_samples(_WORKDIR.value, num=_NUM.value, out=_OUT.value, seed=_SEED.value)
    print(f"wrote {_NUM.value} samples to {path}")


def _eval() -> None:
    from jaxgan.train import restore

    if _WORKDIR.value is None:
        raise app.UsageError("jaxgan eval needs --workdir=<dir>.")
    _initialize_distributed(_MULTIHOST.value)
    results = restore.evaluate_workdir(_WORKDIR.value)
    print(restore.format_table(results))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(f"usage: jaxgan {{{'|'.join(COMMANDS)}}} [flags]   (jaxgan <command> --help for the flags)", file=sys.stderr)
        sys.exit(2)
    command = argv.pop(1)
    run = {"train": _train, "sample": _sample, "eval": _eval}[command]

    def _main(unused_argv):
        try:
            run()
        except ValueError as error:  # a user's mistake: one sentence, no traceback
            print(f"jaxgan {command}: {error}", file=sys.stderr)
            sys.exit(1)

    app.run(_main, argv=argv)


if __name__ == "__main__":
    main()
