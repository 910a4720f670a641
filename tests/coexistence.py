"""Builds a host sphinx-needs project with and without sphinx_crmrisk, for comparison.

Used by ``tests/test_coexistence.py`` (the small host roots) and by
``benchmarks/coexistence.py`` (a real public project). Each build runs in its own copy
of the source folder, so nothing of one build is seen by the other.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sphinx_builds import needs_of, strip_ansi

EXTENSION = "sphinx_crmrisk"
NEEDS_JSON = "needs.json"


@dataclass
class Build:
    """What one build of a host project left: its warnings, needs and output files."""

    warnings: list[str]
    """Warning lines, colour codes removed, the source folder's path replaced by ``<src>``."""
    needs: dict[str, dict[str, Any]]
    """Every need by ID, from the build's environment (as sphinx-needs keeps them once
    resolved), so that builds with and without ``needs.json`` compare alike."""
    json_needs: dict[str, dict[str, Any]] | None
    files: set[str]
    """Every file written in the output folder, relative to it."""
    outdir: Path
    types: list[dict[str, Any]] = field(default_factory=list)
    """The need types sphinx-needs lists (needreport, needflow legends): its
    ``NeedsSphinxConfig(app.config).types``, after the build."""
    rendered: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    """Each need shown in an HTML page, by ID: its layout classes and its text."""

    @property
    def wrote_needs_json(self) -> bool:
        return self.json_needs is not None


def extensions_of(srcdir: Path) -> list[str]:
    """The ``extensions`` a ``conf.py`` sets (run as Sphinx runs it)."""
    namespace: dict[str, Any] = {"__file__": str(srcdir / "conf.py")}
    exec(compile((srcdir / "conf.py").read_text(), str(srcdir / "conf.py"), "exec"), namespace)
    return list(namespace.get("extensions", []))


def build(
    srcdir: Path,
    workdir: Path,
    *,
    with_extension: bool,
    confoverrides: Mapping[str, Any] | None = None,
    buildername: str = "html",
    root: Path | None = None,
) -> Build:
    """Builds a copy of ``srcdir`` in ``workdir``, with or without sphinx_crmrisk.

    The extension is taken out of (or appended to) the ``extensions`` of ``conf.py``
    through ``confoverrides``, so the project itself is never edited. ``root``, a
    folder holding ``srcdir``, is copied whole instead (for documents that include
    files outside their source folder). Errors (a ConfigError, an ExtensionError)
    propagate to the caller.
    """
    from sphinx.testing.util import SphinxTestApp
    from sphinx_needs.config import NeedsSphinxConfig
    from sphinx_needs.data import SphinxNeedsData

    if root is None:
        copy = workdir / "src"
        shutil.copytree(srcdir, copy)
    else:
        shutil.copytree(root, workdir / "root")
        copy = workdir / "root" / srcdir.resolve().relative_to(root.resolve())
    extensions = [name for name in extensions_of(copy) if name != EXTENSION]
    if with_extension:
        extensions.append(EXTENSION)
    overrides = {"extensions": extensions, **(confoverrides or {})}
    warning = io.StringIO()
    app = SphinxTestApp(
        buildername,
        srcdir=copy,
        builddir=workdir / "_build",
        freshenv=True,
        confoverrides=overrides,
        status=io.StringIO(),
        warning=warning,
    )
    try:
        app.build()
        outdir = Path(app.outdir)
        needs_json = outdir / NEEDS_JSON
        needs = {
            need_id: {key: _plain(value) for key, value in need.items()}
            for need_id, need in SphinxNeedsData(app.env).get_needs_view().items()
        }
        types = [dict(t) for t in NeedsSphinxConfig(app.config).types]
        files = {str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file()}
        return Build(
            warnings=warning_lines(warning.getvalue(), copy, workdir),
            needs=needs,
            json_needs=needs_of(needs_json) if needs_json.is_file() else None,
            files=files,
            outdir=outdir,
            types=types,
            rendered=rendered_needs(outdir) if buildername == "html" else {},
        )
    finally:
        app.cleanup()


