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
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import markdown_text
from .evidence import (
    EVIDENCE_STATE_LABELS,
    PROOF_LABELS,
    EvidenceAssessment,
    EvidenceState,
    Proof,
    ProofState,
)
from .file_names import BUILD_FILES
from .kinds import COVERING_KINDS, KIND_SPECS, N_
from .model import (
    STATE_LABELS,
    Assessment,
    Discount,
    DiscountCode,
    Item,
    Model,
    State,
    Summary,
    parse_date,
    summaries_by_phase,
)
from .register import REGISTER_COLUMNS
from .reviews import REVIEW_STATE_LABELS, Review, ReviewState, SuspectCover
from .settings import Settings
from .text import one_line
from .traceability import Traceability
from .translations import is_french, long_date, translator
from .watch import WATCH_STATE_LABELS, Watch, WatchState

SCHEMA_NAME = "sphinx-crmrisk/traceability"
#: 2: obligations gained ``proof`` and ``proven_by``, reviews ``reviewed_by``, the summary
#: its proof counts, and the document its ``evidence`` list
SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).parent / "schemas" / "traceability.schema.json"

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
    "proof",
    "proven_by",
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
    "reviewed_by",
    "review_every",
    "due",
    "suspect_covers",
    "file",
    "line",
)
REVIEWS_SHEET = N_("Reviews")
#: One clause or procedure per row, active or not: the « Items » sheet of the XLSX
#: export and ``crmrisk matrix --format items-csv``, under the headings ``crmrisk import``
#: reads (:data:`~.register.REGISTER_COLUMNS`), so that an export is a register. The
#: text of an item is not in the model: its column is left out.
ITEM_COLUMNS = tuple(name for name in REGISTER_COLUMNS if name != "content")
ITEM_HEADINGS: Mapping[str, str] = {name: REGISTER_COLUMNS[name].heading for name in ITEM_COLUMNS}
ITEMS_SHEET = N_("Items")
#: One watch item per row: the ``Watch`` sheet of the XLSX export.
WATCH_COLUMNS = (
    "id",
    "title",
    "state",
    "expected",
    "affects",
    "legal_basis",
    "source",
    "verification",
    "catalogue",
    "file",
    "line",
)
WATCH_SHEET = N_("Watch list")
#: One evidence per row: the ``Evidence`` sheet of the XLSX export.
EVIDENCE_COLUMNS = (
    "id",
    "title",
    "state",
    "status",
    "proves",
    "document",
    "dated",
    "valid_until",
    "owner",
    "sha256",
    "reviewed",
    "reviewed_by",
    "file",
    "line",
)
EVIDENCE_SHEET = N_("Evidence register")
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
    "proven",
    "proof_invalid",
    "unproven",
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
    "proof": N_("Proof"),
    "proven_by": N_("Proven by"),
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
    "reviewed_by": N_("Reviewed by"),
    "review_every": N_("Review every (months)"),
    "due": N_("Due"),
}
WATCH_HEADINGS: Mapping[str, str] = {
    **HEADINGS,
    "state": N_("Watch state"),
    "expected": N_("Expected"),
    "affects": N_("Affects"),
    "source": N_("Source"),
    "verification": N_("Verification"),
    "catalogue": N_("Catalogue"),
}
EVIDENCE_HEADINGS: Mapping[str, str] = {
    **HEADINGS,
    "proves": N_("Proves"),
    "document": N_("Document"),
    "dated": N_("Dated"),
    "valid_until": N_("Valid until"),
    "owner": N_("Owner"),
    "sha256": N_("SHA-256"),
    "reviewed": N_("Last reviewed"),
    "reviewed_by": N_("Reviewed by"),
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
    "proven": N_("Proven"),
    "proof_invalid": N_("Invalid proof"),
    "unproven": N_("Unproven"),
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
        "reviewed_by": review.reviewed_by,
        "review_every": review.every,
        "due": review.due.isoformat() if review.due else "",
        "suspect_covers": _suspects(list(review.suspects), "obligation"),
        "file": item.file,
        "line": item.lineno,
    }


