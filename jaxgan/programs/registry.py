"""The one registry of families: `config.program` -> its `Family` record, and the program it builds.

    family = registry.get("infogan")                  # a built-in family
    family = registry.get("my_gans/lsgan_fm.py:FAMILY")   # a record in one's own file
    program = registry.build_program(config, dataset, axis_name=None)

A name with a colon is `<file.py or module>:<attribute>`: the file is loaded (a relative path
starts at the working directory), or the module imported, and the attribute must be a
`Family`. Nothing is registered at run time: the built-in families are the table below, and a
family of one's own is found from its name each time.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

import ml_collections

from jaxgan import data as data_lib
from jaxgan.program import Program
from jaxgan.programs import (
    ali,
    began,
    cogan,
    conditional,
    ebgan,
    gan,
    infogan,
    madgan,
    mrgan,
    progressive,
    semi_supervised,
    srgan,
    stackgan,
    translation,
    triplegan,
    vaegan,
)
from jaxgan.programs.family import Family, refuse_unread_settings
from jaxgan.programs.parts import DTYPES, Parts

FAMILIES: types.MappingProxyType[str, Family] = types.MappingProxyType(
    {
        family.name: family
        for family in (
            gan.FAMILY,
            conditional.FAMILY,
            conditional.ACGAN,
            infogan.FAMILY,
            infogan.SS_INFOGAN,
            semi_supervised.FAMILY,
            ebgan.FAMILY,
            began.FAMILY,
            madgan.FAMILY,
            vaegan.FAMILY,
            ali.FAMILY,
            mrgan.FAMILY,
            cogan.FAMILY,
            triplegan.FAMILY,
            translation.PIX2PIX,
            translation.CYCLEGAN,
            srgan.FAMILY,
            progressive.FAMILY,
            stackgan.FAMILY,
        )
    }
)


def names() -> tuple[str, ...]:
    """The built-in families' names."""
    return tuple(sorted(FAMILIES))


def get(name: str) -> Family:
    """The family `config.program` names: a built-in one, or `<file.py | module>:<attribute>`."""
    if not isinstance(name, str):
        raise ValueError(f"config.program must be a family's name; got {name!r}.")
    if name in FAMILIES:
        return FAMILIES[name]
    usage = f"use one of {list(names())}, or 'path/to/file.py:NAME' for a family of your own"
    source, colon, attribute = name.rpartition(":")
    if not colon or not source or not attribute:
        raise ValueError(f"config.program={name!r} is not a family; {usage}.")
    module = _load(name, source, usage)
    family = getattr(module, attribute, None)
    if not isinstance(family, Family):
        found = "nothing" if family is None else f"a {type(family).__name__}"
        raise ValueError(
            f"config.program={name!r}: {source} has {found} named {attribute!r}, not a "
            "jaxgan.programs.family.Family record."
        )
    return family


def _load(name: str, source: str, usage: str) -> types.ModuleType:
    if source.endswith(".py") or os.sep in source:
        path = os.path.abspath(source)
        if not os.path.isfile(path):
            raise ValueError(f"config.program={name!r}: no such file {path}; {usage}.")
        module_name = f"jaxgan_family_{abs(hash(path))}"
        if module_name in sys.modules:  # loaded once per process: one class per network
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # noqa: BLE001 - anything the user's file raises becomes one sentence
            del sys.modules[module_name]
            raise ValueError(
                f"config.program={name!r}: loading {path} failed ({type(error).__name__}: {error})."
            ) from error
        return module
    try:
        return importlib.import_module(source)
    except ImportError as error:
        raise ValueError(f"config.program={name!r}: cannot import module {source!r} ({error}); {usage}.") from None


def family_of(config: ml_collections.ConfigDict) -> Family:
    return get(config.program)


def check_config(config: ml_collections.ConfigDict) -> Family:
    """The family of `config`, after refusing (one sentence each, before anything is built) a
    shared setting it does not read, a section key it does not have, and a dtype it cannot take."""
    family = get(config.program)
    if config.model.dtype not in DTYPES:
        raise ValueError(f"config.model.dtype={config.model.dtype!r} is not supported; use one of {sorted(DTYPES)}.")
    refuse_unread_settings(config, family)
    return family


def check_data(config: ml_collections.ConfigDict, family: Family, dataset) -> None:
    """Refuse a dataset without the batch features the family needs, in one sentence."""
    specs = data_lib.feature_specs(dataset)
    missing = [name for name in family.needs.features if name not in specs]
    if missing:
        suggestion = f"; use {family.needs.suggestion}" if family.needs.suggestion else ""
        if "label" in missing and data_lib.is_file_source(config.data.name):
            suggestion = (
                "; give the files labels: class subfolders or a dataset.json for a folder: source "
                "(config.data.labels), `label` in an array: .npz"
            )
        raise ValueError(
            f"config.program={config.program!r} needs a dataset with features {list(family.needs.features)}, but "
            f"config.data.name={config.data.name!r} has {sorted(specs)}{suggestion}."
        )


def stage_starts(config: ml_collections.ConfigDict) -> tuple[int, ...] | None:
    """The first step of each stage of a run in stages (`family.Stages`), checked; None for a run of one program."""
    family = get(config.program)
    return None if family.stages is None else tuple(family.stages.starts(config))


def build_program(config: ml_collections.ConfigDict, dataset, *, axis_name: str | None, stage: int = 0) -> Program:
    """The family's program for `dataset` (of stage `stage` for a run in stages); then refuse a
    `config.model` or `config.optimizer` entry that no part of the program read (one sentence)."""
    family = check_config(config)
    check_data(config, family, dataset)
    parts = Parts(config, dataset, family=family, axis_name=axis_name, stage=stage)
    program = family.build(parts)
    unread_models = sorted(set(config.model) - {"dtype", "cross_device_batch_norm"} - parts.models_read)
    unread_groups = sorted(set(config.optimizer) - parts.optimizers_read)
    for kind, unread, read in (
        ("model", unread_models, parts.models_read),
        ("optimizer", unread_groups, parts.optimizers_read),
    ):
        if unread:
            raise ValueError(
                f"config.{kind}.{unread[0]} is not read by program {family.name!r}, whose {kind} entries are "
                f"{sorted(read)}; remove it."
            )
    return program
