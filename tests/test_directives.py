"""The site's views: crmrisk-matrix, crmrisk-coverage and crmrisk-gaps, as built."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import myst_parser
import pytest
from bs4 import BeautifulSoup
from docutils import nodes
from docutils.utils import new_document
from sphinx.writers.html5 import HTML5Translator
from sphinx_builds import edit, soup, strip_ansi

from sphinx_crmrisk.needs_json import read_needs
from sphinx_crmrisk.sphinx_ext.views import base
from sphinx_crmrisk.sphinx_ext.views import nodes as view_nodes

ALL_OBLIGATIONS = [
    "OBL-COVERED",
    "OBL-DRAFTED",
    "OBL-FORMULA",
    "OBL-GAMMA",
    "OBL-JUSTIFIED",
    "OBL-LAPSED",
    "OBL-SCRIPT",
    "OBL-UNCOVERED",
    "OBL-UPCOMING",
]
#: sphinx-needs gives each need's container a random ID on every build
_CONTAINER_ID = re.compile(r'id="SNCB-[0-9a-f]+"')
_BUILD = shutil.ignore_patterns("_build")


def page(app, name: str) -> BeautifulSoup:
    """The first section of a page: the view under test."""
    return soup(app, name).find("section")


def table_rows(section: BeautifulSoup) -> list[list[str]]:
    """The body rows of the first table, as the reader sees their text."""
    rows = section.find("table").find("tbody").find_all("tr")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all("td")] for row in rows]


def headers(section: BeautifulSoup) -> list[str]:
    return [th.get_text(strip=True) for th in section.find("table").find("thead").find_all("th")]


def matrix_ids(app, name: str) -> list[str]:
    return [row[0] for row in table_rows(page(app, name))]


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_matrix_has_one_row_per_obligation_with_state_and_links(app):
    app.build()
    section = page(app, "matrix-all")
    assert headers(section) == [
        "ID",
        "Title",
        "Phase(s)",
        "Legal basis",
        "State",
        "Covered by",
    ]
    rows = {row[0]: row for row in table_rows(section)}
    assert sorted(rows) == ALL_OBLIGATIONS
    assert rows["OBL-COVERED"] == [
        "OBL-COVERED",
        "Covered obligation",
        "PH-ALPHA",
        "Art. 1",
        "covered",
        "CLA-PRESTA , PROC-AUDIT",
    ]
    assert {rows[i][4] for i in rows} == {"covered", "justified", "upcoming", "lapsed", "uncovered"}
    assert rows["OBL-UPCOMING"][4] == "upcoming"
    assert rows["OBL-UNCOVERED"][2] == "PH-ALPHA , PH-BETA"
    covered_row = section.find("a", string="OBL-COVERED").find_parent("tr")
    hrefs = [a["href"] for a in covered_row.find_all("a")]
    assert hrefs == [
        "obligations.html#OBL-COVERED",
        "phases.html#PH-ALPHA",
        "covering.html#CLA-PRESTA",
        "covering.html#PROC-AUDIT",
    ]
    # each target anchor exists on its page: the need ID is the HTML id
    covering = soup(app, "covering")
    assert covering.find(id="CLA-PRESTA") is not None
    assert "Obligations shown: 9 of 9." in section.get_text()


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_matrix_filters_by_phase_party_and_state(app):
    app.build()
    assert matrix_ids(app, "matrix-phase") == [
        "OBL-DRAFTED",
        "OBL-FORMULA",
        "OBL-JUSTIFIED",
        "OBL-UNCOVERED",
        "OBL-UPCOMING",
    ]
    # "Prestataire" matches the party "prestataire" of CLA-PRESTA, in any case;
    # OBL-DRAFTED is not kept: its prestataire clause is a draft and does not count
    assert matrix_ids(app, "matrix-party") == ["OBL-COVERED", "OBL-GAMMA", "OBL-SCRIPT"]
    assert matrix_ids(app, "matrix-state") == ["OBL-DRAFTED", "OBL-JUSTIFIED", "OBL-UNCOVERED"]
    assert "Obligations shown: 3 of 9." in page(app, "matrix-state").get_text()


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_coverage_counts_per_phase_and_overall_with_a_bar(app):
    app.build()
    section = page(app, "coverage")
    assert headers(section)[:8] == [
        "Phase",
        "Obligations",
        "Covered",
        "Upcoming",
        "Justified",
        "Lapsed",
        "Uncovered",
        "Coverage",
    ]
    rows = [row[:8] for row in table_rows(section)]
    assert rows == [
        ["Alpha", "4", "2", "0", "0", "1", "1", "67\u202f%"],
        ["Beta", "5", "1", "1", "1", "0", "2", "50\u202f%"],
        ["Gamma", "1", "1", "0", "0", "0", "0", "100\u202f%"],
        ["All phases", "9", "4", "1", "1", "1", "2", "71\u202f%"],
    ]
    fills = [span["style"] for span in section.select(".crmrisk-bar-fill")]
    assert fills == ["width: 66.7%", "width: 50.0%", "width: 100.0%", "width: 71.4%"]
    assert section.find("a", string="Beta")["href"] == "phases.html#PH-BETA"


@pytest.mark.sphinx("text", testroot="matrix", freshenv=True)
def test_coverage_bar_is_plain_text_outside_html(app):
    app.build()
    text = (Path(app.outdir) / "coverage.txt").read_text(encoding="utf-8")
    assert "[#####-----]" in text  # PH-BETA, 50 %
    assert "[##########]" in text  # PH-GAMMA, 100 %


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_gaps_list_uncovered_obligations_with_location_and_reason(app):
    app.build()
    section = page(app, "gaps")
    assert headers(section) == ["ID", "Title", "Origin", "Reason"]
    assert table_rows(section) == [
        [
            "OBL-DRAFTED",
            "Only a draft covers this Art. 6",
            "obligations.md:39",
            "No active clause or procedure covers it. Not counted: CLA-DRAFT "
            "(is draft, covering.md:15 )",
        ],
        [
            "OBL-UNCOVERED",
            "Nobody covers this Art. 5",
            "obligations.md:33",
            "No active clause or procedure covers it.",
        ],
    ]
    assert section.find("a", string="CLA-DRAFT")["href"] == "covering.html#CLA-DRAFT"
    # the same gaps as the build check reports
    warnings = app.warning.getvalue()
    assert "obligations.md:39: WARNING: OBL-DRAFTED" in warnings
    assert "obligations.md:33: WARNING: OBL-UNCOVERED" in warnings


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_gaps_from_rest_say_in_one_line_when_there_are_none(app):
    app.build()
    section = page(app, "gaps-rst")
    assert section.find("table") is None
    assert section.find(class_="crmrisk-no-gaps").get_text() == (
        "No uncovered obligation: every obligation is covered, justified or lapsed."
    )


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_source_text_is_escaped_never_markup(app):
    app.build()
    html = (Path(app.outdir) / "matrix-all.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    section = page(app, "matrix-all")
    assert section.find("script") is None
    row = section.find("a", string="OBL-SCRIPT").find_parent("tr")
    assert row.find_all("td")[1].get_text() == '<script>alert("x")</script> in a title'


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True, confoverrides={"language": "fr"})
def test_labels_and_states_are_french_when_the_language_is(app):
    app.build()
    matrix = page(app, "matrix-all")
    assert headers(matrix) == [
        "Identifiant",
        "Intitulé",
        "Phase(s)",
        "Base légale",
        "État",
        "Couverte par",
    ]
    states = {row[0]: row[4] for row in table_rows(matrix)}
    assert states["OBL-COVERED"] == "couverte"
    assert states["OBL-UNCOVERED"] == "non couverte"
    assert states["OBL-LAPSED"] == "caduque"
    assert states["OBL-JUSTIFIED"] == "justifiée"
    assert states["OBL-UPCOMING"] == "à venir"
    coverage = page(app, "coverage")
    assert headers(coverage)[2:7] == [
        "Couvertes",
        "À venir",
        "Justifiées",
        "Caduques",
        "Non couvertes",
    ]
    assert table_rows(coverage)[-1][0] == "Toutes les phases"
    assert headers(page(app, "gaps"))[2:] == ["Provenance", "Motif"]
    assert "Aucune obligation non couverte" in page(app, "gaps-rst").get_text()


def test_bad_options_are_reported_at_the_directive(make_app, copy_root):
    srcdir = copy_root("matrix")
    (srcdir / "bad.md").write_text(
        "# Bad\n\n```{crmrisk-matrix}\n:state: covered, forgotten\n```\n\n"
        "```{crmrisk-gaps}\n:phase: PH-NOPE\n```\n",
        encoding="utf-8",
    )
    app = make_app("html", srcdir=srcdir, freshenv=True)
    app.build()
    warnings = app.warning.getvalue()
    # MyST reports a bad option value: myst-parser 3 at the directive's line, 5 at the
    # option's own line (the test extra leaves 4.x out: it names the file "bad.md.rst")
    line = 3 if myst_parser.__version__.startswith("3.") else 4
    assert (
        f"bad.md:{line}: WARNING: 'crmrisk-matrix': Invalid option value for 'state': "
        "covered, forgotten: "
    ) in warnings
    assert (
        "states must be among: covered, justified, upcoming, lapsed, out_of_scope, uncovered"
        in warnings
    )
    assert (
        "bad.md:7: WARNING: 'PH-NOPE' given to :phase: is not a phase ID "
        "(phases: PH-ALPHA, PH-BETA, PH-GAMMA) [crmrisk.view_option]"
    ) in warnings


def test_incremental_build_rewrites_the_views_when_a_clause_changes(make_app, copy_root):
    srcdir = copy_root("matrix")
    make_app("html", srcdir=srcdir, freshenv=True).build()
    covering = srcdir / "covering.md"
    edit(
        covering, ":covers: OBL-COVERED, OBL-SCRIPT, OBL-GAMMA", ":covers: OBL-COVERED, OBL-SCRIPT"
    )
    app = make_app("html", srcdir=srcdir)
    app.build()
    states = {row[0]: row[4] for row in table_rows(page(app, "matrix-all"))}
    assert states["OBL-GAMMA"] == "uncovered"
    assert "OBL-GAMMA" in [row[0] for row in table_rows(page(app, "gaps-rst"))]


VIEW_PAGES = {
    "matrix": ("matrix-all", "matrix-phase", "coverage", "gaps", "gaps-rst"),
    # the proofs' column: badges and evidence links in the cells
    "evidence": ("suivi",),
}


def view_pages(app, root: str = "matrix") -> dict[str, str]:
    pages = {}
    for name in VIEW_PAGES[root]:
        html = (Path(app.outdir) / f"{name}.html").read_text(encoding="utf-8")
        assert "<tbody>" in html or "crmrisk-no-gaps" in html, name
        pages[name] = _CONTAINER_ID.sub("", html)
    return pages


@pytest.mark.parametrize("root", sorted(VIEW_PAGES))
def test_streamed_rows_write_the_same_html_as_a_whole_table(
    root, make_app, copy_root, monkeypatch, tmp_path
):
    # HTML pages get their rows one at a time while written (memory), most of them
    # without the translator (time): the page must be byte for byte the page the whole
    # docutils table gives
    source = copy_root(root)
    streamed = make_app("html", srcdir=source)
    streamed.build()
    monkeypatch.setattr(
        base.ViewContext, "table", lambda self, *args, **kw: base.table(*args, **kw)
    )
    whole = make_app("html", srcdir=shutil.copytree(source, tmp_path / "whole", ignore=_BUILD))
    whole.build()
    written, whole_pages = view_pages(streamed, root), view_pages(whole, root)
    # but for the characters beyond Latin-1, written as character references in the
    # streamed rows (a page stays one byte a character in memory: nodes.latin_1_html)
    if root == "matrix":
        assert "100&#8239;%" in written["coverage"]
        assert "100\u202f%" in whole_pages["coverage"]
    assert _characters(written) == _characters(whole_pages)


def test_a_table_s_rows_after_its_first_are_written_without_the_translator(
    make_app, copy_root, monkeypatch
):
    # the first row of a table goes through the translator, and shows the rows' own
    # writer (cells_html) writes the same; the other rows are made without their cells
    tables: dict[str, list[str]] = {}
    made_row, visit_tbody = view_nodes.row, HTML5Translator.visit_tbody

    def spy_row(cells, data=None):
        rows.append("cells" if cells else "bare")
        return made_row(cells, data)

    def spy_tbody(self, node):
        nonlocal rows
        rows = tables.setdefault(self.builder.current_docname, [])
        visit_tbody(self, node)

    rows: list[str] = []
    monkeypatch.setattr(view_nodes, "row", spy_row)
    monkeypatch.setattr(HTML5Translator, "visit_tbody", spy_tbody)
    app = make_app("html", srcdir=copy_root("matrix"))
    app.build()
    assert tables["matrix-all"] == ["cells"] + ["bare"] * (len(ALL_OBLIGATIONS) - 1)
    for name in ("matrix-phase", "matrix-party", "matrix-state"):
        assert tables[name][0] == "cells" and set(tables[name][1:]) == {"bare"}, tables
    # a coverage bar is a node of its own: the translator writes those rows
    assert set(tables["coverage"]) == {"cells"}


#: text with all that HTML escapes, whitespace attributes fold, and beyond Latin-1
_HOSTILE = '<b>"Tom & Jerry"</b> @ 100\u202f%\n\tsuite'


def _link(text: str, **attributes) -> nodes.reference:
    return nodes.reference("", "", nodes.Text(text), **attributes)


_WRITTEN_ALIKE = {
    "a string": [_HOSTILE],
    "a text node": [nodes.Text(_HOSTILE)],
    "spans": [
        nodes.inline("", _HOSTILE, classes=["crmrisk-state-covered", "x", "x", " "]),
        nodes.inline("", _HOSTILE),
    ],
    "links": [
        _link(_HOSTILE, refuri='p.html#A"<&', internal=True, reftitle=_HOSTILE),
        _link("OBL-1", refuri="p.html#OBL-1", internal=True, classes=["crmrisk-id"]),
        _link("ext", refuri="https://example.org/?a=1&b=2"),
        _link("empty", refuri="", internal=True),
    ],
    "inline nodes and an empty cell": [
        [
            _link("CLA-1", refuri="c.html#CLA-1", internal=True, reftitle="Clause"),
            nodes.Text(", "),
            nodes.inline("", " (suspect)", classes=["crmrisk-suspect"]),
            nodes.inline("", "", nodes.inline("", "nested", classes=["a"])),
        ],
        [],
    ],
}

_WRITTEN_BY_THE_TRANSLATOR = {
    "emphasis": nodes.emphasis("", "x"),
    "a link by ID": nodes.reference("", "x", refid="here"),
    "a mail address": _link("x", refuri="mailto:a@example.org"),
    "a link with a target": _link("x", refuri="p.html", target="_blank"),
    "a span with an ID": nodes.inline("", "x", ids=["here"]),
    "a language class": nodes.inline("", "x", classes=["language-fr"]),
    "a node in a span": nodes.inline("", "", nodes.literal("", "x")),
}


def _translated(app, cells) -> tuple[str, str | None]:
    """The row's cells as the translator writes them, and as cells_html() does."""
    table = base.table(["header"] * len(cells), [None], lambda _record: cells, [])
    document = new_document("<row>", app.builder.docsettings)
    document += table
    translator = app.builder.create_translator(document, app.builder)
    table.walkabout(translator)
    body = "".join(translator.body)
    row = body[body.index("<tbody>") :].split("\n", 1)[1]
    cells_html = view_nodes.cells_html(translator, cells)
    return row[row.index(">") + 1 : row.rindex("</tr>")], cells_html


