"""The traceability exports (CSV, XLSX, JSON, Markdown), for the build and the CLI.

Every format is written from one JSON-shaped document (:func:`traceability_document`,
schema ``schemas/traceability.schema.json``), itself computed by :mod:`.model`: the
HTML build and ``crmrisk matrix`` write the same files from the same data and date.
No Sphinx import: the build writes these files through ``sphinx_ext/outputs.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import markdown_text
from .kinds import KIND_SPECS, N_, Kind
from .model import (
    STATE_LABELS,
    Assessment,
    Discount,
    DiscountCode,
    Model,
    State,
    Summary,
    summaries_by_phase,
)
from .reviews import REVIEW_STATE_LABELS, Review, ReviewState, SuspectCover
from .settings import Settings
from .traceability import Traceability
from .translations import translator

SCHEMA_NAME = "sphinx-crmrisk/traceability"
SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).parent / "schemas" / "traceability.schema.json"

#: The files an HTML build writes at the root of its output folder.
BUILD_FILES = {"csv": "traceability.csv", "xlsx": "traceability.xlsx", "json": "traceability.json"}

#: One obligation per row in CSV, XLSX and Markdown; lists are joined with "; ".
#: The keys of ``traceability.json``; CSV and XLSX show each one's heading.
COLUMNS = (
    "id",
    "title",
    "state",
    "phases",
    "legal_basis",
    "effective",
    "until",
    "status",
    "covered_by",
    "not_counted",
    "suspect_covers",
    "out_of_scope_by",
    "file",
    "line",
)
#: One clause or procedure per row: the ``Reviews`` sheet of the XLSX export.
REVIEW_COLUMNS = (
    "id",
    "type",
    "title",
    "owner",
    "review",
    "reviewed",
    "review_every",
    "due",
    "suspect_covers",
    "file",
    "line",
)
REVIEWS_SHEET = N_("Reviews")
SUMMARY_COLUMNS = (
    "phase",
    "title",
    "obligations",
    "covered",
    "upcoming",
    "justified",
    "lapsed",
    "out_of_scope",
    "uncovered",
    "in_force",
    "percent",
)
#: The heading of each column in CSV and XLSX, in the build's language (a column
#: without one is headed by its key).
HEADINGS: Mapping[str, str] = {
    "id": N_("ID"),
    "title": N_("Title"),
    "state": N_("State"),
    "phases": N_("Phases"),
    "legal_basis": N_("Legal basis"),
    "effective": N_("Effective"),
    "until": N_("Until"),
    "status": N_("Status"),
    "covered_by": N_("Covered by"),
    "not_counted": N_("Not counted"),
    "suspect_covers": N_("Suspect covers"),
    "out_of_scope_by": N_("Out of scope: lacks"),
    "file": N_("File"),
    "line": N_("Line"),
}
REVIEW_HEADINGS: Mapping[str, str] = {
    **HEADINGS,
    "type": N_("Type"),
    "owner": N_("Owner"),
    "review": N_("Review"),
    "reviewed": N_("Last reviewed"),
    "review_every": N_("Review every (months)"),
    "due": N_("Due"),
}
SUMMARY_HEADINGS: Mapping[str, str] = {
    "phase": N_("Phase"),
    "title": N_("Title"),
    "obligations": N_("Obligations"),
    "covered": N_("Covered"),
    "upcoming": N_("Upcoming"),
    "justified": N_("Justified"),
    "lapsed": N_("Lapsed"),
    "out_of_scope": N_("Out of scope"),
    "uncovered": N_("Uncovered"),
    "in_force": N_("To be covered"),
    "percent": N_("Coverage (%)"),
}
ALL_PHASES = N_("All phases")
NO_PHASE = N_("No phase")
SUMMARY_SHEET = N_("Summary")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the text of a cell, in UTF-16 code units.
XLSX_CELL_LIMIT = 32_767


def _suspects(suspects: list[SuspectCover], other_end: str) -> list[dict[str, Any]]:
    return [{"id": getattr(s, other_end).id, "changed": list(s.changed)} for s in suspects]


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


@dataclass(frozen=True)
class ExportSettings:
    """How CSV and XLSX are written: their language, the CSV separator, the law's date.

    The build takes them from its configuration (``language``, ``crmrisk_csv_delimiter``,
    ``crmrisk_law_date``) and records them; ``crmrisk matrix`` reads the record, so both
    write the same bytes. JSON is the same whatever they are.
    """

    language: str = "en"
    csv_delimiter: str | None = None
    law_date: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> ExportSettings:
        return cls(settings.language, settings.csv_delimiter, settings.law_date)

    @property
    def is_french(self) -> bool:
        return self.language.replace("-", "_").split("_")[0].lower() == "fr"

    @property
    def delimiter(self) -> str:
        """The configured one, else ``;`` in French (what a French Excel expects), else ``,``."""
        return self.csv_delimiter or (";" if self.is_french else ",")

    def gettext(self, message: str) -> str:
        return translator(self.language)(message)

    def number(self, value: int) -> str:
        """``32,767``; in French ``32 767`` (a narrow no-break space)."""
        return f"{value:,}".replace(",", "\u202f" if self.is_french else ",")

    def headings(self, columns: Sequence[str], names: Mapping[str, str]) -> list[str]:
        return [self.gettext(names[c]) if c in names else c for c in columns]

    def localised(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """An obligation record with its state in words (``couverte``), and why an item
        does not count (``brouillon``)."""
        result = dict(record)
        state = record.get("state")
        if state in _STATE_BY_CODE:
            result["state"] = self.gettext(STATE_LABELS[_STATE_BY_CODE[state]])
        result["not_counted"] = [
            {**entry, "reason": self.reason(entry)} for entry in record.get("not_counted") or []
        ]
        return result

    def reason(self, entry: Mapping[str, Any]) -> str:
        """Why an item does not count, in the settings' language (the record's own
        English words when it does not say why in codes: an older document)."""
        code = _DISCOUNT_BY_CODE.get(str(entry.get("code")))
        if code is None:
            return str(entry.get("reason", ""))
        why = Discount(code, status=str(entry.get("status", "")), type=str(entry.get("type", "")))
        return why.text(self.gettext)

    def localised_review(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A review record with its review state (``en retard``) and its type
        (``Procédure``) in words."""
        result = dict(record)
        state = _REVIEW_STATE_BY_CODE.get(str(record.get("review")))
        if state is not None:
            result["review"] = self.gettext(REVIEW_STATE_LABELS[state])
        kind = _KIND_BY_CODE.get(str(record.get("type")))
        if kind is not None:
            result["type"] = self.gettext(KIND_SPECS[kind].title)
        return result


