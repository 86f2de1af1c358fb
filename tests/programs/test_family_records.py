"""The family records: every family refuses every shared setting it does not read, in one
sentence and by one mechanism, and reads the ones it declares; the registry finds built-in
families and a family in a user's file; a config entry that no part reads is refused."""

import ml_collections
import pytest

from jaxgan import data as data_lib
from jaxgan.config import default_config
from jaxgan.programs import family as family_lib
from jaxgan.programs import registry
from jaxgan.train import build

# A value other than the default for each shared setting (family.SHARED_SETTINGS), and the
# field that holds it.
CHANGED = {
    "loss": ("loss.name", "hinge"),
    "penalties": ("penalties.r1", 10.0),
    "clip_weights": ("clip_weights", 0.01),
    "num_critic_steps": ("num_critic_steps", 5),
    "ema_decay": ("ema_decay", 0.999),
    "pack": ("pack", 2),
    "unroll_steps": ("unroll_steps", 5),
    "feature_matching": ("feature_matching", 1.0),
    "labelled_per_class": ("data.labelled_per_class", 10),
    "lecam": ("lecam.weight", 0.3),
    "top_k": ("top_k.fraction", 0.5),
    "orthogonal": ("orthogonal.networks", "discriminator"),
    "penalty_interval": ("penalty_interval", 16),
    "ema_rampup": ("ema_rampup", 0.05),
    "augment": ("augment.policy", "translation"),
    "consistency": ("consistency.bcr_real", 10.0),
}


def _config(family: str, path: str | None = None, value=None) -> ml_collections.ConfigDict:
    config = default_config()
    config.program = family
    if path is not None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[last] = value
    return config


def test_every_shared_setting_has_a_changed_value_here():
    assert set(CHANGED) == set(family_lib.SHARED_SETTINGS)


@pytest.mark.parametrize("name", sorted(registry.FAMILIES))
@pytest.mark.parametrize("setting", sorted(CHANGED))
def test_every_family_refuses_each_shared_setting_it_does_not_read(name, setting):
    family = registry.FAMILIES[name]
    path, value = CHANGED[setting]
    config = _config(name, path, value)
    reads = set(family.reads) | ({"labelled_per_class"} if family.needs.labelled_subset else set())
    if setting in reads:
        assert registry.check_config(config) is family  # read: not refused
        return
    with pytest.raises(ValueError) as error:
        build.build(config)  # the first thing build does; nothing is loaded or compiled
    message = str(error.value)
    default = family_lib._value(default_config(), path)
    assert message.startswith(f"config.{path}={value!r} is not read by program {name!r}, which reads "), message
    assert message.endswith(f"; leave it at {default!r}."), message
    assert "\n" not in message and message.count(". ") == 0, message


def test_the_families_read_what_their_programs_use():
    """The declarations, family by family (what each program's code reads)."""
    reads = {name: set(family.reads) for name, family in registry.FAMILIES.items()}
    assert reads["gan"] == set(family_lib.SHARED_SETTINGS) - {"labelled_per_class"}
    regularisers = {"lecam", "top_k", "orthogonal", "penalty_interval", "ema_rampup"}
    base = {"loss", "penalties", "clip_weights", "num_critic_steps", "ema_decay", *regularisers}
    for name in ("conditional", "acgan"):
        assert reads[name] == base | {"augment", "consistency"}
    assert reads["infogan"] == reads["ss_infogan"] == base
    for name in ("ebgan", "began", "madgan", "semi_supervised"):
        assert reads[name] == {"num_critic_steps", "ema_decay"}
    assert reads["vaegan"] == reads["ali"] == reads["mrgan"] == reads["cogan"] == reads["triplegan"] == {"ema_decay"}
    assert reads["pix2pix"] == reads["cyclegan"] == reads["srgan"] == set()
    assert reads["progressive"] == {"loss", "penalties", "num_critic_steps", "ema_decay", *regularisers}
    assert reads["stackgan"] == set()
    assert registry.FAMILIES["semi_supervised"].needs.labelled_subset
    assert registry.FAMILIES["ss_infogan"].needs.labelled_subset
    assert registry.FAMILIES["triplegan"].needs.labelled_subset


