"""``crmrisk import``: a register as French teams keep it, into a ``crmrisk init`` starter.

The registers are written here, with XlsxWriter (as a spreadsheet saves them: a title
row, a blank row, the headings in any order, Excel dates) or as the bytes a French Excel
writes for « CSV (séparateur : point-virgule) »; no binary fixture. The starter is made
once (its needs build cached in its ``_build``) and copied for each test.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from sphinx_builds import build_once

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.loading import load_traceability
from sphinx_crmrisk.model import State
from sphinx_crmrisk.project_pages import toc_edit
from sphinx_crmrisk.register import (
    HEADINGS,
    REGISTER_COLUMNS,
    RegisterError,
    escape_text,
    normalize,
    read_register,
)

TODAY = "2026-12-05"
#: Three obligations of a canvassing organization that the starter lists as gaps.
GAPS = ("OBL-RGPD-28-3", "OBL-CONSO-L223-1", "OBL-RGPD-30")
#: As a French team heads its register: not our order, an extra column, a remark.
FRENCH_HEADINGS = [
    "Identifiant",
    "Intitulé",
    "Type",
    "Commentaire interne",
    "Obligations couvertes",
    "Responsable",
    "Dernière revue (JJ/MM/AAAA)",
    "Fréquence",
    "Partie",
    "Texte",
]
HOSTILE_TITLE = "Clause <script>alert(1)</script> `x` {{ y }} <<v>> $z$"
HOSTILE_TEXT = (
    "# pas un titre\n- pas une liste <b>gras</b> {need}`OBL-RGPD-30` $x$ *a*\n\n"
    "```{raw} html\n<script>alert(2)</script>\n```"
)
FRENCH_ROWS = [
    [
        "CLA-DPA-01",
        "Clause de sous-traitance des données",
        "Clause",
        "à relire",
        "OBL-RGPD-28-3",
        "DPO",
        dt.datetime(2026, 3, 15),
        None,
        "prestataire",
        "Le prestataire agit sur nos seules instructions écrites.\nIl nous aide à répondre.",
    ],
    [
        "PROC-OPPO-02",
        "Recueil du consentement avant tout appel",
        "procédure",
        None,
        "OBL-CONSO-L223-1",
        "Plateau",
        "15/03/2026",
        "quotidienne",
        None,
        None,
    ],
    [
        "PROC-REG-03",
        "Revue du registre des traitements",
        "Procedure",
        None,
        "OBL-RGPD-30; OBL-INCONNUE-1",
        "DPO",
        dt.datetime(2026, 6, 1),
        "annuelle",
        "-",
        None,
    ],
    ["CLA-ECHAP-04", HOSTILE_TITLE, "clause", None, None, "DPO", None, None, None, HOSTILE_TEXT],
]


def write_xlsx(
    path: Path,
    rows: list[list],
    headings: list[str] = FRENCH_HEADINGS,
    sheet: str = "Registre",
    title: str | None = "Registre des clauses et procédures — 2026",
) -> Path:
    """A workbook as a team keeps it: a merged title row, a blank row, then the table;
    dates as Excel dates shown JJ/MM/AAAA."""
    workbook = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    worksheet = workbook.add_worksheet(sheet)
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    first = 0
    if title is not None:
        worksheet.merge_range(0, 0, 0, len(headings) - 1, title)
        first = 2  # row 2 stays blank
    worksheet.write_row(first, 0, headings)
    for number, row in enumerate(rows, start=first + 1):
        for column, value in enumerate(row):
            if isinstance(value, dt.datetime):
                worksheet.write_datetime(number, column, value, date)
            elif value is not None:
                worksheet.write(number, column, value)
    workbook.add_worksheet("Notes").write(0, 0, "une autre feuille")
    workbook.close()
    return path


def csv_text(rows: list[list], headings: list[str] = FRENCH_HEADINGS) -> str:
    """As a French Excel saves « CSV (séparateur : point-virgule) »: a title line, a
    blank line, ``;`` between cells, dates as shown."""
    lines = ["Registre des clauses et procédures;;;", ";;;"]
    for row in [headings, *rows]:
        cells = []
        for value in row:
            if isinstance(value, dt.datetime):
                value = value.strftime("%d/%m/%Y")
            text = "" if value is None else str(value)
            if any(c in text for c in ';"\n'):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(";".join(cells))
    return "\r\n".join(lines) + "\r\n"


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of the project but its build folder (the needs cache lives there)."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and "_build" not in path.relative_to(project).parts
    }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """``crmrisk init --profile prospection``, dated, its needs build done once."""
    project = tmp_path_factory.mktemp("starter") / "acme"
    assert main(["init", str(project), "--profile", "prospection"]) == 0
    with (project / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"crmrisk_today = {TODAY!r}\n")
    load_traceability(project)  # caches its needs.json under _build
    return project


@pytest.fixture
def starter(pristine, tmp_path) -> Path:
    copy = tmp_path / "acme"
    shutil.copytree(pristine, copy)  # mtimes kept: the needs cache stays fresh
    return copy


def built_states(project: Path) -> dict[str, dict]:
    app = build_once(project)
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))
    return {o["id"]: o for o in trace["obligations"]}


def test_a_french_register_workbook_turns_the_starters_three_gaps_into_covered_obligations(
    starter, tmp_path, capsys
):
    before = {a.obligation.id: a.state for a in load_traceability(starter).assessments}
    assert [before[i] for i in GAPS] == [State.UNCOVERED] * 3
    register = write_xlsx(tmp_path / "Registre conformité 2026.xlsx", FRENCH_ROWS)
    assert main(["import", str(register), "--to", str(starter)]) == 0
    out, err = capsys.readouterr()
    # the extra column is ignored and named, with its letter
    assert "columns ignored (not register columns): Commentaire interne (D)" in err
    assert "2 clause(s), 2 procedure(s)" in out
    # a cover of an obligation the project lacks is written; the build will report it
    assert "OBL-INCONNUE-1 (row 6)" in out
    clauses = starter / "registre-conformite-2026-clauses.md"
    procedures = starter / "registre-conformite-2026-procedures.md"
    index = (starter / "index.md").read_text(encoding="utf-8")
    assert (
        "suivi\nregistre-conformite-2026-clauses\nregistre-conformite-2026-procedures\n```" in index
    )
    # an Excel date and a JJ/MM/AAAA text both become YYYY-MM-DD
    assert ":reviewed: 2026-03-15" in clauses.read_text(encoding="utf-8")
    assert ":reviewed: 2026-03-15" in procedures.read_text(encoding="utf-8")
    assert ":covers: OBL-RGPD-30, OBL-INCONNUE-1" in procedures.read_text(encoding="utf-8")

    states = built_states(starter)
    assert {i: states[i]["state"] for i in GAPS} == dict.fromkeys(GAPS, "covered")
    assert states["OBL-RGPD-28-3"]["covered_by"] == ["CLA-DPA-01"]
    assert states["OBL-CONSO-L223-1"]["covered_by"] == ["PROC-OPPO-02"]
    html = starter / "_build" / "html"
    page = BeautifulSoup(
        (html / "registre-conformite-2026-clauses.html").read_text(encoding="utf-8"),
        "html.parser",
    )
    # the article of the page (pydata-sphinx-theme's, the starter's theme; else Sphinx's)
    body = page.select_one("article.bd-article") or page.select_one("div.body") or page.body
    # every value stays text: no element comes from a cell, the text shows as typed
    assert not body.find("script") and not body.find("b") and not body.find("h2")
    text = " ".join(body.get_text(" ").split())
    assert "Clause <script>alert(1)</script> `x` {{ y }} <<v>> $z$" in text
    assert "# pas un titre" in text and "<b>gras</b>" in text and "{need}`OBL-RGPD-30`" in text
    assert "```{raw} html" in text
    heading = body.find("h1").get_text()
    assert heading.startswith("Clauses du registre «\u202fRegistre conformité 2026\u202f»")


def test_a_register_with_bad_rows_is_refused_whole_naming_each_row(starter, tmp_path, capsys):
    good = ["CLA-BON-01", "Une bonne clause", "clause", None, "OBL-RGPD-28-3"]
    rows = [
        good,  # row 4
        ["CLA-TYPE-02", "Type inconnu", "contrat"],  # row 5
        ["PROC-DATE-03", "Date impossible", "procédure", None, None, None, "31/02/2026"],  # 6
        [None, "Sans identifiant", "clause"],  # row 7
        ["CLA-SANS-05", None, "clause"],  # row 8
        ["CLA-EXEMPLE-01", "Déjà dans le projet", "clause"],  # row 9
        ["CLA-BON-01", "Deux fois", "clause"],  # row 10
        ["PROC-COUV-08", "Couverture", "procédure", None, "OBL-RGPD-30 / OBL-X (partiel)"],  # 11
        ["PROC-PART-09", "Partie", "procédure", None, None, None, None, None, "client"],  # 12
        ["CLA-DF-10", "Titre [[copy('id')]]", "clause", None, None, None, None, None, None],  # 13
        ["CLA-STAT-11", "Statut", "clause", *[None] * 7, "à voir"],  # row 14
    ]
    headings = [*FRENCH_HEADINGS, "Statut"]
    register = write_xlsx(tmp_path / "registre.xlsx", rows, headings)
    before = snapshot(starter)
    assert main(["import", str(register), "--to", str(starter)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = [line for line in err.splitlines() if "row " in line]
    where = f"crmrisk: error: {register}, sheet 'Registre', row"
    expected = {
        5: "unknown type 'contrat'",
        6: "Dernière revue: '31/02/2026' is not a possible date",
        7: "no ID",
        8: "no title",
        9: "ID CLA-EXEMPLE-01 is already in the project",
        10: "ID CLA-BON-01 is also on row 4",
        11: "Obligations couvertes: '/', '(partiel)' are not IDs",
        12: "'Partie' is not a field of a procedure",
        13: "the title holds '[[', which sphinx-needs would run as a dynamic function",
        14: "Statut: status 'à voir' is not a status of a clause or procedure (active, ",
    }
    assert len(lines) == len(expected)  # one line per bad row, none for the good one
    for line, (row, reason) in zip(lines, expected.items(), strict=True):
        assert line.startswith(f"{where} {row}: "), line
        assert reason in line, line
    assert err.splitlines()[-1].endswith(
        "10 bad row(s); the register is refused whole, nothing written"
    )
    assert snapshot(starter) == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_semicolon_csv_as_french_excel_saves_it_is_read_in_either_encoding(
    starter, tmp_path, capsys, encoding
):
    register = tmp_path / "registre.csv"
    register.write_bytes(csv_text(FRENCH_ROWS[:3]).encode(encoding))
    before = snapshot(starter)
    assert main(["import", str(register), "--to", str(starter), "--dry-run"]) == 0
    out, _err = capsys.readouterr()
    assert "```{clause} Clause de sous-traitance des données\n:id: CLA-DPA-01" in out
    assert "Le prestataire agit sur nos seules instructions écrites.\\\nIl nous aide" in out
    assert ":reviewed: 2026-03-15" in out and ":frequency: quotidienne" in out
    assert "would list registre-clauses, registre-procedures in" in out
    assert "dry run: 1 clause(s), 2 procedure(s)" in out
    # --dry-run writes nothing
    assert snapshot(starter) == before


def test_dry_run_writes_nothing_and_says_what_it_would(starter, tmp_path, capsys):
    register = write_xlsx(tmp_path / "registre.xlsx", FRENCH_ROWS[:2])
    before = snapshot(starter)
    assert main(["import", str(register), "--to", str(starter), "--dry-run"]) == 0
    out, _err = capsys.readouterr()
    assert f"--- would write {starter / 'registre-clauses.md'}" in out
    assert "nothing written" in out
    assert snapshot(starter) == before


def test_a_second_register_of_the_same_name_gets_pages_of_its_own(starter, tmp_path, capsys):
    first = write_xlsx(tmp_path / "registre.xlsx", FRENCH_ROWS[:1])
    assert main(["import", str(first), "--to", str(starter)]) == 0
    written = (starter / "registre-clauses.md").read_text(encoding="utf-8")
    (tmp_path / "autre").mkdir()
    second = write_xlsx(tmp_path / "autre" / "registre.xlsx", [["CLA-AUTRE-01", "Autre", "clause"]])
    assert main(["import", str(second), "--to", str(starter)]) == 0
    capsys.readouterr()
    assert (starter / "registre-clauses.md").read_text(encoding="utf-8") == written
    assert "CLA-AUTRE-01" in (starter / "registre-2-clauses.md").read_text(encoding="utf-8")
    index = (starter / "index.md").read_text(encoding="utf-8")
    assert "registre-clauses\nregistre-2-clauses\n" in index


def emptied(pristine: Path, target: Path) -> Path:
    """The project without its items: the starter's two worked examples removed."""
    shutil.copytree(pristine, target)
    for page, title in (("clauses", "Clauses"), ("procedures", "Procédures")):
        (target / f"{page}.md").write_text(f"# {title}\n", encoding="utf-8")
    return target


