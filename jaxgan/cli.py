"""`jaxgan train | sample | eval | classify`: thin launchers around `jaxgan.train` and `jaxgan.metrics`.

    jaxgan train --config=configs/dcgan_mnist.py --workdir=runs/dcgan [--config.loss.name=hinge]
    jaxgan sample --workdir=runs/dcgan --num=64 --out=samples.png   (or .npy)
    jaxgan eval --workdir=runs/dcgan
    jaxgan classify --workdir=runs/acgan --input=images.npy --out=labels.npy
    jaxgan fid --a=my_images/ --b=cifar10@test [--kid] [--save_stats=stats.npz]

A mistake on the command line (an unknown command or flag, a config file that is missing or
broken, a misspelled config field, an unusable workdir) stops with one sentence on stderr
and a non-zero exit code, before anything is compiled or written. The checks that need no
config run before JAX is imported, so they answer at once.
"""

from __future__ import annotations

import ast
import difflib
import importlib.machinery
import os
import re
import sys
import textwrap
import types

from absl import app, flags, logging
from ml_collections import config_dict, config_flags

COMMANDS = ("train", "sample", "eval", "classify", "fid")
_SUMMARIES = {
    "train": "Train the experiment of a config file in a workdir; a workdir that holds a checkpoint of the "
    "same config resumes from it, and a longer --config.num_steps continues it.",
    "sample": "Draw samples from the latest checkpoint of a workdir into a .npy file (raw samples) or a .png "
    "file (a grid of images or a scatter plot of points).",
    "eval": "Evaluate the latest checkpoint of a workdir with its config's evaluators (or the default ones "
    "for its kind of data) and write eval_<step>.json into the workdir.",
    "classify": "Write one predicted label per input image (InfoGAN: the code index) from the latest checkpoint of "
    "a workdir whose family classifies real examples (its record exports a classifier: ACGAN's class head, the K+1 "
    "discriminator, InfoGAN's Q).",
    "fid": "FID (and KID) between two image sets: each a folder, an .npy/.npz of images, a statistics file "
    "(mu, sigma), a workdir (--num samples of its latest checkpoint, default 10000) or a dataset name with an "
    "optional @split; statistics are cached under --cache_dir by the set's fingerprint.",
}
_USAGES = {
    "train": "jaxgan train --config=configs/<experiment>.py --workdir=<dir> [--config.<field>=<value> ...]",
    "sample": "jaxgan sample --workdir=<dir> --out=<file.npy|file.png> [--num=64] [--seed=0]",
    "eval": "jaxgan eval --workdir=<dir> [--stage=k | --step=N]",
    "classify": "jaxgan classify --workdir=<dir> --input=<images.npy> --out=<labels.npy>",
    "fid": "jaxgan fid --a=<source> --b=<source> [--kid] [--save_stats=<file.npz>] [--num=N] [--features=inception]",
}