@pytest.mark.parametrize("shape", sorted(_WRITTEN_ALIKE))
@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_cells_of_text_spans_and_links_are_written_as_the_translator_writes_them(app, shape):
    app.build()  # the builder's settings, as when a page is written
    cells = _WRITTEN_ALIKE[shape]
    by_translator, by_rows_writer = _translated(app, cells)
    assert by_rows_writer == by_translator
    assert by_translator.count("<td>") == len(cells)
    if shape != "inline nodes and an empty cell":  # the hostile text escaped, never markup
        assert "&lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;" in by_translator
        assert "<b>" not in by_translator


@pytest.mark.parametrize("shape", sorted(_WRITTEN_BY_THE_TRANSLATOR))
@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_cells_of_other_nodes_are_left_to_the_translator(app, shape):
    app.build()
    cells = ["plain", _WRITTEN_BY_THE_TRANSLATOR[shape]]
    by_translator, by_rows_writer = _translated(app, cells)
    assert by_rows_writer is None
    assert "plain" in by_translator


_BEYOND_LATIN_1_REFERENCE = re.compile(r"&#(\d{3,});")


def test_a_row_is_written_with_character_references_beyond_latin_1():
    # a page is one string: one such character makes Python store all of it wide
    assert view_nodes.latin_1_html("<td>100\u202f%</td>") == "<td>100&#8239;%</td>"
    assert view_nodes.latin_1_html("<td>\U0001f600 \u2014</td>") == "<td>&#128512; &#8212;</td>"
    kept = "<td>Données à caractère personnel</td>"
    assert view_nodes.latin_1_html(kept) is kept


