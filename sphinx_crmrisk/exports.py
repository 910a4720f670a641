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
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import markdown_text
from .model import Assessment, Model, State, Summary, summaries_by_phase
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
    "status", "covered_by", "not_counted", "file", "line",
)
SUMMARY_COLUMNS = (
    "phase", "title", "obligations", "covered", "upcoming", "justified",
    "lapsed", "uncovered", "in_force", "percent",
)
ALL_PHASES = "All phases"
NO_PHASE = "No phase"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the text of a cell, in UTF-16 code units.
XLSX_CELL_LIMIT = 32_767


def obligation_record(model: Model, assessment: Assessment) -> dict[str, Any]:
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
        "obligations": [obligation_record(model, a) for a in assessments],
        "summary": [summary_record(model, s) for s in summaries_by_phase(model, assessments)],
    }


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading ``'``; the rest is kept."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    """In CSV every cell is text, a number too: each is neutralised as text."""
    return neutralise(value if isinstance(value, str) else str(value))


def _xlsx_cell(value: Any) -> Any:
    """A finite number stays a number; anything else is written (and neutralised) as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return neutralise(value if isinstance(value, str) else str(value))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text: str) -> str:
    """The longest start of ``text`` that Excel holds in a cell (no pair split)."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * XLSX_CELL_LIMIT].decode(
        "utf-16-le", "ignore"
    )


def flat_cells(record: Mapping[str, Any]) -> list[Any]:
    """One obligation record as the cells of a row, in ``COLUMNS`` order."""
    cells = []
    for column in COLUMNS:
        value = record[column]
        if column == "not_counted":
            value = "; ".join(f"{entry['id']} ({entry['reason']})" for entry in value)
        elif isinstance(value, list):
            value = "; ".join(value)
        cells.append("" if value is None else value)
    return cells


