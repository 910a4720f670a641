"""traceability.csv / .xlsx / .json, written by the HTML build and read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from sphinx_builds import cut_cell_warning

from sphinx_crmrisk import exports
from sphinx_crmrisk.cli import main as crmrisk
from sphinx_crmrisk.exports import SCHEMA_FILE, XLSX_COLUMNS, ExportSettings, neutralise, xlsx_bytes

SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'
ENGLISH_HEADINGS = (
    "ID",
    "Title",
    "State",
    "Phases",
    "Legal basis",
    "Effective",
    "Until",
    "Status",
    "Covered by",
    "Proof",
    "Proven by",
    "Not counted",
    "Suspect covers",
    "Out of scope: lacks",
    "File",
    "Line",
)
FRENCH_HEADINGS = (
    "Identifiant",
    "Intitulé",
    "État",
    "Phases",
    "Base légale",
    "En vigueur le",
    "Jusqu'au",
    "Statut",
    "Couverte par",
    "Preuve",
    "Prouvée par",
    "Non comptées",
    "Couvertures à revoir",
    "Hors périmètre\u202f: manque",
    "Fichier",
    "Ligne",
)


def read_json(app) -> dict:
    return json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text", ["=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\t=1", "\r=1", FORMULA_TITLE]
)
def test_formula_like_text_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Art. L223-1", "a=b", "", "<script>", 42, None])
def test_other_values_are_kept(value):
    assert neutralise(value) == value


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_json_export_follows_its_schema_and_the_model(app):
    app.build()
    document = read_json(app)
    jsonschema.validate(document, SCHEMA)
    assert document["schema"] == "sphinx-crmrisk/traceability"
    assert document["version"] == 2
    assert document["reference_date"] == "2026-06-01"
    states = {o["id"]: o["state"] for o in document["obligations"]}
    assert states == {
        "OBL-COVERED": "covered",
        "OBL-DRAFTED": "uncovered",
        "OBL-FORMULA": "covered",
        "OBL-GAMMA": "covered",
        "OBL-JUSTIFIED": "justified",
        "OBL-LAPSED": "lapsed",
        "OBL-SCRIPT": "covered",
        "OBL-UNCOVERED": "uncovered",
        "OBL-UPCOMING": "upcoming",
    }
    drafted = next(o for o in document["obligations"] if o["id"] == "OBL-DRAFTED")
    assert drafted["not_counted"] == [
        {
            "id": "CLA-DRAFT",
            "reason": "is draft",
            "code": "inactive",
            "status": "draft",
            "type": "clause",
        }
    ]
    assert (drafted["file"], drafted["line"]) == ("obligations.md", 39)
    # JSON keeps source text as it is: only spreadsheets run formulas
    formula = next(o for o in document["obligations"] if o["id"] == "OBL-FORMULA")
    assert formula["title"] == FORMULA_TITLE
    overall = document["summary"][-1]
    assert overall["phase"] is None
    assert (overall["obligations"], overall["uncovered"], overall["percent"]) == (9, 2, 71.4)


def test_schema_rejects_a_document_that_breaks_it():
    document = {
        "schema": "sphinx-crmrisk/traceability",
        "version": 2,
        "reference_date": "2026-06-01",
        "obligations": [{"id": "OBL-X", "state": "half-covered"}],
        "summary": [],
        "evidence": [],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_csv_export_reads_back_with_formulas_neutralised(app):
    app.build()
    with (Path(app.outdir) / "traceability.csv").open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = {row["ID"]: row for row in reader}
    # an English build: English headings, comma-separated
    assert reader.fieldnames == list(ENGLISH_HEADINGS)
    assert len(rows) == 9
    assert rows["OBL-COVERED"]["Covered by"] == "CLA-PRESTA; PROC-AUDIT"
    assert rows["OBL-UNCOVERED"]["Phases"] == "PH-ALPHA; PH-BETA"
    assert rows["OBL-DRAFTED"]["Not counted"] == "CLA-DRAFT (is draft)"
    assert rows["OBL-DRAFTED"]["State"] == "uncovered"
    assert rows["OBL-FORMULA"]["Title"] == "'" + FORMULA_TITLE
    assert rows["OBL-FORMULA"]["Legal basis"] == "'+33 cmd"
    assert rows["OBL-SCRIPT"]["Title"] == '<script>alert("x")</script> in a title'
    assert rows["OBL-LAPSED"]["Until"] == "2025-01-01"


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_xlsx_export_has_a_summary_one_sheet_per_phase_and_the_reviews(app):
    app.build()
    workbook = openpyxl.load_workbook(Path(app.outdir) / "traceability.xlsx")
    assert workbook.sheetnames == [
        "Summary",
        "PH-ALPHA",
        "PH-BETA",
        "PH-GAMMA",
        "Reviews",
        "Items",
    ]
    # the clauses and procedures, drafts too, as a register crmrisk import reads back
    items = list(workbook["Items"].iter_rows(values_only=True))
    assert items[0] == (
        "Type",
        "ID",
        "Title",
        "Covers",
        "Party",
        "Owner",
        "Last reviewed",
        "Frequency",
        "Status",
    )
    assert items[1:] == [
        (
            "Clause",
            "CLA-DRAFT",
            "Draft clause",
            "OBL-DRAFTED",
            "prestataire",
            None,
            None,
            None,
            "draft",
        ),
        (
            "Clause",
            "CLA-EDITEUR",
            "Publisher clause",
            "OBL-UPCOMING",
            "éditeur",
            None,
            None,
            None,
            None,
        ),
        (
            "Clause",
            "CLA-PRESTA",
            "Provider clause",
            "OBL-COVERED, OBL-GAMMA, OBL-SCRIPT",
            "prestataire, intégrateur",
            None,
            None,
            None,
            None,
        ),
        (
            "Procedure",
            "PROC-AUDIT",
            "Audit procedure",
            "OBL-COVERED, OBL-FORMULA",
            None,
            "DPO",
            None,
            None,
            None,
        ),
    ]
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert summary[0][:3] == ("Phase", "Title", "Obligations")
    assert summary[-1][:3] == (None, "All phases", 9)
    beta = list(workbook["PH-BETA"].iter_rows(values_only=True))
    assert [row[0] for row in beta[1:]] == [
        "OBL-DRAFTED",
        "OBL-FORMULA",
        "OBL-JUSTIFIED",
        "OBL-UNCOVERED",
        "OBL-UPCOMING",
    ]
    assert workbook["PH-BETA"]["A1"].font.bold and workbook["PH-BETA"].freeze_panes == "A2"
    # the ID, then the state: the two columns repeated on every printed page
    assert [c.value for c in workbook["PH-BETA"][1]][:3] == ["ID", "State", "Title"]
    title_cell = workbook["PH-BETA"]["C3"]
    assert title_cell.value == "'" + FORMULA_TITLE
    assert title_cell.data_type == "s"  # text, never a formula


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_the_same_data_gives_the_same_xlsx_bytes(app):
    # an auditor compares two exports by checksum: nothing in the file comes from the clock
    app.build()
    built = (Path(app.outdir) / "traceability.xlsx").read_bytes()
    # the build's settings: its language, and its project heading the printed pages
    assert xlsx_bytes(read_json(app), ExportSettings(organization="matrix")) == built
    assert xlsx_bytes(read_json(app)) != built
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert (
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{read_json(app)["reference_date"]}T00:00:00Z'
        in core
    )


def test_exports_can_be_turned_off(make_app, copy_root):
    # a private copy: the shared test root's output folder keeps other tests' files
    app = make_app("html", srcdir=copy_root("matrix"), confoverrides={"crmrisk_exports": False})
    app.build()
    assert not list(Path(app.outdir).glob("traceability.*"))
    assert (Path(app.outdir) / "needs.json").is_file()


def test_non_html_builders_write_no_exports(make_app, copy_root):
    app = make_app("text", srcdir=copy_root("matrix"))
    app.build()
    assert (Path(app.outdir) / "matrix-all.txt").is_file()
    assert not list(Path(app.outdir).glob("traceability.*"))


def test_a_write_failure_is_a_warning_not_a_traceback(make_app, copy_root):
    app = make_app("html", srcdir=copy_root("matrix"))
    (Path(app.outdir) / "traceability.csv").mkdir(parents=True)
    app.build()
    warnings = app.warning.getvalue()
    assert "traceability.csv" in warnings and "[crmrisk.export]" in warnings
    assert "Traceback" not in warnings
    assert (Path(app.outdir) / "traceability.json").is_file()


# a member added to a workbook's zip archive: a build that writes the workbook again drops
# it, one that leaves the file alone keeps it (what happened is read from the file's
# content, not from its mtime)
MARKER = "left-by-the-test.txt"


def mark(workbook: Path) -> None:
    with zipfile.ZipFile(workbook, "a") as archive:
        archive.writestr(MARKER, "this workbook was not written again")


def is_marked(workbook: Path) -> bool:
    with zipfile.ZipFile(workbook) as archive:
        return MARKER in archive.namelist()


def test_a_rebuild_that_changes_nothing_traced_leaves_the_exports_alone(make_app, copy_root):
    src = copy_root("matrix")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()
    files = {
        name: Path(first.outdir) / name
        for name in ("traceability.csv", "traceability.xlsx", "traceability.json")
    }
    # the three files are written together or not at all (outputs.write_build_exports):
    # the workbook carries the marker; the JSON and the CSV cannot, as the build compares
    # their bytes with what it would write and a marked one would be written again
    mark(files["traceability.xlsx"])
    written = {name: path.read_bytes() for name, path in files.items()}

    # a page edit that changes no traced data: the exports are not written again
    index = src / "index.md"
    index.write_text(index.read_text() + "\nUne phrase de plus.\n")
    again = make_app("html", srcdir=src)
    again.build()
    again.cleanup()
    assert is_marked(files["traceability.xlsx"])
    assert {name: path.read_bytes() for name, path in files.items()} == written

    # a lost export is written again, even when nothing else changed
    files["traceability.xlsx"].unlink()
    third = make_app("html", srcdir=src)
    third.build()
    assert files["traceability.xlsx"].is_file()


@pytest.fixture
def french_build(make_app, copy_root):
    """The matrix root built in French, the law's date set apart from the reference date."""
    app = make_app(
        "html",
        srcdir=copy_root("matrix"),
        confoverrides={"language": "fr", "crmrisk_law_date": "2026-05-15"},
    )
    app.build()
    return app


