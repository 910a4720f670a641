"""Reading a register: the spreadsheet of clauses and procedures a team already keeps.

``crmrisk import`` (``cli/register_import.py``) reads a register with :func:`read_register`
(``.xlsx`` with openpyxl, ``.ods`` with python-calamine when it is installed, ``.csv``
whatever the separator and encoding a spreadsheet wrote), finds its header row
(:func:`find_header`: registers often open with a title row and a blank row), maps its
columns by their headings (:data:`REGISTER_COLUMNS`, French or English, case and
accents aside), checks every row (:func:`check_rows`) and writes each kind's items as a
MyST page (:func:`myst_page`), every value escaped so that it stays text.

The columns are declared once, in :data:`REGISTER_COLUMNS`: the reading, the reference
documentation (``sphinx_ext/reference_docs.py``) and the « Items » sheet of the exports
(:mod:`.exports`, whose headings this reader reads back) follow from it. A column is
one entry: a field added later (the evidence of an item...) is one more entry.

No Sphinx import; openpyxl and python-calamine are imported only to read a file of
theirs (openpyxl imports numpy when it is installed: the build and ``crmrisk check``
must not pay for it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .file_names import CSV_SUFFIXES, ODS_SUFFIXES, SPREADSHEET_SUFFIXES, SUFFIXES
from .kinds import (
    COVERING_KINDS,
    DEFAULT_NAMES,
    ID_REGEX,
    KIND_SPECS,
    KIND_STATUSES,
    N_,
    Kind,
    Names,
    canonical_status,
    status_key,
)
from .model import DEFAULT_INACTIVE_STATUSES, accepted_statuses
from .text import one_line

#: The header row is looked for among the first rows that hold something.
HEADER_SEARCH_ROWS = 20
#: What a cell holds when it says "nothing".
EMPTY_WORDS = frozenset({"", "-", "\u2013", "\u2014", "n/a", "na", "n.a.", "s/o"})
ODS_MISSING = (
    "reading .ods needs python-calamine (pip install 'sphinx-crmrisk[ods]'); or save "
    "the register as .xlsx or .csv"
)
_ID = re.compile(ID_REGEX)
#: sphinx-needs runs what follows ``[[`` in a title or an option as a dynamic function
#: (to ``]]`` or the end of the text), and has no way to escape it: a register value
#: holding one is refused, never run.
_DYNAMIC_FUNCTION = re.compile(r"\[\[")


class RegisterError(Exception):
    """A register that cannot be read at all: one line, naming the file."""


def normalize(text: str) -> str:
    """A heading or a word as it is matched: first line only, a ``(...)`` remark dropped,
    accents and case aside, ``_ - . /`` and runs of spaces as one space, no trailing
    ``:`` or ``*``: ``"Dernière revue (JJ/MM/AAAA) :"`` -> ``"derniere revue"``."""
    lines = str(text).strip().splitlines()
    text = lines[0] if lines else ""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\s_\-./]+", " ", text).strip(" :*'’")


# -- the values of a cell -------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().casefold() in EMPTY_WORDS)


def cell_text(value: Any) -> str:
    """A cell as text: a whole number without ``.0`` (an ID typed as a number), a date as
    ``YYYY-MM-DD``; an empty word (``-``, ``n/a``) is ``""``."""
    if is_empty(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def one_line_text(value: Any) -> str:
    """A cell as one line: its line breaks and runs of spaces become one space."""
    return " ".join(cell_text(value).split())


_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")


def read_date(value: Any) -> str:
    """A date cell as ``YYYY-MM-DD``: a spreadsheet date, ``JJ/MM/AAAA`` (or ``-``, ``.``)
    or ``YYYY-MM-DD``. ValueError, with the reason, otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(
            f"{cell_text(value)} is a number, not a date (format the cell as a date, "
            "or write JJ/MM/AAAA)"
        )
    text = one_line_text(value)
    match = _DAY_FIRST.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.fullmatch(text)
        if not match:
            raise ValueError(f"{text!r} is not a date (JJ/MM/AAAA or YYYY-MM-DD)")
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a possible date") from None