def csv_bytes(document: Mapping[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the accents right."""
    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows([_csv_cell(c) for c in flat_cells(r)] for r in document["obligations"])
    return stream.getvalue().encode("utf-8-sig")


_NOT_IN_SHEET_NAMES = re.compile("[\\[\\]:*?/\\\\\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_LIMIT = 31  # UTF-16 code units


def _start_of(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units (no pair split)."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "ignore")


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters (UTF-16 units), none of ``[]:*?/\\`` nor
    a control character, no ``'`` at either end, not ``History``, unique."""
    name = _start_of(_NOT_IN_SHEET_NAMES.sub("_", title), _SHEET_NAME_LIMIT)
    if name.startswith("'"):
        name = "_" + name[1:]
    if name.endswith("'"):
        name = name[:-1] + "_"
    name = name or "Sheet"
    base, n = name, 2
    # "History" is reserved by Excel
    while name.casefold() in taken or name.casefold() == "history":
        suffix = f" ({n})"
        name = _start_of(base, _SHEET_NAME_LIMIT - len(suffix)).removesuffix("'") + suffix
        n += 1
    taken.add(name.casefold())
    return name


@dataclass(frozen=True)
class CutCell:
    """A cell whose text was longer than Excel holds, written cut."""

    row_id: str
    column: str
    length: int

    def __str__(self) -> str:
        return (
            f"{self.row_id} {self.column}: {self.length:,} characters cut to the "
            f"{XLSX_CELL_LIMIT:,} of a cell"
        )


def _too_long(cell: Any) -> int | None:
    """The UTF-16 length of a text too long for a cell, else None."""
    # len() is at most the UTF-16 length: most cells skip the encoding
    if isinstance(cell, str) and len(cell) > XLSX_CELL_LIMIT // 2:
        length = _utf16_length(cell)
        if length > XLSX_CELL_LIMIT:
            return length
    return None


def _summary_rows(document: Mapping[str, Any]) -> list[list[Any]]:
    return [[s[c] if s[c] is not None else "" for c in SUMMARY_COLUMNS] for s in document["summary"]]


def xlsx_cuts(document: Mapping[str, Any]) -> list[CutCell]:
    """The cells :func:`xlsx_bytes` cuts, without writing the workbook."""
    cut: dict[tuple[str, str], CutCell] = {}
    tables = [(COLUMNS, [flat_cells(r) for r in document["obligations"]]),
              (SUMMARY_COLUMNS, _summary_rows(document))]
    for headers, rows in tables:
        for row in rows:
            for column, cell in enumerate(row):
                length = _too_long(_xlsx_cell(cell))
                if length is not None:
                    found = CutCell(str(row[0]), headers[column], length)
                    cut.setdefault((found.row_id, found.column), found)
    return list(cut.values())


def xlsx_bytes(document: Mapping[str, Any], cut: list[CutCell] | None = None) -> bytes:
    """A summary sheet, then one sheet per phase (and one for obligations without).

    The same document gives the same bytes: the workbook is dated by its reference
    date, not by the clock, so an auditor can compare two exports by their checksum.
    A text longer than a cell holds is cut, with a note on the cell that says so, and
    listed in ``cut`` for the caller to report.
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

    cut = [] if cut is None else cut

    def add_sheet(title: str, headers: tuple[str, ...], rows: list[list[Any]]) -> None:
        sheet = workbook.add_worksheet(_sheet_name(title, taken))
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            cells = [_xlsx_cell(cell) for cell in row]
            for column, cell in enumerate(cells):
                length = _too_long(cell)
                if length is not None:
                    cells[column] = _cut(cell)
                    # constant_memory: a note is kept aside, written with the sheet
                    sheet.write_comment(
                        number, column,
                        f"Cut: the text has {length:,} characters; a cell holds "
                        f"{XLSX_CELL_LIMIT:,}. The whole text is in traceability.json.",
                    )
                    found = CutCell(str(row[0]), headers[column], length)
                    if found not in cut:
                        cut.append(found)
            sheet.write_row(number, 0, cells)

    add_sheet("Summary", SUMMARY_COLUMNS, _summary_rows(document))
    obligations = document["obligations"]
    for summary in document["summary"]:
        if summary["phase"] is not None:
            rows = [r for r in obligations if summary["phase"] in r["phases"]]
            add_sheet(summary["phase"], COLUMNS, [flat_cells(r) for r in rows])
    without = [r for r in obligations if not r["phases"]]
    if without:
        add_sheet(NO_PHASE, COLUMNS, [flat_cells(r) for r in without])
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
    """``build-finished``: the exports at the root of an HTML build's output folder."""
    if exception is not None or app.builder.format != "html":
        return
    # Sphinx-side modules, imported here so that the CLI never loads them
    from .build_traceability import build_traceability
    from .config import get_config
    from .warnings_ import log_warning

    config = get_config(app)
    if not config.exports:
        return
    document = traceability_document(build_traceability(app))
    outdir = Path(app.outdir)
    cut: list[CutCell] = []
    if _unchanged(outdir, document):
        # a rebuild that changed nothing traced: the XLSX alone would cost seconds,
        # but what it cut is said again, as every build says its warnings
        _warn_of_cuts(app, document, xlsx_cuts(document))
        return
    for kind, name in BUILD_FILES.items():  # the JSON last: see _unchanged
        path = outdir / name
        try:
            path.write_bytes(xlsx_bytes(document, cut) if kind == "xlsx" else RENDERERS[kind](document))
        except OSError as err:
            log_warning(app, "export", f"cannot write {path}: {err.strerror or err}")
    _warn_of_cuts(app, document, cut)


def _warn_of_cuts(app: Sphinx, document: Mapping[str, Any], cut: list[CutCell]) -> None:
    from .warnings_ import log_warning

    located = {r["id"]: (r["file"], r["line"]) for r in document["obligations"]}
    for cell in cut:
        file, line = located.get(cell.row_id, (None, None))
        docname = app.env.path2doc(str(Path(app.srcdir) / file)) if file else None
        log_warning(
            app, "export", f"{BUILD_FILES['xlsx']}: {cell}", (docname, line) if docname else None
        )


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
