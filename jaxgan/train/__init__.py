"""Training: the state, the one step, the device mesh and the loop."""

from jaxgan.train.loop import NonFiniteError, train_and_evaluate
from jaxgan.train.state import GANState, create_state
from jaxgan.train.step import StepOptions, make_multi_step, make_train_step

__all__ = [
    "GANState",
    "NonFiniteError",
    "StepOptions",
    "create_state",
    "make_multi_step",
    "make_train_step",
    "train_and_evaluate",
]
