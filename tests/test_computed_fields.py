"""The states the build writes into the needs: sphinx-needs' tables show them as badges,
its filters select on them, needs.json carries them, and an author's value is refused."""

from __future__ import annotations

import pytest
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp
from sphinx_builds import build_once, edit, needs_of, soup

from sphinx_crmrisk.loading import load_traceability


def cells(table, column: str) -> dict[str, object]:
    """Each row's ID -> the cell of ``column`` (class ``needs_<column>``)."""
    return {
        row.select_one("td.needs_id").get_text(strip=True): row.select_one(f"td.needs_{column}")
        for row in table.select("tbody tr")
    }


@pytest.mark.sphinx("html", testroot="computed", freshenv=True)
def test_needs_json_carries_the_states_the_build_assessed(app):
    app.build()
    needs = needs_of(app)
    assert {i: n["coverage_state"] for i, n in needs.items() if n["type"] == "obligation"} == {
        "OBL-REGISTRE": "covered",
        "OBL-INFORMER": "covered",
        "OBL-IA": "upcoming",  # effective 2027-12-02, after crmrisk_today
        "OBL-ECRIT": "uncovered",  # its only cover is retired, whatever its author wrote
    }
    assert needs["CLA-SOUS-TRAITANCE"]["review_state"] == "up_to_date"
    assert needs["PROC-SCRIPTS"]["review_state"] == "overdue"
    # retired: no review, no state; and none on the kinds that have no such state
    assert needs["PROC-ANCIENNE"]["review_state"] is None
    assert needs["CLA-SOUS-TRAITANCE"]["coverage_state"] is None
    assert needs["PH-EXPLOITATION"]["coverage_state"] is None
    # the same states the command finds in that needs.json (which it does not read)
    traceability = load_traceability(app.outdir)
    assert {a.obligation.id: a.state.value for a in traceability.assessments} == {
        i: n["coverage_state"] for i, n in needs.items() if n["type"] == "obligation"
    }
    assert "coverage_state" not in traceability.model.items["OBL-ECRIT"].fields


@pytest.mark.sphinx("html", testroot="computed", freshenv=True)
def test_a_needtable_shows_each_state_as_its_badge(app):
    app.build()
    tables = soup(app, "tableaux").select("table")
    obligations, gaps, reviews = tables
    states = cells(obligations, "coverage_state")
    badge = states["OBL-IA"].select_one("span.crmrisk-badge")
    assert badge.get_text() == "à venir"
    assert badge["class"] == ["crmrisk-badge", "crmrisk-state", "crmrisk-state-upcoming"]
    assert {i: c.select_one("span")["class"][-1] for i, c in states.items()} == {
        "OBL-ECRIT": "crmrisk-state-uncovered",
        "OBL-IA": "crmrisk-state-upcoming",
        "OBL-INFORMER": "crmrisk-state-covered",
        "OBL-REGISTRE": "crmrisk-state-covered",
    }
    # sphinx-needs' filter selects on the field
    assert [
        row.select_one("td.needs_id").get_text(strip=True) for row in gaps.select("tbody tr")
    ] == ["OBL-ECRIT"]
    review = cells(reviews, "review_state")
    assert review["PROC-SCRIPTS"].get_text(strip=True) == "en retard"
    assert "crmrisk-review-overdue" in review["PROC-SCRIPTS"].select_one("span")["class"]
    assert review["PROC-ANCIENNE"].get_text(strip=True) == ""  # retired: nothing to show


@pytest.mark.sphinx("html", testroot="computed", freshenv=True)
def test_each_clause_and_procedure_shows_its_review_state(app):
    app.build()
    controls = soup(app, "controles")
    up_to_date = controls.find("table", id="CLA-SOUS-TRAITANCE").select_one(".crmrisk-review")
    # reviewed 2026-06-01, the default cycle of 12 months
    assert up_to_date.get_text() == (
        "Revue\u202f: à jour — dernière revue le 2026-06-01, prochaine avant le 2027-06-01"
    )
    assert "crmrisk-review-up_to_date" in up_to_date["class"]
    overdue = controls.find("table", id="PROC-SCRIPTS").select_one(".crmrisk-review")
    assert overdue.get_text() == (
        "Revue\u202f: en retard — dernière revue le 2024-01-15, attendue depuis le 2025-01-15"
    )
    # the review fields are read in the badge, not as layout lines of their own
    assert "Dernière revue" not in controls.find("table", id="PROC-SCRIPTS").get_text()
    assert controls.find("table", id="PROC-ANCIENNE").select_one(".crmrisk-review") is None


@pytest.mark.sphinx("html", testroot="computed", freshenv=True)
def test_a_written_state_is_a_located_warning_and_the_build_value_wins(app):
    app.build()
    warnings = app.warning.getvalue()
    assert (
        "obligations.md:24: WARNING: OBL-ECRIT: 'coverage_state' is set by the build, not "
        "written: 'covered' is replaced by its own value; remove it [crmrisk.computed_field]"
    ) in warnings
    assert warnings.count("[crmrisk.computed_field]") == 1
    badge = soup(app, "obligations").find("table", id="OBL-ECRIT").select_one(".crmrisk-state")
    assert badge.get_text() == "État\u202f: non couverte"


def test_a_needextend_of_a_state_is_refused_too(copy_root):
    root = copy_root("computed")
    with (root / "tableaux.md").open("a", encoding="utf-8") as page_file:
        page_file.write("\n```{needextend} OBL-REGISTRE\n:review_state: overdue\n```\n")
    app = build_once(root)
    warnings = app.warning.getvalue()
    assert (
        "OBL-REGISTRE: 'review_state' is set by the build, not written: 'overdue' is "
        "replaced by its own value; remove it [crmrisk.computed_field]"
    ) in warnings
    assert needs_of(app)["OBL-REGISTRE"]["review_state"] is None


def test_an_edit_elsewhere_rewrites_the_needtable_state(copy_root):
    """The table page aggregates needs: an incremental build re-writes it when a cover
    is removed on another page, so its badge never goes stale."""
    root = copy_root("computed")
    app = SphinxTestApp("html", srcdir=root)
    try:
        app.build()
        controls = root / "controles.md"
        edit(controls, ":covers: OBL-REGISTRE, OBL-IA", ":covers: OBL-IA")
        app.build()
    finally:
        app.cleanup()
    # the needs of the pages not read again still hold what the first build set: that is
    # not an author's value (only OBL-ECRIT's own, warned of by the first build)
    assert app.warning.getvalue().count("[crmrisk.computed_field]") == 1
    states = cells(soup(app, "tableaux").select("table")[0], "coverage_state")
    assert states["OBL-REGISTRE"].get_text(strip=True) == "non couverte"
    gaps = soup(app, "tableaux").select("table")[1]
    assert {r.select_one("td.needs_id").get_text(strip=True) for r in gaps.select("tbody tr")} == {
        "OBL-ECRIT",
        "OBL-REGISTRE",
    }


def test_a_field_named_like_an_add_need_parameter_is_a_config_error(copy_root):
    """sphinx-needs passes fields to add_need() as keyword arguments: ``state`` would
    crash it on every need, so the name is refused before any page is read."""
    root = copy_root("computed")
    with (root / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('crmrisk_field_names = {"coverage_state": "state"}\n')
    with pytest.raises(ConfigError) as raised:
        SphinxTestApp("html", srcdir=root)
    message = str(raised.value)
    assert (
        "our field 'state' is already a field of the project (a parameter of sphinx-needs' add_need())"
        in message
    )
    assert "crmrisk_field_names = {'coverage_state': 'crm_coverage_state'}" in message
