"""Checkpoints of the whole `TrainState` through orbax's `CheckpointManager`, each proving itself.

The data position needs no saving of its own: batches are a pure function of the step
(`jaxgan.data.batch_indices`), so the restored step resumes the data exactly too.

At save, a CRC32 of every leaf's bytes (with its dtype and shape) goes into the step's orbax
metadata (`custom_metadata`, the step directory's `_CHECKPOINT_METADATA`), as TensorFlow's
checkpoints store one per tensor. At restore the restored leaves are checked against it. A
checkpoint whose sums differ, whose files cannot be read, or whose orbax metadata or manifest
is missing is named in one sentence and moved aside into `checkpoints/damaged_<step>/` (nothing
is deleted); the newest intact one is restored instead, and with none intact the restore is
refused in one sentence.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable

import jax
import numpy as np
import orbax.checkpoint as ocp
from etils import epath
from flax import serialization

from jaxgan.train import storage
from jaxgan.train.state import TrainState

CHECKSUM = "crc32"  # zlib's CRC-32 of each leaf's bytes, after its dtype and shape
# What orbax needs of a step's directory to restore it: its metadata and the array store's.
_REQUIRED = ("_CHECKPOINT_METADATA", "default/_METADATA", "default/manifest.ocdbt")
DAMAGED_PREFIX = "damaged_"


class DamagedCheckpoint(ValueError):
    """A checkpoint that does not restore to what was saved."""


class NoIntactCheckpoint(ValueError):
    """Every checkpoint of a workdir is damaged."""


def checksums(state_dict) -> dict[str, str]:
    """`{leaf path: "crc32:<hex>"}` of a state dict's leaves, read to the host."""
    leaves = jax.tree_util.tree_flatten_with_path(state_dict)[0]
    sums = {}
    for path, leaf in leaves:
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            leaf = leaf.addressable_data(0)  # a multi-host run's replicated state: this process's copy
        array = np.ascontiguousarray(np.asarray(jax.device_get(leaf)))
        header = f"{array.dtype.str}{array.shape}".encode()
        crc = zlib.crc32(array.view(np.uint8).reshape(-1), zlib.crc32(header))
        sums[_name(path)] = f"{CHECKSUM}:{crc:08x}"
    return sums


def _name(path) -> str:
    """A leaf's path as dotted names, e.g. params.generator.hidden_1.kernel."""
    return ".".join(str(getattr(key, "key", getattr(key, "idx", getattr(key, "name", key)))) for key in path)


def committed_steps(directory: str) -> list[int]:
    """The steps of the finished checkpoints in `directory` (not orbax's temporary ones), read afresh."""
    path = epath.Path(directory)
    if not path.exists():
        return []
    return sorted(int(p.name) for p in path.iterdir() if p.name.isdigit() and (p / "_CHECKPOINT_METADATA").exists())


def _notify(message: str) -> None:
    print(f"jaxgan: {message}", file=sys.stderr, flush=True)


