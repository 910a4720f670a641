"""``load(path)``: the traceability of a ``needs.json``, a build folder or a source folder.

Used by the ``crmrisk`` command and the notebooks. A needs.json is read and checked by
:mod:`.needs_json`; a source folder is built first with sphinx-needs' ``needs`` builder,
in a subprocess (:mod:`.needs_cache`). The settings of the build that wrote the
needs.json (recorded beside it) decide the assessment, so the answer is the build's.

A notebook executed by the build of its own source folder (an audit page,
``sphinx_ext/audits.py``) does not build that folder again: the build has read every
other page by then, writes their needs, its settings and its review lock into a folder
of its own, and names it in :data:`BUILD_NEEDS_ENV`, with the source folder in
:data:`BUILD_SOURCE_ENV`. The kernel inherits both; a source folder that is the one
named is read from there.
"""

from __future__ import annotations

import os
from pathlib import Path

from .gc_pause import gc_paused
from .model import Model
from .needs_cache import is_source_folder, needs_json_of
from .needs_json import LoadError, find_needs_json, read_model_needs
from .reviews import LockError, ReviewLock, read_lock
from .settings import CONFIG_JSON, REVIEW_LOCK, Settings, read_recorded_settings
from .traceability import Traceability

#: The environment variable that names the handbook the notebooks audit.
HANDBOOK_ENV = "CRMRISK_HANDBOOK"
#: Set by a build while it reads its audit pages: the needs.json it wrote for them...
BUILD_NEEDS_ENV = "CRMRISK_BUILD_NEEDS"
#: ... and the source folder it builds, whose needs those are.
BUILD_SOURCE_ENV = "CRMRISK_BUILD_SOURCE"


def load(path: str | Path) -> Model:
    """The model from a ``needs.json`` file, a build folder holding one, or a source folder.

    Our kinds, fields and links are read under the names the build recorded
    (``crmrisk_type_names``...), the canonical ones without a record.
    """
    return load_traceability(path).model


def load_traceability(path: str | Path) -> Traceability:
    """Like :func:`load`, assessed with the settings of the build that made it.

    For a ``needs.json`` without that record (an older build's, or a project with no
    crmrisk item, whose build writes none) the defaults apply, and the date is today's.
    """
    needs_json = find_needs_json(_source_needs_json(path) if is_source_folder(path) else path)
    settings = _recorded_settings(needs_json)
    with gc_paused():  # see there: the needs are read, the model built, in one pause
        model = Model.from_needs(read_model_needs(needs_json, settings.names), settings.names)
    return Traceability(model, settings, _recorded_lock(needs_json.with_name(REVIEW_LOCK)))


def _source_needs_json(source: str | Path) -> Path:
    """The needs.json of a source folder: the running build's, when this notebook is
    executed by the build of that very folder; else the cached needs build's."""
    handed, built = os.environ.get(BUILD_NEEDS_ENV), os.environ.get(BUILD_SOURCE_ENV)
    if handed and built and Path(source).resolve() == Path(built).resolve():
        return Path(handed)
    return needs_json_of(source)


def load_handbook(default: str | Path) -> Traceability:
    """What the notebooks audit: the folder ``$CRMRISK_HANDBOOK`` names, else ``default``."""
    return load_traceability(os.environ.get(HANDBOOK_ENV) or default)


def _recorded_settings(needs_json: Path) -> Settings:
    """The settings recorded beside ``needs_json``, read first: they name the keys to read."""
    file = needs_json.with_name(CONFIG_JSON)
    return read_recorded_settings(file) if file.is_file() else Settings()


def _recorded_lock(file: Path) -> ReviewLock:
    """The review lock the build used, copied beside its needs.json (none: no lock)."""
    try:
        return read_lock(file)
    except LockError as err:
        raise LoadError(str(err)) from None