# lock_config=False with accept_new_attributes: new keys are let through only where
# `_check_overrides` allows them (the keyword arguments of an optimiser or a loss); the
# config is locked once the overrides are applied.
_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "An experiment config file (configs/*.py).", lock_config=False, accept_new_attributes=True
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where the run's checkpoints, metrics and samples live.")
_NUM = flags.DEFINE_integer(
    "num",
    64,
    "How many samples to draw (fid: how many images of each set, a seeded subset; a workdir's default is 10000, "
    "the others' all of them).",
)
_OUT = flags.DEFINE_string(
    "out",
    None,
    "Output file: .npz (samples `x` and every conditioning input drawn), .npy (`x`) or .png (a picture); classify: "
    ".npy (one int32 label per image).",
)
_LABELS = flags.DEFINE_string(
    "labels", None, "Conditional runs: the labels to draw for, 'all' (equal numbers per class) or e.g. '3,3,7'."
)
_SEED = flags.DEFINE_integer("seed", 0, "The seed of the latent vectors.")
_TRUNCATION = flags.DEFINE_float(
    "truncation",
    None,
    "sample: the truncation trick, z drawn from the normal truncated to [-psi, psi] per coordinate (e.g. 0.5); "
    "default: no truncation.",
)
_STAGE = flags.DEFINE_integer(
    "stage",
    None,
    "sample, eval: a run in stages (progressive growing, StackGAN): draw or evaluate at the newest kept checkpoint "
    "of this stage; default: the latest checkpoint, at the run's current stage.",
)
_STEP = flags.DEFINE_integer(
    "step",
    None,
    "sample, eval: draw or evaluate at this kept checkpoint (a step of the run's checkpoints/) instead of the latest.",
)
_RECONSTRUCT = flags.DEFINE_string(
    "reconstruct",
    None,
    "VAE-GAN: instead of samples, write the examples of this split ('test': the held-out digits) and their "
    "reconstructions (.npz: x, reconstruction, label; .png: inputs above reconstructions).",
)
_INPUT = flags.DEFINE_string(
    "input",
    None,
    "sample: translation runs (pix2pix, cyclegan, srgan) translate these images (.npy array or .png) instead of held-out "
    "ones; classify: the images to classify (.npy [n, H, W, C] in [-1, 1] or uint8, or one .png).",
)
_A = flags.DEFINE_string(
    "a", None, "fid: the first image set (folder, .npy/.npz, statistics .npz, workdir, dataset[@split])."
)
_B = flags.DEFINE_string("b", None, "fid: the second image set (as --a).")
_KID = flags.DEFINE_bool("kid", False, "fid: also compute KID (keeps the features of both sets).")
_SAVE_STATS = flags.DEFINE_string(
    "save_stats",
    None,
    "fid: write --a's statistics (mu, sigma: pytorch-fid's layout) to this .npz; --b may be left out.",
)
_FEATURES = flags.DEFINE_enum(
    "features",
    "inception",
    ["inception", "classifier"],
    "fid: the feature network (classifier: grey 28x28/8x8 digits).",
)
_IMAGE_SIZE = flags.DEFINE_integer(
    "image_size",
    0,
    "fid: centre-crop and resize the images of folders and arrays to this square size (0: as they are).",
)
_SKIP_BAD = flags.DEFINE_bool("skip_bad_files", False, "fid: skip (and count) image files that do not decode.")
_CACHE_DIR = flags.DEFINE_string("cache_dir", "~/.cache/jaxgan", "fid: where statistics are cached (statistics/).")
_PROFILE_STEPS = flags.DEFINE_integer(
    "profile_steps",
    0,
    "train: write a jax.profiler trace of this many steps, after the first (compiling) call, into <workdir>/profile "
    "(whole calls of config.steps_per_call steps; TensorBoard's profile plugin and ui.perfetto.dev read it); 0: none.",
    lower_bound=0,
)
_MULTIHOST = flags.DEFINE_bool("multihost", False, "Call jax.distributed.initialize() before anything else.")
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None, "multihost: host:port of process 0 (else from the environment)."
)
_NUM_PROCESSES = flags.DEFINE_integer(
    "num_processes", None, "multihost: number of processes (else from the environment)."
)
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "multihost: this process's index (else from the environment).")

# What the command's own flags with a bound accept, for the sentence that refuses another value.
_ACCEPTED = {"profile_steps": "a non-negative int (0: no trace; N: trace N steps after the first compiled call)"}
_MULTIHOST_FLAGS = ("multihost", "coordinator_address", "num_processes", "process_id")
_COMMAND_FLAGS = {
    "train": ("config", "workdir", "profile_steps", *_MULTIHOST_FLAGS),
    "sample": ("workdir", "out", "num", "seed", "labels", "reconstruct", "input", "truncation", "stage", "step"),
    "eval": ("workdir", "stage", "step", *_MULTIHOST_FLAGS),
    "classify": ("workdir", "input", "out"),
    "fid": ("a", "b", "kid", "save_stats", "num", "seed", "features", "image_size", "skip_bad_files", "cache_dir"),
}
_REQUIRED = {
    "train": ("config", "workdir"),
    "sample": ("workdir", "out"),
    "eval": ("workdir",),
    "classify": ("workdir", "input", "out"),
    "fid": ("a",),
}
_OWN_FLAGS = frozenset(name for names in _COMMAND_FLAGS.values() for name in names)
_HELP = ("help", "h", "helpshort", "?")

