"""``load(path)``: the traceability model from a ``needs.json``, a build or a source folder.

Used by the ``crmrisk`` command and the notebooks; the build itself reads the needs
of the running Sphinx application instead (:mod:`sphinx_crmrisk.collect`). A source
folder is built first with sphinx-needs' ``needs`` builder (:mod:`sphinx_crmrisk.source`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypedDict

import msgspec
from sphinx.errors import ConfigError

from .config import CrmriskConfig, default_values, read_config
from .model import DEFAULT_INACTIVE_STATUSES, NEED_KEYS, Assessment, Model, assess_all
from .record import CONFIG_JSON

NEEDS_JSON = "needs.json"
#: The environment variable that names the handbook the notebooks audit.
HANDBOOK_ENV = "CRMRISK_HANDBOOK"


class LoadError(Exception):
    """Unusable input: the message says what is wrong, in one line."""


def find_needs_json(path: str | Path) -> Path:
    """``path`` itself when it is a file, else ``path/needs.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / NEEDS_JSON
    if not path.is_file():
        raise LoadError(f"{path}: no such file (expected a needs.json or a folder holding one)")
    return path


def read_needs(path: str | Path) -> dict[str, Mapping[str, Any]]:
    """The needs of the current version of a ``needs.json`` file, by ID, with every key."""
    return _read_needs(path, _EVERY_KEY)


def read_model_needs(path: str | Path) -> dict[str, Mapping[str, Any]]:
    """Like :func:`read_needs`, for the model: other keys than it reads may be left out.

    sphinx-needs writes about sixty keys a need, the model reads twenty
    (:data:`~sphinx_crmrisk.model.NEED_KEYS`): the others are skipped while parsing,
    never made into Python objects (all are kept on the rare file json reads instead).
    """
    return _read_needs(path, _MODEL_KEYS)


def _read_needs(path: str | Path, decoder: msgspec.json.Decoder) -> dict[str, Mapping[str, Any]]:
    file = find_needs_json(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    with _gc_paused():
        try:
            # msgspec: 3 to 4 times json's speed on a large needs.json, same values
            # for everything sphinx-needs writes
            data = decoder.decode(raw)
        except msgspec.DecodeError:
            # what msgspec refuses (bad JSON or an unexpected shape, but also NaN, a
            # lone surrogate, a BOM, bytes that are not UTF-8), json reads, or reports
            # in the words it always has, and needs_of names what is wrong
            data = _read_json(file)
    return needs_of(data, str(file))


def _decoder_of(need_type: Any) -> msgspec.json.Decoder:
    """A decoder of needs.json files whose needs are ``need_type``."""
    # the functional form: this module's annotations are strings, which msgspec
    # cannot resolve inside a function
    version = TypedDict("version", {"needs": dict[str, need_type]}, total=False)  # type: ignore[misc, valid-type]
    needs_file = TypedDict(  # type: ignore[misc]
        "needs_file", {"current_version": Any, "versions": dict[str, version]}, total=False  # type: ignore[valid-type]
    )
    return msgspec.json.Decoder(needs_file)


_EVERY_KEY = _decoder_of(dict[str, Any])
# a TypedDict of the model's keys: msgspec skips every other key of a need
_MODEL_KEYS = _decoder_of(TypedDict("model_need", {key: Any for key in NEED_KEYS}, total=False))  # type: ignore[misc]


def _read_json(file: Path) -> Any:
    """The plain path: :mod:`json`, whose line numbers and messages LoadError gives."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a needs.json becomes a model.

    Reading 50,000 needs creates millions of dicts, lists and objects; CPython collects
    every 700 new ones, and its full collections walk every live object: half of the
    time ``json.loads`` takes on such a file, and more in the model. Nothing made here
    holds a reference cycle, so reference counting frees all of it just the same.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # what survives (the model) moves to the oldest generation, where it would
            # have gone after two collections that each walk all of it (0.15 s at
            # 50,000 needs): freeze() then unfreeze() moves it there without a walk
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def needs_of(data: Any, origin: str) -> dict[str, Mapping[str, Any]]:
    """Validates the shape of a needs.json document and returns its needs."""
    if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
        raise LoadError(f"{origin}: not a needs.json file (no 'versions' object)")
    version = data.get("current_version", "")
    versions = data["versions"]
    if version not in versions:
        if len(versions) != 1:
            raise LoadError(f"{origin}: current_version {version!r} is not in 'versions'")
        version = next(iter(versions))
    needs = versions[version].get("needs") if isinstance(versions[version], dict) else None
    if not isinstance(needs, dict):
        raise LoadError(f"{origin}: version {version!r} has no 'needs' object")
    for need_id, need in needs.items():
        if not isinstance(need, dict) or "type" not in need:
            raise LoadError(f"{origin}: need {need_id!r} is not an object with a 'type'")
        need.setdefault("id", need_id)
    return needs


def load(path: str | Path) -> Model:
    """The model from a ``needs.json`` file, a build folder holding one, or a source folder."""
    return _model_of(_needs_json_for(path))


def _model_of(needs_json: str | Path) -> Model:
    with _gc_paused():  # see there: the needs are read, the model built, in one pause
        return Model.from_needs(read_model_needs(needs_json))


def _needs_json_for(path: str | Path) -> str | Path:
    # imported here: source.py imports this module for LoadError
    from .source import is_source_folder, needs_json_of

    return needs_json_of(path) if is_source_folder(path) else path


@dataclass(frozen=True)
class Traceability:
    """A model with the reference date and statuses its build used, and its assessments."""

    model: Model
    today: dt.date
    inactive_statuses: tuple[str, ...] = DEFAULT_INACTIVE_STATUSES

    @cached_property
    def assessments(self) -> list[Assessment]:
        # paused too: collections would walk the whole model again and again
        with _gc_paused():
            return assess_all(self.model, self.today, self.inactive_statuses)


def load_traceability(path: str | Path) -> Traceability:
    """Like :func:`load`, with the ``crmrisk_*`` values of the build that made the data.

    Every build records them beside its needs.json (:mod:`sphinx_crmrisk.record`); for
    a ``needs.json`` without that record the defaults apply, and the date is today's.
    """
    needs_json = find_needs_json(_needs_json_for(path))
    model = _model_of(needs_json)
    values_file = needs_json.with_name(CONFIG_JSON)
    config = _read_config_values(values_file) if values_file.is_file() else CrmriskConfig()
    return Traceability(model, config.reference_date, config.inactive_statuses)


def _read_config_values(file: Path) -> CrmriskConfig:
    try:
        values = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(values, dict):
            raise ValueError("not a JSON object")
        # a value the record lacks (an older build's) takes its default
        return read_config({**default_values(), **values})
    except (OSError, ValueError, ConfigError) as err:
        raise LoadError(f"{file}: unusable crmrisk values: {err}") from None


def load_handbook(default: str | Path) -> Traceability:
    """What the notebooks audit: the folder ``$CRMRISK_HANDBOOK`` names, else ``default``."""
    return load_traceability(os.environ.get(HANDBOOK_ENV) or default)