def test_a_french_build_writes_a_french_semicolon_csv(french_build):
    data = (Path(french_build.outdir) / "traceability.csv").read_bytes()
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM, for Excel
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    rows = {row["Identifiant"]: row for row in reader}
    assert reader.fieldnames == list(FRENCH_HEADINGS)
    assert rows["OBL-COVERED"]["État"] == "couverte"
    assert rows["OBL-UPCOMING"]["État"] == "à venir"
    assert rows["OBL-DRAFTED"]["État"] == "non couverte"
    assert rows["OBL-COVERED"]["Couverte par"] == "CLA-PRESTA; PROC-AUDIT"


def test_a_french_build_keeps_the_json_keys_and_state_codes(french_build):
    document = read_json(french_build)
    jsonschema.validate(document, SCHEMA)
    assert {o["state"] for o in document["obligations"]} == {
        "covered",
        "justified",
        "lapsed",
        "uncovered",
        "upcoming",
    }
    assert set(document["obligations"][0]) >= {"id", "title", "state", "covered_by"}


def column_width(sheet, letter: str) -> float:
    """A column's width, also when the file gives it for a range of columns of equal
    width and format (``<col min="10" max="11">``: openpyxl keys it by its first)."""
    index = openpyxl.utils.column_index_from_string(letter)
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= index <= dimension.max:
            return dimension.width
    raise AssertionError(f"no width for column {letter}")