class Checkpointer:
    """The workdir's `checkpoints/` folder: save every so often, keep the last few, restore the
    newest intact one. `verified_step`: the step this process last saved or restored and checked
    (None before either). Only the writer (`is_writer`) moves a damaged checkpoint aside."""

    def __init__(
        self,
        directory: str,
        *,
        max_to_keep: int = 3,
        is_writer: bool = True,
        notify: Callable[[str], None] = _notify,
    ):
        self.directory = storage.absolute(directory)
        self._is_writer = is_writer
        self._notify = notify
        self.verified_step = None
        self._manager = ocp.CheckpointManager(
            self.directory,
            options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True, cleanup_tmp_directories=True),
            item_handlers=ocp.StandardCheckpointHandler(),
        )

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def steps(self) -> list[int]:
        """The steps of the checkpoints kept, oldest first."""
        return sorted(self._manager.all_steps())

    def save(self, state: TrainState, *, force: bool = False) -> None:
        step = int(jax.device_get(state.step).reshape(-1)[0])
        if step in self._manager.all_steps():
            return
        state_dict = serialization.to_state_dict(state)
        metadata = {"checksums": checksums(state_dict)}
        self._manager.save(step, args=ocp.args.StandardSave(state_dict), force=force, custom_metadata=metadata)
        self.verified_step = step  # checked finite before it was saved; its sums are of these values

    def restore(self, template: TrainState, step: int | None = None) -> TrainState:
        """Restore into `template`'s structure, shardings and static fields (its optimisers).

        `step`: that checkpoint only; else the newest intact one (the damaged ones newer than it
        moved aside, each named in one sentence)."""
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(template))
        candidates = [step] if step is not None else sorted(self._manager.all_steps(), reverse=True)
        damaged = []
        for index, candidate in enumerate(candidates):
            try:
                restored = self._restore_checked(candidate, abstract)
            except DamagedCheckpoint as problem:
                damaged.append(candidate)
                self._set_aside(candidate, str(problem), candidates[index + 1 :])
                continue
            self.verified_step = candidate
            return serialization.from_state_dict(template, restored)
        where = f"{self.directory} holds"
        raise NoIntactCheckpoint(
            f"{where} no intact checkpoint: step{'s' if len(damaged) > 1 else ''} "
            f"{', '.join(map(str, damaged))} {'are' if len(damaged) > 1 else 'is'} damaged and moved aside into "
            f"{DAMAGED_PREFIX}<step>/; copy intact ones back from a backup, or train anew in another --workdir."
        )

    def _restore_checked(self, step: int, abstract) -> dict:
        """The restored state dict of `step`, verified against its sums, or DamagedCheckpoint."""
        path = epath.Path(self.directory) / str(step)
        for name in _REQUIRED:
            if not (path / name).exists():
                raise DamagedCheckpoint(f"its file {name} is missing")
        try:
            stored = self._manager.metadata(step).custom_metadata or {}
        except Exception as error:  # noqa: BLE001 - orbax's metadata file unreadable: what is wrong is named
            raise DamagedCheckpoint(f"its _CHECKPOINT_METADATA cannot be read ({_short(error)})") from None
        try:
            restored = self._manager.restore(step, args=ocp.args.StandardRestore(abstract))
        except Exception as error:  # noqa: BLE001 - TensorStore's and orbax's many errors: named in one line
            raise DamagedCheckpoint(f"a file of it cannot be read ({_short(error)})") from None
        expected = stored.get("checksums")
        if expected is None:
            self._notify(
                f"checkpoint step {step} in {self.directory} carries no checksums (saved by an earlier jaxgan); "
                "restored it unverified."
            )
            return restored
        found = checksums(restored)
        wrong = sorted(name for name in set(expected) | set(found) if expected.get(name) != found.get(name))
        if wrong:
            listed = ", ".join(wrong[:3]) + (f" and {len(wrong) - 3} more" if len(wrong) > 3 else "")
            raise DamagedCheckpoint(f"the checksum of {len(wrong)} of its {len(expected)} arrays differs ({listed})")
        return restored

    def _set_aside(self, step: int, what: str, rest: list[int]) -> None:
        source = epath.Path(self.directory) / str(step)
        target = epath.Path(self.directory) / f"{DAMAGED_PREFIX}{step}"
        if self._is_writer:
            suffix = 1
            while target.exists():  # the same step damaged twice: both kept
                target = epath.Path(self.directory) / f"{DAMAGED_PREFIX}{step}_{suffix}"
                suffix += 1
            storage.move(source, target)
            self._manager.reload()
            moved = f"moved it aside to {target}/"
        else:
            moved = "left it for the writer process to move aside"
        then = f"restoring step {rest[0]}" if rest else "no other checkpoint is left"
        self._notify(f"checkpoint step {step} in {self.directory} is damaged: {what}; {moved}; {then}.")

    def wait(self) -> None:
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()


def _short(error: BaseException, limit: int = 240) -> str:
    """The first line of the innermost cause of an error, shortened: orbax wraps TensorStore's
    error (which names the file and what is wrong) in one that prints a whole spec."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = str(error).strip().splitlines()
    text = " ".join(lines[0].split()) if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
