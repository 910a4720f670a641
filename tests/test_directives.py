"""The site's views: crmrisk-matrix, crmrisk-coverage and crmrisk-gaps, as built."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import myst_parser
import pytest
from bs4 import BeautifulSoup
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


VIEW_PAGES = ("matrix-all", "matrix-phase", "coverage", "gaps", "gaps-rst")


def view_pages(app) -> dict[str, str]:
    pages = {}
    for name in VIEW_PAGES:
        html = (Path(app.outdir) / f"{name}.html").read_text(encoding="utf-8")
        assert "<tbody>" in html or "crmrisk-no-gaps" in html, name
        pages[name] = _CONTAINER_ID.sub("", html)
    return pages


def test_streamed_rows_write_the_same_html_as_a_whole_table(
    make_app, copy_root, monkeypatch, tmp_path
):
    # HTML pages get their rows one at a time while written (memory); the page must be
    # byte for byte the page the whole docutils table gives
    source = copy_root("matrix")
    streamed = make_app("html", srcdir=source)
    streamed.build()
    monkeypatch.setattr(
        base.ViewContext, "table", lambda self, *args, **kw: base.table(*args, **kw)
    )
    whole = make_app("html", srcdir=shutil.copytree(source, tmp_path / "whole", ignore=_BUILD))
    whole.build()
    written, whole_pages = view_pages(streamed), view_pages(whole)
    # but for the characters beyond Latin-1, written as character references in the
    # streamed rows (a page stays one byte a character in memory: nodes.latin_1_html)
    assert "100&#8239;%" in written["coverage"]
    assert "100\u202f%" in whole_pages["coverage"]
    assert _characters(written) == _characters(whole_pages)


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