def read_ids(value: Any) -> str:
    """A list of IDs (``OBL-A, OBL-B``, or separated by ``;``, spaces or line breaks) as
    ``OBL-A, OBL-B``; ValueError names the entries that are not IDs."""
    entries = [entry for entry in re.split(r"[\s,;]+", cell_text(value)) if entry]
    wrong = [entry for entry in entries if not _ID.match(entry)]
    if wrong:
        raise ValueError(
            f"{', '.join(map(repr, wrong))} "
            f"{'is not an ID' if len(wrong) == 1 else 'are not IDs'} (upper-case letters, "
            "digits, '-' and '_', separated by commas)"
        )
    return ", ".join(dict.fromkeys(entries))


# -- the columns ----------------------------------------------------------------------------

#: The words of the type column, by kind (matched as headings are, :func:`normalize`);
#: the project's own name of a kind (``crmrisk_type_names``) is read too.
KIND_WORDS: Mapping[Kind, tuple[str, ...]] = {
    Kind.CLAUSE: ("clause", "clauses", "clause contractuelle"),
    Kind.PROCEDURE: ("procédure", "procédures", "procedure", "procedures", "procédure interne"),
}


@dataclass(frozen=True)
class Column:
    """One column of a register: the headings it is known by and how a cell is read.

    ``read`` turns a non-empty cell into the text written, or raises ValueError with the
    reason. ``kinds``: the kinds that take the field (a value on another kind's row is
    refused, never dropped).
    """

    heading: str
    synonyms: tuple[str, ...]
    doc: str
    read: Callable[[Any], str] = one_line_text
    kinds: frozenset[Kind] = COVERING_KINDS
    required: bool = False
    #: the name of the need option it becomes (a field or link of :mod:`.kinds`, or one of
    #: sphinx-needs' own); None: not an option (the type, the title, the text)
    option: str | None = None


#: Every column a register may have, in the order of the « Items » sheet of the exports.
#: The first synonym of each is its French heading, ``heading`` its English one (a
#: message ID: the exports head the column with its translation).
REGISTER_COLUMNS: Mapping[str, Column] = {
    "type": Column(
        N_("Type"),
        ("Type", "Nature", "Catégorie", "Kind"),
        "clause or procédure (see below); empty: the ID's prefix says it (CLA-, PROC-).",
    ),
    "id": Column(
        N_("ID"),
        ("Identifiant", "ID", "Réf", "Référence", "Code", "UID"),
        "The item's ID: upper-case letters, digits, - and _ (CLA-DPA-01).",
        required=True,
    ),
    "title": Column(
        N_("Title"),
        ("Intitulé", "Titre", "Libellé", "Nom", "Title", "Name"),
        "The item's title, on one line.",
        required=True,
    ),
    "covers": Column(
        N_("Covers"),
        (
            "Obligations couvertes",
            "Obligations",
            "Couvre",
            "Exigences couvertes",
            "Covers",
            "Covered obligations",
            "Obligations covered",
        ),
        "The obligations it covers, separated by commas, semicolons or spaces.",
        read=read_ids,
        option="covers",
    ),
    "party": Column(
        N_("Party"),
        ("Partie", "Parties", "Cocontractant", "Party", "Counterparty"),
        "Who the clause binds, comma-separated (clauses only).",
        kinds=frozenset({Kind.CLAUSE}),
        option="party",
    ),
    "owner": Column(
        N_("Owner"),
        ("Responsable", "Propriétaire", "Pilote", "Porteur", "Owner"),
        "Who answers for it (a role or a team).",
        option="owner",
    ),
    "reviewed": Column(
        N_("Last reviewed"),
        (
            "Dernière revue",
            "Date de revue",
            "Date de dernière revue",
            "Revu le",
            "Revue le",
            "Last reviewed",
            "Reviewed",
            "Last review",
            "Review date",
        ),
        "The last review: a spreadsheet date, JJ/MM/AAAA or YYYY-MM-DD (written YYYY-MM-DD).",
        read=read_date,
        option="reviewed",
    ),
    "frequency": Column(
        N_("Frequency"),
        ("Fréquence", "Périodicité", "Frequency"),
        "How often the procedure runs (procedures only).",
        kinds=frozenset({Kind.PROCEDURE}),
        option="frequency",
    ),
    "status": Column(
        N_("Status"),
        ("Statut", "Status"),
        "active, draft or retired (see below), or one of the project's "
        "crmrisk_inactive_statuses; empty: active.",
        option="status",
    ),
    "content": Column(
        N_("Description"),
        ("Texte", "Description", "Contenu", "Détail", "Text", "Content"),
        "The item's text, line breaks kept; shown as text, never as markup.",
        read=cell_text,
    ),
}
#: Each known heading, normalized, and its column.
HEADINGS: Mapping[str, str] = {
    normalize(synonym): name
    for name, column in REGISTER_COLUMNS.items()
    for synonym in (*column.synonyms, column.heading)
}


