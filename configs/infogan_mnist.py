"""InfoGAN on the bundled MNIST digits, as Chen et al. 2016 ran it (their released code's MNIST
launcher): 62 noise dimensions U(-1, 1), one 10-way categorical code and two continuous codes
U(-1, 1); their networks (`infogan28`: D with an FC 1024 + BN layer, Q's head FC 128 + BN on D's
body); D's optimiser trains D's body, D's head and Q's head on D's loss - λ L_I, G's trains G on
G's loss - λ L_I; λ = 1 for the categorical code and 0.1 for the continuous ones (the paper: "a
smaller λ is typically used" once the codes are continuous, so that the bound, now with a
differential entropy, is on the GAN objective's scale; their launcher's `info_reg_coeff` is 1 for
both); Adam(b1 = 0.5) with D's rate 2e-4 and G's 1e-3; batch 128. 3,000 steps (issue 25): what
15 minutes a seed allow on 2 cores (3.4-4.2 steps/s, 12-15 min a seed with an evaluation every
250 steps; 16.5-19 min on 2026-12-07's seeds 3-5, when the host ran 2.7-3.1 steps/s).

Code agreement at 3,000 steps (results/families.md, 2026-12-07), λ_cont = 0.1: seeds 0-2 0.953,
0.932, 0.913 (0.933 ± 0.020, the issue's three seeds: reached), seeds 3-5 0.756, 0.921, 0.742
(0.806 ± 0.100); with λ_cont = 1 (the config until 2026-12-07): 0.751, 0.825, 0.823 and 0.939,
0.956, 0.874. Over the six seeds 0.870 against 0.861: two runs of six below 0.85 against three,
and the failure is the same one: a run that keeps two digits on shared codes, a continuous code
morphing one into the other (λ_cont = 1, seed 0: 7 and 9 on three codes; λ_cont = 0.1, seed 3: 4
and 9 on two, seed 5: 7 into 9 on two). A lighter continuous bound made it rarer on these seeds,
not impossible; which seeds fail is not a property of the seed number (it moved with float
rounding before). The curves, and what else was tried (an EMA of G, every released-code setting,
λ_cat = 2), are in `jaxgan/programs/infogan.py`. With the seed DCGAN's networks and Q's head
trained with G it was 0.387 (one seed).

    jaxgan train --config=configs/infogan_mnist.py --workdir=/tmp/infogan_mnist
    jaxgan sample --workdir=/tmp/infogan_mnist --out=/tmp/infogan_traversal.png
"""

from jaxgan.programs import infogan


def get_config():
    config = infogan.mnist_config("infogan")
    config.evaluators = "code_agreement,fid"
    config.num_steps = 3000  # issue 25: the most 15 minutes a seed allow on 2 cores (the docstring)
    # Chen et al. 2016: a smaller λ for continuous codes (their launcher: 1); code agreement over
    # seeds 0-2 0.800 -> 0.933, over seeds 0-5 0.861 -> 0.870 (the docstring)
    config.infogan.continuous_weight = 0.1
    return config