# Config dicts whose keys are the keyword arguments of what they name: an optax optimiser,
# a loss. A key new to the config file is let through to the builder, which checks it
# against that function's signature and names the accepted ones.
_FREE_FORM = ("loss.params", "optimizer.generator", "optimizer.discriminator")
# A model's dict holds every setting of its model; another model (its `name` overridden
# too) may take settings the first did not have, which the builder checks.
_MODEL_DICTS = ("model.generator", "model.discriminator")
_EXAMPLE_CONFIG = "configs/ring_ns.py"


class Refusal(Exception):
    """A mistake of the user's: reported as one sentence, exit code 2, no traceback."""


def _sentence(message: object) -> str:
    return " ".join(str(message).split())


def _refuse(command: str | None, message: object, *, code: int = 2) -> None:
    prefix = f"jaxgan {command}" if command else "jaxgan"
    print(f"{prefix}: {_sentence(message)}", file=sys.stderr)
    sys.exit(code)


# ----------------------------------------------------------------------------------------------
# What the command line holds, read before absl parses it (and before JAX is imported).


class _Arguments:
    def __init__(self):
        self.flags: list[str] = []  # flag names as written, without dashes and value
        self.values: dict[str, str] = {}  # the last value of each flag, by its full name
        self.overrides: list[str] = []  # config field paths, e.g. "loss.name"
        self.positional: list[str] = []
        self.help = False
        self.flagfile = False


def _flag_of(name: str):
    """The absl flag that `--name` (or `--noname`) sets, or None."""
    if name in flags.FLAGS:
        return flags.FLAGS[name]
    if name.startswith("no") and name[2:] in flags.FLAGS and flags.FLAGS[name[2:]].boolean:
        return flags.FLAGS[name[2:]]
    return None


def _scan(args: list[str]) -> _Arguments:
    found = _Arguments()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            found.positional += args[i:]
            break
        if not arg.startswith("-") or arg == "-":
            found.positional.append(arg)
            continue
        name, has_value, value = arg.lstrip("-").partition("=")
        if name in _HELP:
            found.help = True
            continue
        if re.match(r"(no)?config\.", name):
            found.overrides.append(name.split(".", 1)[1])
            if not has_value and i < len(args) and not args[i].startswith("-"):
                i += 1  # --config.field value
            continue
        flag = _flag_of(name)
        if flag is not None and not flag.boolean and not has_value and i < len(args):
            value, i = args[i], i + 1  # --flag value
        found.flags.append(name)
        if flag is not None:
            found.values[flag.name] = value
        found.flagfile |= name == "flagfile"
    return found


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check_arguments(command: str, found: _Arguments) -> None:
    """Refuse flags of other commands, unknown flags, positional arguments and missing flags."""
    own = _COMMAND_FLAGS[command]
    for name in found.flags:
        flag = _flag_of(name)
        if flag is None:
            known = [n for n in flags.FLAGS if n not in _OWN_FLAGS or n in own]
            nearest = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean --{nearest[0]}?)" if nearest else ""
            raise Refusal(f"unknown flag --{name}{hint}; jaxgan {command} --help lists its flags.")
        if flag.name in _OWN_FLAGS and flag.name not in own:
            others = [c for c in COMMANDS if flag.name in _COMMAND_FLAGS[c]]
            raise Refusal(
                f"--{flag.name} is a flag of jaxgan {_listed(others)}, not of jaxgan {command}; "
                f"jaxgan {command} takes {', '.join('--' + n for n in own)}."
            )
    for name, accepted in _ACCEPTED.items():
        value = found.values.get(name)
        if name in own and value is not None and not re.fullmatch(r"\d+", value.strip()):
            raise Refusal(f"--{name}={value} is not accepted; use {accepted}.")
    if found.positional:
        raise Refusal(
            f"takes no positional arguments, got {found.positional[0]!r}; flags are written "
            f"--name=value ({_USAGES[command]})."
        )
    if found.overrides and command != "train":
        raise Refusal(
            f"--config.{found.overrides[0]} cannot be set here: jaxgan {command} uses the config saved in the "
            "workdir's config.json."
        )
    missing = [name for name in _REQUIRED[command] if not found.values.get(name)]
    if missing:
        raise Refusal(f"missing {', '.join('--' + n for n in missing)}; usage: {_USAGES[command]}.")


