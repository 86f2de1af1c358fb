"""GAN objectives as pure functions of D's outputs, and one registry of them.

    objective = jaxgan.losses.get("hinge")
    d_loss = objective.discriminator(d_real, d_fake)        # scalar, weighted mean over all elements
    g_loss = objective.generator(d_fake, d_real=d_real)
    loss, state = objective.discriminator_loss_and_state(d_real, d_fake, objective.init_state())

The last form works for every objective: "fisher" keeps state (its Lagrange multiplier), so
its `discriminator(d_real, d_fake, *, state)` takes the state and returns `(loss, new_state)`
(`StatefulObjective`); the step uses `discriminator_loss_and_state` and `init_state` only.

Every `<name>_discriminator_loss(d_real, d_fake, *, real_weights=None, fake_weights=None)` and
`<name>_generator_loss(d_fake, *, d_real=None, real_weights=None, fake_weights=None)` is also
importable by its own name. The formulas and the identities the tests check are in MATH.md.

Every family's own losses live here too, one name per formula, outside the registry (their
inputs are not a D/G pair of outputs alone): `auxiliary` (feature matching, ACGAN, InfoGAN),
`semi_supervised` (the K+1 classifier), `energy` (EBGAN, BEGAN), `madgan`, `vaegan`, `ali` (ALI / BiGAN),
`mrgan` (MRGAN's regularisers, MDGAN's manifold and diffusion steps), `cogan`, `triplegan`,
`translation` (pix2pix's L1, CycleGAN's cycle and identity terms; their adversarial losses are
the separable ones above), `srgan` (SRGAN's pixel and feature content losses), `stackgan`
(conditioning augmentation's KL term, the matching-aware D loss).
"""

from jaxgan.losses import semi_supervised
from jaxgan.losses._base import Objective, StatefulObjective, weighted_mean
from jaxgan.losses.ali import ali_discriminator_loss, ali_generator_loss, ali_value
from jaxgan.losses.auxiliary import (
    acgan_class_loss,
    feature_matching_loss,
    infogan_categorical_mutual_information,
    infogan_gaussian_mutual_information,
)
from jaxgan.losses.cogan import cogan_discriminator_loss, cogan_generator_loss, cogan_value
from jaxgan.losses.energy import (
    began_autoencoder_loss,
    began_convergence_measure,
    began_discriminator_loss,
    began_update_k,
    ebgan_discriminator_loss,
    ebgan_energy,
    ebgan_generator_loss,
    ebgan_pulling_away_loss,
)
from jaxgan.losses.fgan import (
    fgan_discriminator_loss,
    fgan_gan_discriminator_loss,
    fgan_gan_generator_loss,
    fgan_generator_loss,
    fgan_jensen_shannon_discriminator_loss,
    fgan_jensen_shannon_generator_loss,
    fgan_kl_discriminator_loss,
    fgan_kl_generator_loss,
    fgan_neyman_discriminator_loss,
    fgan_neyman_generator_loss,
    fgan_pearson_discriminator_loss,
    fgan_pearson_generator_loss,
    fgan_reverse_kl_discriminator_loss,
    fgan_reverse_kl_generator_loss,
    fgan_squared_hellinger_discriminator_loss,
    fgan_squared_hellinger_generator_loss,
    fgan_total_variation_discriminator_loss,
    fgan_total_variation_generator_loss,
)
from jaxgan.losses.fisher import fisher_discriminator_loss, fisher_generator_loss, fisher_init_state
from jaxgan.losses.madgan import madgan_discriminator_loss, madgan_generator_loss
from jaxgan.losses.mmd import mmd_discriminator_loss, mmd_generator_loss
from jaxgan.losses.mrgan import (
    mdgan_diffusion_discriminator_loss,
    mdgan_diffusion_generator_loss,
    mdgan_manifold_discriminator_loss,
    mdgan_manifold_generator_loss,
    mrgan_encoder_loss,
    mrgan_generator_loss,
    mrgan_squared_distance,
)
from jaxgan.losses.registry import get, names
from jaxgan.losses.relativistic import relativistic_average_discriminator_loss, relativistic_average_generator_loss
from jaxgan.losses.separable import (
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from jaxgan.losses.srgan import feature_content_loss, pixel_content_loss
from jaxgan.losses.stackgan import conditioning_augmentation_kl, stackgan_discriminator_loss
from jaxgan.losses.translation import cyclegan_cycle_loss, cyclegan_identity_loss, mean_absolute_error
from jaxgan.losses.triplegan import (
    triplegan_balance_loss,
    triplegan_classifier_adversarial_loss,
    triplegan_discriminator_loss,
    triplegan_entropy_loss,
    triplegan_generator_loss,
    triplegan_pseudo_label_loss,
    triplegan_value,
)
from jaxgan.losses.vaegan import (
    gaussian_kl_to_standard_normal,
    vaegan_discriminator_loss,
    vaegan_feature_reconstruction_loss,
)

__all__ = [
    "Objective",
    "StatefulObjective",
    "acgan_class_loss",
    "ali_discriminator_loss",
    "ali_generator_loss",
    "ali_value",
    "began_autoencoder_loss",
    "began_convergence_measure",
    "began_discriminator_loss",
    "began_update_k",
    "cogan_discriminator_loss",
    "cogan_generator_loss",
    "cogan_value",
    "cyclegan_cycle_loss",
    "cyclegan_identity_loss",
    "ebgan_discriminator_loss",
    "ebgan_energy",
    "ebgan_generator_loss",
    "ebgan_pulling_away_loss",
    "feature_matching_loss",
    "fgan_discriminator_loss",
    "fgan_gan_discriminator_loss",
    "fgan_gan_generator_loss",
    "fgan_generator_loss",
    "fgan_jensen_shannon_discriminator_loss",
    "fgan_jensen_shannon_generator_loss",
    "fgan_kl_discriminator_loss",
    "fgan_kl_generator_loss",
    "fgan_neyman_discriminator_loss",
    "fgan_neyman_generator_loss",
    "fgan_pearson_discriminator_loss",
    "fgan_pearson_generator_loss",
    "fgan_reverse_kl_discriminator_loss",
    "fgan_reverse_kl_generator_loss",
    "fgan_squared_hellinger_discriminator_loss",
    "fgan_squared_hellinger_generator_loss",
    "fgan_total_variation_discriminator_loss",
    "fgan_total_variation_generator_loss",
    "fisher_discriminator_loss",
    "fisher_generator_loss",
    "fisher_init_state",
    "gaussian_kl_to_standard_normal",
    "get",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "infogan_categorical_mutual_information",
    "infogan_gaussian_mutual_information",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "madgan_discriminator_loss",
    "madgan_generator_loss",
    "mdgan_diffusion_discriminator_loss",
    "mdgan_diffusion_generator_loss",
    "mdgan_manifold_discriminator_loss",
    "mdgan_manifold_generator_loss",
    "mean_absolute_error",
    "pixel_content_loss",
    "feature_content_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "mmd_discriminator_loss",
    "mmd_generator_loss",
    "mrgan_encoder_loss",
    "mrgan_generator_loss",
    "mrgan_squared_distance",
    "names",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "semi_supervised",
    "conditioning_augmentation_kl",
    "stackgan_discriminator_loss",
    "vaegan_discriminator_loss",
    "vaegan_feature_reconstruction_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "weighted_mean",
    "triplegan_balance_loss",
    "triplegan_classifier_adversarial_loss",
    "triplegan_discriminator_loss",
    "triplegan_entropy_loss",
    "triplegan_generator_loss",
    "triplegan_pseudo_label_loss",
    "triplegan_value",
]
