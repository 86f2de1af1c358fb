"""GAN families as programs (`jaxgan.program.Program`), one file per family.

A family is a function from built parts (networks, objective, optimisers, options) to a
`Program`; `jaxgan.train.build.PROGRAMS` maps `config.program` to the builder that makes those
parts from the config, and the one step interprets the result.

- `gan`: the unconditional GAN with every objective, penalty and trick (`programs/gan.py`).
"""

from jaxgan.programs import gan

__all__ = ["gan"]