# ----------------------------------------------------------------------------------------------
# The config file: checked without running it first (no JAX), then loaded to check the overrides.


def _top_level_names(statements: list[ast.stmt]) -> set[str]:
    names = set()
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names |= {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
        for field in ("body", "orelse", "finalbody", "handlers"):  # if / try / with blocks at module level
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names |= _top_level_names(getattr(statement, field, []))
    return names


def _check_config_file(spec: str) -> None:
    path = spec.split(":", 1)[0]
    example = f"e.g. --config={_EXAMPLE_CONFIG}"
    if not path:
        raise Refusal(f"--config is empty; pass an experiment config file, {example}.")
    if not os.path.exists(path):
        raise Refusal(
            f"--config={path}: no such file (relative paths start at {os.getcwd()}); pass an experiment config file "
            f"that defines get_config(), {example}."
        )
    if os.path.isdir(path):
        raise Refusal(
            f"--config={path} is a directory; pass one of its Python files that defines get_config(), {example}."
        )
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as error:
        raise Refusal(f"--config={path} cannot be read ({error.strerror or error}).") from None
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:
        where = f" at line {error.lineno}" if getattr(error, "lineno", None) else ""
        reason = getattr(error, "msg", None) or str(error)
        raise Refusal(
            f"--config={path} has a syntax error{where} ({reason}); an experiment config file is Python that "
            f"defines get_config(), {example}."
        ) from None
    star_import = any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) for node in tree.body)
    if "get_config" not in _top_level_names(tree.body) and not star_import:
        raise Refusal(
            f"--config={path} defines no get_config(); an experiment config file defines get_config() that returns "
            f"an ml_collections.ConfigDict, {example}."
        )


def _load_config_file(spec: str) -> config_dict.ConfigDict:
    """Run the config file's get_config() as the config flag will, but with one sentence on failure."""
    path, _, argument = spec.partition(":")
    loader = importlib.machinery.SourceFileLoader("jaxgan_cli_config", path)
    module = types.ModuleType(loader.name)
    module.__file__ = path
    try:
        loader.exec_module(module)
        config = module.get_config(*([argument] if argument else []))
    except Exception as error:  # noqa: BLE001 - anything the user's file raises is reported as one sentence
        line = None
        traceback = error.__traceback__
        while traceback is not None:
            if os.path.abspath(traceback.tb_frame.f_code.co_filename) == os.path.abspath(path):
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        where = f" at line {line}" if line else ""
        raise Refusal(
            f"--config={spec} failed while loading{where}: {type(error).__name__}: {_sentence(error)}"
        ) from None
    if not isinstance(config, config_dict.ConfigDict):
        raise Refusal(
            f"get_config() of --config={spec} returned {type(config).__name__}, not an ml_collections.ConfigDict."
        )
    return config


def _nearest(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1)
    if close:
        return close[0]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.0)
    return close[0] if close else None


def _check_overrides(config: config_dict.ConfigDict, overrides: list[str]) -> None:
    """Refuse `--config.<path>` overrides that name no field of `config`, naming the nearest field."""
    renamed = {path.rsplit(".", 1)[0] for path in overrides if path.endswith(".name")}
    problems = []
    for path in overrides:
        parts = path.split(".")
        node, walked = config, []
        for i, part in enumerate(parts):
            here = ".".join(walked)
            if not isinstance(node, (config_dict.ConfigDict, dict)):
                problems.append(
                    f"--config.{path} is not a field: config.{here} is the value {node!r}, not a group of "
                    f"fields (set it as --config.{here}=<value>)"
                )
                break
            keys = sorted(node.keys())
            if part in keys:
                node = node[part]
                walked.append(part)
                continue
            new_keyword = here in _FREE_FORM or (here in _MODEL_DICTS and here in renamed)
            if new_keyword and i == len(parts) - 1:
                break  # a keyword argument the config file did not set; the builder checks the name
            nearest = _nearest(part, keys)
            listed = f" (config.{here} has {', '.join(keys)})" if here and len(keys) <= 12 else ""
            hint = f"; the nearest accepted name is --config.{'.'.join([*walked, nearest])}" if nearest else ""
            problems.append(f"--config.{path} is not a field of the config{listed}{hint}")
            break
    if problems:
        raise Refusal("; ".join(problems) + ".")


