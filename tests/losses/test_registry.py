"""The registry: names, parameter binding and checking, the `Objective` interface, coverage of every name."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses

from . import test_fgan, test_fisher, test_mmd, test_relativistic, test_separable

SPEC_NAMES = {
    "minimax",
    "non_saturating",
    "least_squares",
    "wasserstein",
    "hinge",
    "relativistic_average",
    "fgan_kl",
    "fgan_reverse_kl",
    "fgan_pearson",
    "fgan_neyman",
    "fgan_squared_hellinger",
    "fgan_jensen_shannon",
    "fgan_gan",
    "fgan_total_variation",
    "fisher",
    "mmd",
}


def test_names_are_the_specified_objectives():
    assert set(losses.names()) == SPEC_NAMES
    assert list(losses.names()) == sorted(SPEC_NAMES)


def test_every_name_has_a_closed_form_test():
    tested = set().union(
        *(module.TESTED_NAMES for module in (test_separable, test_relativistic, test_fgan, test_fisher, test_mmd))
    )
    assert tested == set(losses.names())


@pytest.mark.parametrize("name", sorted(SPEC_NAMES - {"fisher", "mmd"}))
def test_functions_are_importable_by_name_and_bound_by_get(name):
    objective = losses.get(name)
    assert isinstance(objective.discriminator, functools.partial)
    assert objective.discriminator.func is getattr(losses, f"{name}_discriminator_loss")
    assert objective.generator.func is getattr(losses, f"{name}_generator_loss")
    assert objective.init_state() == ()
    d_real, d_fake = jnp.array([0.3, -1.0, 2.0]), jnp.array([1.5, 0.2, -0.4])
    loss, state = objective.discriminator_loss_and_state(d_real, d_fake, (), real_weights=None, fake_weights=None)
    assert state == ()
    np.testing.assert_allclose(loss, getattr(losses, f"{name}_discriminator_loss")(d_real, d_fake), rtol=1e-6)


def test_parameters_are_bound():
    objective = losses.get("least_squares", a=-1.0, b=1.0, c=0.0)
    d_real, d_fake = np.array([0.5, 2.0]), np.array([-0.5, 1.0])
    expected = 0.5 * np.mean((d_real - 1) ** 2) + 0.5 * np.mean((d_fake + 1) ** 2)
    np.testing.assert_allclose(objective.discriminator(d_real, d_fake), expected, rtol=1e-6)
    np.testing.assert_allclose(objective.generator(d_fake), 0.5 * np.mean(d_fake**2), rtol=1e-6)
    assert losses.get("fisher", rho=1e-3).discriminator.keywords == {"rho": 1e-3}
    assert losses.get("mmd", bandwidths=[2, 4]).generator.keywords == {"bandwidths": (2.0, 4.0), "unbiased": False}
    assert isinstance(losses.get("fisher"), losses.StatefulObjective)
    assert losses.get("hinge").name == "hinge"


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="accepted names are .*'hinge'"):
        losses.get("hinge_loss")


@pytest.mark.parametrize(
    "name, params, accepted",
    [
        ("hinge", {"margin": 1.0}, "none"),
        ("least_squares", {"d": 1.0}, r"\['a', 'b', 'c'\]"),
        ("non_saturating", {"smoothing": 0.1}, "label_smoothing"),
        ("fisher", {"lambda_": 0.1}, "rho"),
        ("mmd", {"sigma": 1.0}, "bandwidths"),
        ("fgan_kl", {"form": "minimax"}, "generator_form"),
    ],
)
def test_unknown_parameter_names_the_accepted_ones(name, params, accepted):
    with pytest.raises(ValueError, match=accepted):
        losses.get(name, **params)


@pytest.mark.parametrize(
    "name, params, setting",
    [
        ("least_squares", {"a": 1.0, "b": 1.0}, "a = b"),
        ("least_squares", {"b": 0.0}, "a = b"),
        ("minimax", {"label_smoothing": 1.0}, "label_smoothing"),
        ("non_saturating", {"label_smoothing": -0.1}, "label_smoothing"),
        ("non_saturating", {"label_smoothing": "0.1x"}, "label_smoothing"),
        ("fisher", {"rho": 0.0}, "rho"),
        ("fisher", {"rho": -1.0}, "rho"),
        ("mmd", {"bandwidths": ()}, "bandwidths"),
        ("mmd", {"bandwidths": (1.0, 0.0)}, "bandwidths"),
    ],
)
def test_bad_parameter_values(name, params, setting):
    with pytest.raises(ValueError, match=setting):
        losses.get(name, **params)


@pytest.mark.parametrize("name", sorted(SPEC_NAMES - {"mmd"}))
def test_weights_that_do_not_broadcast_raise_at_call_and_trace_time(name):
    objective = losses.get(name)
    d_real, d_fake = jnp.zeros((4, 2)), jnp.zeros((4, 2))
    with pytest.raises(ValueError, match="real_weights"):
        objective.discriminator_loss_and_state(d_real, d_fake, objective.init_state(), real_weights=jnp.ones(3))
    traced = jax.jit(lambda f, w: objective.generator(f, d_real=d_real, fake_weights=w))
    with pytest.raises(ValueError, match="fake_weights"):
        traced(d_fake, jnp.ones(2))


def test_hyperparameters_can_be_traced():
    """Options pass through jit/vmap (e.g. one compile over several values); only static values are checked."""
    smoothing = jnp.array([0.0, 0.1, 0.2])
    d_real, d_fake = jnp.array([1.0, -2.0]), jnp.array([0.5, 0.0])
    batched = jax.vmap(lambda s: losses.minimax_discriminator_loss(d_real, d_fake, label_smoothing=s))(smoothing)
    for value, loss in zip([0.0, 0.1, 0.2], batched):
        np.testing.assert_allclose(
            loss, losses.minimax_discriminator_loss(d_real, d_fake, label_smoothing=value), rtol=1e-6
        )
