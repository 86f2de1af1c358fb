"""InfoGAN (Chen et al. 2016) as a program: latent codes, and Q on D's body trained with G.

    latents: z ~ N(0, I) (noise), code ~ Cat(K) (categorical), continuous ~ U(-1, 1)^m.
    D group: fake = G(z, code, continuous); the objective on D(x), D(fake) (adversarial head);
        with `config.infogan.discriminator_learns_codes`, also - λ_cat L_I - λ_cont L_I on
        D(fake), so that D's body (Q's body) and Q's head learn the codes too, as in Chen et
        al.'s released code (their D loss subtracts the same bound as their G loss).
    G group (trains G and D's `q_head`): reuses `fake`; the objective at D(fake)
        - λ_cat L_I(categorical) - λ_cont L_I(continuous), with Q's outputs on D's features:
        K logits for the code, m means of a unit-variance Gaussian for the continuous codes.

`L_I = H(c) + E log Q(c|G(z, c)) ≤ I(c; G(z, c))` (MATH.md section 8). Each term is logged
unweighted as `g_negative_mutual_information_categorical` / `_continuous`: `-L_I`, in nats (and
as `d_negative_mutual_information_*` when D learns the codes). Samples keep
the codes they were drawn for (`code`, `continuous`); `traversal()` gives the inputs of the
picture whose rows are the code values and whose columns move one continuous code from -2 to 2.
Q's code on real examples is the record's classifier (`jaxgan classify` writes the code index;
`matched_classifier_accuracy` scores it on the held-out digits under the best matching of codes
to classes, Chen et al.'s "5% error" figure).
"""

from __future__ import annotations

import functools
import math

import jax
import ml_collections
import numpy as np

from jaxgan import losses as losses_lib
from jaxgan.models.conditional import ConditionalDiscriminator, ConditionalGenerator
from jaxgan.program import Latent, Program, Term, categorical, normal, uniform
from jaxgan.programs import conditional, terms
from jaxgan.programs.family import Classifier, Exports, Family
from jaxgan.programs.parts import Parts

TRAVERSAL_STEPS = 9  # columns of the traversal picture, -2 ... 2


def settings() -> ml_collections.ConfigDict:
    """`config.infogan`: the codes and the weights of their bounds (Chen et al. 2016, MNIST)."""
    return ml_collections.ConfigDict(
        {
            "num_categories": 10,  # one categorical code of this many values
            "num_continuous": 2,  # continuous codes, U(-1, 1) each
            "categorical_weight": 1.0,  # λ of the categorical bound
            "continuous_weight": 0.1,  # λ of the continuous bound
            "q_width": 128,  # Q's hidden layer on D's features
            # D's update also minimises -λ L_I (Q's body is D's body): Chen et al.'s code. False:
            # only Q's head learns the codes, in G's update.
            "discriminator_learns_codes": False,
        }
    )


def mutual_information_term(
    name: str, kind: str, num_categories: int, num_continuous: int, weight: float, group: str = "g"
) -> Term:
    """`-L_I` of one code kind from Q's outputs `q` (`[B, K + m]`), over the global batch; logged
    as `<group>_negative_mutual_information_<kind>`."""
    prior_entropy = num_continuous * math.log(2.0)  # U(-1, 1)^m

    def fn(ctx, q, codes):
        q, codes = ctx.gather(q), ctx.gather(codes)
        if kind == "categorical":
            return -losses_lib.infogan_categorical_mutual_information(q[:, :num_categories], codes)
        return -losses_lib.infogan_gaussian_mutual_information(
            q[:, num_categories:], codes, prior_entropy=prior_entropy
        )

    reads = ("d_fake.q", "code" if kind == "categorical" else "continuous")
    return Term(name, fn, reads, weight=weight, metric=f"{group}_negative_mutual_information_{kind}")


