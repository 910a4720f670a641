"""The ``needs.json`` of a SOURCE folder: built with sphinx-needs' ``needs`` builder, cached.

A source folder is a Sphinx project (``conf.py``) or a Jupyter Book 1 (``_config.yml``
and ``_toc.yml``). The build runs in a subprocess: the notebooks that load the
handbook are themselves executed during the book build, and a second Sphinx
application in the same process would share docutils' global registries with it.

The build itself is ``python -m sphinx_crmrisk.sphinx_ext.needs_build``, the one
part of this that imports Sphinx: this module does not (the command that reads a
needs.json never loads Sphinx). The cache folder holds ``needs.json``, the ``crmrisk_*`` values the build used
(``crmrisk-config.json``) and what it read (``crmrisk-sources.json``): a SHA-256 of
each file the build read, and of the list of names in each of their folders (a file
added or removed). The cache is reused while every one of them is the same. Content,
never dates: a source replaced by an older file (``cp -p``, ``tar x``, ``unzip -o``)
keeps an old modification time, and a cache that compared times would hide its
change. A file changed while the build ran (its inode's change time, which none of
those tools can set back, is after the build's start) is recorded as unknown, so the
next run builds again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .file_names import NEEDS_JSON
from .input_paths import CONF_PY, LoadError
from .settings import CONFIG_JSON, REVIEW_LOCK

SOURCES_JSON = "crmrisk-sources.json"
#: Where the cache goes when none is given, relative to the source folder: under
#: ``_build``, which Sphinx projects and Jupyter Books already leave out.
DEFAULT_CACHE = Path("_build", "crmrisk-needs")
#: The module that runs the build, in a fresh interpreter.
NEEDS_BUILD_MODULE = "sphinx_crmrisk.sphinx_ext.needs_build"


def needs_json_of(source: str | Path, cache: str | Path | None = None) -> Path:
    """The cached ``needs.json`` of ``source``, built first when it is missing or stale."""
    source = Path(source).resolve()
    cache = source / DEFAULT_CACHE if cache is None else Path(cache).resolve()
    needs_json = cache / NEEDS_JSON
    if not is_fresh(needs_json, source):
        _build(source, cache)
    return needs_json


def is_fresh(needs_json: Path, source: Path) -> bool:
    """True when every file the build of ``needs_json`` read, and every folder that
    holds one, is as it was then (:func:`sources_record`)."""
    try:
        record = json.loads((needs_json.parent / SOURCES_JSON).read_text(encoding="utf-8"))
        if not needs_json.is_file() or not isinstance(record, dict):
            return False  # an older cache's list of names: built again
        files, folders = record["files"], record["folders"]
        return all(
            digest is not None and _file_digest(source / name) == digest
            for name, digest in files.items()
        ) and all(
            digest is not None and _folder_digest(source / name) == digest
            for name, digest in folders.items()
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return False


def sources_record(source: Path, names: list[str], started_ns: int) -> dict[str, Any]:
    """What :func:`is_fresh` compares: the SHA-256 of each file read (``names``,
    relative to ``source``) and of the names in each folder holding one; None for one
    changed since ``started_ns`` (the build may have read it before or after)."""
    files = {name: _digest_of(source / name, _file_digest, started_ns) for name in names}
    parents = sorted({Path(name).parent.as_posix() for name in names})
    folders = {name: _digest_of(source / name, _folder_digest, started_ns) for name in parents}
    return {"files": files, "folders": folders}


def _digest_of(path: Path, digest: Callable[[Path], str], started_ns: int) -> str | None:
    try:
        before = path.stat().st_ctime_ns
        result = digest(path)
        after = path.stat().st_ctime_ns
    except OSError:
        return None  # gone: the next run builds again
    return result if before == after < started_ns else None


def _file_digest(path: Path) -> str:
    if path.is_dir():  # a dependency may be a folder (a notebook's resources)
        return _folder_digest(path)
    with path.open("rb") as file:
        return "sha256:" + hashlib.file_digest(file, "sha256").hexdigest()


def _folder_digest(path: Path) -> str:
    """Of the names a folder holds: one added or removed changes it."""
    names = "\0".join(sorted(os.listdir(path)))
    return "sha256:" + hashlib.sha256(names.encode("utf-8", "surrogateescape")).hexdigest()


def _build(source: Path, cache: Path) -> None:
    if not (source / CONF_PY).is_file() and importlib.util.find_spec("jupyter_book") is None:
        # Jupyter Book 1 pins Sphinx 7: it is missing wherever Sphinx 8 or 9 is installed
        raise LoadError(
            f"{source}: a Jupyter Book folder is read with Jupyter Book 1, which is not "
            "installed (pip install 'sphinx-crmrisk[book]', Sphinx 7.4 only); give its "
            "build's needs.json or output folder instead"
        )
    try:
        # may create _build in the source folder: before the start date, or the cache
        # would be stale at once (a new entry changes the folder's mtime)
        cache.mkdir(parents=True, exist_ok=True)
        # a folder of its own: two processes may build the same cache at once
        work = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
    except OSError as err:
        raise LoadError(f"{cache}: cannot write the needs cache: {err}") from None
    started = time.time_ns()
    # myst-nb writes beside the output folder (jupyter_execute/): inside work, too
    outdir = work / "needs"
    try:
        _run_needs_builder(source, outdir)
        if not (outdir / NEEDS_JSON).is_file():
            raise LoadError(f"{source}: the needs build wrote no {NEEDS_JSON}")
        try:
            names = json.loads((outdir / SOURCES_JSON).read_text(encoding="utf-8"))
        except ValueError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise LoadError(f"{source}: the needs build wrote no list of the files it read")
        record = sources_record(source, names, started)
        (outdir / SOURCES_JSON).write_text(json.dumps(record, indent=1), encoding="utf-8")
        if (outdir / REVIEW_LOCK).is_file():
            os.replace(outdir / REVIEW_LOCK, cache / REVIEW_LOCK)
        else:
            (cache / REVIEW_LOCK).unlink(missing_ok=True)
        # a project without crmrisk items records no values: none may stay from before
        if not (outdir / CONFIG_JSON).is_file():
            (cache / CONFIG_JSON).unlink(missing_ok=True)
        for name in (CONFIG_JSON, SOURCES_JSON, NEEDS_JSON):  # needs.json last: it marks done
            if name != CONFIG_JSON or (outdir / name).is_file():
                os.replace(outdir / name, cache / name)
    except OSError as err:
        raise LoadError(f"{cache}: cannot write the needs cache: {err}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_needs_builder(source: Path, outdir: Path) -> None:
    """Runs :data:`NEEDS_BUILD_MODULE` in a fresh interpreter; a failure becomes one
    LoadError line."""
    command = [sys.executable, "-m", NEEDS_BUILD_MODULE, str(source), str(outdir)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit status {result.returncode}"
        raise LoadError(f"{source}: the needs build failed: {why}")
