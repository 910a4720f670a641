"""Where a build's data came from: the commit of its sources, and the law it imported.

A build records this beside its needs.json, in ``crmrisk-config.json`` under the key
:data:`PROVENANCE_KEY` (``sphinx_ext/outputs.py``), because its output folder alone
does not say where its sources are: the audit pack (:mod:`.pack`) prints it on its
cover, so that a reviewer can rebuild the same state from the same commit.

- ``commit``: ``git rev-parse HEAD`` of the source folder, when it is a git checkout
  and git is installed (None otherwise: a build never fails for want of git);
- ``folder``: the source folder within that checkout (``.`` at its top; a path of
  the repository, never one of the machine, so that two clones give the same record);
- ``modified``: whether tracked files under the source folder differ from the commit
  (untracked files are left out: an output folder or a cache is not a change);
- ``catalogues``: the dated statements of the shipped law the pages imported
  (``crmrisk-catalogue``), the date of the law when ``crmrisk_law_date`` is unset.

Nothing here reads the clock. No Sphinx import.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import parse_date

#: The key of the record in ``crmrisk-config.json`` (not a config value).
PROVENANCE_KEY = "provenance"
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
#: git is asked twice a build: a hung one (a network file system) is given up on.
_GIT_TIMEOUT = 20


@dataclass(frozen=True)
class Provenance:
    commit: str | None = None
    folder: str | None = None
    modified: bool | None = None
    catalogues: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "folder": self.folder,
            "modified": self.modified,
            "catalogues": list(self.catalogues),
        }

    @classmethod
    def from_record(cls, value: Any) -> Provenance:
        """The record read back; ValueError, with the reason, when it is unusable."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError("not a JSON object")
        commit = value.get("commit")
        if commit is not None and (not isinstance(commit, str) or not _COMMIT.match(commit)):
            raise ValueError(f"commit {commit!r} is not a git commit ID")
        folder = value.get("folder")
        if folder is not None and not isinstance(folder, str):
            raise ValueError(f"folder {folder!r} is not a text")
        modified = value.get("modified")
        if modified is not None and not isinstance(modified, bool):
            raise ValueError(f"modified {modified!r} is not true, false or null")
        catalogues = value.get("catalogues") or []
        if not isinstance(catalogues, list) or not all(
            isinstance(v, str) and parse_date(v) for v in catalogues
        ):
            raise ValueError(f"catalogues {catalogues!r} is not a list of dates YYYY-MM-DD")
        return cls(commit, folder, modified, tuple(sorted(set(catalogues))))


def _git(source: Path, *args: str) -> str | None:
    """git's output in ``source``, or None: no git, not a checkout, an error."""
    # no optional lock: ``git status`` would otherwise refresh the index, a write in
    # the author's checkout that races with their own git commands
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            ["git", "-C", str(source), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=_GIT_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    return result.stdout if result.returncode == 0 else None


def source_provenance(source: Path, catalogues: Iterable[str] = ()) -> Provenance:
    """The provenance of a build of ``source`` (``catalogues``: the versions imported)."""
    imported = tuple(sorted(set(catalogues)))
    head = _git(source, "rev-parse", "HEAD", "--show-prefix")
    lines = head.splitlines() if head is not None else []
    if not lines or not _COMMIT.match(lines[0].strip()):
        return Provenance(catalogues=imported)
    prefix = lines[1].strip().rstrip("/") if len(lines) > 1 else ""
    status = _git(source, "status", "--porcelain", "--untracked-files=no", "--", ".")
    return Provenance(
        commit=lines[0].strip(),
        folder=prefix or ".",
        modified=None if status is None else bool(status.strip()),
        catalogues=imported,
    )


def read_provenance(config_json: Path) -> Provenance:
    """The provenance a build recorded in ``config_json`` (none recorded: empty).

    Raises ValueError, with the reason, when the record is unusable.
    """
    try:
        values = json.loads(config_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read: {err}") from None
    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    try:
        return Provenance.from_record(values.get(PROVENANCE_KEY))
    except ValueError as err:
        raise ValueError(f"{PROVENANCE_KEY}: {err}") from None
