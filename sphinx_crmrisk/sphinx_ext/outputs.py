"""What a build writes beside its ``needs.json``, at ``build-finished``: the settings it
used and where its data came from (``crmrisk-config.json``), the review lock it read
(``crmrisk-reviews.json``) and the traceability exports (CSV, XLSX, JSON), so that the
``crmrisk`` command reads the same data and writes the same bytes (the audit pack's PDF,
when asked: :mod:`.site_pdf`). Nothing is written for a host project without
crmrisk items."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..file_names import BUILD_FILES
from ..provenance import source_provenance
from ..settings import CONFIG_JSON, REVIEW_LOCK, recorded_text
from .build_warnings import log_warning
from .page_index import get_domain
from .state import build_lock, build_state, build_traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from ..exports import CutCell


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


def write_build_exports(app: Sphinx, exception: Exception | None) -> None:
    """The exports at the root of an HTML build's output folder."""
    state = build_state(app)
    if exception is not None or app.builder.format != "html":
        return
    if not state.settings.exports or not state.enabled:
        return
    traceability = build_traceability(app)
    if not traceability.model.has_items:
        return
    # imported at the end of the build, past its peak of memory (the pages' writing):
    # the renderers, the register's columns (1.7 MiB of the peak, benchmarks/README.md)
    from ..exports import (
        ExportSettings,
        exports_unchanged,
        traceability_document,
        xlsx_bytes,
        xlsx_cuts,
    )

    document = traceability_document(traceability)
    settings = ExportSettings.of(state.settings)
    outdir = Path(app.outdir)
    cut: list[CutCell] = []
    made = exports_unchanged(outdir, document, settings)
    if made is None:
        # a rebuild that changed nothing traced: the XLSX alone would cost seconds,
        # but what it cut is said again, as every build says its warnings
        _warn_of_cuts(app, document, xlsx_cuts(document))
        return
    for kind, name in BUILD_FILES.items():  # the JSON last: see exports_unchanged
        path = outdir / name
        try:
            # the JSON and the CSV as made for the comparison
            path.write_bytes(xlsx_bytes(document, settings, cut) if kind == "xlsx" else made[kind])
        except OSError as err:
            log_warning(app, "export", f"cannot write {path}: {err.strerror or err}")
    _warn_of_cuts(app, document, cut)


def _warn_of_cuts(app: Sphinx, document: Mapping[str, Any], cut: list[CutCell]) -> None:
    located = {r["id"]: (r["file"], r["line"]) for r in document["obligations"]}
    for cell in cut:
        file, line = located.get(cell.row_id, (None, None))
        docname = app.env.path2doc(str(Path(app.srcdir) / file)) if file else None
        log_warning(
            app, "export", f"{BUILD_FILES['xlsx']}: {cell}", (docname, line) if docname else None
        )