_STATE_BY_CODE = {state.value: state for state in State}
_REVIEW_STATE_BY_CODE = {state.value: state for state in ReviewState}
_DISCOUNT_BY_CODE = {code.value: code for code in DiscountCode}
_KIND_BY_CODE = {kind.value: kind for kind in Kind}


def obligation_record(
    assessment: Assessment, suspects: list[SuspectCover] | None = None
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
        "not_counted": [
            {
                "id": item.id,
                "reason": str(why),
                "code": why.code.value,
                "status": item.status or "",
                "type": item.type,
            }
            for item, why in assessment.discounted
        ],
        "suspect_covers": _suspects(suspects or [], "item"),
        "out_of_scope_by": list(assessment.out_of_scope_by),
        "file": obligation.file,
        "line": obligation.lineno,
        "catalogue": obligation.catalogue,
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
            obligation_record(a, traceability.suspects.get(a.obligation.id)) for a in assessments
        ],
        "summary": [summary_record(model, s) for s in summaries_by_phase(model, assessments)],
        "reviews": [review_record(r) for r in traceability.reviews],
    }


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading ``'``; the rest is kept."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    """In CSV every cell is text, a number too: each is neutralised as text."""
    return str(neutralise(value if isinstance(value, str) else str(value)))


def _xlsx_cell(value: Any) -> Any:
    """A finite number stays a number; anything else is written (and neutralised) as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return neutralise(value if isinstance(value, str) else str(value))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


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


def csv_bytes(document: Mapping[str, Any], settings: ExportSettings | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the accents right; headings,
    states and separator in the settings' language. Every cell is neutralised text."""
    settings = settings or ExportSettings()
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, delimiter=settings.delimiter)
    writer.writerow(settings.headings(COLUMNS, HEADINGS))
    writer.writerows(
        [_csv_cell(c) for c in flat_cells(settings.localised(r))] for r in document["obligations"]
    )
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


#: Bump when the workbook is laid out differently: a build then writes it again even
#: when the data did not change (it is in the workbook's properties, see _unchanged).
WORKBOOK_FORMAT = 3
_GENERATOR = f"sphinx-crmrisk, workbook format {WORKBOOK_FORMAT}"

#: Column widths in characters: at least a heading's short word, at most this; a
#: longer text wraps within its cell.
_MIN_WIDTH, _MAX_WIDTH = 6, 40


#: The height in points of one line of text in the default font.
_LINE_HEIGHT = 15.0


