"""DiffAugment, ADA and consistency regularisation for any family with a D (`config.augment`,
`config.consistency`), as settings of the program's calls and as terms:

    groups = terms.adversarial_pair(...)
    groups = augmentation.regularise(parts, groups)        # head="adversarial" for a dict-valued D

`regularise` returns the D and G groups with

- `config.augment.policy` = DiffAugment's policies (Zhao et al. 2020) or "ada" (Karras et al.
  2020): the augmentation set on every call of D in both groups (real and generated images, D's
  update and G's), so G's gradient flows through it. ADA's p is the state of the D term "ada"
  (`ada_term`), logged as `ada/p`; the augmentation reads it from the term states.
- `config.consistency.cr` / `bcr_real` / `bcr_fake` (Zhang et al. 2020; Zhao et al. 2021): one
  more D call, on T(x) and T(G(z)) with T = `config.consistency.policy` (default "flip,shift":
  the papers' horizontal flip and shift by a few pixels, borders reflected; then the
  augmentation above, when one is set), and the terms `λ E‖D(x) - D(T(x))‖²` (weight cr +
  bcr_real: CR and bCR's real half are the same term) and `λ_f E‖D(G(z)) - D(T(G(z)))‖²`, on
  D's logits, gradients through both sides.
- `config.consistency.zcr_discriminator` / `zcr_generator` / `zcr_sigma` (Zhao et al. 2021):
  D's G call also makes `fake_near` = G(z + Δz), Δz ~ N(0, σ² I); D's term
  `λ_dis E‖D(G(z)) - D(G(z + Δz))‖²` (one more D call); G's update reuses `fake_near` with
  `fake` (one G pass) and adds `-λ_gen E mean (G(z) - G(z + Δz))²`.

What a consistency term compares is D's change under T (or Δz) and nothing else, for a D with
dropout and batch norm too (the seed DCGAN's; the papers' Ds have neither). Issue 28's bCR
(FID 892 on 500 digits) had three differences more, each found to stop D from learning:

- the extra D call drew its own dropout masks, so `E‖D(x) - D(T(x))‖²` held 2·Var_dropout(D(x))
  (1.36 on the trained baseline D, whose outputs have sd 1.1): weighted by 10, a penalty on D's
  sensitivity to its own units. The extra calls have D's call's input sets, in its order and
  sizes, and draw D's masks from it (`Call.dropout_of`): example i meets the same masks in both.
- T's translation filled the borders with 0, a grey frame on digits whose background is -1
  (E‖D(x) - D(T(x))‖² = 18.3 on that D, 4.6 with reflected borders, 1.5 for flip). T's shift
  reflects (PyTorch-StudioGAN's CR translation pads by reflection); DiffAugment's "translation"
  keeps the authors' zero fill.
- batch norm normalised real and generated images apart. A D held invariant to shifts reads
  every position alike, and a batch normalised on its own has features of mean 0 whatever it
  holds: the real batch's mean output can hardly differ from the generated one's. D alone,
  against an untrained G, stayed at a loss of 1.2 (chance: ln 4 = 1.39) for 100 steps under
  bCR; normalised together it reached 0.17. So with consistency on, every D call (in both
  groups) takes its real and generated input sets in one batch (`Call.joint_statistics`), and
  G's update rates G(z) in the batch (x, G(z)) as D's update does (`_joined_g_calls`).

Penalties (R1, gradient penalty, DRAGAN) see D without the augmentation, and a D call's
features (feature matching) are those of the augmented images.

Settings are checked here, before anything is compiled; a family that does not read them
refuses them through `SHARED_SETTINGS` (`jaxgan.programs.family`).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import ml_collections

from jaxgan.augment import Augmentation, ada, ada_stage, diffaugment, diffaugment_stage, latent_noise
from jaxgan.losses.consistency import consistency_loss, latent_diversity_loss
from jaxgan.program import Call, Group, Term
from jaxgan.programs.parts import check_number

DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")
CONSISTENCY_POLICIES = ("color", "translation", "cutout", "shift", "flip")
ADA_FIELDS = ("ada_target", "ada_kimg", "ada_interval", "ada_p")


def augment_settings() -> ml_collections.ConfigDict:
    """`config.augment` (in `jaxgan.config.default_config`)."""
    return ml_collections.ConfigDict(
        {
            "policy": "",  # "" off; DiffAugment's "color,translation,cutout" (any of them); or "ada"
            "ada_target": 0.6,  # ADA's target for r_t = E[sign(D(x_real))]
            "ada_kimg": 500.0,  # p can go from 0 to 1 in this many thousand real images
            "ada_interval": 4,  # steps between p's updates
            "ada_p": 0.0,  # p's initial value
        }
    )


def consistency_settings() -> ml_collections.ConfigDict:
    """`config.consistency` (in `jaxgan.config.default_config`); every weight 0 is off."""
    return ml_collections.ConfigDict(
        {
            "cr": 0.0,  # Zhang et al. 2020: λ E‖D(x) - D(T(x))‖² on real images
            "bcr_real": 0.0,  # Zhao et al. 2021 bCR: the same on real images
            "bcr_fake": 0.0,  # ... and on generated images
            "zcr_discriminator": 0.0,  # zCR: λ_dis E‖D(G(z)) - D(G(z + Δz))‖² in D's loss
            "zcr_generator": 0.0,  # zCR: -λ_gen E mean (G(z) - G(z + Δz))² in G's loss
            "zcr_sigma": 0.03,  # Δz ~ N(0, σ² I)
            # T of CR and bCR: the papers' flip and shift by a few pixels, borders reflected ("shift");
            # also DiffAugment's policies ("translation" fills with 0: a grey frame on [-1, 1] digits)
            "policy": "flip,shift",
        }
    )


@dataclasses.dataclass(frozen=True)
class Settings:
    """`config.augment` and `config.consistency`, checked."""

    policy: tuple[str, ...]  # DiffAugment's policy names, or ("ada",), or ()
    ada_target: float
    ada_kimg: float
    ada_interval: int
    ada_p: float
    consistency_real: float
    consistency_fake: float
    zcr_discriminator: float
    zcr_generator: float
    zcr_sigma: float
    consistency_policy: tuple[str, ...]

    @property
    def ada(self) -> bool:
        return self.policy == ("ada",)


def _number(section: str, name: str, value, *, low: float, high: float = math.inf, closed_low=True, closed_high=True):
    return check_number(f"{section}.{name}", value, low, high, closed_low=closed_low, closed_high=closed_high)


def _section(config: ml_collections.ConfigDict, name: str, defaults: ml_collections.ConfigDict):
    section = config.get(name, None) or ml_collections.ConfigDict()
    unknown = sorted(set(section) - set(defaults))
    if unknown:
        raise ValueError(f"config.{name} has unknown setting(s) {unknown}; its settings are {sorted(defaults)}.")
    merged = defaults.to_dict()
    merged.update(section.to_dict())
    return merged


def read_settings(config: ml_collections.ConfigDict, element_shape) -> Settings:
    """`config.augment` and `config.consistency` checked against each other and the data's
    `element_shape`: the first bad setting raises one sentence naming the field and what is accepted."""
    augment = _section(config, "augment", augment_settings())
    consistency = _section(config, "consistency", consistency_settings())
    policy_text = augment["policy"]
    if not isinstance(policy_text, str):
        raise ValueError(f"config.augment.policy must be a string; got {policy_text!r}.")
    if policy_text.strip() == "ada":
        policy = ("ada",)
    else:
        if "ada" in [name.strip() for name in policy_text.split(",")]:
            raise ValueError(
                f"config.augment.policy={policy_text!r} mixes 'ada' with DiffAugment's policies; use '' (off), 'ada', "
                f"or a comma-separated list of {list(DIFFAUGMENT_POLICIES)}."
            )
        policy = diffaugment.parse_policy(policy_text, accepted=DIFFAUGMENT_POLICIES)
    defaults = augment_settings()
    if policy != ("ada",):
        for name in ADA_FIELDS:
            if augment[name] != defaults[name]:
                raise ValueError(
                    f"config.augment.{name}={augment[name]!r} is read only with config.augment.policy='ada' "
                    f"(it is {policy_text!r}); leave it at {defaults[name]!r}."
                )
    target = _number(
        "augment", "ada_target", augment["ada_target"], low=0.0, high=1.0, closed_low=False, closed_high=False
    )
    kimg = _number("augment", "ada_kimg", augment["ada_kimg"], low=0.0, closed_low=False)
    interval = augment["ada_interval"]
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"config.augment.ada_interval must be an integer >= 1; got {interval!r}.")
    p = _number("augment", "ada_p", augment["ada_p"], low=0.0, high=1.0)
    weights = {
        name: _number("consistency", name, consistency[name], low=0.0)
        for name in ("cr", "bcr_real", "bcr_fake", "zcr_discriminator", "zcr_generator")
    }
    sigma = _number("consistency", "zcr_sigma", consistency["zcr_sigma"], low=0.0, closed_low=False)
    consistency_policy = diffaugment.parse_policy(
        consistency["policy"], field="config.consistency.policy", accepted=CONSISTENCY_POLICIES
    )
    uses_images = policy or weights["cr"] or weights["bcr_real"] or weights["bcr_fake"]
    images = len(tuple(element_shape)) == 3
    if uses_images and not images:
        field = "config.augment.policy" if policy else "config.consistency (cr, bcr_real, bcr_fake)"
        raise ValueError(
            f"{field} transforms images [H, W, C], and the data's examples have shape {tuple(element_shape)}; "
            "use an image dataset, or turn it off."
        )
    if policy == ("ada",) and element_shape[-1] not in (1, 3):
        raise ValueError(
            f"config.augment.policy='ada' takes images of 1 or 3 channels; the data's have {element_shape[-1]}."
        )
    if (weights["cr"] or weights["bcr_real"] or weights["bcr_fake"]) and not consistency_policy:
        raise ValueError(
            "config.consistency.policy is empty, and cr/bcr_real/bcr_fake need its transformation T; use a "
            f"comma-separated list of {list(CONSISTENCY_POLICIES)} (e.g. 'flip,shift')."
        )
    return Settings(
        policy=policy,
        ada_target=target,
        ada_kimg=kimg,
        ada_interval=interval,
        ada_p=p,
        consistency_real=weights["cr"] + weights["bcr_real"],
        consistency_fake=weights["bcr_fake"],
        zcr_discriminator=weights["zcr_discriminator"],
        zcr_generator=weights["zcr_generator"],
        zcr_sigma=sigma,
        consistency_policy=consistency_policy,
    )


# ---------------------------------------------------------------------------- ADA's term


def ada_init_state(p: float):
    """ADA's term state: p, and the sums over the current interval: the signs of D's outputs on
    real images, how many outputs and images that was, and the D updates."""
    return {
        "p": jnp.asarray(p, jnp.float32),
        "signs": jnp.zeros((), jnp.float32),
        "outputs": jnp.zeros((), jnp.int32),
        "images": jnp.zeros((), jnp.int32),
        "updates": jnp.zeros((), jnp.int32),
    }


def ada_state_update(state, d_real, *, target: float, kimg: float, updates_per_adjustment: int, pack: int = 1):
    """One D update's contribution to ADA's state (`d_real`: D's outputs on the global batch of
    real images); after `updates_per_adjustment` of them, `p ← clip(p + sign(r_t - target) ·
    images / (kimg · 1000), 0, 1)`, r_t the mean sign of D's outputs on the real images since the
    last adjustment (`jaxgan.augment.ada.update_p`), and the sums start again."""
    signs = state["signs"] + jnp.sum(jnp.sign(d_real.astype(jnp.float32)))
    outputs = state["outputs"] + d_real.size
    images = state["images"] + d_real.shape[0] * pack
    updates = state["updates"] + 1
    adjust = updates >= updates_per_adjustment
    r_t = signs / outputs.astype(jnp.float32)
    adjusted = ada.update_p(state["p"], r_t, target=target, images=images.astype(jnp.float32), kimg=kimg)
    zero_f, zero_i = jnp.zeros((), jnp.float32), jnp.zeros((), jnp.int32)
    return {
        "p": jnp.where(adjust, adjusted, state["p"]),
        "signs": jnp.where(adjust, zero_f, signs),
        "outputs": jnp.where(adjust, zero_i, outputs),
        "images": jnp.where(adjust, zero_i, images),
        "updates": jnp.where(adjust, zero_i, updates),
    }


def ada_term(settings: Settings, *, reads: str, repeats: int, pack: int = 1) -> Term:
    """The D term that keeps p: weight 0 (it adds nothing to D's loss); its value, logged as
    `ada/sign_real`, is this batch's E[sign(D(x_real))]; p is logged as `ada/p`."""

    def fn(ctx, d_real):
        d_real = jax.lax.stop_gradient(ctx.gather(d_real))
        new_state = ada_state_update(
            ctx.state,
            d_real,
            target=settings.ada_target,
            kimg=settings.ada_kimg,
            updates_per_adjustment=settings.ada_interval * repeats,
            pack=pack,
        )
        return jnp.mean(jnp.sign(d_real.astype(jnp.float32))), new_state

    return Term(
        "ada",
        fn,
        (reads,),
        weight=0.0,
        init_state=lambda: ada_init_state(settings.ada_p),
        lookahead=False,
        metric="ada/sign_real",
    )


# ---------------------------------------------------------------------------- the groups


def _consistency_term(name: str, reads: tuple[str, str], weight: float) -> Term:
    def fn(ctx, d, d_transformed):
        return consistency_loss(ctx.gather(d), ctx.gather(d_transformed))

    return Term(name, fn, reads, weight=weight, lookahead=False, metric=f"consistency/{name}")


def _diversity_term(weight: float, reads: tuple[str, str]) -> Term:
    def fn(ctx, fake, fake_near):
        return latent_diversity_loss(ctx.gather(fake), ctx.gather(fake_near))

    return Term("zcr_generator", fn, reads, weight=weight, metric="consistency/zcr_generator")


def _producer(group: Group, output: str) -> tuple[int, Call]:
    for index, call in enumerate(group.calls):
        if output in call.output_names:
            return index, call
    raise ValueError(f"group {group.name!r} has no call that makes {output!r}.")


def _inputs_of(call: Call, output: str) -> tuple[str, ...]:
    return call.input_sets[call.output_names.index(output)]


def _joined_g_calls(g_group: Group, d_call: Call, *, network: str, real: str, fake: str) -> Group:
    """G's group with its D calls on real and generated images made one call of joint statistics,
    as in D's update: D(G(z)) normalised with the real images as D was trained (a batch-norm D
    normalised on G(z) alone rates it otherwise). Without a D call on real images in G's group,
    the real images of D's call are added (an output G's terms do not read)."""
    d_calls = [(i, call) for i, call in enumerate(g_group.calls) if call.network == network]
    named = {name: (i, call) for i, call in d_calls for name in call.output_names}
    if fake not in named or any(len(call.input_sets) != 1 for _, call in d_calls) or len(d_calls) > 2:
        return g_group
    fake_index, fake_call = named[fake]
    real_index, real_call = named.get(real, (None, None))
    real_inputs = real_call.input_sets[0] if real_call is not None else _inputs_of(d_call, real)
    features = ()
    if fake_call.features:
        features = (real_call.features[0] if real_call is not None else f"{real}_features", fake_call.features[0])
    joined = Call(
        network,
        (tuple(real_inputs), tuple(fake_call.input_sets[0])),
        (real, fake),
        train=fake_call.train,
        pack=fake_call.pack,
        keep_variables=fake_call.keep_variables,
        features=features,
        augment=((real_call or fake_call).augmentations[0], fake_call.augmentations[0]),
        joint_statistics=True,
    )
    calls = [call for i, call in enumerate(g_group.calls) if i not in (fake_index, real_index)]
    calls.insert(min(i for i in (fake_index, real_index) if i is not None), joined)
    return dataclasses.replace(g_group, calls=tuple(calls))


def main_augmentation(settings: Settings, axis_name: str | None) -> Augmentation | None:
    """The augmentation of every image D sees: DiffAugment's policies, ADA's pipeline, or None."""
    if settings.ada:
        return ada_stage(state="ada", axis_name=axis_name)
    if settings.policy:
        return diffaugment_stage(settings.policy, axis_name=axis_name)
    return None


def regularise(
    parts,
    groups: tuple[Group, Group],
    *,
    network: str = "discriminator",
    real: str = "d_real",
    fake: str = "d_fake",
    head: str | None = None,
) -> tuple[Group, Group]:
    """The (D, G) groups of `terms.adversarial_pair` with `config.augment` and `config.consistency`
    (see the module doc). `network`: D's name; `real`, `fake`: the outputs of D's call on real and
    generated examples in D's group; `head`: the output of a D that returns a dict of heads that the
    terms read (its adversarial logit)."""
    settings = read_settings(parts.config, parts.dataset.element_shape)
    d_group, g_group = groups
    augmentation = main_augmentation(settings, parts.axis_name)
    at = (lambda name: f"{name}.{head}") if head else (lambda name: name)

    def augmented(group: Group) -> Group:
        if augmentation is None:
            return group
        calls = tuple(
            dataclasses.replace(call, augment=augmentation) if call.network == network else call for call in group.calls
        )
        return dataclasses.replace(group, calls=calls)

    consistent = bool(settings.consistency_real or settings.consistency_fake or settings.zcr_discriminator)

    def joint(group: Group) -> Group:
        if not consistent:
            return group
        calls = tuple(
            dataclasses.replace(call, joint_statistics=True) if call.network == network else call
            for call in group.calls
        )
        return dataclasses.replace(group, calls=calls)

    d_group, g_group = joint(augmented(d_group)), joint(augmented(g_group))
    d_index, d_call = _producer(d_group, real)
    fake_inputs = _inputs_of(d_call, fake)
    if consistent:
        g_group = _joined_g_calls(g_group, d_call, network=network, real=real, fake=fake)
    fake_image = fake_inputs[0]
    d_calls, d_terms = list(d_group.calls), list(d_group.terms)
    g_reuse, g_terms = tuple(g_group.reuse), list(g_group.terms)

    if settings.zcr_discriminator or settings.zcr_generator:
        g_index, g_call = _producer(d_group, fake_image)
        if len(g_call.input_sets) != 1:
            raise ValueError(f"zCR needs D's group to make {fake_image!r} in a call of one input set.")
        near = f"{fake_image}_near"
        d_calls[g_index] = dataclasses.replace(
            g_call,
            inputs=(g_call.input_sets[0], g_call.input_sets[0]),
            outputs=(fake_image, near),
            augment=(None, latent_noise(settings.zcr_sigma, axis_name=parts.axis_name)),
        )
        if settings.zcr_generator:
            g_reuse = (*g_reuse, near)
            g_terms.append(_diversity_term(settings.zcr_generator, (fake_image, near)))

    # The D calls that the consistency terms compare with D's outputs on x and G(z). Each has the
    # input sets of D's call, in its order and sizes, and draws D's dropout masks from D's call
    # (`dropout_of`): example i meets the same masks in both, so a term measures D's change under
    # T (or Δz), not the difference of two dropout draws (which a weight of 10 would otherwise turn
    # into a penalty on D's dropout variance that stops D from learning). An input set no term
    # reads (T(G(z)) with CR alone, the real images in zCR's call) is computed and left unread.
    if settings.consistency_real or settings.consistency_fake:
        transform = diffaugment_stage(settings.consistency_policy, axis_name=parts.axis_name)
        if augmentation is not None:
            transform = transform.then(augmentation)
        outputs = tuple(f"{name}_transformed" for name in d_call.output_names)
        consistency_call = dataclasses.replace(d_call, outputs=outputs, augment=transform, features=(), dropout_of=real)
        d_calls.insert(d_index + 1, consistency_call)
        for weight, name in ((settings.consistency_real, real), (settings.consistency_fake, fake)):
            if weight:
                reads = (at(name), at(f"{name}_transformed"))
                d_terms.append(_consistency_term(f"cr_{name.removeprefix('d_')}", reads, weight))
    if settings.zcr_discriminator:
        near_inputs = (f"{fake_image}_near", *fake_inputs[1:])
        inputs = tuple(
            near_inputs if name == fake else inputs for inputs, name in zip(d_call.input_sets, d_call.output_names)
        )
        outputs = tuple(f"{name}_near" for name in d_call.output_names)
        zcr_call = dataclasses.replace(d_call, inputs=inputs, outputs=outputs, features=(), dropout_of=real)
        d_calls.insert(d_index + 1 + bool(settings.consistency_real or settings.consistency_fake), zcr_call)
        reads = (at(fake), at(f"{fake}_near"))
        d_terms.append(_consistency_term("zcr_discriminator", reads, settings.zcr_discriminator))
    if settings.ada:
        repeats = d_group.repeats
        d_terms.append(ada_term(settings, reads=at(real), repeats=repeats, pack=d_call.pack))
    d_group = dataclasses.replace(d_group, calls=tuple(d_calls), terms=tuple(d_terms))
    g_group = dataclasses.replace(g_group, reuse=g_reuse, terms=tuple(g_terms))
    return d_group, g_group