# -- reading a file -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """The rows of one sheet (or of a CSV file, ``name`` None) that hold something, each
    with its number as the spreadsheet shows it."""

    name: str | None
    rows: tuple[tuple[int, tuple[Any, ...]], ...]


def _kept(rows: Iterable[Sequence[Any]]) -> tuple[tuple[int, tuple[Any, ...]], ...]:
    # numbered from 1 whatever the first used row: a read-only sheet yields every row
    # from the first (see the reading functions)
    return tuple(
        (number, tuple(values))
        for number, values in enumerate(rows, start=1)
        if values and not all(is_empty(v) for v in values)
    )


def _xlsx_sheets(path: Path) -> list[Sheet]:
    import zipfile

    # imported here: the build and `crmrisk check` never read a register
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise RegisterError(
            f"{path}: not a readable .xlsx workbook ({one_line(str(err))})"
        ) from None
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            if not hasattr(worksheet, "iter_rows"):
                continue  # a chart sheet
            # a sheet's declared size may be a million rows: read the rows it has
            worksheet.reset_dimensions()
            sheets.append(Sheet(worksheet.title, _kept(worksheet.iter_rows(values_only=True))))
        return sheets
    finally:
        workbook.close()


def _ods_sheets(path: Path) -> list[Sheet]:
    try:
        import python_calamine
    except ImportError:
        raise RegisterError(f"{path}: {ODS_MISSING}") from None
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets.append(Sheet(name, _kept(rows)))
        return sheets
    except Exception as err:  # calamine raises its own error types
        raise RegisterError(f"{path}: not a readable .ods file ({one_line(str(err))})") from None


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (a byte-order mark dropped), else Windows-1252, what a French Excel writes."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegisterError(f"{path}: the text is neither UTF-8 nor Windows-1252")


def csv_delimiter(text: str) -> str:
    """The separator under which a row among the first ones names the ID and the title
    columns: the sniffed one tried first, then ``;`` (a French Excel's), ``,`` and tab."""
    sample = text[: 64 * 1024]
    candidates = [";", ",", "\t"]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
        candidates.remove(sniffed)
        candidates.insert(0, sniffed)
    except csv.Error:
        pass
    for delimiter in candidates:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        if _header_in(rows[:HEADER_SEARCH_ROWS]):
            return delimiter
    return ";"


def _header_in(rows: Iterable[Sequence[Any]]) -> bool:
    return any(_required_found(_mapping(row)) for row in rows)


def _csv_sheet(path: Path) -> Sheet:
    try:
        text = decode(path.read_bytes(), path)
    except OSError as err:
        raise RegisterError(f"{path}: cannot read it: {err.strerror or err}") from None
    delimiter = csv_delimiter(text)
    try:
        # newline="": a quoted cell may hold line breaks; a record's number is what a
        # spreadsheet shows, not the line it ends on
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise RegisterError(f"{path}: not a readable CSV file ({err})") from None
    return Sheet(None, _kept(rows))


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of the register (one for a CSV file)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RegisterError(f"{path}: no such file")
    if suffix in SPREADSHEET_SUFFIXES:
        return _xlsx_sheets(path)
    if suffix in ODS_SUFFIXES:
        return _ods_sheets(path)
    if suffix in CSV_SUFFIXES:
        return [_csv_sheet(path)]
    raise RegisterError(
        f"{path}: a register is {', '.join(SUFFIXES)}, not {suffix or 'a file without suffix'}"
    )


# -- the header row -------------------------------------------------------------------------


def _mapping(row: Sequence[Any]) -> dict[int, str]:
    """Each column index whose heading is known -> its column name."""
    return {
        index: HEADINGS[normalize(value)]
        for index, value in enumerate(row)
        if isinstance(value, str) and normalize(value) in HEADINGS
    }


def _required_found(mapping: Mapping[int, str]) -> bool:
    found = set(mapping.values())
    return all(name in found for name, column in REGISTER_COLUMNS.items() if column.required)


def column_letter(index: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class Header:
    """The header row of a sheet: its number, each known column's index, the others."""

    sheet: Sheet
    number: int
    columns: Mapping[str, int]
    #: ``"Commentaire (G)"``: the headings no column of ours has
    ignored: tuple[str, ...]

    def column_name(self, index: int) -> str:
        return column_letter(index) if self.sheet.name is not None else f"column {index + 1}"


def find_header(sheet: Sheet, where: str) -> Header | None:
    """The first of the sheet's first rows that names the ID and title columns; None
    when none does. RegisterError when it names one column twice."""
    for number, row in sheet.rows[:HEADER_SEARCH_ROWS]:
        mapping = _mapping(row)
        if not _required_found(mapping):
            continue
        columns: dict[str, int] = {}
        for index, name in mapping.items():
            if name in columns:
                heading = REGISTER_COLUMNS[name].synonyms[0]
                raise RegisterError(
                    f"{where}, row {number}: columns {column_letter(columns[name])} and "
                    f"{column_letter(index)} are both {heading!r}; keep one"
                )
            columns[name] = index
        header = Header(sheet, number, columns, ())
        width = max(len(cells) for _n, cells in sheet.rows)
        headings = [*row, *[None] * (width - len(row))]
        ignored = tuple(
            f"{one_line_text(value) or '(no heading)'} ({header.column_name(index)})"
            for index, value in enumerate(headings)
            if index not in mapping and _column_has_data(sheet, number, index, value)
        )
        return Header(sheet, number, columns, ignored)
    return None


def _column_has_data(sheet: Sheet, header_row: int, index: int, heading: Any) -> bool:
    if not is_empty(heading):
        return True
    return any(
        index < len(row) and not is_empty(row[index]) for n, row in sheet.rows if n > header_row
    )


@dataclass(frozen=True)
class Register:
    """What a register file holds: its rows under the header row found."""

    path: Path
    header: Header

    @property
    def sheet_name(self) -> str | None:
        return self.header.sheet.name

    @property
    def where(self) -> str:
        """``registre.xlsx, sheet 'Registre'`` (a CSV file has no sheet)."""
        name = self.sheet_name
        return str(self.path) if name is None else f"{self.path}, sheet {name!r}"

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each row under the header, numbered as the spreadsheet shows it, as its
        cells by column name (empty cells left out)."""
        for number, row in self.header.sheet.rows:
            if number <= self.header.number:
                continue
            cells = {
                name: row[index]
                for name, index in self.header.columns.items()
                if index < len(row) and not is_empty(row[index])
            }
            if cells:
                yield number, cells


def read_register(path: Path, sheet: str | None = None) -> Register:
    """The register of ``path``: the sheet named, else the sheet whose header row names
    the most known columns (the first of them on a tie). RegisterError in one line."""
    sheets = read_sheets(path)
    if sheet is not None:
        chosen = [s for s in sheets if s.name == sheet]
        if not chosen:
            names = ", ".join(repr(s.name) for s in sheets if s.name is not None)
            raise RegisterError(
                f"{path}: no sheet {sheet!r}"
                + (f" (sheets: {names})" if names else " (a CSV file has no sheets)")
            )
        sheets = chosen
    best: Header | None = None
    refused: RegisterError | None = None
    for candidate in sheets:
        where = str(path) if candidate.name is None else f"{path}, sheet {candidate.name!r}"
        try:
            header = find_header(candidate, where)
        except RegisterError as err:
            # a sheet that names a column twice is no register, unless it is the only one
            refused = refused or err
            continue
        if header is not None and (best is None or len(header.columns) > len(best.columns)):
            best = header
    if best is None and refused is not None:
        raise refused
    if best is None:
        place = "the sheet" if sheet is not None or len(sheets) == 1 else "no sheet"
        verb = "has no" if place == "the sheet" else "has a"
        raise RegisterError(
            f"{path}: {place} {verb} header row naming an ID and a title column "
            f"(e.g. {REGISTER_COLUMNS['id'].synonyms[0]!r} and "
            f"{REGISTER_COLUMNS['title'].synonyms[0]!r}) in its first "
            f"{HEADER_SEARCH_ROWS} rows"
        )
    return Register(path, best)


# -- checking the rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterItem:
    """One row made an item: its kind, ID, title, options (under canonical names) and text."""

    kind: Kind
    id: str
    title: str
    options: Mapping[str, str]
    content: str
    row: int


@dataclass(frozen=True)
class Checked:
    """The rows read: the items, and one line per bad row (none: the register is good)."""

    items: tuple[RegisterItem, ...]
    bad_rows: tuple[str, ...]
    #: ``(row, obligation ID)`` of each cover that names no obligation of the project
    unknown_covers: tuple[tuple[int, str], ...] = ()


def _kind_of(cell: Any, item_id: str, names: Names) -> Kind:
    words = {normalize(w): kind for kind, ws in KIND_WORDS.items() for w in ws}
    for kind in COVERING_KINDS:
        words.setdefault(normalize(names.type(kind)), kind)
    text = one_line_text(cell)
    if text:
        found = words.get(normalize(text))
        if found is None:
            raise ValueError(f"unknown type {text!r} (clause or procédure; procedure in English)")
        return found
    for kind in COVERING_KINDS:
        if item_id.startswith(KIND_SPECS[kind].prefix):
            return kind
    raise ValueError(
        "no type, and the ID does not say it (clause or procédure; or an ID starting "
        f"{KIND_SPECS[Kind.CLAUSE].prefix} or {KIND_SPECS[Kind.PROCEDURE].prefix})"
    )


def _status(cell: Any, inactive: Sequence[str]) -> str:
    """The status a register's cell says, written as the register writes it (``brouillon``
    stays ``brouillon``): a word of the statuses' vocabulary (:data:`~.kinds.STATUS_WORDS`)
    for a clause or procedure, or of the project's ``crmrisk_inactive_statuses``."""
    text = one_line_text(cell)
    if status_key(text) in {status_key(word) for word in inactive}:
        return text
    if canonical_status(text) not in KIND_STATUSES[Kind.CLAUSE]:
        accepted = ", ".join(accepted_statuses(Kind.CLAUSE, inactive))
        raise ValueError(f"status {text!r} is not a status of a clause or procedure ({accepted})")
    return text


def check_rows(
    register: Register,
    project_ids: Iterable[str] = (),
    obligation_ids: Iterable[str] | None = None,
    names: Names | None = None,
    inactive_statuses: Sequence[str] = DEFAULT_INACTIVE_STATUSES,
) -> Checked:
    """Every row as an item, or the reasons it is bad (one line per bad row, naming the
    file, the sheet and the row): an unknown type, a missing ID or title, a malformed
    ID or covers list, an impossible date, an ID already in the project or twice in the
    register, a value in a column its kind does not have, an unknown status."""
    names = names or DEFAULT_NAMES
    taken = set(project_ids)
    obligations = None if obligation_ids is None else set(obligation_ids)
    seen: dict[str, int] = {}
    items: list[RegisterItem] = []
    bad: list[str] = []
    unknown: list[tuple[int, str]] = []
    for number, cells in register.records():
        reasons: list[str] = []
        item_id = one_line_text(cells.get("id"))
        title = one_line_text(cells.get("title"))
        if not item_id:
            reasons.append("no ID")
        elif not _ID.match(item_id):
            reasons.append(
                f"ID {item_id!r} is not an ID (upper-case letters, digits, '-' and '_', 3 or more)"
            )
        elif item_id in taken:
            reasons.append(f"ID {item_id} is already in the project")
        elif item_id in seen:
            reasons.append(f"ID {item_id} is also on row {seen[item_id]}")
        else:
            seen[item_id] = number
        if not title:
            reasons.append("no title")
        kind: Kind | None = None
        try:
            kind = _kind_of(cells.get("type"), item_id, names)
        except ValueError as err:
            reasons.append(str(err))
        options: dict[str, str] = {}
        for name, column in REGISTER_COLUMNS.items():
            if column.option is None or name not in cells:
                continue
            heading = column.synonyms[0]
            if kind is not None and kind not in column.kinds:
                reasons.append(
                    f"{heading!r} is not a field of a {names.type(kind)} "
                    f"(only of {', '.join(names.type(k) for k in sorted(column.kinds))})"
                )
                continue
            try:
                value = (
                    _status(cells[name], inactive_statuses)
                    if name == "status"
                    else column.read(cells[name])
                )
            except ValueError as err:
                reasons.append(f"{heading}: {err}")
                continue
            if value:
                options[name] = value
        for what, text in (("title", title), *((n, v) for n, v in options.items())):
            if _DYNAMIC_FUNCTION.search(text):
                reasons.append(
                    f"the {what} holds '[[', which sphinx-needs would run as a dynamic "
                    "function (write it otherwise, e.g. '[ [')"
                )
        if reasons:
            bad.append(f"{register.where}, row {number}: {'; '.join(reasons)}")
            continue
        assert kind is not None
        if obligations is not None:
            unknown.extend(
                (number, target)
                for target in options.get("covers", "").split(", ")
                if target and target not in obligations
            )
        items.append(
            RegisterItem(kind, item_id, title, options, cell_text(cells.get("content")), number)
        )
    return Checked(tuple(items), tuple(bad), tuple(unknown))


# -- writing MyST ---------------------------------------------------------------------------

#: Marked up anywhere in a line of Markdown or MyST: escaped wherever they stand.
_INLINE = re.compile(r"([\\`*_\[\]{}<>|~$&])")
#: Marked up at the start of a line (a heading, a quote, a list, a MyST comment, target,
#: field list or block break, a setext underline): the first one is escaped.
_LINE_START = re.compile(r"^([#>+=:%(-])")
_ORDERED = re.compile(r"^(\d+)([.)])")


def escape_line(text: str) -> str:
    """One line of text as Markdown that shows it as it is: every markup character
    backslash-escaped (CommonMark's escape of ASCII punctuation), control characters as
    escapes (:func:`~.text.one_line`)."""
    text = _INLINE.sub(r"\\\1", one_line(text.strip()))
    text = _LINE_START.sub(r"\\\1", text)
    return _ORDERED.sub(r"\1\\\2", text)


def escape_text(text: str) -> str:
    """A text as Markdown paragraphs that show it as it is: each line escaped, its line
    breaks kept (a hard break), blank lines between paragraphs kept."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    out = []
    for paragraph in paragraphs:
        lines = [escape_line(line) for line in paragraph.split("\n") if line.strip()]
        if lines:
            out.append("\\\n".join(lines))
    return "\n\n".join(out)


_PLAIN_OPTION = re.compile(r"^[\w][\w .,'’/()-]*$")


def option_value(text: str) -> str:
    """An option value as MyST reads it back as it is: plain words as they are, anything
    else in double quotes (MyST reads directive options as YAML)."""
    if _PLAIN_OPTION.match(text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


def directive(item: RegisterItem, names: Names) -> str:
    """The item as a MyST directive, its options under the project's names."""
    # a backtick fence cannot have a backtick in its first line; a tilde fence can
    fence = "~~~" if "`" in item.title else "```"
    lines = [f"{fence}{{{names.type(item.kind)}}} {item.title}", f":id: {item.id}"]
    order = ["status", *KIND_SPECS[item.kind].fields, "covers"]
    for name in order:
        value = item.options.get(name)
        if value:
            key = {**names.fields, **names.links}.get(name, name)
            lines.append(f":{key}: {option_value(value)}")
    body = escape_text(item.content)
    if body:
        lines += ["", body]
    lines.append(fence)
    return "\n".join(lines)


@dataclass(frozen=True)
class Page:
    """A page to write: its file name in the project and its text."""

    name: str
    text: str
    items: tuple[RegisterItem, ...] = field(default=())


#: The title and introduction of the page of each kind, in the project's language.
PAGE_TITLES: Mapping[Kind, str] = {
    Kind.CLAUSE: N_("Clauses of the register {name}"),
    Kind.PROCEDURE: N_("Procedures of the register {name}"),
}
PAGE_INTRO = N_(
    "Imported by crmrisk import from {source}. From now on they are kept here: edit "
    "this page, not the spreadsheet."
)
SHEET_OF = N_("{file} (sheet {sheet})")


def myst_page(
    kind: Kind,
    items: Sequence[RegisterItem],
    register: Register,
    names: Names,
    gettext: Callable[[str], str],
) -> str:
    """The MyST page of ``items`` (all of ``kind``), titled after the register."""
    name = register.path.stem
    source = (
        register.path.name
        if register.sheet_name is None
        else gettext(SHEET_OF).format(file=register.path.name, sheet=register.sheet_name)
    )
    parts = [
        "# " + escape_line(gettext(PAGE_TITLES[kind]).format(name=name)),
        escape_line(gettext(PAGE_INTRO).format(source=source)),
        *(directive(item, names) for item in items),
    ]
    return "\n\n".join(parts) + "\n"
