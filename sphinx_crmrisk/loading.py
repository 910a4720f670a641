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
from .input_paths import is_source_folder
from .kinds import LINK_SPECS
from .model import Item, Model
from .needs_json import FILE, LoadError, find_needs_json, read_model_needs, what_is
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
    needs_json = needs_json_path(path)
    settings = _recorded_settings(needs_json)
    with gc_paused():  # see there: the needs are read, the model built, in one pause
        model = Model.from_needs(read_model_needs(needs_json, settings.names), settings.names)
    config = needs_json.with_name(CONFIG_JSON)
    if what_is(config) is not None:
        mismatch = names_mismatch(model, needs_json)
        if mismatch is not None:
            raise LoadError(
                f"{config}: {mismatch}; a record of another build? Build again, or delete "
                "it to read the needs under the default names"
            )
    return Traceability(model, settings, _recorded_lock(needs_json.with_name(REVIEW_LOCK)))


def names_mismatch(model: Model, needs_json: Path | str) -> str | None:
    """Why the need types a build recorded (``crmrisk_type_names``) cannot be those of
    ``model``'s needs (read from ``needs_json``), or None.

    A build records its values only when it has items of ours, so a record whose types
    name no need is another build's; read with it, the needs would count for nothing
    (« 0 obligations », exit 0: every gap hidden). Likewise when a kind's recorded name
    is on no need while needs of its canonical name are linked with ours (a record that
    renames ``obligation``, beside needs of type ``obligation``).
    """
    names = model.names
    items = model.items.values()
    types = {item.type for item in items}
    if not model.has_items:
        found = ", ".join(sorted(types)[:8]) or "none"
        return (
            f"records the need types {', '.join(names.types.values())}, but {needs_json} "
            f"has no need of them (its types: {found})"
        )
    for kind, name in names.types.items():
        if name == kind.value or name in types:
            continue
        for item in items:
            if item.type == kind.value and item.kind is None and _linked_with_ours(model, item):
                return (
                    f"records {name!r} as the type of {kind.value}s, but {needs_json} has "
                    f"no need of that type, and its {item.id} of type {kind.value!r} is "
                    "linked with the items"
                )
    return None


def _linked_with_ours(model: Model, item: Item) -> bool:
    """Whether one of our links joins ``item`` to one of our items, either way."""
    if any(
        target in model.items and model.items[target].kind is not None
        for targets in item.links.values()
        for target in targets
    ):
        return True
    return any(
        source.kind is not None for link in LINK_SPECS for source in model.incoming(item.id, link)
    )


def needs_json_path(path: str | Path) -> Path:
    """The ``needs.json`` of a file, a build folder or a source folder (built first, or
    the running build's: :func:`_source_needs_json`)."""
    return find_needs_json(_source_needs_json(path) if is_source_folder(path) else path)


def _source_needs_json(source: str | Path) -> Path:
    """The needs.json of a source folder: the running build's, when this notebook is
    executed by the build of that very folder; else the cached needs build's."""
    handed, built = os.environ.get(BUILD_NEEDS_ENV), os.environ.get(BUILD_SOURCE_ENV)
    if handed and built and Path(source).resolve() == Path(built).resolve():
        return Path(handed)
    # the cache's code (and the tempfile, shutil, random and compression modules it
    # brings) only for a source folder: `crmrisk check needs.json` never loads it
    # (benchmarks/README.md)
    from .needs_cache import needs_json_of

    return needs_json_of(source)


def load_handbook(default: str | Path) -> Traceability:
    """What the notebooks audit: the folder ``$CRMRISK_HANDBOOK`` names, else ``default``."""
    return load_traceability(os.environ.get(HANDBOOK_ENV) or default)


def _recorded_settings(needs_json: Path) -> Settings:
    """The settings recorded beside ``needs_json``, read first: they name the keys to read."""
    file = needs_json.with_name(CONFIG_JSON)
    found = what_is(file)
    if found is None:
        return Settings()
    if found != FILE:  # a folder, a FIFO (which would never end reading)
        raise LoadError(f"{file}: not a regular file")
    return read_recorded_settings(file)


def _recorded_lock(file: Path) -> ReviewLock:
    """The review lock the build used, copied beside its needs.json (none: no lock)."""
    try:
        return read_lock(file)
    except LockError as err:
        raise LoadError(str(err)) from None
