"""What a build writes beside its ``needs.json``, at ``build-finished``: the settings it
used and where its data came from (``crmrisk-config.json``), the review lock it read
(``crmrisk-reviews.json``), the traceability exports (CSV, XLSX, JSON), and, when asked
(``crmrisk_pack_pdf``), the audit pack's PDF, so that the ``crmrisk`` command reads the
same data and writes the same bytes. Nothing is written for a host project without
crmrisk items."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exports import (
    RENDERERS,
    CutCell,
    ExportSettings,
    exports_unchanged,
    traceability_document,
    xlsx_bytes,
    xlsx_cuts,
)
from ..file_names import BUILD_FILES, pdf_name
from ..needs_json import NEEDS_JSON, LoadError
from ..pack import (
    BUILD_RECORDS,
    PackError,
    pack_date,
    pack_files,
    pdf_inputs_digest,
    read_build,
)
from ..provenance import source_provenance
from ..settings import CONFIG_JSON, REVIEW_LOCK, recorded_text
from .build_warnings import log_warning
from .page_index import get_domain
from .state import build_lock, build_state, build_traceability

#: Under the doctrees: the digest of what the PDF in the output was made from, and its own.
PDF_RECORD = "crmrisk-pdf.json"

if TYPE_CHECKING:
    from sphinx.application import Sphinx


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
    imported = {v for versions in get_domain(app.env).catalogues.values() for v in versions}
    provenance = source_provenance(Path(app.srcdir), imported)
    path.write_text(recorded_text(state.settings, provenance.record()), encoding="utf-8")


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
    document = traceability_document(traceability)
    settings = ExportSettings.of(state.settings)
    outdir = Path(app.outdir)
    cut: list[CutCell] = []
    if exports_unchanged(outdir, document, settings):
        # a rebuild that changed nothing traced: the XLSX alone would cost seconds,
        # but what it cut is said again, as every build says its warnings
        _warn_of_cuts(app, document, xlsx_cuts(document))
        return
    for kind, name in BUILD_FILES.items():  # the JSON last: see exports_unchanged
        path = outdir / name
        try:
            path.write_bytes(
                xlsx_bytes(document, settings, cut)
                if kind == "xlsx"
                else RENDERERS[kind](document, settings)
            )
        except OSError as err:
            log_warning(app, "export", f"cannot write {path}: {err.strerror or err}")
    _warn_of_cuts(app, document, cut)


def write_build_pdf(app: Sphinx, exception: Exception | None) -> None:
    """The audit pack's PDF in the HTML output, when ``crmrisk_pack_pdf`` asks for it.

    Made as ``crmrisk pack`` makes it, from the files just written beside needs.json
    (read back, not from this build's memory): the PDF a page links to is the pack's,
    byte for byte. A failure (WeasyPrint or Pango missing) is a warning.

    Rendering it costs seconds (4 s on the handbook), so a build whose files, tools and
    code are those the PDF in the output was made from (:func:`.pack.pdf_inputs_digest`,
    recorded under the doctrees with the PDF's own digest) leaves it as it is: a
    no-change build, or an edit of a page that changes no need.
    """
    state = build_state(app)
    if exception is not None or app.builder.format != "html":
        return
    if not state.settings.pack_pdf or not state.enabled:
        return
    if not build_traceability(app).model.has_items:
        return
    outdir = Path(app.outdir)
    name = pdf_name(state.settings.language)
    record = Path(app.doctreedir) / PDF_RECORD
    try:
        inputs = pdf_inputs_digest(
            {n: (outdir / n).read_bytes() for n in BUILD_RECORDS if (outdir / n).is_file()}
        )
        if _pdf_recorded(record, outdir / name, inputs):
            return
        build = read_build(outdir / NEEDS_JSON)
        data = build.traceability
        files = pack_files(data, build.provenance, build.files, date=pack_date(data))
        pdf = next(f for f in files if f.name == name)
        (outdir / name).write_bytes(pdf.data)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"inputs": inputs, "pdf": pdf.sha256}), encoding="utf-8")
    except (PackError, LoadError) as err:
        record.unlink(missing_ok=True)
        log_warning(app, "export", f"{name}: {err}")
    except OSError as err:
        record.unlink(missing_ok=True)
        log_warning(app, "export", f"cannot write {outdir / name}: {err.strerror or err}")


def _pdf_recorded(record: Path, pdf: Path, inputs: str) -> bool:
    """Whether ``pdf`` is the PDF the record says was made from ``inputs``: the same
    inputs, and the file still holds the bytes made then (not deleted, not edited)."""
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict) or recorded.get("inputs") != inputs:
            return False
        return bool(hashlib.sha256(pdf.read_bytes()).hexdigest() == recorded.get("pdf"))
    except (OSError, ValueError):
        return False


def _warn_of_cuts(app: Sphinx, document: Mapping[str, Any], cut: list[CutCell]) -> None:
    located = {r["id"]: (r["file"], r["line"]) for r in document["obligations"]}
    for cell in cut:
        file, line = located.get(cell.row_id, (None, None))
        docname = app.env.path2doc(str(Path(app.srcdir) / file)) if file else None
        log_warning(
            app, "export", f"{BUILD_FILES['xlsx']}: {cell}", (docname, line) if docname else None
        )
