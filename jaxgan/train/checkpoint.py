"""Checkpoints of the whole `TrainState` through orbax's `CheckpointManager`.

The data position needs no saving of its own: batches are a pure function of the step
(`jaxgan.data.batch_indices`), so the restored step resumes the data exactly too.
"""

from __future__ import annotations

import os

import jax
import orbax.checkpoint as ocp
from flax import serialization

from jaxgan.train.state import TrainState


class Checkpointer:
    """The workdir's `checkpoints/` folder: save every so often, keep the last few, restore the latest."""

    def __init__(self, directory: str, *, max_to_keep: int = 3):
        self.directory = os.path.abspath(directory)
        self._manager = ocp.CheckpointManager(
            self.directory,
            options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True),
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
        self._manager.save(step, args=ocp.args.StandardSave(serialization.to_state_dict(state)), force=force)

    def restore(self, template: TrainState, step: int | None = None) -> TrainState:
        """Restore into `template`'s structure, shardings and static fields (its optimisers)."""
        step = self._manager.latest_step() if step is None else step
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(template))
        restored = self._manager.restore(step, args=ocp.args.StandardRestore(abstract))
        return serialization.from_state_dict(template, restored)

    def wait(self) -> None:
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()