def _bad_value(message: str) -> str:
    """absl's "flag --config.x=v: <reason>" as a sentence that says what the field accepts."""
    own = re.match(r"flag --(\w+)=(.*?): (.*)$", _sentence(message))
    if own and own.group(1) in _ACCEPTED:  # a flag file's value: the command line's are checked before
        name, value, reason = own.groups()
        return f"--{name}={value} is not accepted ({reason.rstrip('.')}); use {_ACCEPTED[name]}."
    match = re.match(r"flag --(config\.[^=]+)=(.*?): (.*)$", _sentence(message))
    if not match:
        return message
    name, value, reason = match.groups()
    return f"--{name}={value} is not a value this field takes ({reason.rstrip('.')}); pass a value of the field's type."


def _config_fields(config, prefix: str = "") -> list[str]:
    lines = []
    for key in sorted(config.keys()):
        value = config[key]
        if isinstance(value, (config_dict.ConfigDict, dict)) and value:
            lines += _config_fields(value, f"{prefix}{key}.")
        else:
            lines.append(f"  --config.{prefix}{key}={value!r}")
    return lines


# ----------------------------------------------------------------------------------------------
# Help.


def _flag_help(name: str) -> str:
    flag = flags.FLAGS[name]
    default = "" if flag.default is None or name == "config" else f" (default: {flag.default!r})"
    value = "" if flag.boolean else "=<file.py>" if name == "config" else f"=<{flag.flag_type()}>"
    return f"  --{name}{value}\n      {flag.help}{default}"


def _print_help(command: str | None, config_spec: str | None = None) -> None:
    if command is None:
        lines = ["usage: jaxgan <command> [flags]", "", "commands:"]
        for name in COMMANDS:
            lines += textwrap.wrap(
                _SUMMARIES[name], width=100, initial_indent=f"  {name:<8}", subsequent_indent=" " * 10
            )
        lines += ["", "jaxgan <command> --help lists the command's flags."]
        print("\n".join(lines))
        return
    lines = [f"usage: {_USAGES[command]}", "", *textwrap.wrap(_SUMMARIES[command], width=100), "", "flags:"]
    lines += [_flag_help(name) for name in _COMMAND_FLAGS[command]]
    lines += [
        "  --verbosity=<int>",
        "      -1 (the default here): warnings and errors only; 0: also the INFO lines of JAX and orbax; 1: debug",
        "      lines, and the traceback of an error that stops a launched command.",
        "  (--helpfull lists every flag of the libraries too.)",
    ]
    if command == "train":
        lines += [
            "",
            "config overrides:",
            "  Every field of the config can be set on the command line as --config.<field>=<value>, nested fields",
            "  joined by dots, e.g. --config.num_steps=2000 --config.loss.name=hinge",
            "  --config.optimizer.generator.learning_rate=2e-4. A value is read as the field's type. A name that is",
            "  not a field of the config is refused with the nearest field's name; new keys are accepted only as",
            "  keyword arguments in config.loss.params and config.optimizer.<generator|discriminator> (and in",
            "  config.model.<generator|discriminator> when its name is overridden too), checked when the run is built.",
            "  Launch-only settings (num_steps, log/checkpoint/sample/eval cadence, keep_checkpoints, evaluators,",
            "  num_eval_samples, accept_changed_data, data.workers, data.prefetch) may change between launches of one",
            "  run; any other change needs another --workdir or --config.overwrite=True (the old run is moved aside",
            "  into replaced_<time>/). A folder: or array: dataset whose files changed since the run began is refused",
            "  unless --config.accept_changed_data=True.",
        ]
        if config_spec:
            _check_config_file(config_spec)
            lines += ["", f"fields of --config={config_spec}:"]
            lines += _config_fields(_load_config_file(config_spec))
            from jaxgan.programs import registry  # the config file has imported the models already

            lines += ["", "families (--config.program=<name>, or <file.py>:<NAME> for a family of your own):"]
            lines += [f"  {name:<16}{family.doc}" for name, family in registry.FAMILIES.items()]
        else:
            lines += ["  jaxgan train --config=<file> --help lists the fields of that config and their values."]
    print("\n".join(lines))