def test_an_export_imported_into_an_empty_copy_gives_the_same_coverage(
    starter, pristine, tmp_path, capsys
):
    register = write_xlsx(tmp_path / "registre.xlsx", FRENCH_ROWS[:3])
    assert main(["import", str(register), "--to", str(starter)]) == 0
    original = built_states(starter)
    build = starter / "_build" / "html"
    workbook, items_csv = tmp_path / "matrice.xlsx", tmp_path / "elements.csv"
    assert main(["matrix", str(build), "--format", "xlsx", "--output", str(workbook)]) == 0
    assert main(["matrix", str(build), "--format", "items-csv", "--output", str(items_csv)]) == 0
    capsys.readouterr()
    for source, extra in ((workbook, ["--sheet", "Éléments"]), (items_csv, [])):
        copy = emptied(pristine, tmp_path / f"copie-{source.suffix[1:]}")
        assert main(["import", str(source), "--to", str(copy), *extra]) == 0, capsys.readouterr()
        out, err = capsys.readouterr()
        assert "3 clause(s), 4 procedure(s)" not in out  # the examples are 1 + 1
        assert "2 clause(s), 3 procedure(s)" in out, out + err
        again = built_states(copy)
        assert {i: (o["state"], o["covered_by"]) for i, o in again.items()} == {
            i: (o["state"], o["covered_by"]) for i, o in original.items()
        }
        # the draft examples stay drafts: they count no more than before
        assert again["OBL-RGPD-30"]["not_counted"] == original["OBL-RGPD-30"]["not_counted"]
    # without --sheet, the sheet that names the most register columns is read
    copy = emptied(pristine, tmp_path / "copie-sans-feuille")
    assert main(["import", str(workbook), "--to", str(copy), "--dry-run"]) == 0
    assert "from " + str(workbook) + ", sheet 'Éléments'" in capsys.readouterr().out


