"""CoGAN (Liu & Tuzel 2016) on digits2inverted: digits (X) and other digits dilated and inverted (Y),
never paired; one z draws a pair (G_1(z) | G_2(z)), scored by `pair_agreement`.

The authors' digits/edges experiment (mingyuliutw/CoGAN, cogan_pytorch), adapted; jaxgan/programs/
cogan.py lists every departure. D is theirs twice as wide (`body="lenet"`, `features=40`: 5x5
convolutions of 40 and 100 with max pooling, Dense 1,000 + PReLU; the first convolution each
domain's, the rest shared); G is InfoGAN's MNIST G (`body="infogan"`: Dense 1,024, Dense 7x7x128,
a 4x4 up-convolution to 64, each with batch norm and ReLU and shared, then each domain's 4x4
up-convolution with tanh; theirs is four transposed convolutions of 1024 ... 128 with batch norm,
all but the output layer shared, as ours); non-saturating loss, Adam(b1=0.5) at 2e-4 for D (theirs)
and 1e-3 for G (InfoGAN's), batch 64 of each domain, z ~ N(0, I_100), 3,000 steps (theirs 5,000 on 30,000 digits a domain). Trained on
`train[:90%]` (2,250 digits per domain); evaluated at the end on 2,000 pairs.
"""

from jaxgan.programs import cogan


def get_config():
    return cogan.base_config("digits2inverted")
