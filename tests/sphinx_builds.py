"""The test suite's helpers: build an edited copy of a root with Sphinx's own test
application (the ``app`` fixture builds a root as it stands), and read what a build wrote
(its warnings, its pages, its needs.json). Each helper lives here once; test modules
import it rather than write their own."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

# the colour codes of Sphinx's logs (and of any terminal output): ESC [ <numbers;...> m
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def build_once(srcdir: Path, **kwargs: Any) -> SphinxTestApp:
    """An HTML build of ``srcdir``, its application cleaned up after; its warnings
    (``app.warning``) and output folder stay readable."""
    app = SphinxTestApp("html", srcdir=srcdir, **kwargs)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def edit(path: Path, old: str, new: str) -> None:
    """Replaces ``old`` by ``new`` in a source file; a test whose edit would change nothing
    fails here rather than pass for the wrong reason."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def after_the_cache(needs_json: Path, *paths: Path) -> None:
    """Dates ``paths`` one second after the cached ``needs_json`` of their source folder.

    ``sphinx_crmrisk.needs_cache`` decides that a source folder's cached needs.json is
    stale by comparing mtimes (until it compares content): a source edited in the same
    clock tick as the cached build, on a file system with coarse timestamps, would look
    older than the build and the stale cache be read. The mtimes set here are inputs; a
    test decides what happened from what the build wrote, never from an mtime."""
    later = needs_json.stat().st_mtime_ns + 1_000_000_000
    for path in paths:
        os.utime(path, ns=(later, later))


def strip_ansi(text: str) -> str:
    """``text`` without colour codes."""
    return _ANSI.sub("", text)


def warnings_of(app: Any) -> list[str]:
    """The lines an application logged as warnings, without colour codes, empty lines
    left out, the paths of files in its source folder made relative to it."""
    text = strip_ansi(app.warning.getvalue())
    return [line.replace(f"{app.srcdir}/", "") for line in text.splitlines() if line]


def _outdir(where: Any) -> Path:
    """The output folder of an application, or the folder given."""
    return Path(where.outdir) if hasattr(where, "outdir") else Path(where)


def soup(where: Any, page: str) -> BeautifulSoup:
    """The page ``<page>.html`` of a build (``where``: its application or output folder),
    parsed."""
    path = _outdir(where) / f"{page}.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def needs_of(where: Any) -> dict[str, dict[str, Any]]:
    """The needs of a needs.json as written, read with ``json`` (not the package's reader):
    its current version's ``needs``. ``where``: an application, a folder holding
    needs.json, or the file."""
    path = _outdir(where)
    if path.is_dir():
        path = path / "needs.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["versions"][data["current_version"]]["needs"]


def cut_cell_warning(srcdir: Path) -> tuple[str, str]:
    """The ``test-matrix`` copy at ``srcdir`` given a legal basis longer than a cell of
    Excel holds (OBL-COVERED's, at obligations.md:3): that text, and the warning each
    build says of it."""
    obligations = srcdir / "obligations.md"
    long_basis = "Art. " + "x" * 40_000
    obligations.write_text(
        obligations.read_text().replace(
            ":legal_basis: Art. 1\n", f":legal_basis: {long_basis}\n", 1
        )
    )
    return long_basis, (
        f"obligations.md:3: WARNING: traceability.xlsx: OBL-COVERED legal_basis: "
        f"{len(long_basis):,} characters cut to the 32,767 of a cell [crmrisk.export]"
    )