def test_the_french_workbook_is_readable_and_filterable(french_build):
    workbook = openpyxl.load_workbook(Path(french_build.outdir) / "traceability.xlsx")
    assert workbook.sheetnames == [
        "Synthèse",
        "PH-ALPHA",
        "PH-BETA",
        "PH-GAMMA",
        "Revues",
        "Éléments",
    ]
    # the French headings, which crmrisk import reads back
    assert [c.value for c in workbook["Éléments"][1]] == [
        "Type",
        "Identifiant",
        "Intitulé",
        "Obligations couvertes",
        "Partie(s)",
        "Responsable",
        "Dernière revue",
        "Fréquence",
        "Statut",
    ]
    assert workbook["Éléments"]["A5"].value == "Procédure"
    # every word of a French workbook is French: the reviews' types too (issue 24)
    reviews = workbook["Revues"]
    headings = [c.value for c in reviews[1]]
    types = {row[headings.index("Type")] for row in reviews.iter_rows(min_row=2, values_only=True)}
    assert types and types <= {"Clause", "Procédure"}
    beta_rows = list(workbook["PH-BETA"].iter_rows(values_only=True))
    column = XLSX_COLUMNS.index("not_counted")
    not_counted = [row[column] for row in beta_rows[1:] if row[column]]
    assert not_counted == ["CLA-DRAFT (brouillon)"]
    summary = workbook["Synthèse"]
    assert [c.value for c in summary[1]] == [
        "Phase",
        "Intitulé",
        "Obligations",
        "Couvertes",
        "À venir",
        "Justifiées",
        "Caduques",
        "Hors périmètre",
        "Non couvertes",
        "À couvrir",
        "Couverture (%)",
        "Prouvées",
        "Preuve invalide",
        "Sans preuve",
    ]
    assert [c.value for c in summary[summary.max_row]][:3] == [None, "Toutes les phases", 9]
    for sheet in workbook.worksheets:
        # every data sheet: a filter on its headings, the heading row frozen
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.freeze_panes == "A2"
    beta = workbook["PH-BETA"]
    # the CSV's columns, the state moved next to the ID, those not printed last
    by_key = dict(zip(exports.COLUMNS, FRENCH_HEADINGS, strict=True))
    headings = tuple(by_key[key] for key in XLSX_COLUMNS)
    assert headings[:3] == FRENCH_HEADINGS[:1] + FRENCH_HEADINGS[2:3] + FRENCH_HEADINGS[1:2]
    assert tuple(c.value for c in beta[1]) == headings
    assert {c.value for c in beta["B"][1:]} >= {"non couverte", "à venir", "justifiée"}
    line = openpyxl.utils.get_column_letter(XLSX_COLUMNS.index("line") + 1)
    widths = {letter: column_width(beta, letter) for letter in ("A", "C", line)}
    # the IDs fit (OBL-UNCOVERED: 13 characters), the titles are wide, the line narrow
    assert widths["A"] >= len("OBL-UNCOVERED") and widths["C"] > widths[line]
    # every heading's words show whole (a heading wraps between them)
    for cell in beta[1]:
        longest = max(len(word) for word in cell.value.split())
        assert column_width(beta, cell.column_letter) >= longest
    # on paper: landscape, as wide as the page, headings and the ID and state columns
    # repeated, the file and line left out
    assert beta.page_setup.orientation == "landscape" and beta.print_title_rows == "$1:$1"
    assert beta.print_title_cols == "$A:$B"
    # fitted to one page wide (1, the default, is not written), as many pages high
    assert beta.sheet_properties.pageSetUpPr.fitToPage
    assert (beta.page_setup.fitToWidth or 1) == 1 and beta.page_setup.fitToHeight == 0
    # the columns not printed (the evidence IDs, file and line) come last, out of the area
    assert XLSX_COLUMNS[-3:] == ("proven_by", "file", "line")
    last_printed = openpyxl.utils.get_column_letter(XLSX_COLUMNS.index("proven_by"))
    assert str(beta.print_area).endswith(f"$A$1:${last_printed}$6")
    # every page headed by the sheet, the organization and the date, numbered at its foot
    header = beta.oddHeader
    assert "PH-BETA" in header.left.text and header.center.text == "matrix"
    assert header.right.text == "Date de référence\u202f: 1er juin 2026"
    assert beta.oddFooter.center.text == "Page &P sur &N"
    # dates are date cells, and every cell is aligned at the top of its row
    upcoming = next(row for row in beta.iter_rows(min_row=2) if row[0].value == "OBL-UPCOMING")
    assert (
        upcoming[5].value == dt.datetime(2027, 1, 1) and upcoming[5].number_format == "yyyy-mm-dd"
    )
    assert all(
        c.alignment.vertical == "top"
        for row in beta.iter_rows(min_row=2)
        for c in row
        if c.value is not None
    )
    properties = workbook.properties
    assert properties.title == "Matrice de traçabilité"
    assert "2026-06-01" in properties.keywords and "2026-05-15" in properties.keywords
    custom = {p.name: p.value for p in workbook.custom_doc_props.props}
    assert custom == {
        "Date de référence": "2026-06-01",
        "État du droit au": "2026-05-15",
        "Generator": "sphinx-crmrisk, workbook format 5",
    }


