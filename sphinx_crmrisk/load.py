"""``load(path)``: the traceability model from a ``needs.json``, a build or a source folder.

Used by the ``crmrisk`` command and the notebooks; the build itself reads the needs
of the running Sphinx application instead (:mod:`sphinx_crmrisk.collect`). A source
folder is built first with sphinx-needs' ``needs`` builder (:mod:`sphinx_crmrisk.source`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sphinx.errors import ConfigError

from .config import CrmriskConfig, default_values, read_config
from .model import DEFAULT_INACTIVE_STATUSES, Assessment, Model, assess_all
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
    """The needs of the current version of a ``needs.json`` file, by ID."""
    file = find_needs_json(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
    return needs_of(data, str(file))


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
    return Model.from_needs(read_needs(_needs_json_for(path)))


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
        return assess_all(self.model, self.today, self.inactive_statuses)


def load_traceability(path: str | Path) -> Traceability:
    """Like :func:`load`, with the ``crmrisk_*`` values of the build that made the data.

    Every build records them beside its needs.json (:mod:`sphinx_crmrisk.record`); for
    a ``needs.json`` without that record the defaults apply, and the date is today's.
    """
    needs_json = find_needs_json(_needs_json_for(path))
    model = Model.from_needs(read_needs(needs_json))
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