def build_twice(
    srcdir: Path,
    workdir: Path,
    *,
    confoverrides: Mapping[str, Any] | None = None,
    host_overrides: Mapping[str, Any] | None = None,
    buildername: str = "html",
) -> tuple[Build, Build]:
    """``(without, with)``: the host alone, then the host with sphinx_crmrisk.

    ``confoverrides`` apply to both builds, ``host_overrides`` to the build without
    the extension only (e.g. ``exclude_patterns`` for the pages of crmrisk items,
    whose directives do not exist without it).
    """
    without = build(
        srcdir,
        workdir / "without",
        with_extension=False,
        confoverrides={**(confoverrides or {}), **(host_overrides or {})},
        buildername=buildername,
    )
    with_ = build(
        srcdir,
        workdir / "with",
        with_extension=True,
        confoverrides=confoverrides,
        buildername=buildername,
    )
    return without, with_


def warning_lines(text: str, srcdir: Path, workdir: Path) -> list[str]:
    """Lines without colour codes; the paths of this build's copy made the same for
    every build (``<src>`` for the source folder, ``<work>`` for the rest)."""
    text = strip_ansi(text).replace(str(srcdir), "<src>").replace(str(workdir), "<work>")
    return [line for line in text.splitlines() if line.strip()]


def _plain(value: Any) -> Any:
    """A need value as ``needs.json`` would hold it (tuples as lists)."""
    return json.loads(json.dumps(value, default=list))


def rendered_needs(outdir: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    """Each need of every HTML page: its ``needs_layout_*`` / ``needs_style_*``
    classes and its text, whitespace collapsed."""
    from bs4 import BeautifulSoup

    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for page in sorted(outdir.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for table in soup.find_all("table", class_="need"):
            need_id = table.get("id")
            if not need_id:
                continue
            classes = tuple(
                c for c in table.get("class", []) if c.startswith(("needs_layout_", "needs_style_"))
            )
            found[need_id] = (classes, " ".join(table.get_text(" ").split()))
    return found


@dataclass
class NeedsDiff:
    """How the host's needs differ between two builds."""

    missing: list[str]
    """Host needs the build with the extension lacks."""
    added_keys: dict[str, list[str]]
    """Per need: keys only the build with the extension wrote."""
    removed_keys: dict[str, list[str]]
    changed: dict[str, dict[str, tuple[Any, Any]]]
    """Per need, per key: (without, with)."""

    @property
    def empty(self) -> bool:
        return not (self.missing or self.added_keys or self.removed_keys or self.changed)


def diff_needs(
    without: Mapping[str, Mapping[str, Any]],
    with_: Mapping[str, Mapping[str, Any]],
    ids: Iterable[str] | None = None,
) -> NeedsDiff:
    """Compares the needs ``ids`` (default: every need of ``without``), key by key."""
    missing, added, removed, changed = [], {}, {}, {}
    for need_id in sorted(without if ids is None else ids):
        before = without[need_id]
        after = with_.get(need_id)
        if after is None:
            missing.append(need_id)
            continue
        if extra := sorted(set(after) - set(before)):
            added[need_id] = extra
        if gone := sorted(set(before) - set(after)):
            removed[need_id] = gone
        values = {
            key: (before[key], after[key])
            for key in sorted(set(before) & set(after))
            if before[key] != after[key]
        }
        if values:
            changed[need_id] = values
    return NeedsDiff(missing, added, removed, changed)


def added_warnings(without: list[str], with_: list[str]) -> list[str]:
    """Warning lines of the second build the first has not (as many times as extra)."""
    remaining = list(without)
    extra = []
    for line in with_:
        if line in remaining:
            remaining.remove(line)
        else:
            extra.append(line)
    return extra
