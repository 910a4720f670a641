"""What a reviewer reads on the site: scored risks, the heat map, the grid, the matrix's
filter data and the script that uses it (the script itself runs in test_browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sphinx_builds import soup

from sphinx_crmrisk.model import Item, RiskLevel, RiskScore, risk_score


def text(node) -> str:
    return " ".join(node.get_text().split())


@pytest.mark.parametrize(
    ("likelihood", "severity", "level"),
    [
        (1, 1, RiskLevel.LOW),
        (4, 1, RiskLevel.MEDIUM),
        (1, 4, RiskLevel.MEDIUM),
        (2, 4, RiskLevel.HIGH),
        (3, 3, RiskLevel.HIGH),
        (2, 2, RiskLevel.LOW),
    ],
)
def test_the_level_of_a_score(likelihood, severity, level):
    assert RiskScore(likelihood, severity).level is level


def test_a_risk_is_scored_only_with_both_values_on_the_scale():
    def risk(**fields):
        return Item("RISK-X", "risk", "X", fields=fields)

    assert risk_score(risk(likelihood="2", severity="3")) == RiskScore(2, 3)
    assert risk_score(risk(likelihood="2")) is None
    assert risk_score(risk(likelihood="5", severity="3")) is None


@pytest.mark.sphinx("html", testroot="risks", freshenv=True)
def test_bad_scores_are_located_bad_values(app):
    app.build()
    warnings = app.warning.getvalue()
    # a French build: its messages are French
    assert (
        "risks.md:23: WARNING: RISK-BAD\u202f: likelihood «\u202f5\u202f» n'est pas 1, 2, 3 ou 4"
        in warnings
    )
    assert (
        "RISK-BAD\u202f: severity «\u202fhigh\u202f» n'est pas 1, 2, 3 ou 4 (échelle d'EBIOS RM) "
        "[crmrisk.bad_value]" in warnings
    )


@pytest.mark.sphinx("html", testroot="risks", freshenv=True)
def test_the_heat_map_lists_each_risk_in_its_cell(app):
    app.build()
    risks = soup(app, "risks")
    heatmap = risks.select_one("table.crmrisk-heatmap")
    rows = heatmap.select("tbody tr")
    # severity 4 (critical) on top, likelihood 1 to 4 left to right
    assert text(rows[0].find("td")) == "4 – Critique"
    assert [text(c) for c in heatmap.select("thead th")][1:] == [
        "1 – Peu vraisemblable",
        "2 – Vraisemblable",
        "3 – Très vraisemblable",
        "4 – Quasi certain",
    ]
    fine = rows[0].find_all("td")[3]  # severity 4, likelihood 3
    assert [a.get_text() for a in fine.find_all("a")] == ["RISK-FINE"]
    assert fine.find("a")["href"] == "#RISK-FINE"
    assert "crmrisk-level-high" in fine["class"]
    supplier = rows[2].find_all("td")[1]  # severity 2, likelihood 1
    assert [a.get_text() for a in supplier.find_all("a")] == ["RISK-SUPPLIER"]
    assert "crmrisk-level-low" in supplier["class"]
    assert sum(len(cell.find_all("a")) for cell in heatmap.select("tbody td")) == 2
    assert "Non évalués : RISK-BAD, RISK-LATER" in text(risks.select_one(".crmrisk-note"))


@pytest.mark.sphinx("html", testroot="risks", freshenv=True)
def test_the_register_shows_each_risk_with_its_obligations_states(app):
    app.build()
    register = soup(app, "risks").select_one("table.crmrisk-risks")
    rows = [[text(c) for c in row.find_all("td")] for row in register.select("tbody tr")]
    assert [row[0] for row in rows] == ["RISK-FINE", "RISK-SUPPLIER", "RISK-BAD", "RISK-LATER"]
    assert rows[0][2:6] == ["Élevé", "4 – Critique", "3 – Très vraisemblable", "DPO"]
    # a high risk one of whose obligations is a gap: the reviewer sees it in the row
    assert rows[0][6] == "OBL-INFORM (non couverte), OBL-REGISTER (couverte)"
    assert rows[2][2] == "—"


@pytest.mark.sphinx("html", testroot="risks", freshenv=True)
def test_the_grid_marks_each_cover(app):
    app.build()
    by_phase, by_party = soup(app, "grid").select("table.crmrisk-grid")
    headings = [text(th) for th in by_phase.select("thead th")]
    assert headings == ["Obligation", "État", "CLA-DPA", "CLA-DRAFT", "PROC-REVIEW"]
    rows = {
        text(r.find("td")): [text(c) for c in r.find_all("td")[1:]]
        for r in by_phase.select("tbody tr")
    }
    assert rows == {
        "OBL-CONTRACT": ["couverte", "●", "", ""],
        "OBL-INFORM": ["non couverte", "", "○", ""],
        "OBL-REGISTER": ["couverte", "●", "", "●"],
    }
    # :party: keeps the obligations an item of that party covers
    assert [text(r.find("td")) for r in by_party.select("tbody tr")] == [
        "OBL-CONTRACT",
        "OBL-REGISTER",
    ]


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_matrix_rows_carry_what_the_filter_filters_on(app):
    app.build()
    matrix = soup(app, "matrix-all")
    rows = {text(r.find("td")): r for r in matrix.select("table.crmrisk-matrix tbody tr")}
    covered = rows["OBL-COVERED"]
    assert covered["data-state"] == "covered"
    assert covered["data-phases"].split("\n") == ["PH-ALPHA"]
    assert set(covered["data-parties"].split("\n")) >= {"prestataire"}
    assert rows["OBL-UNCOVERED"]["data-state"] == "uncovered"
    assert rows["OBL-UNCOVERED"]["data-phases"].split("\n") == ["PH-ALPHA", "PH-BETA"]
    # the script is on the HTML pages, and only there
    scripts = [s.get("src", "") for s in matrix.find_all("script")]
    assert any(src.startswith("_static/crmrisk-matrix.js") for src in scripts)


def test_the_views_render_in_a_non_html_build(make_app, copy_root):
    app = make_app("text", srcdir=copy_root("risks"))
    app.build()
    risks = (Path(app.outdir) / "risks.txt").read_text(encoding="utf-8")
    assert "4 – Critique" in risks and "RISK-FINE" in risks
    assert "●" in (Path(app.outdir) / "grid.txt").read_text(encoding="utf-8")
    # the script is added for HTML builders only
    assert [name for name, _attributes in app.registry.js_files if "crmrisk" in name] == []


@pytest.mark.sphinx("html", testroot="risks", freshenv=True)
def test_a_scored_risk_shows_its_level(app):
    app.build()
    risks = soup(app, "risks")
    fine = risks.find("table", id="RISK-FINE").select_one(".crmrisk-badge.crmrisk-level")
    # the scores are in the badge, not in layout lines of their own
    assert (
        text(fine) == "Niveau : Élevé — gravité 4 (critique), vraisemblance 3 (très vraisemblable)"
    )
    assert "crmrisk-level-high" in fine["class"]
    laid_out = text(risks.find("table", id="RISK-FINE").select_one(".needs_meta"))
    # « Responsable : DPO »: the narrow no-break space before the colon, normalised here
    assert "Responsable : DPO" in laid_out and "Gravité" not in laid_out
    assert risks.find("table", id="RISK-LATER").select_one(".crmrisk-badge") is None