# ----------------------------------------------------------------------------------------------
# The commands.


def _initialize_distributed(multihost: bool) -> None:
    if not multihost:
        return
    import jax

    jax.distributed.initialize(
        coordinator_address=_COORDINATOR.value, num_processes=_NUM_PROCESSES.value, process_id=_PROCESS_ID.value
    )


def _train() -> None:
    config, workdir = _CONFIG.value, _WORKDIR.value
    from jaxgan.train import workdir as workdir_lib

    multihost = _MULTIHOST.value or bool(config.get("multihost", False))
    # Reads only: a workdir that cannot be used stops here. Which process writes (and so holds the
    # lease) is known only once a multi-host run is initialised: its lease is checked in the loop.
    workdir_lib.check(workdir, config, lease=not multihost)
    if not multihost:  # a CPU device per core for a launch of many runs (`config.run_devices`)
        from jaxgan.train import parallel, sweeps

        run_devices = config.get("run_devices", 0)
        parallel.cpu_devices_for_runs(len(sweeps.runs_of(config)), run_devices if isinstance(run_devices, int) else 0)
    _initialize_distributed(multihost)
    from jaxgan.train import train_and_evaluate

    train_and_evaluate(config, workdir, profile_steps=_PROFILE_STEPS.value)


def _sample() -> None:
    from jaxgan.train import restore

    if _TRUNCATION.value is not None and _RECONSTRUCT.value:
        raise ValueError("--truncation is for samples drawn from latents; leave it out with --reconstruct.")

    if _STAGE.value is not None and (_RECONSTRUCT.value or _INPUT.value):
        raise ValueError("--stage is for samples of a run in stages; leave it out with --reconstruct and --input.")
    if _STEP.value is not None and (_RECONSTRUCT.value or _INPUT.value):
        raise ValueError("--step is for samples drawn from latents; leave it out with --reconstruct and --input.")
    if _RECONSTRUCT.value:
        num = _NUM.value if _NUM.present else None
        path, num = restore.write_reconstructions(_WORKDIR.value, out=_OUT.value, split=_RECONSTRUCT.value, num=num)
        print(f"wrote {num} inputs and their reconstructions to {path}")
        return
    from jaxgan.train import translate

    if _INPUT.value or translate.translates(_WORKDIR.value):
        if _TRUNCATION.value is not None:
            raise ValueError("--truncation is for samples drawn from latents, and this run translates; leave it out.")
        num = _NUM.value if _NUM.present else None
        path, num = translate.write_translations(_WORKDIR.value, num=num, out=_OUT.value, input_path=_INPUT.value)
        print(f"wrote {num} sources and their translations to {path}")
        return
    labels = _LABELS.value
    num = _NUM.value if _NUM.present or labels is None or labels == "all" else None
    path, num = restore.write_samples(
        _WORKDIR.value,
        num=num,
        out=_OUT.value,
        seed=_SEED.value,
        labels=labels,
        truncation=_TRUNCATION.value,
        stage=_STAGE.value,
        step=_STEP.value,
    )
    print(f"wrote {num} samples to {path}")


def _eval() -> None:
    from jaxgan.train import restore

    _initialize_distributed(_MULTIHOST.value)
    results = restore.evaluate_workdir(_WORKDIR.value, stage=_STAGE.value, step=_STEP.value)
    print(restore.format_table(results))


def _classify() -> None:
    from jaxgan.train import classify

    path, num, replaced = classify.write_labels(_WORKDIR.value, input_path=_INPUT.value, out=_OUT.value)
    print(f"wrote {num} predicted labels to {path}" + (" (replacing the file that was there)" if replaced else ""))


def _fid() -> None:
    from jaxgan.train import compare

    results = compare.score(
        _A.value,
        _B.value,
        features=_FEATURES.value,
        kid=_KID.value,
        save_stats=_SAVE_STATS.value,
        num=_NUM.value if _NUM.present else None,
        seed=_SEED.value,
        image_size=_IMAGE_SIZE.value,
        skip_bad_files=_SKIP_BAD.value,
        cache_dir=_CACHE_DIR.value,
    )
    for name, value in results.items():
        print(f"{name:<24}{value:.6g}" if isinstance(value, float) else f"{name:<24}{value}")