def traversal(z: np.ndarray, num_categories: int, num_continuous: int) -> tuple[dict[str, np.ndarray], int]:
    """The given inputs of the traversal picture and its number of columns: row k holds code k,
    column j sets the first continuous code to -2 + 4j/8 (the others 0), one `z` for the picture."""
    values = np.linspace(-2.0, 2.0, TRAVERSAL_STEPS, dtype=np.float32)
    codes = np.repeat(np.arange(num_categories, dtype=np.int32), TRAVERSAL_STEPS)
    given = {"z": np.tile(np.asarray(z, np.float32)[None], (len(codes), 1)), "code": codes}
    if num_continuous:
        continuous = np.zeros((len(codes), num_continuous), np.float32)
        continuous[:, 0] = np.tile(values, num_categories)
        given["continuous"] = continuous
    return given, TRAVERSAL_STEPS


def build(parts: Parts) -> Program:
    """InfoGAN from `config.model`, `config.loss`, `config.infogan`."""
    config, settings = parts.config, parts.settings
    num_categories = parts.integer("num_categories", 2)
    num_continuous = parts.integer("num_continuous", 0)
    parts.integer("q_width", 1)
    discriminator_learns_codes = parts.flag("discriminator_learns_codes")
    categorical_weight = parts.number("categorical_weight", 0.0, closed_low=True)
    continuous_weight = parts.number("continuous_weight", 0.0, closed_low=True)
    g_body, d_body = conditional.bodies(parts)
    generator = ConditionalGenerator(g_body, num_classes=(num_categories,), conditioning="concat")
    discriminator = ConditionalDiscriminator(
        d_body,
        q_head=num_categories + num_continuous,
        q_width=settings.q_width,
        spectral_norm=bool(getattr(d_body, "spectral_norm", False)),
    )
    penalties, penalty_weights = parts.penalties()
    d_term, g_term = terms.objective_terms(
        parts.objective(),
        d_reads=("d_real.adversarial", "d_fake.adversarial"),
        g_reads=("d_fake.adversarial", "d_real.adversarial"),
    )
    inputs = ("z", "code", "continuous") if num_continuous else ("z", "code")

    def code_terms(group: str) -> list[Term]:
        prefix = "" if group == "g" else f"{group}_"
        code_terms = [
            mutual_information_term(f"{prefix}categorical", "categorical", num_categories, 0, categorical_weight, group)
        ]
        if num_continuous:
            code_terms.append(
                mutual_information_term(
                    f"{prefix}continuous", "continuous", num_categories, num_continuous, continuous_weight, group
                )
            )
        return code_terms

    d_terms = (
        d_term,
        *(code_terms("d") if discriminator_learns_codes else ()),
        *(terms.penalty_term(name, fn, head="adversarial") for name, fn in penalties),
    )
    groups = terms.adversarial_pair(
        d_optimizer=parts.optimizer("discriminator"),
        g_optimizer=parts.optimizer("generator"),
        d_terms=d_terms,
        g_terms=(g_term, *code_terms("g")),
        generator_inputs=inputs,
        latents=inputs,
        repeats=config.num_critic_steps,
        project=parts.projection(),
        generator_trains=("generator", "discriminator/q_head"),
    )
    latents = [Latent("z", normal((config.latent_dim,))), Latent("code", categorical(num_categories))]
    if num_continuous:
        latents.append(Latent("continuous", uniform((num_continuous,))))
    z = np.asarray(jax.random.normal(jax.random.PRNGKey(config.seed), (config.latent_dim,)))
    pictures = {"traversal": functools.partial(traversal, z, num_categories, num_continuous)}
    return Program(
        networks={"generator": generator, "discriminator": discriminator},
        latents=tuple(latents),
        pictures=pictures,
        features=("x",),
        groups=groups,
        sample=terms.sample_call(inputs),
        sample_latents=inputs,
        sample_record=inputs[1:],
        ema=parts.ema(),
        hyper=penalty_weights,
    )


FAMILY = Family(
    name="infogan",
    build=build,
    settings=settings,
    reads=("loss", "penalties", "clip_weights", "num_critic_steps", "ema_decay"),
    # Q's categorical code on real examples: the code value it reads in them (its first
    # `num_categories` outputs are the code's logits), a class only under a matching.
    exports=Exports(
        picture="traversal",
        classifier=Classifier(
            "discriminator", lambda outputs, settings: outputs["q"][:, : settings.num_categories], codes=True
        ),
    ),
    doc="Chen et al. 2016: categorical and continuous codes, Q on D's body trained with G.",
)