def _lines(value: Any, width: float) -> int:
    """How many lines a text takes in a wrapping column ``width`` characters wide."""
    # a width counts digits; a line of text holds a little more of its narrower letters
    per_line = max(int(width * 1.15) - 2, 1)
    return sum(max(1, -(-len(line) // per_line)) for line in str(value).splitlines() or [""])


def _width(values: Sequence[Any]) -> float:
    """The width that shows the longest line of a column (within the bounds)."""
    longest = max(
        (len(line) for value in values for line in str(value).splitlines() or [""]),
        default=0,
    )
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


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
    return [
        [s[c] if s[c] is not None else "" for c in SUMMARY_COLUMNS] for s in document["summary"]
    ]


def xlsx_cuts(document: Mapping[str, Any]) -> list[CutCell]:
    """The cells :func:`xlsx_bytes` cuts, without writing the workbook."""
    cut: dict[tuple[str, str], CutCell] = {}
    tables = [
        (COLUMNS, [flat_cells(r) for r in document["obligations"]]),
        (SUMMARY_COLUMNS, _summary_rows(document)),
        (REVIEW_COLUMNS, [flat_cells(r, REVIEW_COLUMNS) for r in document.get("reviews") or []]),
    ]
    for headers, rows in tables:
        for row in rows:
            for column, cell in enumerate(row):
                length = _too_long(_xlsx_cell(cell))
                if length is not None:
                    found = CutCell(str(row[0]), headers[column], length)
                    cut.setdefault((found.row_id, found.column), found)
    return list(cut.values())


def xlsx_bytes(
    document: Mapping[str, Any],
    settings: ExportSettings | None = None,
    cut: list[CutCell] | None = None,
) -> bytes:
    """A summary sheet, then one sheet per phase (and one for obligations without), and
    the reviews.

    Every sheet has its headings in the settings' language, a frozen heading row, an
    autofilter, widths fitted to the content and long texts wrapped. The same document
    gives the same bytes: the workbook is dated by its reference date, not by the
    clock, so an auditor can compare two exports by their checksum. A text longer than
    a cell holds is cut, with a note on the cell that says so, and listed in ``cut``
    for the caller to report.
    """
    # imported here: only this format needs it. XlsxWriter, not openpyxl: openpyxl
    # imports numpy when it is installed, which raised the peak memory of every HTML
    # build by 6 to 28 MiB (benchmarks/README.md)
    import xlsxwriter

    settings = settings or ExportSettings()
    t = settings.gettext
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
    reference_date = document["reference_date"]
    law_date = settings.law_date or reference_date
    # « Date de référence : 2026-06-01 », with French typography in French
    dated = t(N_("Reference date: {date}")).format(date=reference_date)
    law = t(N_("Law as of: {date}")).format(date=law_date)
    workbook.set_properties(
        {
            "title": t("Traceability matrix"),
            "subject": t("Obligations, their state and what covers them"),
            "keywords": f"{dated}; {law}",
            "comments": f"{dated}. {law}.",
            "created": dt.datetime.combine(dt.date.fromisoformat(reference_date), dt.time()),
        }
    )
    workbook.set_custom_property(t("Reference date"), reference_date)
    workbook.set_custom_property(t("Law as of"), law_date)
    workbook.set_custom_property("Generator", _GENERATOR)
    taken: set[str] = set()
    heading = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDE4EE", "bottom": 1}
    )
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    top = workbook.add_format({"valign": "top"})

    cut = [] if cut is None else cut

    def add_sheet(
        title: str, headers: list[str], rows: list[list[Any]], keys: tuple[str, ...]
    ) -> None:
        sheet = workbook.add_worksheet(_sheet_name(title, taken))
        widths = []
        wrapping = []
        for column, header in enumerate(headers):
            values = [row[column] for row in rows]
            width = _width(values)
            wrapping.append(width >= _MAX_WIDTH or any("\n" in str(v) for v in values))
            # a heading never wraps: its row keeps one line
            width = max(width, float(len(header) + 3))
            widths.append(width)
            sheet.set_column(column, column, width, wrapped if wrapping[-1] else top)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, headers, heading)
        for number, row in enumerate(rows, start=1):
            # spreadsheets do not grow a row to its wrapped text when they open a file:
            # the height is given, from the lines the longest wrapped cell needs
            lines = max([_lines(row[c], widths[c]) for c in range(len(row)) if wrapping[c]] or [1])
            if lines > 1:
                sheet.set_row(number, _LINE_HEIGHT * lines)
            cells = [_xlsx_cell(cell) for cell in row]
            for column, cell in enumerate(cells):
                length = _too_long(cell)
                if length is not None:
                    cells[column] = _start_of(cell, XLSX_CELL_LIMIT)
                    # constant_memory: a note is kept aside, written with the sheet
                    note = t(
                        N_(
                            "Cut: the text has {length} characters; a cell holds {limit}. "
                            "The whole text is in traceability.json."
                        )
                    )
                    sheet.write_comment(
                        number,
                        column,
                        note.format(
                            length=settings.number(length), limit=settings.number(XLSX_CELL_LIMIT)
                        ),
                    )
                    found = CutCell(str(row[0]), keys[column], length)
                    if found not in cut:
                        cut.append(found)
            sheet.write_row(number, 0, cells)
        sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        # on paper: A4 landscape, as wide as the page, the headings on every page
        sheet.set_paper(9)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)

    summary_rows = []
    for summary in document["summary"]:
        record = dict(summary)
        if record["phase"] is None:
            record["title"] = t(ALL_PHASES)
        summary_rows.append(["" if record[c] is None else record[c] for c in SUMMARY_COLUMNS])
    add_sheet(
        t(SUMMARY_SHEET),
        settings.headings(SUMMARY_COLUMNS, SUMMARY_HEADINGS),
        summary_rows,
        SUMMARY_COLUMNS,
    )
    headers = settings.headings(COLUMNS, HEADINGS)
    obligations = [settings.localised(r) for r in document["obligations"]]
    for summary in document["summary"]:
        if summary["phase"] is not None:
            rows = [r for r in obligations if summary["phase"] in r["phases"]]
            add_sheet(summary["phase"], headers, [flat_cells(r) for r in rows], COLUMNS)
    without = [r for r in obligations if not r["phases"]]
    if without:
        add_sheet(t(NO_PHASE), headers, [flat_cells(r) for r in without], COLUMNS)
    reviews = [settings.localised_review(r) for r in document.get("reviews") or []]
    if reviews:
        add_sheet(
            t(REVIEWS_SHEET),
            settings.headings(REVIEW_COLUMNS, REVIEW_HEADINGS),
            [flat_cells(r, REVIEW_COLUMNS) for r in reviews],
            REVIEW_COLUMNS,
        )
    workbook.close()
    return stream.getvalue()


