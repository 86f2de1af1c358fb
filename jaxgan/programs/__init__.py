"""GAN families as programs (`jaxgan.program.Program`), one file per family.

A family is a function from built parts (networks, objective, optimisers, options) to a
`Program`; `jaxgan.train.build.PROGRAMS` maps `config.program` to the builder that makes those
parts from the config, and the one step interprets the result.

- `gan`: the unconditional GAN with every objective, penalty and trick (`programs/gan.py`).
- `conditional`, `acgan`: G(z, c) with D(x, c) by concatenation or projection, conditional batch
  norm, ACGAN's class head; `infogan`: latent codes and Q on D's body; `semi_supervised`: the
  K+1 classifier with feature matching.
- `ebgan`, `began`: an autoencoder D (energy margin; k_t-balanced L1); `madgan`: k generators
  and a (k+1)-way D; `vaegan`: encoder, decoder = G, D with a feature head.
- `translation`: pix2pix (U-Net G of a source, PatchGAN D of pairs) and CycleGAN (two G, two
  D, cycle and identity terms, an image pool as term state).
"""

from jaxgan.programs import began, conditional, ebgan, gan, infogan, madgan, semi_supervised, translation, vaegan

__all__ = ["began", "conditional", "ebgan", "gan", "infogan", "madgan", "semi_supervised", "translation", "vaegan"]
