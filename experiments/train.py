"""Train a GAN from a config: `python experiments/train.py --config=configs/X.py --workdir=DIR`.

The same as `jaxgan train --config=... --workdir=...`.
"""

import sys

from jaxgan import cli

if __name__ == "__main__":
    cli.main([sys.argv[0], "train", *sys.argv[1:]])
