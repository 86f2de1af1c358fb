"""Training: the state, the one step, the runs, the device mesh and the loop.

The names below are imported on first use (PEP 562), so that a module of this package (e.g.
`jaxgan.train.state`) can be imported without the loop and the builder,
which import the programs in turn.
"""

import importlib

_EXPORTS = {
    "Interrupted": "jaxgan.train.loop",
    "NonFiniteError": "jaxgan.train.loop",
    "train_and_evaluate": "jaxgan.train.loop",
    "TrainState": "jaxgan.train.state",
    "create_state": "jaxgan.train.state",
    "TermContext": "jaxgan.train.step",
    "make_multi_step": "jaxgan.train.step",
    "make_train_step": "jaxgan.train.step",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'jaxgan.train' has no attribute {name!r}")
