"""What the command and the build find at a path they are given, and the error of
unusable input: no msgspec, no Sphinx.

Kept apart from :mod:`.needs_json` (whose parser imports msgspec) so that a build, which
reads the running application's needs and never a needs.json, does not load the parser
to name a file or raise this error (1 MiB of every HTML build, benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Collection
from pathlib import Path

from .file_names import NEEDS_JSON


class LoadError(Exception):
    """Unusable input: the message says what is wrong, in one line."""


FILE, FOLDER, OTHER = "file", "folder", "other"

#: What makes a folder a project's sources: a Sphinx project, or a Jupyter Book (both files).
CONF_PY = "conf.py"
JUPYTER_BOOK_FILES = ("_config.yml", "_toc.yml")


def find_needs_json(path: str | Path) -> Path:
    """``path`` itself when it is a file, else ``path/needs.json``."""
    path = Path(path)
    if what_is(path) == FOLDER:
        path = path / NEEDS_JSON
    found = what_is(path)
    if found is None:
        raise LoadError(f"{path}: no such file (expected a needs.json or a folder holding one)")
    if found != FILE:
        raise LoadError(
            f"{path}: not a regular file (expected a needs.json or a folder holding one)"
        )
    return path


def what_is(path: Path) -> str | None:
    """:data:`FILE`, :data:`FOLDER`, :data:`OTHER` (a FIFO, a device...), or None when
    nothing is there. A path that cannot be looked at (a folder on the way without
    permission) is a :class:`LoadError`, not a missing file."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise LoadError(f"{path}: cannot read: {err.strerror or err}") from None
    except ValueError:  # a NUL byte in the path: no file can have that name
        return None
    return FILE if stat.S_ISREG(mode) else FOLDER if stat.S_ISDIR(mode) else OTHER


def is_source_folder(path: str | Path) -> bool:
    """Whether ``path`` is a Sphinx project or a Jupyter Book; a :class:`LoadError` when
    it cannot be looked into (no permission)."""
    path = Path(path)
    if what_is(path) != FOLDER:
        return False
    return what_is(path / CONF_PY) == FILE or all(
        what_is(path / name) == FILE for name in JUPYTER_BOOK_FILES
    )


def folder_sha256(root: Path, suffixes: Collection[str] | None = None) -> str:
    """One SHA-256 of the files under ``root`` (those whose suffix is in ``suffixes``, or
    all), each by its path relative to ``root``, its size and its bytes; compiled code
    (``__pycache__``) left out."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or (suffixes is not None and path.suffix not in suffixes):
            continue
        if path.is_file():
            data = path.read_bytes()
            digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()
