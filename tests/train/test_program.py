"""The step carries families: a conditional program (labels into G and D, two heads on D, ACGAN's
class term, a gradient penalty that sees the label) equals a hand-written reference update and
gives the same parameters on 1, 2 and 8 devices."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan import data as data_lib
from jaxgan.program import Call, Group, Latent, Program, Term, normal, read, subtree, with_subtree
from jaxgan.train import build
from tests.train import conditional_program as cp
from tests.train.parallel_check import check_invariance, run_in_subprocess

BATCH = 16
LEARNING_RATE = 1e-2


def _batch(dataset):
    indices = data_lib.batch_indices(0, num_examples=len(dataset), batch_size=BATCH, seed=0)
    got = dataset.get(indices)
    return {name: value[None] for name, value in got.items()}  # [batches_per_step = 1, B, ...]


def _reference_update(parts, state, batch):
    """One step written out: the keys as the step documents them, the losses by hand, SGD by hand."""
    generator = parts.program.networks["generator"]
    discriminator = parts.program.networks["discriminator"]
    x, y = batch["x"][0], batch["label"][0]
    latent_key, d_key, _ = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)
    base = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(latent_key, 0), 0), 0)  # group, repeat, latent
    z = jnp.stack([jax.random.normal(jax.random.fold_in(base, i), (cp.LATENT_DIM,)) for i in range(BATCH)])
    _, loss_key = jax.random.split(jax.random.fold_in(d_key, 0))
    _, terms_key = jax.random.split(loss_key)
    penalty_key = jax.random.fold_in(terms_key, 2)  # the third term of D's group
    alpha = jnp.stack([jax.random.uniform(jax.random.fold_in(penalty_key, i), (1,)) for i in range(BATCH)])

    g_params, d_params = state.params["generator"], state.params["discriminator"]
    G = lambda p, z, y: generator.apply({"params": p}, z, y, train=True)  # noqa: E731
    D = lambda p, x, y: discriminator.apply({"params": p}, x, y, train=True)  # noqa: E731

    def cross_entropy(logits, labels):
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))

    def d_loss(p):
        fake = jax.lax.stop_gradient(G(g_params, z, y))
        real_out, fake_out = D(p, x, y), D(p, fake, y)
        adversarial = jnp.mean(jax.nn.softplus(-real_out["adversarial"])) + jnp.mean(
            jax.nn.softplus(fake_out["adversarial"])
        )
        classes = cross_entropy(real_out["class_logits"], y) + cross_entropy(fake_out["class_logits"], y)
        points = x + alpha * (fake - x)
        grads = jax.vmap(jax.grad(lambda xi, yi: jnp.sum(D(p, xi[None], yi[None])["adversarial"])))(points, y)
        penalty = jnp.mean((jnp.sqrt(jnp.sum(grads**2, axis=-1)) - 1.0) ** 2)
        return adversarial + cp.CLASS_WEIGHT * classes + cp.GP_WEIGHT * penalty

    d_new = jax.tree.map(lambda w, g: w - LEARNING_RATE * g, d_params, jax.grad(d_loss)(d_params))

    def g_loss(p):
        out = D(d_new, G(p, z, y), y)
        return jnp.mean(jax.nn.softplus(-out["adversarial"])) + cp.CLASS_WEIGHT * cross_entropy(out["class_logits"], y)

    g_new = jax.tree.map(lambda w, g: w - LEARNING_RATE * g, g_params, jax.grad(g_loss)(g_params))
    return {"generator": g_new, "discriminator": d_new}, d_loss(d_params)


@pytest.mark.slow
def test_conditional_step_equals_the_hand_written_update():
    parts = cp.experiment()
    state = build.new_state(parts, jax.random.PRNGKey(3))
    batch = _batch(parts.dataset)
    new_state, metrics = jax.jit(build.train_step(parts))(state, batch)
    expected, d_loss = _reference_update(parts, state, batch)
    np.testing.assert_allclose(metrics["d_loss"], d_loss, rtol=1e-5)
    assert float(metrics["penalty/gradient_penalty"]) > 1e-3 and float(metrics["d_class"]) > 1.0  # every term counts
    moved = 0.0
    for a, b, before in zip(
        jax.tree.leaves(new_state.params), jax.tree.leaves(expected), jax.tree.leaves(state.params), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        moved = max(moved, float(np.max(np.abs(b - before))))
    assert moved > 1e-4  # the update is not trivially zero


@pytest.mark.slow
def test_conditional_program_is_device_count_invariant():
    rows = run_in_subprocess([], module="tests.train.conditional_program")
    check_invariance(rows["conditional"])  # 8 devices against 1, within 2e-5 of the scale


def test_named_values_heads_and_parameter_paths():
    env = {"d_real": {"adversarial": 1.0, "class_logits": 2.0}, "x": 3.0}
    assert read(env, "d_real.class_logits") == 2.0 and read(env, "x") == 3.0
    with pytest.raises(KeyError, match="no value named 'fake'"):
        read(env, "fake")
    params = {"discriminator": {"body": {"w": 1.0}, "q_head": {"w": 2.0}}, "generator": {"w": 3.0}}
    assert subtree(params, "discriminator/q_head") == {"w": 2.0}
    changed = with_subtree(params, "discriminator/q_head", {"w": 5.0})
    assert changed["discriminator"] == {"body": {"w": 1.0}, "q_head": {"w": 5.0}} and params["discriminator"][
        "q_head"
    ] == {"w": 2.0}


@pytest.mark.slow
def test_a_group_may_train_one_head_of_a_network():
    """InfoGAN's shape: G's group also trains D's Q head; D's body moves only with D's group."""
    import flax.linen as nn

    class Body(nn.Module):
        @nn.compact
        def __call__(self, x, *, train):
            h = nn.tanh(nn.Dense(8, name="body")(x))
            return {"adversarial": nn.Dense(1, name="adversarial")(h)[:, 0], "code": nn.Dense(2, name="q_head")(h)}

    class G(nn.Module):
        @nn.compact
        def __call__(self, z, *, train):
            return nn.Dense(2)(z)

    sgd = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    mse = lambda ctx, code, z: jnp.mean((code - z[:, :2]) ** 2)  # noqa: E731
    program = Program(
        networks={"generator": G(), "discriminator": Body()},
        latents=(Latent("z", normal((3,))),),
        features=("x",),
        groups=(
            Group(
                "discriminator",
                trains=("discriminator",),
                optimizer=sgd,
                calls=(
                    Call("generator", ("z",), "fake"),
                    Call("discriminator", (("x",), ("fake",)), ("d_real", "d_fake")),
                ),
                terms=(Term("adv", lambda ctx, r, f: jnp.mean(r - f), ("d_real.adversarial", "d_fake.adversarial")),),
                latents=("z",),
            ),
            Group(
                "generator",
                trains=("generator", "discriminator/q_head"),
                optimizer=sgd,
                calls=(Call("discriminator", ("fake",), "d_fake", keep_variables=False),),
                terms=(Term("info", mse, ("d_fake.code", "z")),),
                reuse=("fake",),
            ),
        ),
        sample=Call("generator", ("z",), "sample", train=False),
        sample_latents=("z",),
    )
    dataset = data_lib.load("ring", split="train", seed=0, num_examples=64)
    parts = build.Experiment(dataset, program, build.feature_specs(dataset, program))
    state = build.new_state(parts, jax.random.PRNGKey(0))
    new_state, _ = jax.jit(build.train_step(parts))(state, _batch(dataset))
    before, after = state.params["discriminator"], new_state.params["discriminator"]
    # D's group does not touch the Q head (its term does not read it); G's group does.
    assert float(jnp.max(jnp.abs(after["q_head"]["kernel"] - before["q_head"]["kernel"]))) > 1e-4
    assert float(jnp.max(jnp.abs(after["body"]["kernel"] - before["body"]["kernel"]))) > 1e-4
    # The Q head's update is exactly G's group's SGD step on the info term, at D's updated body
    # (D's group leaves the Q head alone: its loss does not depend on it).
    latent_key = jax.random.split(jax.random.fold_in(state.rng, state.step), 3)[0]
    base = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(latent_key, 0), 0), 0)
    z = jnp.stack([jax.random.normal(jax.random.fold_in(base, i), (3,)) for i in range(BATCH)])
    fake = program.networks["generator"].apply({"params": state.params["generator"]}, z, train=True)

    def info(q_head):
        d = {**after, "q_head": q_head}
        return jnp.mean(
            (program.networks["discriminator"].apply({"params": d}, fake, train=True)["code"] - z[:, :2]) ** 2
        )

    expected = jax.tree.map(lambda w, g: w - 0.1 * g, before["q_head"], jax.grad(info)(before["q_head"]))
    for a, b in zip(jax.tree.leaves(after["q_head"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_program_whose_parts_do_not_fit_is_refused_in_one_sentence():
    parts = cp.make_program()
    discriminator, generator = parts.groups
    with pytest.raises(ValueError, match=r"calls network 'critic'.*; term 'class' is weighted by hyper\['lam'\]"):
        Program(
            networks=parts.networks,
            latents=parts.latents,
            features=parts.features,
            groups=(
                Group(
                    "discriminator",
                    trains=("discriminator",),
                    optimizer=discriminator.optimizer,
                    calls=(Call("critic", ("x", "label"), "d_real"),),
                    terms=(Term("class", lambda ctx, v: v, ("d_real",), weight="lam"),),
                ),
                generator,
            ),
            sample=parts.sample,
        )
    with pytest.raises(ValueError, match="first group 'generator' reuses"):
        Program(
            networks=parts.networks,
            latents=parts.latents,
            features=parts.features,
            groups=(generator, discriminator),
            sample=parts.sample,
        )
