"""The ``needs.json`` of a SOURCE folder: built with sphinx-needs' ``needs`` builder, cached.

A source folder is a Sphinx project (``conf.py``) or a Jupyter Book 1 (``_config.yml``
and ``_toc.yml``). The build runs in a subprocess: the notebooks that load the
handbook are themselves executed during the book build, and a second Sphinx
application in the same process would share docutils' global registries with it.

The build itself is ``python -m sphinx_crmrisk.sphinx_ext.needs_build``, the one
part of this that imports Sphinx: this module does not (the command that reads a
needs.json never loads Sphinx). The cache folder holds ``needs.json``, the ``crmrisk_*`` values the build used
(``crmrisk-config.json``) and the files it read (``crmrisk-sources.json``); it is
reused while none of those files, nor their folders, is newer than ``needs.json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .needs_json import NEEDS_JSON, LoadError
from .settings import CONFIG_JSON, REVIEW_LOCK

CONF_PY = "conf.py"
JUPYTER_BOOK_FILES = ("_config.yml", "_toc.yml")
SOURCES_JSON = "crmrisk-sources.json"
#: Where the cache goes when none is given, relative to the source folder: under
#: ``_build``, which Sphinx projects and Jupyter Books already leave out.
DEFAULT_CACHE = Path("_build", "crmrisk-needs")
#: The module that runs the build, in a fresh interpreter.
NEEDS_BUILD_MODULE = "sphinx_crmrisk.sphinx_ext.needs_build"


def is_source_folder(path: str | Path) -> bool:
    path = Path(path)
    return (path / CONF_PY).is_file() or all((path / name).is_file() for name in JUPYTER_BOOK_FILES)


def needs_json_of(source: str | Path, cache: str | Path | None = None) -> Path:
    """The cached ``needs.json`` of ``source``, built first when it is missing or stale."""
    source = Path(source).resolve()
    cache = source / DEFAULT_CACHE if cache is None else Path(cache).resolve()
    needs_json = cache / NEEDS_JSON
    if not is_fresh(needs_json, source):
        _build(source, cache)
    return needs_json


def is_fresh(needs_json: Path, source: Path) -> bool:
    """True when ``needs_json`` is newer than every file its build read."""
    try:
        built = needs_json.stat().st_mtime_ns
        read = json.loads((needs_json.parent / SOURCES_JSON).read_text(encoding="utf-8"))
        # a new or removed file changes its folder's mtime
        paths = {source / name for name in read}
        paths |= {path.parent for path in paths}
        return all(path.stat().st_mtime_ns <= built for path in paths)
    except (OSError, ValueError, TypeError):
        return False


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
    started = time.time()
    # myst-nb writes beside the output folder (jupyter_execute/): inside work, too
    outdir = work / "needs"
    try:
        _run_needs_builder(source, outdir)
        if not (outdir / NEEDS_JSON).is_file():
            raise LoadError(f"{source}: the needs build wrote no {NEEDS_JSON}")
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
        # dated from the build's start, so an edit made during the build makes it stale
        os.utime(cache / NEEDS_JSON, (started, started))
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
