"""GAN families, one record per file (`jaxgan.programs.family.Family`), and their one registry.

A family's record holds its name, its own config section and defaults, the shared settings it
reads, what it needs of the data, the `Program` it builds from the shared parts
(`parts.Parts`: networks, optimisers, objective, penalties) and what it exports to the shell
(pictures, evaluators, translation, reconstruction). `registry.get(config.program)` finds a
built-in family or one in the user's own file (`"path/to/file.py:NAME"`), and the one step
interprets the program it builds.

- `gan`: the unconditional GAN with every objective, penalty and trick (`gan.py`).
- `conditional`, `acgan`: G(z, c) with D(x, c) by concatenation or projection, conditional batch
  norm, ACGAN's class head; `infogan`: latent codes and Q on D's body; `semi_supervised`: the
  K+1 classifier with feature matching.
- `ebgan`, `began`: an autoencoder D (energy margin; k_t-balanced L1); `madgan`: k generators
  and a (k+1)-way D; `vaegan`: encoder, decoder = G, D with a feature head.
- `pix2pix`, `cyclegan` (`translation.py`): a U-Net G of a source and a PatchGAN D of pairs; two
  G, two D, cycle and identity terms, an image pool as term state.
- `srgan`: x4 super-resolution, an SRResNet G of the low-resolution image, the paper's D, a
  content loss on a frozen classifier's feature maps (or pixels) beside the adversarial term.

The shared pieces: `terms.py` (objectives and penalties as terms, the adversarial D/G pair),
`parts.py` (the config's networks, optimisers, objective and penalties, by role).
"""
