"""traceability.csv / .xlsx / .json, written by the HTML build and read back."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from sphinx_crmrisk.exports import SCHEMA_FILE, neutralise, xlsx_bytes

SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'


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
    assert document["version"] == 1
    assert document["reference_date"] == "2026-06-01"
    states = {o["id"]: o["state"] for o in document["obligations"]}
    assert states == {
        "OBL-COVERED": "covered", "OBL-DRAFTED": "uncovered", "OBL-FORMULA": "covered",
        "OBL-GAMMA": "covered", "OBL-JUSTIFIED": "justified", "OBL-LAPSED": "lapsed",
        "OBL-SCRIPT": "covered", "OBL-UNCOVERED": "uncovered", "OBL-UPCOMING": "upcoming",
    }
    drafted = next(o for o in document["obligations"] if o["id"] == "OBL-DRAFTED")
    assert drafted["not_counted"] == [{"id": "CLA-DRAFT", "reason": "is draft"}]
    assert (drafted["file"], drafted["line"]) == ("obligations.md", 39)
    # JSON keeps source text as it is: only spreadsheets run formulas
    formula = next(o for o in document["obligations"] if o["id"] == "OBL-FORMULA")
    assert formula["title"] == FORMULA_TITLE
    overall = document["summary"][-1]
    assert overall["phase"] is None
    assert (overall["obligations"], overall["uncovered"], overall["percent"]) == (9, 2, 71.4)


def test_schema_rejects_a_document_that_breaks_it():
    document = {
        "schema": "sphinx-crmrisk/traceability", "version": 1, "reference_date": "2026-06-01",
        "obligations": [{"id": "OBL-X", "state": "half-covered"}], "summary": [],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_csv_export_reads_back_with_formulas_neutralised(app):
    app.build()
    with (Path(app.outdir) / "traceability.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    assert len(rows) == 9
    assert rows["OBL-COVERED"]["covered_by"] == "CLA-PRESTA; PROC-AUDIT"
    assert rows["OBL-UNCOVERED"]["phases"] == "PH-ALPHA; PH-BETA"
    assert rows["OBL-DRAFTED"]["not_counted"] == "CLA-DRAFT (is draft)"
    assert rows["OBL-FORMULA"]["title"] == "'" + FORMULA_TITLE
    assert rows["OBL-FORMULA"]["legal_basis"] == "'+33 cmd"
    assert rows["OBL-SCRIPT"]["title"] == '<script>alert("x")</script> in a title'
    assert rows["OBL-LAPSED"]["until"] == "2025-01-01"


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_xlsx_export_has_a_summary_and_one_sheet_per_phase(app):
    app.build()
    workbook = openpyxl.load_workbook(Path(app.outdir) / "traceability.xlsx")
    assert workbook.sheetnames == ["Summary", "PH-ALPHA", "PH-BETA", "PH-GAMMA"]
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert summary[0][:3] == ("phase", "title", "obligations")
    assert summary[-1][:3] == (None, "All phases", 9)
    beta = list(workbook["PH-BETA"].iter_rows(values_only=True))
    assert [row[0] for row in beta[1:]] == [
        "OBL-DRAFTED", "OBL-FORMULA", "OBL-JUSTIFIED", "OBL-UNCOVERED", "OBL-UPCOMING",
    ]
    assert workbook["PH-BETA"]["A1"].font.bold and workbook["PH-BETA"].freeze_panes == "A2"
    title_cell = workbook["PH-BETA"]["B3"]
    assert title_cell.value == "'" + FORMULA_TITLE
    assert title_cell.data_type == "s"  # text, never a formula


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_the_same_data_gives_the_same_xlsx_bytes(app):
    # an auditor compares two exports by checksum: nothing in the file comes from the clock
    app.build()
    built = (Path(app.outdir) / "traceability.xlsx").read_bytes()
    assert xlsx_bytes(read_json(app)) == built
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{read_json(app)['reference_date']}T00:00:00Z" in core


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


def test_a_rebuild_that_changes_nothing_traced_leaves_the_exports_alone(make_app, copy_root):
    src = copy_root("matrix")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()
    files = {name: Path(first.outdir) / name for name in ("traceability.csv", "traceability.xlsx", "traceability.json")}
    written = {name: path.stat().st_mtime_ns for name, path in files.items()}

    # a page edit that changes no traced data: the exports are not written again
    index = src / "index.md"
    index.write_text(index.read_text() + "\nUne phrase de plus.\n")
    again = make_app("html", srcdir=src)
    again.build()
    again.cleanup()
    assert {name: path.stat().st_mtime_ns for name, path in files.items()} == written

    # a lost export is written again, even when nothing else changed
    files["traceability.xlsx"].unlink()
    third = make_app("html", srcdir=src)
    third.build()
    assert files["traceability.xlsx"].is_file()


def test_a_cell_cut_to_excels_limit_is_noted_and_warned_of_on_every_build(make_app, copy_root):
    src = copy_root("matrix")
    obligations = src / "obligations.md"
    long_basis = "Art. " + "x" * 40_000
    obligations.write_text(
        obligations.read_text().replace(":legal_basis: Art. 1\n", f":legal_basis: {long_basis}\n", 1)
    )
    for build in range(2):  # the second changes nothing: the export is not written again
        app = make_app("html", srcdir=src)
        app.build()
        app.cleanup()
        warnings = app.warning.getvalue()
        assert (
            f"obligations.md:3: WARNING: traceability.xlsx: OBL-COVERED legal_basis: "
            f"{len(long_basis):,} characters cut to the 32,767 of a cell [crmrisk.export]"
        ) in warnings, build
    book = openpyxl.load_workbook(Path(app.outdir) / "traceability.xlsx")
    cells = [c for s in book.worksheets for r in s.iter_rows() for c in r if c.value and c.value.__class__ is str and c.value.startswith("Art. x")]
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
