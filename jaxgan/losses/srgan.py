"""SRGAN's content losses (Ledig et al. 2017, §2.2); its adversarial term is the non-saturating one.

The perceptual loss of G is `l_X + 10⁻³ l_Gen` (their Eq. 3), where the content loss `l_X` is

- `pixel_content_loss` (Eq. 4, SRResNet-MSE): `E (I_HR - G(I_LR))²` over every pixel;
- `feature_content_loss` (Eq. 5, their VGG loss): `E (φ(I_HR) - φ(G(I_LR)))²` over every element
  of a frozen network's feature maps φ (VGG19's there; here the bundled digit classifier's, see
  `jaxgan.programs.srgan`);

and the adversarial loss `l_Gen = Σ -log D(G(I_LR))` (Eq. 6) is
`non_saturating_generator_loss` on D's logits (as a mean over the batch).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.losses._base import as_float, weighted_mean

ArrayLike = jax.typing.ArrayLike


def pixel_content_loss(predictions: ArrayLike, targets: ArrayLike, *, weights: ArrayLike | None = None) -> jax.Array:
    """`E (predictions - targets)²` over every element (Ledig et al. 2017, Eq. 4: the pixel-wise MSE).

    `weights` broadcast from the leading axes (e.g. `[B]` weights whole images)."""
    predictions, targets = as_float(predictions), as_float(targets)
    return weighted_mean(jnp.square(predictions - targets), weights)


def feature_content_loss(fake_features: ArrayLike, real_features: ArrayLike) -> jax.Array:
    """`E (φ(I_HR) - φ(G(I_LR)))²` over every element of the feature maps (Ledig et al. 2017, Eq. 5)."""
    return pixel_content_loss(fake_features, real_features)
