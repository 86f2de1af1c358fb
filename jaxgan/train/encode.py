"""A family's encoder (its record's `Reconstruction` export) on examples, for the evaluators that
score it: the codes E(x) (`encoding_one_nn`) and the reconstructions G(E(x)) (`reconstruction_accuracy`).

`Encoder(config, program, num_runs)` is refused in one sentence for a family without an encoder;
`codes(state, x) -> [runs, n, d]` and `reconstructions(state, x) -> [runs, n, ...]` run every run
of a stacked state at its sampling params, in batches of one compiled size (the last padded).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgan.models import conv
from jaxgan.program import Program
from jaxgan.programs import registry
from jaxgan.train.run_axis import over_runs
from jaxgan.train.state import TrainState


def encoding_families(*, codes: bool = False) -> list[str]:
    """The built-in families whose record exports an encoder (with `codes`: one that gives E(x))."""
    return sorted(
        name
        for name, family in registry.FAMILIES.items()
        if family.exports.reconstruction is not None and (not codes or family.exports.reconstruction.encode is not None)
    )


class Encoder:
    """E(x) and G(E(x)) of every run of a stacked state (see the module doc); `wanted`: what asked,
    for the refusal, and `codes`: whether the codes are needed (the family must give `encode`)."""

    def __init__(
        self,
        config: ml_collections.ConfigDict,
        program: Program,
        num_runs: int,
        *,
        codes: bool,
        wanted: str,
        batch_size: int = 500,
    ):
        reconstruction = registry.get(config.program).exports.reconstruction
        if reconstruction is None or (codes and reconstruction.encode is None):
            raise ValueError(
                f"{wanted} needs a family with an encoder ({', '.join(encoding_families(codes=codes))}); this run's "
                f"config.program is {config.program!r}."
            )
        self.networks = reconstruction.networks
        self.batch_size = batch_size

        def jitted(fn):
            return jax.jit(
                over_runs(lambda p, v, x: fn(program, p, v, x), num_runs, in_axes=(0, 0, None), out_axes=0),
                compiler_options=conv.compiler_options(),
            )

        self._reconstruct = jitted(reconstruction.fn)
        self._encode = jitted(reconstruction.encode) if reconstruction.encode is not None else None

    def _batched(self, fn, state: TrainState, x: np.ndarray) -> np.ndarray:
        params = jax.device_get({name: state.sampling_params(name) for name in self.networks})
        variables = jax.device_get({name: state.variables[name] for name in self.networks})
        num = len(x)
        padded = -(-num // self.batch_size) * self.batch_size
        x = np.concatenate([x, np.repeat(x[-1:], padded - num, axis=0)])
        chunks = [fn(params, variables, x[i : i + self.batch_size]) for i in range(0, padded, self.batch_size)]
        return np.asarray(jnp.concatenate(chunks, axis=1)[:, :num])

    def codes(self, state: TrainState, x: np.ndarray) -> np.ndarray:
        """E(x) of every run: `[runs, n, d]`."""
        return self._batched(self._encode, state, x)

    def reconstructions(self, state: TrainState, x: np.ndarray) -> np.ndarray:
        """G(E(x)) of every run: `[runs, n, ...]`."""
        return self._batched(self._reconstruct, state, x)
