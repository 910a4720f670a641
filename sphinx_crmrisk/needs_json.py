"""Reading a ``needs.json`` file: found, parsed and checked at the edge.

Used by :mod:`.loading` (the ``crmrisk`` command and the notebooks); the build itself
reads the needs of the running Sphinx application instead. Anything unusable is a
:class:`LoadError` whose message says, in one line, what is wrong and where.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

import msgspec

from .model import NEED_KEYS
from .traceability import gc_paused

NEEDS_JSON = "needs.json"


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


def read_model_needs(
    path: str | Path, keys: tuple[str, ...] = NEED_KEYS
) -> dict[str, Mapping[str, Any]]:
    """Like :func:`read_needs`, for the model: other keys than it reads may be left out.

    sphinx-needs writes about sixty keys a need, the model reads twenty (``keys``:
    :func:`~sphinx_crmrisk.model.need_keys` of the names the build recorded): the others
    are skipped while parsing, never made into Python objects (all are kept on the rare
    file json reads instead).
    """
    return _read_needs(path, _model_decoder(keys))


def _read_needs(path: str | Path, decoder: msgspec.json.Decoder) -> dict[str, Mapping[str, Any]]:
    file = find_needs_json(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    with gc_paused():
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


@functools.lru_cache(maxsize=8)
def _model_decoder(keys: tuple[str, ...]) -> msgspec.json.Decoder:
    """A TypedDict of the model's keys: msgspec skips every other key of a need. One
    decoder per key set (the canonical one, and each project's renamed names)."""
    return _decoder_of(TypedDict("model_need", {key: Any for key in keys}, total=False))  # type: ignore[misc]


def _read_json(file: Path) -> Any:
    """The plain path: :mod:`json`, whose line numbers and messages LoadError gives."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None


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