_RUN = {"train": _train, "sample": _sample, "eval": _eval, "classify": _classify, "fid": _fid}
# What a user's input can make the launched code raise. NonFiniteError (a diverging run)
# is a FloatingPointError; its sentence already says which checkpoint is kept.
_USER_ERRORS = (ValueError, TypeError, FloatingPointError, OSError)


def _without_orbax_background_errors(record) -> bool:
    """orbax logs the traceback of a failed background save (a full disk) before raising it in
    the main thread, where it becomes one sentence; those tracebacks show with --verbosity=1."""
    return not (record.exc_info and f"{os.sep}orbax{os.sep}" in record.pathname)


def _debugging() -> bool:
    return flags.FLAGS.is_parsed() and flags.FLAGS["verbosity"].value >= logging.DEBUG


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("--help", "-help", "-h", "help", "--helpshort"):
        if len(argv) >= 2:
            _print_help(None)
            sys.exit(0)
        _refuse(None, f"no command given; use one of {', '.join(COMMANDS)} (jaxgan <command> --help lists its flags).")
    command = argv[1]
    if command not in COMMANDS:
        nearest = difflib.get_close_matches(command, COMMANDS, n=1)
        hint = f" (did you mean {nearest[0]}?)" if nearest else ""
        _refuse(
            None,
            f"unknown command {command!r}{hint}; the commands are {', '.join(COMMANDS)} "
            "(jaxgan <command> --help lists its flags).",
        )
    args = argv[2:]
    app.define_help_flags()  # --helpfull and friends, as app.run defines them
    found = _scan(args)
    try:
        if found.help:
            _print_help(command, found.values.get("config") if command == "train" else None)
            sys.exit(0)
        absl_help = any(name in ("helpfull", "helpxml") for name in found.flags)
        if not (found.flagfile or absl_help):  # absl expands flag files and prints its own help
            _check_arguments(command, found)
        if command == "train" and found.values.get("config") is not None:
            _check_config_file(found.values["config"])
    except Refusal as refusal:
        _refuse(command, refusal)

    def parse(parse_argv: list[str]) -> list[str]:
        try:
            if command == "train" and found.values.get("config"):
                _check_overrides(_load_config_file(found.values["config"]), found.overrides)
            remaining = flags.FLAGS(parse_argv)
        except Refusal as refusal:
            _refuse(command, refusal)
        except flags.IllegalFlagValueError as error:
            _refuse(command, _bad_value(str(error)))
        except (flags.Error, AttributeError, KeyError, ValueError, TypeError, OSError) as error:
            message = error.args[0] if isinstance(error, (AttributeError, KeyError)) and error.args else error
            _refuse(command, message)
        if _CONFIG.value is not None and command == "train":
            _CONFIG.value.lock()  # no field can be added from here on, as with a config file of its own
        return remaining

    def run(unused_argv: list[str]) -> None:
        if not flags.FLAGS["verbosity"].present:
            # absl turns INFO on when --verbosity is not given; orbax and JAX then print
            # ~130 lines a run. Show them only when asked for.
            logging.set_verbosity(logging.WARNING)
        from jaxgan.train.loop import Interrupted  # past the refusals: JAX may be imported now

        if not _debugging():
            logging.get_absl_logger().addFilter(_without_orbax_background_errors)

        try:
            _RUN[command]()
        except Interrupted as stop:  # SIGTERM / Ctrl-C: the checkpoint is saved; 128 + signal, as a shell does
            print(f"jaxgan {command}: {stop}", file=sys.stderr)
            sys.exit(128 + stop.signal_number)
        except _USER_ERRORS as error:  # a user's mistake or a diverging run: one sentence, no traceback
            if _debugging():
                raise
            _refuse(command, error, code=1)

    sys.argv = [argv[0], *args]  # the config flag reads its overrides from sys.argv
    app.run(run, argv=sys.argv, flags_parser=parse)


if __name__ == "__main__":
    main()
