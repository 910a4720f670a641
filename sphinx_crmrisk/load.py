"""``load(path)``: the traceability model from a ``needs.json`` or a build folder.

Used by the ``crmrisk`` command and the notebooks; the build itself reads the needs
of the running Sphinx application instead (:mod:`sphinx_crmrisk.collect`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .model import Model

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
    """The model from a ``needs.json`` file or a build folder holding one."""
    return Model.from_needs(read_needs(path))
