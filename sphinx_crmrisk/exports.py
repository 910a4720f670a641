"""The traceability exports (CSV, XLSX, JSON, Markdown), for the build and the CLI.

Every format is written from one JSON-shaped document (:func:`traceability_document`,
schema ``schemas/traceability.schema.json``), itself computed by :mod:`.model`: the
HTML build and ``crmrisk matrix`` write the same files from the same data and date.
This module imports nothing from Sphinx at load time, so the command starts fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import markdown_text
from .model import Assessment, Model, State, Summary, summaries_by_phase
from .reviews import Review, SuspectCover
from .traceability import Traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

SCHEMA_NAME = "sphinx-crmrisk/traceability"
SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).parent / "schemas" / "traceability.schema.json"

#: The files an HTML build writes at the root of its output folder.
BUILD_FILES = {"csv": "traceability.csv", "xlsx": "traceability.xlsx", "json": "traceability.json"}

#: One obligation per row in CSV, XLSX and Markdown; lists are joined with "; ".
COLUMNS = (
    "id", "title", "state", "phases", "legal_basis", "effective", "until",
    "status", "covered_by", "not_counted", "suspect_covers", "out_of_scope_by", "file",
    "line",
)
#: One clause or procedure per row: the ``Reviews`` sheet of the XLSX export.
REVIEW_COLUMNS = (
    "id", "type", "title", "owner", "review", "reviewed", "review_every", "due",
    "suspect_covers", "file", "line",
)
REVIEWS_SHEET = "Reviews"
SUMMARY_COLUMNS = (
    "phase", "title", "obligations", "covered", "upcoming", "justified",
    "lapsed", "out_of_scope", "uncovered", "in_force", "percent",
)
ALL_PHASES = "All phases"
NO_PHASE = "No phase"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _suspects(suspects: list[SuspectCover], other_end: str) -> list[dict[str, Any]]:
    return [
        {"id": getattr(s, other_end).id, "changed": list(s.changed)} for s in suspects
    ]


def review_record(review: Review) -> dict[str, Any]:
    item = review.item
    return {
        "id": item.id,
        "type": item.type,
        "title": item.title,
        "owner": review.owner,
        "review": review.state.value,
        "reviewed": review.reviewed.isoformat() if review.reviewed else "",
        "review_every": review.every,
        "due": review.due.isoformat() if review.due else "",
        "suspect_covers": _suspects(list(review.suspects), "obligation"),
        "file": item.file,
        "line": item.lineno,
    }


def obligation_record(
    model: Model, assessment: Assessment, suspects: list[SuspectCover] | None = None
) -> dict[str, Any]:
    obligation = assessment.obligation
    return {
        "id": obligation.id,
        "title": obligation.title,
        "state": assessment.state.value,
        "phases": list(obligation.linked("phase")),
        "legal_basis": obligation.field("legal_basis"),
        "effective": obligation.field("effective"),
        "until": obligation.field("until"),
        "status": obligation.status or "",
        "covered_by": [item.id for item in assessment.covering],
        "not_counted": [{"id": item.id, "reason": why} for item, why in assessment.discounted],
        "suspect_covers": _suspects(suspects or [], "item"),
        "out_of_scope_by": list(assessment.out_of_scope_by),
        "file": obligation.file,
        "line": obligation.lineno,
    }


def summary_record(model: Model, summary: Summary) -> dict[str, Any]:
    phase = model.items.get(summary.label) if summary.label else None
    return {
        "phase": summary.label or None,
        "title": phase.title if phase else ALL_PHASES,
        "obligations": summary.total,
        "covered": summary.counts[State.COVERED],
        "upcoming": summary.counts[State.UPCOMING],
        "justified": summary.counts[State.JUSTIFIED],
        "lapsed": summary.counts[State.LAPSED],
        "out_of_scope": summary.counts[State.OUT_OF_SCOPE],
        "uncovered": summary.counts[State.UNCOVERED],
        "in_force": summary.in_force,
        "percent": round(summary.percent, 1),
    }


def traceability_document(traceability: Traceability) -> dict[str, Any]:
    """The export as JSON-shaped data, valid against ``SCHEMA_FILE``."""
    model, assessments = traceability.model, traceability.assessments
    return {
        "schema": SCHEMA_NAME,
        "version": SCHEMA_VERSION,
        "reference_date": traceability.today.isoformat(),
        "profile": None if traceability.profile is None else list(traceability.profile),
        "obligations": [
            obligation_record(model, a, traceability.suspects.get(a.obligation.id))
            for a in assessments
        ],
        "summary": [summary_record(model, s) for s in summaries_by_phase(model, assessments)],
        "reviews": [review_record(r) for r in traceability.reviews],
    }


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading ``'``; the rest is kept."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def flat_cells(record: Mapping[str, Any], columns: tuple[str, ...] = COLUMNS) -> list[Any]:
    """One record as the cells of a row, in ``columns`` order."""
    cells = []
    for column in columns:
        value = record[column]
        if column == "not_counted":
            value = "; ".join(f"{entry['id']} ({entry['reason']})" for entry in value)
        elif column == "suspect_covers":
            value = "; ".join(f"{e['id']} ({', '.join(e['changed'])})" for e in value)
        elif isinstance(value, list):
            value = "; ".join(value)
        cells.append("" if value is None else value)
    return cells


def _safe_row(cells: list[Any]) -> list[Any]:
    return [neutralise(cell) for cell in cells]


def csv_bytes(document: Mapping[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the accents right."""
    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows(_safe_row(flat_cells(r)) for r in document["obligations"])
    return stream.getvalue().encode("utf-8-sig")


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique."""
    name = "".join("_" if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"
    base, n = name, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def xlsx_bytes(document: Mapping[str, Any]) -> bytes:
    """A summary sheet, then one sheet per phase (and one for obligations without).

    The same document gives the same bytes: the workbook is dated by its reference
    date, not by the clock, so an auditor can compare two exports by their checksum.
    """
    # imported here: only this format needs it. XlsxWriter, not openpyxl: openpyxl
    # imports numpy when it is installed, which raised the peak memory of every HTML
    # build by 6 to 28 MiB (benchmarks/README.md)
    import xlsxwriter

    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        stream,
        {
            # rows go out as they are written, never a cell object each in memory
            "constant_memory": True,
            # a text stays a text: never read as a formula, a number or a link
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    reference_date = dt.date.fromisoformat(document["reference_date"])
    workbook.set_properties({"created": dt.datetime.combine(reference_date, dt.time())})
    taken: set[str] = set()
    bold = workbook.add_format({"bold": True})

    def add_sheet(title: str, headers: tuple[str, ...], rows: list[list[Any]]) -> None:
        sheet = workbook.add_worksheet(_sheet_name(title, taken))
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, _safe_row(row))

    add_sheet(
        "Summary",
        SUMMARY_COLUMNS,
        [[s[c] if s[c] is not None else "" for c in SUMMARY_COLUMNS] for s in document["summary"]],
    )
    obligations = document["obligations"]
    for summary in document["summary"]:
        if summary["phase"] is not None:
            rows = [r for r in obligations if summary["phase"] in r["phases"]]
            add_sheet(summary["phase"], COLUMNS, [flat_cells(r) for r in rows])
    without = [r for r in obligations if not r["phases"]]
    if without:
        add_sheet(NO_PHASE, COLUMNS, [flat_cells(r) for r in without])
    reviews = document.get("reviews") or []
    if reviews:
        add_sheet(REVIEWS_SHEET, REVIEW_COLUMNS, [flat_cells(r, REVIEW_COLUMNS) for r in reviews])
    workbook.close()
    return stream.getvalue()


def json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def matrix_markdown(document: Mapping[str, Any]) -> str:
    headers = ("ID", "Title", "Phases", "Legal basis", "State", "Covered by")
    rows = [
        [r["id"], r["title"], ", ".join(r["phases"]), r["legal_basis"], r["state"],
         ", ".join(r["covered_by"])]
        for r in document["obligations"]
    ]
    return f"Reference date: {document['reference_date']}\n\n" + markdown_text.table(headers, rows)


def markdown_bytes(document: Mapping[str, Any]) -> bytes:
    return matrix_markdown(document).encode("utf-8")


#: Each export format, rendered whole in memory: a file or the standard output.
RENDERERS: dict[str, Callable[[Mapping[str, Any]], bytes]] = {
    "csv": csv_bytes,
    "xlsx": xlsx_bytes,
    "json": json_bytes,
    "md": markdown_bytes,
}


def write_build_exports(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the exports at the root of an HTML build's output folder,
    when the project has crmrisk items (none are written into a host project's output)."""
    if exception is not None or app.builder.format != "html":
        return
    # Sphinx-side modules, imported here so that the CLI never loads them
    from .build_traceability import build_traceability
    from .config import get_config, is_enabled
    from .warnings_ import log_warning

    if not get_config(app).exports or not is_enabled(app):
        return
    traceability = build_traceability(app)
    if not traceability.model.has_items:
        return
    document = traceability_document(traceability)
    outdir = Path(app.outdir)
    if _unchanged(outdir, document):
        # a rebuild that changed nothing traced: the XLSX alone would cost seconds
        return
    for kind, name in BUILD_FILES.items():  # the JSON last: see _unchanged
        path = outdir / name
        try:
            path.write_bytes(RENDERERS[kind](document))
        except OSError as err:
            log_warning(app, "export", f"cannot write {path}: {err.strerror or err}")


def _unchanged(outdir: Path, document: Mapping[str, Any]) -> bool:
    """All exports are there and the JSON one, written last, already holds this document.

    A file that could not be written is missing, so the next build tries again.
    """
    if not all((outdir / name).is_file() for name in BUILD_FILES.values()):
        return False
    try:
        return (outdir / BUILD_FILES["json"]).read_bytes() == json_bytes(document)
    except OSError:
        return False