def item_record(item: Item) -> dict[str, Any]:
    """A clause or procedure as a register row: the values ``crmrisk import`` reads back."""
    return {
        "id": item.id,
        "type": item.kind.value if item.kind else item.type,
        "title": item.title,
        "covers": list(item.linked("covers")),
        "party": item.field("party"),
        "owner": item.field("owner"),
        "reviewed": item.field("reviewed"),
        "frequency": item.field("frequency"),
        "status": item.status or "",
        "file": item.file,
        "line": item.lineno,
    }


def watch_record(watch: Watch) -> dict[str, Any]:
    item = watch.item
    return {
        "id": item.id,
        "title": item.title,
        "status": watch.status,
        "state": watch.state.value,
        "expected": item.field("expected"),
        "affects": list(item.linked("affects")),
        "legal_basis": item.field("legal_basis"),
        "source": item.field("source"),
        "verification": item.field("verification"),
        "catalogue": watch.catalogue,
        "file": item.file,
        "line": item.lineno,
    }


def evidence_record(evidence: EvidenceAssessment) -> dict[str, Any]:
    item = evidence.item
    approval = evidence.approval
    return {
        "id": item.id,
        "title": item.title,
        "state": evidence.state.value,
        "status": item.status or "",
        "proves": list(dict.fromkeys(item.linked("proves"))),
        "document": evidence.document,
        "dated": item.field("dated"),
        "valid_until": item.field("valid_until"),
        "owner": item.field("owner"),
        "sha256": evidence.sha256,
        "reviewed": approval.date if approval else "",
        "reviewed_by": approval.by if approval else "",
        "file": item.file,
        "line": item.lineno,
    }


