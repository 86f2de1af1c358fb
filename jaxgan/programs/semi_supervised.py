"""Semi-supervised learning with a GAN (Salimans et al. 2016): D is a K+1 classifier.

    D group: fake = G(z); D's K class logits on the unlabelled batch x, on fake, and on the
        labelled batch (`labelled_x`, `labelled_label`: `config.data.labelled_per_class`
        examples of each class, `jaxgan/data/labelled.py`):
        `unsupervised_weight` · the unsupervised loss (the non-saturating D loss at v = LSE(l),
        the fake class at logit 0) + `supervised_weight` · the cross-entropy on the labelled
        batch. `unsupervised_weight=0` is the baseline: the same D on the labelled subset alone.
    G group: feature matching on D's features (`‖E f(x) - E f(G(z))‖²`), reusing `fake`.

The trained D is the classifier (the record's `Classifier` export: the argmax of its K logits),
which `jaxgan classify` applies to the user's images and the `classifier_accuracy` evaluator
measures on `config.data.test_split`.

Against the paper and openai/improved-gan (`mnist_svhn_cifar10/train_mnist_feature_matching.py`,
`nn.py`), with `configs/semi_supervised_mnist.py`:
- the same: D's MLP (1000-500-250-250-250, ReLU, Gaussian noise σ 0.3 on the input in their
  [0, 1] scale, 0.6 in our [-1, 1], and 0.5 before every later layer: `models/noisy_mlp.py`),
  weight normalisation, the losses (their `loss_lab + unlabeled_weight · loss_unl`: our
  unsupervised loss is theirs), feature matching on D's last hidden layer, Adam(3e-3, b1 = 0.5)
  for both, batch 100 with a labelled batch of 100 beside it, 10 labels per class.
- different: their hidden layers' weight-norm scales are set once by a data-dependent
  initialisation and then fixed (ours start at 1 and are trained), and their output layer is
  weight-normalised (ours is a plain Dense head); G is our MLP (500-500, batch norm, ReLU,
  tanh) against theirs (softplus, batch norm, a weight-normalised sigmoid output) and z is
  N(0, I) (theirs U(0, 1)); feature matching is the squared norm of the difference of means
  (theirs its mean over the 250 features: a constant factor, which Adam's scaling absorbs); G's
  feature matching reuses D's unlabelled batch (theirs draws a second one); they test with a
  Polyak average of D's parameters at rate 1e-4 (ours, `classifier_ema`, 0.998 in the config:
  rate 2e-3, for a run 20 times shorter) and anneal the rate over 300 epochs of 60,000 digits
  (180,000 steps); the config runs 8,000 steps on 4,500 digits.
"""

from __future__ import annotations

import ml_collections

from jaxgan.losses import semi_supervised as losses_lib
from jaxgan.models.conditional import ConditionalDiscriminator
from jaxgan.program import Latent, Program, Term, normal
from jaxgan.programs import conditional, terms
from jaxgan.programs.family import Classifier, Exports, Family, Needs
from jaxgan.programs.parts import Parts


def settings() -> ml_collections.ConfigDict:
    """`config.semi_supervised`: the classes and the weights of the losses."""
    return ml_collections.ConfigDict(
        {
            "num_classes": 10,  # K, must be the dataset's
            "supervised_weight": 1.0,  # weight of the labelled cross-entropy in D's loss
            # weight of the unsupervised (GAN) loss in D's loss (Salimans et al.'s --unlabeled_weight);
            # 0: the same D trained on the labelled subset alone, the baseline the GAN must beat
            "unsupervised_weight": 1.0,
            "feature_matching": 1.0,  # weight of G's feature-matching loss
            # decay of the running average of D's parameters that classifies (`jaxgan classify`,
            # `classifier_accuracy`; Salimans et al. test a Polyak average of D); 0: D itself
            "classifier_ema": 0.0,
        }
    )


def _unsupervised(ctx, real_logits, fake_logits):
    return losses_lib.unsupervised_loss(ctx.gather(real_logits), ctx.gather(fake_logits))


def _supervised(ctx, logits, labels):
    return losses_lib.supervised_loss(ctx.gather(logits), ctx.gather(labels))


def build(parts: Parts) -> Program:
    """The K+1 classifier D and G by feature matching, from `config.model` and `config.semi_supervised`."""
    config = parts.config
    num_classes = parts.num_classes()
    if not config.data.labelled_per_class:
        raise ValueError(
            f"config.program={config.program!r} needs config.data.labelled_per_class > 0 (labelled examples per class)."
        )
    supervised_weight = parts.number("supervised_weight", 0.0, closed_low=True)
    unsupervised_weight = parts.number("unsupervised_weight", 0.0, closed_low=True)
    feature_matching = parts.number("feature_matching", 0.0, closed_low=True)
    classifier_ema = parts.number("classifier_ema", 0.0, 1.0, closed_low=True)
    if classifier_ema == 1.0:
        raise ValueError(
            "config.semi_supervised.classifier_ema must be a number in [0, 1) (0: D itself classifies); got 1."
        )
    ema = parts.ema()
    if classifier_ema > 0:
        ema["discriminator"] = classifier_ema
    g_body, d_body = conditional.bodies(parts)
    discriminator = ConditionalDiscriminator(
        d_body, adversarial=False, class_head=num_classes, spectral_norm=bool(getattr(d_body, "spectral_norm", False))
    )
    groups = terms.adversarial_pair(
        d_optimizer=parts.optimizer("discriminator"),
        g_optimizer=parts.optimizer("generator"),
        d_terms=(
            Term(
                "unsupervised",
                _unsupervised,
                ("d_real.class_logits", "d_fake.class_logits"),
                weight=unsupervised_weight,
            ),
            Term("supervised", _supervised, ("d_labelled.class_logits", "labelled_label"), weight=supervised_weight),
        ),
        g_terms=(terms.feature_matching_term(feature_matching),),
        also=((("labelled_x",), "d_labelled"),),
        repeats=config.num_critic_steps,
        features=True,
    )
    return Program(
        networks={"generator": g_body, "discriminator": discriminator},
        latents=(Latent("z", normal((config.latent_dim,))),),
        features=("x", "labelled_x", "labelled_label"),
        groups=groups,
        sample=terms.sample_call(("z",)),
        sample_latents=("z",),
        ema=ema,
    )


FAMILY = Family(
    name="semi_supervised",
    build=build,
    settings=settings,
    reads=("num_critic_steps", "ema_decay"),
    needs=Needs(features=("x", "label"), suggestion="a labelled dataset (e.g. mnist, digits)", labelled_subset=True),
    # D's K logits (the fake class, at logit 0, never wins the argmax among them).
    exports=Exports(classifier=Classifier("discriminator", lambda outputs, settings: outputs["class_logits"])),
    doc="Salimans et al. 2016: D is the K+1 classifier of a labelled subset, G trained by feature matching.",
)