def test_the_command_writes_the_bytes_the_french_build_wrote(french_build, tmp_path):
    outdir = Path(french_build.outdir)
    for kind in ("csv", "xlsx", "json"):
        target = tmp_path / f"matrix.{kind}"
        assert crmrisk(["matrix", str(outdir), "--format", kind, "--output", str(target)]) == 0
        assert target.read_bytes() == (outdir / f"traceability.{kind}").read_bytes(), kind
    # --language overrides the recorded one
    english = tmp_path / "english.csv"
    crmrisk(
        ["matrix", str(outdir), "--format", "csv", "--language", "en", "--output", str(english)]
    )
    assert english.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(ENGLISH_HEADINGS)


def test_the_csv_separator_is_configurable(make_app, copy_root):
    app = make_app(
        "html",
        srcdir=copy_root("matrix"),
        confoverrides={"language": "fr", "crmrisk_csv_delimiter": ","},
    )
    app.build()
    first = (Path(app.outdir) / "traceability.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == ",".join(FRENCH_HEADINGS)


def test_a_change_of_language_alone_rewrites_the_exports(make_app, copy_root):
    src = copy_root("matrix")
    english = make_app("html", srcdir=src)
    english.build()
    english.cleanup()
    french = make_app("html", srcdir=src, confoverrides={"language": "fr"})
    french.build()
    heading = (Path(french.outdir) / "traceability.csv").read_text(encoding="utf-8-sig")
    assert heading.startswith("Identifiant;")


def test_a_long_text_wraps_in_a_row_tall_enough_for_it():
    obligation = {
        "id": "OBL-LONG",
        "title": "Un intitulé très long " * 8,
        "state": "covered",
        "phases": ["PH-A"],
        "legal_basis": "Art. 1",
        "effective": "",
        "until": "",
        "status": "",
        "covered_by": ["CLA-A"],
        "proof": "unproven",
        "proven_by": [],
        "not_counted": [],
        "suspect_covers": [],
        "out_of_scope_by": [],
        "file": "a.md",
        "line": 3,
    }
    document = {
        "schema": "sphinx-crmrisk/traceability",
        "version": 2,
        "reference_date": "2026-06-01",
        "obligations": [obligation],
        "summary": [
            {
                "phase": "PH-A",
                "title": "A",
                "obligations": 1,
                "covered": 1,
                "upcoming": 0,
                "justified": 0,
                "lapsed": 0,
                "out_of_scope": 0,
                "uncovered": 0,
                "in_force": 1,
                "percent": 100.0,
                "proven": 0,
                "proof_invalid": 0,
                "unproven": 1,
            }
        ],
        "evidence": [],
    }
    jsonschema.validate(document, SCHEMA)
    data = xlsx_bytes(document, ExportSettings(language="fr"))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["PH-A"]
    title = sheet["C2"]
    assert title.alignment.wrap_text and title.alignment.vertical == "top"
    assert sheet.column_dimensions["C"].width < 41  # the widest a column gets (and padding)
    # 176 characters, words of Arial 10 laid out in that column: four lines of 12.75
    # points; spreadsheets do not grow a row to its wrapped text when they open a file,
    # so the height is written
    assert sheet.row_dimensions[2].height == 4 * 12.75
    assert sheet["B2"].value == "couverte"


def test_a_workbook_of_an_older_format_is_written_again(make_app, copy_root, monkeypatch):
    # the data did not change, the extension did: the workbook must not stay in its old layout
    src = copy_root("matrix")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()
    xlsx = Path(first.outdir) / "traceability.xlsx"
    mark(xlsx)
    monkeypatch.setattr(exports, "_GENERATOR", "sphinx-crmrisk, workbook format 99")
    again = make_app("html", srcdir=src)
    again.build()
    assert not is_marked(xlsx)
    with zipfile.ZipFile(xlsx) as archive:
        assert "workbook format 99" in archive.read("docProps/custom.xml").decode("utf-8")


def test_a_cell_cut_to_excels_limit_is_noted_and_warned_of_on_every_build(make_app, copy_root):
    src = copy_root("matrix")
    long_basis, warning = cut_cell_warning(src)
    for build in range(2):  # the second changes nothing: the export is not written again
        app = make_app("html", srcdir=src)
        app.build()
        app.cleanup()
        assert warning in app.warning.getvalue(), build
    book = openpyxl.load_workbook(Path(app.outdir) / "traceability.xlsx")
    cells = [
        c
        for s in book.worksheets
        for r in s.iter_rows()
        for c in r
        if c.value and c.value.__class__ is str and c.value.startswith("Art. x")
    ]
    assert cells and all(len(c.value) == 32_767 and "Cut" in c.comment.text for c in cells)
    # the whole text stays in the JSON export
    assert read_json(app)["obligations"][0]["legal_basis"] == long_basis


def test_any_phase_id_gives_a_sheet_name_excel_accepts():
    # found by the hostile-input test: a control character in a phase ID made the
    # workbook's XML invalid; a quote at an end, "History" or 31 emoji made XlsxWriter raise
    from sphinx_crmrisk.exports import _sheet_name

    titles = ["\x19", "'x'", "History", "\U0001f600" * 20, "a[b]:c", "", "'", "x" * 40, "x" * 40]
    taken: set[str] = set()
    names = [_sheet_name(title, taken) for title in titles]
    assert names[:3] == ["_", "_x_", "History (2)"]
    assert len({n.casefold() for n in names}) == len(names)
    stream = io.BytesIO()
    import xlsxwriter

    workbook = xlsxwriter.Workbook(stream)
    for name in names:
        workbook.add_worksheet(name)
    workbook.close()
    assert openpyxl.load_workbook(io.BytesIO(stream.getvalue())).sheetnames == names


def test_printed_columns_share_a_width_that_keeps_7_point_text():
    # a sheet of long texts in every column: fitted to the width of an A4 landscape page,
    # the printed columns (not the file and the line) must stay within the width that
    # LibreOffice prints at 7.3 points at least (docs/explanation/audit-pack.md)
    from sphinx_crmrisk.exports import _PRINT_WIDTH, COLUMNS, XLSX_COLUMNS

    long = "un texte assez long pour remplir sa colonne " * 3
    record = dict.fromkeys(COLUMNS, long)
    # every text long, but the ID: an ID column keeps its width (an ID is never cut), and
    # a real one is short
    record.update(id="OBL-RGPD-28-3", line=3, phases=["PH-A"], covered_by=[long])
    record.update(out_of_scope_by=[long])
    record.update(not_counted=[{"id": long, "reason": long}], suspect_covers=[], proven_by=[long])
    document = {
        "reference_date": "2026-06-01",
        "obligations": [record],
        "summary": [
            {
                "phase": "PH-A",
                "title": "A",
                **dict.fromkeys(
                    (
                        "obligations",
                        "covered",
                        "upcoming",
                        "justified",
                        "lapsed",
                        "out_of_scope",
                        "uncovered",
                        "in_force",
                        "proven",
                        "proof_invalid",
                        "unproven",
                    ),
                    1,
                ),
                "percent": 100.0,
            }
        ],
    }
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(document)))["PH-A"]
    printed = [c for c, key in enumerate(XLSX_COLUMNS) if key not in ("proven_by", "file", "line")]
    letters = [openpyxl.utils.get_column_letter(c + 1) for c in printed]
    # openpyxl reads the width XlsxWriter stores: the characters and 5/7 of padding
    total = sum(sheet.column_dimensions[letter].width - 5 / 7 for letter in letters)
    assert total <= _PRINT_WIDTH + 0.01
    # the default font, whose digits the widths count, is the one this was measured with
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(document)))
    assert (workbook._fonts[0].name, workbook._fonts[0].sz) == ("Arial", 10)
    # narrowed, each column still shows its heading's longest word
    for letter in letters:
        heading = sheet[f"{letter}1"].value
        assert sheet.column_dimensions[letter].width >= max(map(len, heading.split())), heading