@dataclass(frozen=True)
class ExportSettings:
    """How CSV and XLSX are written: their language, the CSV separator, the law's date,
    the organization named on the workbook's printed pages.

    The build takes them from its configuration (``language``, ``crmrisk_csv_delimiter``,
    ``crmrisk_law_date``, ``project``) and records them; ``crmrisk matrix`` reads the
    record, so both write the same bytes. JSON is the same whatever they are.
    """

    language: str = "en"
    csv_delimiter: str | None = None
    law_date: str | None = None
    organization: str = ""

    @classmethod
    def of(cls, settings: Settings) -> ExportSettings:
        return cls(
            settings.language, settings.csv_delimiter, settings.law_date, settings.organization
        )

    @property
    def is_french(self) -> bool:
        return is_french(self.language)

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
        """An obligation record with its state and proof in words (``couverte``,
        ``prouvée``), and why an item does not count (``brouillon``)."""
        result = dict(record)
        state = record.get("state")
        if state in _STATE_BY_CODE:
            result["state"] = self.gettext(STATE_LABELS[_STATE_BY_CODE[state]])
        result["not_counted"] = [
            {**entry, "reason": self.reason(entry)} for entry in record.get("not_counted") or []
        ]
        proof = record.get("proof")
        if proof in _PROOF_BY_CODE:
            result["proof"] = self.gettext(PROOF_LABELS[_PROOF_BY_CODE[proof]])
        return result

    def reason(self, entry: Mapping[str, Any]) -> str:
        """Why an item does not count, in the settings' language (the record's own
        English words when it does not say why in codes: an older document)."""
        code = _DISCOUNT_BY_CODE.get(str(entry.get("code")))
        if code is None:
            return str(entry.get("reason", ""))
        why = Discount(code, status=str(entry.get("status", "")), type=str(entry.get("type", "")))
        return why.text(self.gettext)

    def localised_evidence(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """An evidence record with its state in words (``expirée``)."""
        state = _EVIDENCE_STATE_BY_CODE.get(str(record.get("state")))
        if state is None:
            return dict(record)
        return {**record, "state": self.gettext(EVIDENCE_STATE_LABELS[state])}

    def localised_watch(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A watch record with its state in words (``en retard``)."""
        state = _WATCH_STATE_BY_CODE.get(str(record.get("state")))
        if state is None:
            return dict(record)
        return {**record, "state": self.gettext(WATCH_STATE_LABELS[state])}

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

    def localised_item(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """An item record with its type in words (``Procédure``), as a register says it."""
        kind = _KIND_BY_CODE.get(str(record.get("type")))
        if kind is None:
            return dict(record)
        return {**record, "type": self.gettext(KIND_SPECS[kind].title)}


_STATE_BY_CODE = {state.value: state for state in State}
_KIND_BY_CODE = {kind.value: kind for kind in COVERING_KINDS}
_REVIEW_STATE_BY_CODE = {state.value: state for state in ReviewState}
_WATCH_STATE_BY_CODE = {state.value: state for state in WatchState}
_PROOF_BY_CODE = {state.value: state for state in ProofState}
_EVIDENCE_STATE_BY_CODE = {state.value: state for state in EvidenceState}
_DISCOUNT_BY_CODE = {code.value: code for code in DiscountCode}


def obligation_record(
    assessment: Assessment,
    suspects: list[SuspectCover] | None = None,
    proof: Proof | None = None,
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
        "proof": proof.state.value if proof else None,
        "proven_by": [e.item.id for e in proof.evidence] if proof else [],
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


def summary_record(
    model: Model, summary: Summary, proof: Mapping[ProofState, int] | None = None
) -> dict[str, Any]:
    phase = model.items.get(summary.label) if summary.label else None
    proof = proof or {}
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
        "proven": proof.get(ProofState.PROVEN, 0),
        "proof_invalid": proof.get(ProofState.INVALID, 0),
        "unproven": proof.get(ProofState.UNPROVEN, 0),
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
            obligation_record(
                a,
                traceability.suspects.get(a.obligation.id),
                traceability.proofs.get(a.obligation.id),
            )
            for a in assessments
        ],
        "summary": [
            summary_record(model, s, proof)
            for s, proof in zip(
                summaries_by_phase(model, assessments), traceability.proof_summaries, strict=True
            )
        ],
        "reviews": [review_record(r) for r in traceability.reviews],
        "items": [
            item_record(item)
            for item in sorted(model.items.values(), key=lambda i: i.id)
            if item.kind in COVERING_KINDS
        ],
        "watch": [watch_record(w) for w in traceability.watches],
        "evidence": [evidence_record(e) for e in traceability.evidence],
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


def flat_cells(
    record: Mapping[str, Any], columns: tuple[str, ...] = COLUMNS, joined: str = "; "
) -> list[Any]:
    """One record as the cells of a row, in ``columns`` order; lists joined by ``joined``."""
    cells = []
    for column in columns:
        value = record[column]
        if column == "not_counted":
            value = "; ".join(f"{entry['id']} ({entry['reason']})" for entry in value)
        elif column == "suspect_covers":
            value = "; ".join(f"{e['id']} ({', '.join(e['changed'])})" for e in value)
        elif isinstance(value, list):
            value = joined.join(value)
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


def items_csv_bytes(document: Mapping[str, Any], settings: ExportSettings | None = None) -> bytes:
    """The clauses and procedures as a register (``crmrisk import`` reads it back): one
    per row, as :func:`csv_bytes` writes its rows."""
    settings = settings or ExportSettings()
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, delimiter=settings.delimiter)
    writer.writerow(settings.headings(ITEM_COLUMNS, ITEM_HEADINGS))
    writer.writerows(
        [_csv_cell(c) for c in flat_cells(settings.localised_item(r), ITEM_COLUMNS, ", ")]
        for r in document.get("items") or []
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
#: 3: printed pages (title header, page footer, date cells, ID and state first)
#: 4: the Items sheet (a register), the Evidence register and Watch list sheets
#: 5: French words in the sheets (a review's type, why an item does not count)
WORKBOOK_FORMAT = 5
_GENERATOR = f"sphinx-crmrisk, workbook format {WORKBOOK_FORMAT}"

#: The columns of a phase sheet: the ID and the state first, so that both are repeated
#: on every printed page; the location last, left out of the printed pages.
#: Columns kept in the data but not printed: where an item is written is the
#: author's business, the printed page is the reviewer's; the evidence that proves an
#: obligation is listed on its own sheet (its proof state is printed). They come last,
#: after the print area.
_NOT_PRINTED = frozenset({"proven_by", "file", "line"})
XLSX_COLUMNS = (
    "id",
    "state",
    *(c for c in COLUMNS if c not in ("id", "state") and c not in _NOT_PRINTED),
    *(c for c in COLUMNS if c in _NOT_PRINTED),
)
#: The columns of the reviews sheet, in the same spirit.
XLSX_REVIEW_COLUMNS = (
    "id",
    "review",
    *(c for c in REVIEW_COLUMNS if c not in ("id", "review") and c not in _NOT_PRINTED),
    *(c for c in REVIEW_COLUMNS if c in _NOT_PRINTED),
)
#: Columns written as date cells (a text that is not a date stays a text).
_DATE_COLUMNS = frozenset(
    {"effective", "until", "reviewed", "due", "dated", "valid_until", "expected"}
)
#: Columns repeated at the left of every printed page.
_REPEATED = 2

#: Column widths in characters: at least a heading's longest word, at most this; a
#: longer text wraps within its cell.
_MIN_WIDTH, _MAX_WIDTH = 6, 40
#: The workbook's font: every width and height below is measured in it.
_FONT, _FONT_SIZE = "Arial", 10
#: The printed columns of a sheet share this many characters of width at most, so that
#: fitted to the width of an A4 landscape page (0.4 inch margins) the 10-point text is
#: printed at 7 points at least (checked with LibreOffice: docs/explanation/audit-pack.md).
_PRINT_WIDTH = 180
#: Narrowed to fit the page, the texts a reviewer reads keep more of their width.
_PRINT_WEIGHTS = {"legal_basis": 1.5, "title": 1.3, "phases": 0.8}
_DATE_FORMAT = "yyyy-mm-dd"
#: Excel's limit on a header or footer, in characters (codes included).
_HEADER_LIMIT = 255


#: The height in points of one line of text in the workbook's font.
_LINE_HEIGHT = 12.75


#: Advance widths of Arial (and Liberation Sans) in thousandths of an em, for the
#: printable ASCII characters from the space on; a letter with an accent is as wide as
#: the letter, any other character as wide as a digit (556) or, from U+2E80 on, 1000.
_ARIAL_WIDTHS = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 "
    "556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 "
    "1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 "
    "667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 "
    "333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 "
    "556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
)
_WIDTH_OF = {chr(32 + n): int(w) for n, w in enumerate(_ARIAL_WIDTHS.split())}
#: The text a column ``w`` characters wide holds, in thousandths of an em of the 10-point
#: font: ``w`` plus the padding Excel adds (5 pixels of 7), ``7`` pixels each (Excel's
#: digit), an em being 13.33 pixels at 96 dpi; a little is kept back for rounding.
_UNITS_PER_WIDTH = 7 / (_FONT_SIZE * 96 / 72) * 1000 * 0.98
_PADDING = 5 / 7


def _text_width(text: str) -> int:
    """The width of ``text`` in the workbook's font, in thousandths of an em."""
    total = 0
    for char in text:
        width = _WIDTH_OF.get(char)
        if width is None:
            base = unicodedata.normalize("NFD", char)[:1]
            width = _WIDTH_OF.get(base, 1000 if char >= "\u2e80" else 556)
        total += width
    return total


def _lines(value: Any, width: float) -> int:
    """How many lines a text takes in a wrapping column ``width`` characters wide: its
    words laid out one after the other in the workbook's font, as a spreadsheet wraps
    them (a word longer than a line is broken)."""
    room = max((width + _PADDING) * _UNITS_PER_WIDTH, 1.0)
    space = _WIDTH_OF[" "]
    total = 0
    for line in str(value).splitlines() or [""]:
        lines, used = 1, 0.0
        for word in line.split(" "):
            length = _text_width(word)
            if used and used + space + length > room:
                lines, used = lines + 1, 0.0
            used += length + (space if used else 0)
            while used > room:
                lines, used = lines + 1, used - room
        total += lines
    return total


def _width(values: Sequence[Any]) -> float:
    """The width that shows the longest line of a column (within the bounds)."""
    longest = max(
        (len(line) for value in values for line in str(value).splitlines() or [""]),
        default=0,
    )
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


def _heading_width(heading: str) -> float:
    """The narrowest a column gets: its heading's longest word shows whole."""
    return float(max([len(word) for word in heading.split()] or [0]) + 2)


def fit_widths(
    widths: Sequence[float],
    floors: Sequence[float],
    budget: float,
    weights: Sequence[float] | None = None,
) -> list[float]:
    """``widths`` narrowed, the widest first, until they add up to ``budget`` at most;
    none goes below its floor (a wrapped text just takes more lines). A column of weight
    ``w`` may stay ``w`` times as wide as a column of weight 1."""
    if sum(widths) <= budget:
        return list(widths)
    weights = weights or [1.0] * len(widths)
    rows = list(zip(widths, floors, weights, strict=True))
    # the largest cap c such that sum(max(min(w, c * weight), floor)) <= budget
    low, high = 0.0, max(widths)
    for _step in range(40):
        cap = (low + high) / 2
        if sum(max(min(w, cap * k), f) for w, f, k in rows) <= budget:
            low = cap
        else:
            high = cap
    return [max(min(w, math.floor(low * k * 10) / 10), f) for w, f, k in rows]


#: Columns that list IDs: one is never broken across lines.
_ID_LISTS = frozenset({"phases", "covered_by", "not_counted", "suspect_covers", "out_of_scope_by"})


def _floor(key: str, heading: str, values: Sequence[Any], width: float) -> float:
    """The narrowest a printed column gets: its heading's longest word shows whole, an
    ID column keeps its width, an ID in a list is never broken."""
    if key == "id":
        return width
    floor = _heading_width(heading)
    if key in _ID_LISTS:
        longest = max((len(word) for v in values for word in str(v).split()), default=0)
        floor = max(floor, min(longest + 1.0, width))
    return floor


def _header_text(text: str) -> str:
    """A text for a header or footer: ``&`` doubled (a code otherwise), one line."""
    return one_line(text).replace("&", "&&")


def _as_date(value: Any) -> dt.datetime | None:
    date = parse_date(value) if isinstance(value, str) else None
    return None if date is None else dt.datetime(date.year, date.month, date.day)


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
        (XLSX_COLUMNS, [flat_cells(r, XLSX_COLUMNS) for r in document["obligations"]]),
        (SUMMARY_COLUMNS, _summary_rows(document)),
        (
            XLSX_REVIEW_COLUMNS,
            [flat_cells(r, XLSX_REVIEW_COLUMNS) for r in document.get("reviews") or []],
        ),
        (ITEM_COLUMNS, [flat_cells(r, ITEM_COLUMNS, ", ") for r in document.get("items") or []]),
        (WATCH_COLUMNS, [flat_cells(r, WATCH_COLUMNS) for r in document.get("watch") or []]),
        (
            EVIDENCE_COLUMNS,
            [flat_cells(r, EVIDENCE_COLUMNS) for r in document.get("evidence") or []],
        ),
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
    """A summary sheet, then one sheet per phase (and one for obligations without), the
    reviews, the evidence, the watch list and the clauses and procedures as a register.

    Every sheet has its headings in the settings' language, a frozen heading row, an
    autofilter, widths fitted to the content and long texts wrapped, every cell aligned
    at the top, dates as date cells. Printed, it is A4 landscape, as wide as the page
    with the text at 7 points at least (:data:`_PRINT_WIDTH`), headed by the sheet's
    name, the organization and the reference date, with the page number at the foot,
    the heading row and the ID and state columns repeated on every page; the file and
    line columns stay in the data but are not printed.

    The same document gives the same bytes: the workbook is dated by its reference
    date, not by the clock, so an auditor can compare two exports by their checksum.
    A text longer than a cell holds is cut, with a note on the cell that says so, and
    listed in ``cut`` for the caller to report.
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
            # Arial 10 (Liberation Sans, its metric twin, where Arial is missing): column
            # widths count its digits, so LibreOffice lays a page out as Excel does
            "default_format_properties": {"font_name": _FONT, "font_size": _FONT_SIZE},
            "default_row_height": 17,
            "default_column_width": 64,
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
            "company": settings.organization,
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
    dated = workbook.add_format({"valign": "top", "num_format": _DATE_FORMAT})
    # the page's header and footer, in the language of the sheet's headings
    on_page = t("Reference date")
    date_words = long_date(dt.date.fromisoformat(reference_date), settings.language)
    organization = _header_text(settings.organization)
    footer = "&C" + t("Page {page} of {pages}").format(page="&P", pages="&N")

    cut = [] if cut is None else cut

    def header(sheet_name: str) -> str:
        right = (
            f"&R{_header_text(on_page)}{_NBSP_COLON if settings.is_french else ':'} {date_words}"
        )
        left = f'&L&"-,Bold"{_header_text(sheet_name)}'
        room = _HEADER_LIMIT - len(left) - len(right) - 2
        middle = organization
        if len(middle) > room:  # Excel refuses a longer header: the name is cut
            middle = middle[: max(room - 1, 0)].removesuffix("&") + "\u2026"
        return f"{left}&C{middle}{right}"

    def add_sheet(
        title: str, headers: list[str], rows: list[list[Any]], keys: tuple[str, ...]
    ) -> None:
        name = _sheet_name(title, taken)
        sheet = workbook.add_worksheet(name)
        widths = []
        wrapping = []
        for column, header_text in enumerate(headers):
            values = [row[column] for row in rows]
            width = _width(values)
            wrapping.append(width >= _MAX_WIDTH or any("\n" in str(v) for v in values))
            widths.append(max(width, _heading_width(header_text)))
        printed = [c for c, key in enumerate(keys) if key not in _NOT_PRINTED]
        fitted = fit_widths(
            [widths[c] for c in printed],
            [_floor(keys[c], headers[c], [row[c] for row in rows], widths[c]) for c in printed],
            _PRINT_WIDTH,
            [_PRINT_WEIGHTS.get(keys[c], 1.0) for c in printed],
        )
        for column, width in zip(printed, fitted, strict=True):
            if width < widths[column]:
                wrapping[column] = True
            widths[column] = width
        formats = []
        for column, key in enumerate(keys):
            formats.append(dated if key in _DATE_COLUMNS else wrapped if wrapping[column] else top)
            sheet.set_column(column, column, widths[column], formats[-1])
        sheet.freeze_panes(1, 0)
        head_lines = max(_lines(h, widths[c]) for c, h in enumerate(headers))
        sheet.set_row(0, _LINE_HEIGHT * head_lines if head_lines > 1 else None)
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
            for column, cell in enumerate(cells):
                date = _as_date(cell) if keys[column] in _DATE_COLUMNS else None
                if date is not None:
                    sheet.write_datetime(number, column, date, dated)
                elif cell != "":
                    # the cell's own format: a written cell does not take its column's
                    sheet.write(number, column, cell, formats[column])
        sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        # on paper: A4 landscape, as wide as the page, the headings on every page, and
        # the ID and the state at the left of every page
        sheet.set_paper(9)
        sheet.set_landscape()
        sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        if len(headers) > _REPEATED:
            sheet.repeat_columns(0, _REPEATED - 1)
        sheet.print_area(0, 0, max(len(rows), 1), max(printed))
        sheet.hide_gridlines(0)
        # the header and footer keep their size whatever the scale of the page
        sheet.set_header(header(name), {"scale_with_doc": False})
        sheet.set_footer(footer, {"scale_with_doc": False})

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
    headers = settings.headings(XLSX_COLUMNS, HEADINGS)
    obligations = [settings.localised(r) for r in document["obligations"]]
    for summary in document["summary"]:
        if summary["phase"] is not None:
            rows = [r for r in obligations if summary["phase"] in r["phases"]]
            add_sheet(
                summary["phase"], headers, [flat_cells(r, XLSX_COLUMNS) for r in rows], XLSX_COLUMNS
            )
    without = [r for r in obligations if not r["phases"]]
    if without:
        add_sheet(
            t(NO_PHASE), headers, [flat_cells(r, XLSX_COLUMNS) for r in without], XLSX_COLUMNS
        )
    reviews = [settings.localised_review(r) for r in document.get("reviews") or []]
    if reviews:
        add_sheet(
            t(REVIEWS_SHEET),
            settings.headings(XLSX_REVIEW_COLUMNS, REVIEW_HEADINGS),
            [flat_cells(r, XLSX_REVIEW_COLUMNS) for r in reviews],
            XLSX_REVIEW_COLUMNS,
        )
    evidence = [settings.localised_evidence(r) for r in document.get("evidence") or []]
    if evidence:
        add_sheet(
            t(EVIDENCE_SHEET),
            settings.headings(EVIDENCE_COLUMNS, EVIDENCE_HEADINGS),
            [flat_cells(r, EVIDENCE_COLUMNS) for r in evidence],
            EVIDENCE_COLUMNS,
        )
    watches = [settings.localised_watch(r) for r in document.get("watch") or []]
    if watches:
        add_sheet(
            t(WATCH_SHEET),
            settings.headings(WATCH_COLUMNS, WATCH_HEADINGS),
            [flat_cells(r, WATCH_COLUMNS) for r in watches],
            WATCH_COLUMNS,
        )
    # the clauses and procedures as a register: `crmrisk import --sheet` reads it back
    items = [settings.localised_item(r) for r in document.get("items") or []]
    if items:
        add_sheet(
            t(ITEMS_SHEET),
            settings.headings(ITEM_COLUMNS, ITEM_HEADINGS),
            [flat_cells(r, ITEM_COLUMNS, ", ") for r in items],
            ITEM_COLUMNS,
        )
    workbook.close()
    return stream.getvalue()


_NBSP_COLON = "\u202f:"


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
    "items-csv": items_csv_bytes,
}


def exports_unchanged(
    outdir: Path, document: Mapping[str, Any], settings: ExportSettings
) -> dict[str, bytes] | None:
    """None when all exports are there and already hold this document in these
    settings; else the bytes of the JSON and the CSV, made for the comparison, for the
    caller to write rather than make again.

    The JSON (written last) is compared for the data, the CSV for the language and the
    separator, the workbook's properties (:func:`workbook_matches`): rendering the
    workbook itself would cost seconds. A file that could not be written is missing, so
    the next build tries again.
    """
    made = {"json": json_bytes(document), "csv": csv_bytes(document, settings)}
    if not all((outdir / name).is_file() for name in BUILD_FILES.values()):
        return made
    try:
        if (outdir / BUILD_FILES["json"]).read_bytes() != made["json"]:
            return made
        if (outdir / BUILD_FILES["csv"]).read_bytes() != made["csv"]:
            return made
        workbook = (outdir / BUILD_FILES["xlsx"]).read_bytes()
    except OSError:
        return made
    return None if workbook_matches(workbook, document, settings) else made


_EXTENDED = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"


def workbook_matches(
    workbook: bytes, document: Mapping[str, Any], settings: ExportSettings
) -> bool:
    """Whether a workbook was written by this workbook format, with the law's date and
    the organization of ``settings``, for ``document``'s reference date (the data
    itself is the JSON's and the CSV's to compare)."""
    try:
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            custom = archive.read("docProps/custom.xml").decode("utf-8")
            company = ET.fromstring(archive.read("docProps/app.xml")).findtext(
                f"{_EXTENDED}Company"
            )
    except (OSError, KeyError, UnicodeDecodeError, zipfile.BadZipFile, ET.ParseError):
        return False
    law_date = settings.law_date or document["reference_date"]
    return (
        f">{law_date}<" in custom
        and f">{document['reference_date']}<" in custom
        and f">{_GENERATOR}<" in custom
        and (company or "") == settings.organization
    )