def json_bytes(document: Mapping[str, Any], settings: ExportSettings | None = None) -> bytes:
    """Stable English keys and state codes (the schema), whatever the language."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


#: The columns of the Markdown matrix.
MARKDOWN_COLUMNS = ("id", "title", "phases", "legal_basis", "state", "covered_by")


def matrix_markdown(document: Mapping[str, Any], settings: ExportSettings | None = None) -> str:
    """A Markdown table, its headings and states in the settings' language."""
    settings = settings or ExportSettings()
    headers = settings.headings(MARKDOWN_COLUMNS, {**HEADINGS, "covered_by": N_("Covered by")})
    rows = []
    for record in document["obligations"]:
        r = settings.localised(record)
        rows.append(
            [
                r["id"],
                r["title"],
                ", ".join(r["phases"]),
                r["legal_basis"],
                r["state"],
                ", ".join(r["covered_by"]),
            ]
        )
    date = settings.gettext(N_("Reference date: {date}")).format(date=document["reference_date"])
    return f"{date}\n\n" + markdown_text.table(headers, rows)


def markdown_bytes(document: Mapping[str, Any], settings: ExportSettings | None = None) -> bytes:
    return matrix_markdown(document, settings).encode("utf-8")


Renderer = Callable[[Mapping[str, Any], "ExportSettings | None"], bytes]

#: Each export format, rendered whole in memory: a file or the standard output.
RENDERERS: dict[str, Renderer] = {
    "csv": csv_bytes,
    "xlsx": xlsx_bytes,
    "json": json_bytes,
    "md": markdown_bytes,
}


def exports_unchanged(outdir: Path, document: Mapping[str, Any], settings: ExportSettings) -> bool:
    """All exports are there and already hold this document in these settings.

    The JSON (written last) is compared for the data, the CSV for the language and the
    separator, the workbook's properties for the law's date and the workbook's format:
    rendering the workbook itself would cost seconds. A file that could not be written is missing, so the
    next build tries again.
    """
    if not all((outdir / name).is_file() for name in BUILD_FILES.values()):
        return False
    try:
        if (outdir / BUILD_FILES["json"]).read_bytes() != json_bytes(document):
            return False
        if (outdir / BUILD_FILES["csv"]).read_bytes() != csv_bytes(document, settings):
            return False
        with zipfile.ZipFile(outdir / BUILD_FILES["xlsx"]) as workbook:
            properties = workbook.read("docProps/custom.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    law_date = settings.law_date or document["reference_date"]
    return f">{law_date}<" in properties and f">{_GENERATOR}<" in properties
