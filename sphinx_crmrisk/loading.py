"""``load(path)``: the traceability of a ``needs.json``, a build folder or a source folder.

Used by the ``crmrisk`` command and the notebooks. A needs.json is read and checked by
:mod:`.needs_json`; a source folder is built first with sphinx-needs' ``needs`` builder
(:mod:`.source_build`). The ``crmrisk_*`` values of the build that wrote the needs.json
(recorded beside it) decide the assessment, so the answer is the build's.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import CONFIG_JSON, REVIEW_LOCK, CrmriskConfig, read_recorded_values
from .model import Model
from .needs_json import LoadError, find_needs_json, read_model_needs
from .reviews import ReviewLock, read_lock
from .source_build import is_source_folder, needs_json_of
from .traceability import Traceability, gc_paused

#: The environment variable that names the handbook the notebooks audit.
HANDBOOK_ENV = "CRMRISK_HANDBOOK"


def load(path: str | Path) -> Model:
    """The model from a ``needs.json`` file, a build folder holding one, or a source folder.

    Our kinds, fields and links are read under the names the build recorded
    (``crmrisk_type_names``...), the canonical ones without a record.
    """
    needs_json = find_needs_json(_needs_json_for(path))
    return _model_of(needs_json, _values_for(needs_json))


def load_traceability(path: str | Path) -> Traceability:
    """Like :func:`load`, assessed with the ``crmrisk_*`` values of the build that made it.

    For a ``needs.json`` without that record (an older build's, or a project with no
    crmrisk item, whose build writes none) the defaults apply, and the date is today's.
    """
    needs_json = find_needs_json(_needs_json_for(path))
    values = _values_for(needs_json)
    lock = _recorded_lock(needs_json.with_name(REVIEW_LOCK))
    return Traceability.assessed_with(_model_of(needs_json, values), values, lock)


def load_recorded_config(path: str | Path) -> CrmriskConfig:
    """The values of the build that wrote the needs.json of ``path`` (the language and
    the export settings too); the defaults when it recorded none."""
    return _values_for(find_needs_json(_needs_json_for(path)))


def load_handbook(default: str | Path) -> Traceability:
    """What the notebooks audit: the folder ``$CRMRISK_HANDBOOK`` names, else ``default``."""
    return load_traceability(os.environ.get(HANDBOOK_ENV) or default)


def _values_for(needs_json: Path) -> CrmriskConfig:
    """The values recorded beside ``needs_json``, read first: they name the keys to read."""
    values_file = needs_json.with_name(CONFIG_JSON)
    return read_recorded_values(values_file) if values_file.is_file() else CrmriskConfig()


def _model_of(needs_json: Path, values: CrmriskConfig) -> Model:
    names = values.names
    with gc_paused():  # see there: the needs are read, the model built, in one pause
        return Model.from_needs(read_model_needs(needs_json, names), names)


def _needs_json_for(path: str | Path) -> str | Path:
    return needs_json_of(path) if is_source_folder(path) else path


def _recorded_lock(file: Path) -> ReviewLock:
    """The review lock the build used, copied beside its needs.json (none: no lock)."""
    try:
        return read_lock(file)
    except ValueError as err:
        raise LoadError(f"{file}: unusable review lock: {err}") from None