def _characters(pages: dict[str, str]) -> dict[str, str]:
    """The pages with their character references beyond Latin-1 read as characters."""

    def character(reference: re.Match[str]) -> str:
        code = int(reference[1])
        return chr(code) if code > 0xFF else reference[0]

    return {name: _BEYOND_LATIN_1_REFERENCE.sub(character, html) for name, html in pages.items()}


def test_streamed_rows_are_written_alike_by_parallel_workers(make_app, copy_root, tmp_path):
    # under -j 2 Sphinx writes pages in forked processes: the rows are made there
    source = copy_root("matrix")
    serial = make_app("html", srcdir=source)
    serial.build()
    parallel = make_app(
        "html", srcdir=shutil.copytree(source, tmp_path / "j2", ignore=_BUILD), parallel=2
    )
    parallel.build()
    # Sphinx names chunks of pages ("a .. b") only when it writes them in parallel
    status = strip_ansi(parallel.status.getvalue())
    assert re.search(r"writing output\.\.\. \[\s*\d+%\] \S+ \.\. \S+", status), status
    assert view_pages(parallel) == view_pages(serial)


def test_html_pages_hold_no_row_in_the_resolved_doctree(make_app, copy_root):
    app = make_app("html", srcdir=copy_root("matrix"))
    app.build()
    doctree = app.env.get_and_resolve_doctree("matrix-all", app.builder)
    (body,) = doctree.findall(view_nodes.streamed_tbody)
    assert len(body) == 0 and len(body.records) == len(ALL_OBLIGATIONS)