def test_an_unreadable_register_or_project_is_one_line(starter, tmp_path, capsys):
    no_id = write_xlsx(tmp_path / "sans-id.xlsx", [["x"]], headings=["Intitulé", "Type"])
    assert main(["import", str(no_id), "--to", str(starter)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "no sheet has a header row naming an ID and a title column" in err
    register = write_xlsx(tmp_path / "registre.xlsx", FRENCH_ROWS[:1])
    assert main(["import", str(register), "--to", str(starter), "--sheet", "Autre"]) == 2
    assert "no sheet 'Autre' (sheets: 'Registre', 'Notes')" in capsys.readouterr().err
    assert main(["import", str(register), "--to", str(tmp_path)]) == 2
    assert "not a source folder" in capsys.readouterr().err
    (tmp_path / "registre.numbers").write_bytes(b"x")
    assert main(["import", str(tmp_path / "registre.numbers"), "--to", str(starter)]) == 2
    assert "a register is .xlsx, .xlsm, .ods, .csv, .txt" in capsys.readouterr().err


def ods_file(path: Path, rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet, with the trailing repeated rows and columns
    LibreOffice declares (a million rows) and a date cell."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value='
                f'"{value.isoformat()}"><text:p>{value:%d/%m/%Y}</text:p></table:table-cell>'
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
            "</table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    body += (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.3"><office:body><office:spreadsheet><table:table table:name='
        f'"Registre">{body}</table:table></office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def test_an_ods_register_is_read_with_python_calamine(tmp_path):
    path = ods_file(
        tmp_path / "registre.ods",
        [
            ["Registre 2026"],
            [],
            ["Type", "Identifiant", "Intitulé", "Dernière revue"],
            ["procédure", "PROC-A-01", "Une procédure", dt.date(2026, 3, 15)],
        ],
    )
    register = read_register(path)
    assert register.header.number == 3
    ((number, cells),) = list(register.records())
    assert number == 4 and cells["id"] == "PROC-A-01"
    from sphinx_crmrisk.register import check_rows

    (item,) = check_rows(register).items
    assert item.options["reviewed"] == "2026-03-15"


def test_without_python_calamine_an_ods_register_is_refused_in_one_line(
    tmp_path, monkeypatch, starter, capsys
):
    path = ods_file(tmp_path / "registre.ods", [["Identifiant", "Intitulé"], ["CLA-A-01", "A"]])
    monkeypatch.setitem(__import__("sys").modules, "python_calamine", None)
    with pytest.raises(RegisterError, match=r"reading \.ods needs python-calamine"):
        read_register(path)
    assert main(["import", str(path), "--to", str(starter)]) == 2
    assert "sphinx-crmrisk[ods]" in capsys.readouterr().err


def test_headings_are_matched_whatever_their_case_accents_and_remarks():
    assert normalize("  DERNIÈRE   revue (JJ/MM/AAAA) :") == "derniere revue"
    assert HEADINGS[normalize("obligations_couvertes*")] == "covers"
    assert HEADINGS[normalize("Réf.")] == "id"
    assert HEADINGS[normalize("INTITULE")] == "title"
    # each column's French and English heading, as the exports write them, is read back
    from sphinx_crmrisk.translations import translator

    french = translator("fr")
    for name, column in REGISTER_COLUMNS.items():
        for heading in (column.heading, french(column.heading), column.synonyms[0]):
            assert HEADINGS[normalize(heading)] == name, heading


def test_the_table_of_contents_gets_the_pages_in_each_kind_of_project(tmp_path):
    rest = tmp_path / "rest"
    rest.mkdir()
    (rest / "conf.py").write_text('root_doc = "accueil"\n', encoding="utf-8")
    (rest / "accueil.rst").write_text(
        "Accueil\n=======\n\n.. toctree::\n   :maxdepth: 2\n\n   a\n   b\n\nFin.\n",
        encoding="utf-8",
    )
    edit = toc_edit(rest, ["r-clauses"], "r")
    assert edit.new == (
        "Accueil\n=======\n\n.. toctree::\n   :maxdepth: 2\n\n   a\n   b\n   r-clauses\n\nFin.\n"
    )
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "conf.py").write_text("", encoding="utf-8")
    (bare / "index.md").write_text("# Titre\n", encoding="utf-8")
    assert toc_edit(bare, ["r-clauses"], "r").new == (
        "# Titre\n\n```{toctree}\n:maxdepth: 1\n\nr-clauses\n```\n"
    )
    globbed = tmp_path / "glob"
    globbed.mkdir()
    (globbed / "conf.py").write_text("", encoding="utf-8")
    text = "# T\n\n```{toctree}\n:glob:\n\n*\n```\n"
    (globbed / "index.md").write_text(text, encoding="utf-8")
    assert toc_edit(globbed, ["r-clauses"], "r").new == text  # already taken by the glob
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text("title: x\n", encoding="utf-8")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: a\n    sections:\n"
        "      - file: a1\n  - file: b\n",
        encoding="utf-8",
    )
    assert toc_edit(book, ["r-clauses", "r-procedures"], "r").new == (
        "format: jb-book\nroot: index\nchapters:\n  - file: a\n    sections:\n"
        "      - file: a1\n  - file: b\n  - file: r-clauses\n  - file: r-procedures\n"
    )
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Une\n    chapters:\n"
        "      - file: a\n# fin\n",
        encoding="utf-8",
    )
    assert toc_edit(book, ["r-clauses"], "Registre « 2026 »").new == (
        "format: jb-book\nroot: intro\nparts:\n  - caption: Une\n    chapters:\n"
        '      - file: a\n  - caption: "Registre « 2026 »"\n    chapters:\n'
        "      - file: r-clauses\n# fin\n"
    )


