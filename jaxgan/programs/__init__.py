"""GAN families as programs (`jaxgan.program.Program`), one file per family.

A family is a function from built parts (networks, objective, optimisers, options) to a
`Program`; `jaxgan.train.build.PROGRAMS` maps `config.program` to the builder that makes those
parts from the config, and the one step interprets the result.

- `gan`: the unconditional GAN with every objective, penalty and trick (`programs/gan.py`).
- `ebgan`, `began`: an autoencoder D (energy margin; k_t-balanced L1); `madgan`: k generators
  and a (k+1)-way D; `vaegan`: encoder, decoder = G, D with a feature head.
"""

from jaxgan.programs import began, ebgan, gan, madgan, vaegan

__all__ = ["began", "ebgan", "gan", "madgan", "vaegan"]
