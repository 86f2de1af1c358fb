"""One step of every family at the tiniest sizes, for the quick tier (`pytest -m "not slow"`).

Each family's step is held against a hand-written update, resumed and run on 8 devices in its
own tests (tests/programs, tests/train); those compile larger networks or several programs and
are marked slow. Here every family compiles one small step (MLPs on the ring, 8x8 or 12x12
digits, width-2 translation networks): its metrics are finite and G moves.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxgan.programs import registry
from tests.programs import helpers as family_helpers
from tests.programs import translation_invariance
from tests.train.helpers import batch_for, conditional_ring_config, one_device, tiny_ring_config


def _section(family: str, **overrides):
    """A family's config section: its record's defaults, then `overrides`."""
    return registry.FAMILIES[family].default_settings(**overrides)


def _acgan():
    config = conditional_ring_config()
    config.program = "acgan"
    config.conditional = _section("conditional", num_classes=8, discriminator_conditioning="none", class_weight=1.0)
    return config


def _infogan():
    config = tiny_ring_config()
    config.program = "infogan"
    config.infogan = _section("infogan", num_categories=4, num_continuous=1, q_width=8)
    return config


def _semi_supervised():
    config = tiny_ring_config()
    config.program = "semi_supervised"
    config.semi_supervised = _section("semi_supervised", num_classes=8)
    config.data.labelled_per_class = 2
    return config


CONFIGS = {
    "gan": tiny_ring_config,
    "conditional": conditional_ring_config,
    "acgan": _acgan,
    "infogan": _infogan,
    "semi_supervised": _semi_supervised,
    **{family: (lambda family=family: family_helpers.tiny_config(family)) for family in family_helpers.FAMILIES},
    "pix2pix": lambda: translation_invariance.config_for("pix2pix"),
    "cyclegan": lambda: translation_invariance.config_for("cyclegan"),
    "srgan": lambda: family_helpers.tiny_config("srgan"),
    "progressive": lambda: family_helpers.tiny_config("progressive"),
    "stackgan": lambda: family_helpers.tiny_config("stackgan"),
}


@pytest.mark.parametrize("family", sorted(CONFIGS))
def test_one_step_of_every_family(family):
    config = CONFIGS[family]()
    assert config.program == family
    experiment, state, step = one_device(config)
    new_state, metrics = step(state, batch_for(experiment, config))
    assert int(new_state.step) == 1
    for name, value in metrics.items():
        assert np.all(np.isfinite(np.asarray(value))), (name, value)
    generators = [name for name in state.params if name.startswith(("generator", "g_"))] or list(state.params)
    moved = max(
        float(np.max(np.abs(a - b)))
        for name in generators
        for a, b in zip(jax.tree.leaves(state.params[name]), jax.tree.leaves(new_state.params[name]))
    )
    assert moved > 0, family  # G took a step