def test_data_in_a_column_without_a_heading_is_named_not_dropped_in_silence(tmp_path):
    register = tmp_path / "registre.csv"
    register.write_text("Identifiant;Intitulé\nCLA-A-01;A;note sans titre\n", encoding="utf-8")
    assert read_register(register).header.ignored == ("(no heading) (column 3)",)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab 1.-+#>*_`[]{}<>|~$&!:%()=\\\n'\"é«»")), max_size=40)
)
def test_an_escaped_text_renders_as_the_text_itself(text):
    """CommonMark renders the escaped text as the text (line breaks as line breaks, runs
    of blanks and blank lines aside): no markup survives the escape."""
    html = MarkdownIt("commonmark").render(escape_text(text))
    shown = BeautifulSoup(html.replace("<br />", "\n"), "html.parser").get_text()
    assert (
        BeautifulSoup(html, "html.parser").find(lambda tag: tag.name not in ("p", "br")) is None
    ), html

    def words(value: str) -> list[str]:
        return value.split()

    assert words(shown) == words(text.replace("\r", "\n"))


# runs the needs build of a Jupyter Book, with Jupyter Book
@pytest.mark.book
def test_a_register_imported_into_a_jupyter_book_is_listed_in_its_toc(tmp_path, capsys):
    book = tmp_path / "livre"
    assert main(["init", str(book), "--jupyter-book", "--profile", "prospection"]) == 0
    config = book / "_config.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "    language: fr\n", f"    language: fr\n    crmrisk_today: '{TODAY}'\n"
        ),
        encoding="utf-8",
    )
    register = tmp_path / "registre.csv"
    register.write_bytes(csv_text(FRENCH_ROWS[:3]).encode("utf-8-sig"))
    assert main(["import", str(register), "--to", str(book)]) == 0
    capsys.readouterr()
    toc = (book / "_toc.yml").read_text(encoding="utf-8")
    assert toc.endswith(
        "  - file: suivi\n  - file: registre-clauses\n  - file: registre-procedures\n"
    )
    states = {a.obligation.id: a.state for a in load_traceability(book).assessments}
    assert [states[i] for i in GAPS] == [State.COVERED] * 3