def test_a_family_section_key_it_does_not_have_is_refused():
    config = _config("ebgan")
    config.ebgan = ml_collections.ConfigDict({"margin": 0.3, "pulling_away_wieght": 0.1})
    with pytest.raises(ValueError, match=r"config.ebgan has unknown setting\(s\) \['pulling_away_wieght'\]"):
        registry.check_config(config)


def test_a_missing_family_section_takes_the_defaults():
    from jaxgan.programs import ebgan

    config = _config("ebgan")
    assert "ebgan" not in config
    assert family_lib.settings_of(config, ebgan.FAMILY).to_dict() == {"margin": 1.0, "pulling_away_weight": 0.1}


@pytest.mark.parametrize(
    "section, entry, expected",
    [
        (
            "optimizer",
            {"name": "adam", "learning_rate": 1e-3},
            r"config.optimizer.encoder is not read by program 'gan'",
        ),
        ("model", {"name": "conv_encoder", "features": 8}, r"config.model.encoder is not read by program 'gan'"),
    ],
)
def test_a_model_or_optimizer_entry_no_part_reads_is_refused(section, entry, expected):
    config = _config("gan")
    config[section].encoder = ml_collections.ConfigDict(entry)
    dataset = data_lib.load("ring", num_examples=200)
    with pytest.raises(ValueError, match=expected):
        registry.build_program(config, dataset, axis_name=None)


def test_unknown_program_names_are_one_sentence(tmp_path):
    with pytest.raises(ValueError, match=r"config.program='gam' is not a family; use one of \['acgan'"):
        registry.get("gam")
    with pytest.raises(ValueError, match="no such file"):
        registry.get(str(tmp_path / "missing.py") + ":FAMILY")
    (tmp_path / "broken.py").write_text("raise RuntimeError('my bug')\n")
    with pytest.raises(ValueError, match=r"loading .*broken.py failed \(RuntimeError: my bug\)"):
        registry.get(str(tmp_path / "broken.py") + ":FAMILY")
    with pytest.raises(ValueError, match="cannot import module 'no_such_module_here'"):
        registry.get("no_such_module_here:FAMILY")


def test_a_family_in_a_users_file_is_found_by_path_and_by_module(tmp_path, monkeypatch):
    (tmp_path / "my_family.py").write_text(
        "from jaxgan.programs import gan\n"
        "from jaxgan.programs.family import Family\n"
        "FAMILY = Family(name='mine', build=gan.build, reads=gan.FAMILY.reads)\n"
    )
    by_path = registry.get(str(tmp_path / "my_family.py") + ":FAMILY")
    assert by_path.name == "mine" and by_path is registry.get(str(tmp_path / "my_family.py") + ":FAMILY")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry.get("my_family:FAMILY").name == "mine"


def test_a_family_reading_an_unknown_shared_setting_is_refused():
    with pytest.raises(ValueError, match=r"family 'x' reads unknown shared setting\(s\) \['pakc'\]"):
        family_lib.Family(name="x", build=lambda parts: None, reads=("pakc",))


def test_a_network_setting_the_family_sets_itself_is_refused_unless_equal():
    from jaxgan.programs import madgan

    config = _config("madgan", "data.name", "ring")
    config.madgan = madgan.FAMILY.default_settings(num_generators=3)
    config.model.generator = ml_collections.ConfigDict({"name": "multi_mlp", "width": 8, "depth": 1})
    dataset = data_lib.load("ring", num_examples=200)
    config.model.discriminator.num_outputs = 4  # k + 1: what the family sets
    registry.build_program(config, dataset, axis_name=None)
    config.model.discriminator.num_outputs = 3
    with pytest.raises(ValueError, match=r"config.model.discriminator.num_outputs=3 is set by program 'madgan' \(to 4"):
        registry.build_program(config, dataset, axis_name=None)
