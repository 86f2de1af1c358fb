"""D's raw outputs on real examples, per run, for the `discriminator_overfitting` evaluator.

`Discriminator(config, program, num_runs)` finds the program's call of its `discriminator` on
real examples (the first call of that network whose first input set reads only batch
features: `("x",)`, or `("x", "label")` for a D that is given the class), and gives every run's
raw output `[runs, n]` on given examples: the logit, or the `adversarial` head of a D that
returns a dict of heads (ACGAN, InfoGAN), in inference mode at the run's sampling params
(batch norm with its running averages), with the call's PacGAN packing (one output per
`pack` examples). A family whose D gives anything else (a class vector, an image, a patch
map) is refused in one sentence when the evaluator is built, before training compiles.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.calls import run_call
from jaxgan.models import conv
from jaxgan.program import Call, Program
from jaxgan.train.run_axis import over_runs
from jaxgan.train.state import TrainState

NETWORK = "discriminator"
HEAD = "adversarial"


def _refusal(program_name: str, what: str) -> ValueError:
    return ValueError(
        f"config.evaluators names discriminator_overfitting, which needs a discriminator that returns one logit per "
        f"example (or a dict with an {HEAD!r} head); config.program={program_name!r} {what}."
    )


def real_call(program: Program, program_name: str) -> Call:
    """The program's call of its discriminator on real examples, in inference mode, output `d`."""
    for group in program.groups:
        for call in group.calls:
            if call.network == NETWORK and set(call.input_sets[0]) <= set(program.features):
                return Call(NETWORK, tuple(call.input_sets[0]), "d", train=False, pack=call.pack)
    raise _refusal(program_name, "has no discriminator call on real examples")


def adversarial_output(output, program_name: str):
    """D's logit per example out of its output: the array itself, or its `adversarial` head."""
    if isinstance(output, dict):
        if HEAD not in output:
            raise _refusal(program_name, f"has a discriminator whose heads are {sorted(output)}")
        output = output[HEAD]
    return output


class Discriminator:
    """`outputs(state, inputs) -> float32 [runs, n / pack]`: every run's D logit on `inputs`
    (`{feature: [n, ...]}`, the features of the real call), in batches of `batch_size` examples
    (the last padded by repeating its last example); with packing, the examples past the last
    whole pack are left out."""

    def __init__(self, config, program: Program, num_runs: int, *, feature_specs, batch_size: int = 500):
        name = config.program
        self.call = real_call(program, name)
        self.features = self.call.input_sets[0]
        missing = [f for f in self.features if f not in feature_specs]
        if missing:
            raise _refusal(name, f"has a discriminator that reads {missing}, which the data do not have")
        self.batch_size = -(-batch_size // self.call.pack) * self.call.pack
        call, module = self.call, program.networks[NETWORK]

        def fn(params, variables, inputs):
            values, _ = run_call(program, call, {NETWORK: params}, {NETWORK: variables}, inputs, jax.random.PRNGKey(0))
            return adversarial_output(values["d"], name).astype(jnp.float32)

        # What D returns, from shapes alone (nothing compiles): refused here, not at the first evaluation.
        example = {
            f: jax.ShapeDtypeStruct((self.batch_size, *feature_specs[f][0]), feature_specs[f][1]) for f in self.features
        }
        key = jax.random.PRNGKey(0)
        init = jax.eval_shape(
            lambda inputs: module.init(
                {"params": key, "dropout": key}, *[inputs[f] for f in self.features], train=False
            ),
            example,
        )
        init = dict(init)
        shape = jax.eval_shape(fn, init.pop("params"), init, example).shape
        per_example = self.batch_size // self.call.pack
        if shape not in ((per_example,), (per_example, 1)):
            raise _refusal(
                name, f"has a discriminator that returns an array of shape {shape} for {per_example} examples"
            )
        self._fn = jax.jit(
            over_runs(lambda p, v, x: fn(p, v, x).reshape(-1), num_runs, in_axes=(0, 0, None), out_axes=0),
            compiler_options=conv.compiler_options(),
        )

    def outputs(self, state: TrainState, inputs: dict[str, np.ndarray]) -> np.ndarray:
        params = jax.device_get(state.sampling_params(NETWORK))
        variables = jax.device_get(state.variables[NETWORK])
        num = len(inputs[self.features[0]]) // self.call.pack * self.call.pack  # whole packs only
        inputs = {f: np.asarray(inputs[f])[:num] for f in self.features}
        padded = -(-num // self.batch_size) * self.batch_size
        inputs = {
            f: np.concatenate([inputs[f], np.repeat(inputs[f][-1:], padded - num, axis=0)]) for f in self.features
        }
        chunks = [
            self._fn(params, variables, {f: v[i : i + self.batch_size] for f, v in inputs.items()})
            for i in range(0, padded, self.batch_size)
        ]
        return np.asarray(jnp.concatenate(chunks, axis=1)[:, : num // self.call.pack])
