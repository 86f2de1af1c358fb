"""Training: the state, the one step, the runs, the device mesh and the loop.

`jaxgan.train` imports the family registry (`jaxgan.programs`), never a family, and nothing in
`jaxgan.programs` imports `jaxgan.train`.
"""

from jaxgan.train.loop import Interrupted, NonFiniteError, train_and_evaluate
from jaxgan.train.state import TrainState, create_state
from jaxgan.train.step import TermContext, make_multi_step, make_train_step

__all__ = [
    "Interrupted",
    "NonFiniteError",
    "TermContext",
    "TrainState",
    "create_state",
    "make_multi_step",
    "make_train_step",
    "train_and_evaluate",
]
