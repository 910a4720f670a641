"""What a build writes beside its ``needs.json``, at ``build-finished``: the settings it
used and where its data came from (``crmrisk-config.json``), the review lock it read
(``crmrisk-reviews.json``) and the traceability exports (CSV, XLSX, JSON), so that the
``crmrisk`` command reads the same data and writes the same bytes (the audit pack's PDF,
when asked: :mod:`.site_pdf`). Nothing is written for a host project without
crmrisk items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..file_names import BUILD_FILES
from ..forked import Forked
from ..provenance import source_provenance
from ..settings import CONFIG_JSON, REVIEW_LOCK, recorded_text
from .build_warnings import log_warning
from .page_index import get_domain
from .state import build_lock, build_state, build_traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from ..exports import CutCell
    from ..settings import Settings
    from ..traceability import Traceability


def write_recorded_settings(app: Sphinx, exception: Exception | None) -> None:
    """The settings this build assessed with, beside its needs.json, and where its data
    came from: the commit of its sources and the statements of the law it imported."""
    state = build_state(app)
    if exception is not None:
        return
    path = Path(app.outdir) / CONFIG_JSON
    if not state.enabled or not build_traceability(app).model.has_items:
        # none may stay from a build that had items: the command would take it for
        # this build's, and refuse the needs, which match none of its types
        path.unlink(missing_ok=True)
        return
    path.write_text(recorded_settings_text(app), encoding="utf-8")


def recorded_settings_text(app: Sphinx) -> str:
    """The text of ``crmrisk-config.json``: the settings, and where the data came from."""
    imported = {v for versions in get_domain(app.env).catalogues.values() for v in versions}
    provenance = source_provenance(Path(app.srcdir), imported)
    return recorded_text(build_state(app).settings, provenance.record())


def write_build_lock(app: Sphinx, exception: Exception | None) -> None:
    """The lock this build used, beside its needs.json; none when the project has none."""
    if exception is not None or not build_state(app).enabled:
        return
    copy = Path(app.outdir) / REVIEW_LOCK
    lock = build_lock(app)
    if lock.present:
        copy.write_text(lock.dumps(), encoding="utf-8")
    else:
        copy.unlink(missing_ok=True)


@dataclass(frozen=True)
class MadeExports:
    """What the exports of one build are: the files to write, by format (None when the
    output folder already holds them), and each cell the workbook cuts, with the file and
    line of its obligation (None for a row that is not one)."""

    files: dict[str, bytes] | None
    cuts: list[tuple[str, str | None, int | None]]


def _exports_wanted(app: Sphinx) -> bool:
    state = build_state(app)
    return (
        app.builder.format == "html"
        and state.settings.exports
        and state.enabled
        and build_traceability(app).model.has_items
    )


def start_exports(app: Sphinx, _builder: Any) -> None:
    """``write-started``, once our traceability is made: the exports made in a second
    process while the pages are written (:mod:`sphinx_crmrisk.forked`), taken by
    :func:`write_build_exports` at the end. Where a fork is not safe, nothing: they are
    made at the end, the same bytes."""
    if not _exports_wanted(app):
        return
    state = build_state(app)
    traceability, settings, outdir = build_traceability(app), state.settings, Path(app.outdir)
    state.exports_draft = Forked.start(lambda: made_exports(traceability, settings, outdir))


def made_exports(traceability: Traceability, settings: Settings, outdir: Path) -> MadeExports:
    """The exports of ``traceability`` in ``settings``, compared with those ``outdir``
    holds. Reads files and writes none: run in a forked child too."""
    # imported here, in the child or at the end of the build, past its peak of memory (the
    # pages' writing): the renderers, the register's columns (1.7 MiB of the peak,
    # benchmarks/README.md)
    from ..exports import (
        ExportSettings,
        exports_unchanged,
        traceability_document,
        xlsx_bytes,
        xlsx_cuts,
    )

    document = traceability_document(traceability)
    export_settings = ExportSettings.of(settings)
    made = exports_unchanged(outdir, document, export_settings)
    cut: list[CutCell] = []
    if made is not None:
        made["xlsx"] = xlsx_bytes(document, export_settings, cut)
    else:
        # a rebuild that changed nothing traced: the XLSX alone would cost seconds,
        # but what it cut is said again, as every build says its warnings
        cut = xlsx_cuts(document)
    located = {r["id"]: (r["file"], r["line"]) for r in document["obligations"]}
    return MadeExports(made, [(str(c), *located.get(c.row_id, (None, None))) for c in cut])


def write_build_exports(app: Sphinx, exception: Exception | None) -> None:
    """The exports at the root of an HTML build's output folder: made while the pages
    were written (:func:`start_exports`), else now."""
    state = build_state(app)
    draft, state.exports_draft = state.exports_draft, None
    if exception is not None or not _exports_wanted(app):
        if draft is not None:
            draft.cancel()
        return
    outdir = Path(app.outdir)
    made = draft.result() if draft is not None else None
    if made is None:  # no second process, or it failed: the same work, here
        made = made_exports(build_traceability(app), state.settings, outdir)
    if made.files is not None:  # None: the output folder holds them already
        for kind, name in BUILD_FILES.items():  # the JSON last: see exports_unchanged
            path = outdir / name
            try:
                path.write_bytes(made.files[kind])
            except OSError as err:
                log_warning(app, "export", f"cannot write {path}: {err.strerror or err}")
    for text, file, line in made.cuts:
        docname = app.env.path2doc(str(Path(app.srcdir) / file)) if file else None
        log_warning(
            app, "export", f"{BUILD_FILES['xlsx']}: {text}", (docname, line) if docname else None
        )