# -- items in included files (issue 15) --------------------------------------------------


@pytest.mark.sphinx("html", testroot="includes", freshenv=True)
def test_items_in_included_files_are_located_in_the_included_file(app, tmp_path):
    """``.. include::`` (reST) and ``{include}`` (MyST): the warning, needs.json, the
    exports and ``crmrisk check`` all name the included file and its line."""
    from sphinx_crmrisk.cli import main

    app.build()
    warnings = strip_ansi(app.warning.getvalue())
    src = Path(app.srcdir)
    # the directive lines in the included files, and on the page
    assert f"{src / 'parts' / 'rst_part.rst'}:5: WARNING: OBL-INC-RST" in warnings
    assert f"{src / 'parts' / 'myst_part.md'}:3: WARNING: OBL-INC-MYST" in warnings
    assert f"{src / 'index.rst'}:13: WARNING: OBL-PAGE" in warnings
    assert (src / "parts/rst_part.rst").read_text().splitlines()[4].startswith(".. obligation::")
    assert (src / "parts/myst_part.md").read_text().splitlines()[2].startswith("```{obligation}")

    needs = read_needs(app.outdir)
    assert needs["OBL-INC-RST"]["source_file"] == "parts/rst_part.rst"
    assert needs["OBL-INC-MYST"]["source_file"] == "parts/myst_part.md"
    assert needs["OBL-PAGE"]["source_file"] is None
    # the page stays the page: its HTML holds the item
    assert needs["OBL-INC-MYST"]["docname"] == "mystpage"
    assert 'id="OBL-INC-MYST"' in (Path(app.outdir) / "mystpage.html").read_text()

    exported = json.loads((Path(app.outdir) / "traceability.json").read_text())
    where = {o["id"]: (o["file"], o["line"]) for o in exported["obligations"]}
    assert where == {
        "OBL-INC-MYST": ("parts/myst_part.md", 3),
        "OBL-INC-RST": ("parts/rst_part.rst", 5),
        "OBL-PAGE": ("index.rst", 13),
    }
    report = tmp_path / "check.txt"
    assert main(["check", str(app.outdir), "--output", str(report)]) == 1
    lines = report.read_text().splitlines()
    assert "parts/myst_part.md:3: OBL-INC-MYST" in lines[0]
    assert "parts/rst_part.rst:5: OBL-INC-RST" in lines[1]
