"""GAN families as programs (`jaxgan.program.Program`), one file per family.

A family is a function from built parts (networks, objective, optimisers, options) to a
`Program`; `jaxgan.train.build` picks it by `config.program` and the one step interprets it.

- `gan`: the unconditional GAN with every objective, penalty and trick (`programs/gan.py`).
"""

from jaxgan.programs import gan

NAMES = ("gan",)

__all__ = ["NAMES", "gan"]
