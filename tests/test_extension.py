"""Real Sphinx builds of the extension: need types, links, labels, checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sphinx.errors import ConfigError
from sphinx_builds import build_once, needs_of, soup, warnings_of

from sphinx_crmrisk.needs_json import read_needs


def crmrisk_warnings(app) -> list[str]:
    return [line for line in warnings_of(app) if "[crmrisk." in line]


def need_text(app, page: str, need_id: str) -> str:
    container = soup(app, page).find(id=need_id).find_parent("div", class_="need_container")
    return " ".join(container.get_text(" ").split())


def need_lines(app, page: str, need_id: str) -> list[str]:
    """Each line of a need's fields and links, as a reader sees it: the text of its
    elements joined as they are (need_text puts a space between any two elements)."""
    container = soup(app, page).find(id=need_id).find_parent("div", class_="need_container")
    lines = [line for line in container.select("div.line") if not line.select("div.line")]
    return [" ".join(line.get_text().split()) for line in lines if line.get_text().strip()]


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_clean_project_builds_without_warnings(app):
    app.build()
    assert warnings_of(app) == []
    needs = read_needs(app.outdir)
    assert {n["type"] for n in needs.values()} == {
        "phase",
        "obligation",
        "clause",
        "procedure",
        "risk",
        "watch",
        "evidence",
    }
    assert needs["OBL-RGPD-30"]["covers_back"] == ["CLA-RGPD-03"]
    assert needs["OBL-IA-HR"]["affects_back"] == ["VEI-IA-HR"]
    assert needs["VEI-IA-HR"]["watch_state"] == "done"
    assert needs["CLA-RGPD-03"]["proves_back"] == ["EVD-RGPD-03"]
    assert needs["OBL-RGPD-30"]["proof_state"] == "proven"
    assert needs["OBL-RGPD-30"]["addresses_back"] == ["RISK-05"]
    assert needs["OBL-RGPD-13"]["phase"] == ["PH-CONCEPTION", "PH-EXPLOITATION"]
    assert needs["OBL-RGPD-30"]["replaced_by_back"] == ["OBL-HIST-CNIL"]
    assert needs["CLA-RGPD-03"]["party"] == "prestataire, éditeur"
    assert needs["PROC-IA-16"]["owner"] == "DPO"


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_french_labels_and_links_in_the_page(app):
    app.build()
    text = need_text(app, "obligations", "OBL-RGPD-30")
    assert "Base légale : RGPD, art. 30" in text
    assert "En vigueur le : 2018-05-25" in text
    assert "couverte par : CLA-RGPD-03" in text  # a narrow no-break space, normalised
    assert "traitée par le risque : RISK-05" in text
    assert "remplace : OBL-HIST-CNIL" in text
    phase = need_text(app, "index", "PH-CONCEPTION")
    assert "obligations de la phase :" in phase and "OBL-RGPD-30" in phase
    clause = need_text(app, "controles", "CLA-RGPD-03")
    assert "Clause : Accord de sous-traitance" in clause
    assert "Partie(s) : prestataire, éditeur" in clause
    source = soup(app, "obligations").find(
        "a", href="https://eur-lex.europa.eu/eli/reg/2016/679/oj"
    )
    assert source is not None, "the source field is rendered as a link"


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_verification_badges_show_unsettled_facts(app):
    app.build()
    assert "Partiellement vérifié" in need_text(app, "obligations", "OBL-RGPD-13")
    assert "Non vérifié" in need_text(app, "obligations", "OBL-IA-HR")
    verified = need_text(app, "obligations", "OBL-RGPD-30")
    assert "Vérifié : les faits ci-dessous ont été constatés" in verified
    assert "Partiellement" not in verified and "verified" not in verified
    # an obligation that says nothing of its verification gets no badge
    assert "érifié" not in need_text(app, "obligations", "OBL-HIST-CNIL")


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_script_in_a_title_is_shown_as_text(app):
    app.build()
    html = (Path(app.outdir) / "obligations.html").read_text()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script>' in need_text(app, "obligations", "OBL-RGPD-30")


@pytest.mark.sphinx("html", testroot="clean", freshenv=True, confoverrides={"language": "en"})
def test_english_labels_otherwise(app):
    app.build()
    lines = need_lines(app, "obligations", "OBL-RGPD-30")
    # English puts no space before the colon
    assert "Legal basis: RGPD, art. 30" in lines, lines
    assert "Effective: 2018-05-25" in lines, lines
    assert "covered by: CLA-RGPD-03" in lines, lines


@pytest.mark.sphinx("html", testroot="rst", freshenv=True)
def test_plain_rest_project(app):
    app.build()
    assert warnings_of(app) == []
    assert "covered by: CLA-RGPD-03" in need_text(app, "index", "OBL-RGPD-28-3")
    assert (Path(app.outdir) / "needs.json").is_file()


@pytest.mark.sphinx("html", testroot="uncovered", freshenv=True)
def test_uncovered_obligations_are_located_warnings(app):
    app.build()
    assert crmrisk_warnings(app) == [
        "index.md:7: WARNING: OBL-GAP-1: obligation 'Nothing covers this' is not covered "
        "by any active clause or procedure [crmrisk.uncovered]",
        "index.md:13: WARNING: OBL-GAP-2: obligation 'Only a draft clause covers this' is not "
        "covered by any active clause or procedure (CLA-DRAFT-01 is draft) [crmrisk.uncovered]",
        "index.md:19: WARNING: OBL-GAP-3: obligation 'Only a retired procedure covers this' is "
        "not covered by any active clause or procedure (PROC-OLD-01 is retired) [crmrisk.uncovered]",
        "index.md:25: WARNING: OBL-GAP-4: obligation 'Takes effect next year and is not covered' "
        "is not covered by any active clause or procedure (it takes effect on 2027-12-02) "
        "[crmrisk.uncovered]",
    ]


@pytest.mark.sphinx(
    "html",
    testroot="uncovered",
    freshenv=True,
    confoverrides={"crmrisk_fail_on_uncovered": False},
)
def test_drafting_projects_get_info_lines(app):
    app.build()
    assert crmrisk_warnings(app) == []
    assert "index.md:7: OBL-GAP-1: obligation 'Nothing covers this'" in app.status.getvalue()


@pytest.mark.sphinx(
    "html",
    testroot="uncovered",
    freshenv=True,
    confoverrides={"suppress_warnings": ["crmrisk.uncovered"]},
)
def test_suppress_warnings_silences_a_subtype(app):
    app.build()
    assert crmrisk_warnings(app) == []


@pytest.mark.sphinx(
    "html",
    testroot="uncovered",
    freshenv=True,
    confoverrides={"crmrisk_inactive_statuses": ["retired"]},
)
def test_inactive_statuses_are_configurable(app):
    app.build()
    ids = [line.split(": ")[2] for line in crmrisk_warnings(app)]
    assert ids == ["OBL-GAP-1", "OBL-GAP-3", "OBL-GAP-4"]


@pytest.mark.sphinx("html", testroot="problems", freshenv=True)
def test_each_problem_is_a_located_warning_with_its_subtype(app):
    app.build()
    found = crmrisk_warnings(app)
    expected = [
        "index.rst:7: WARNING: OBL-NOBASIS: obligation has no 'legal_basis' [crmrisk.missing_field]",
        "index.rst:11: WARNING: OBL-NOPHASE: obligation has no 'phase' link [crmrisk.missing_field]",
        "index.rst:15: WARNING: OBL-NA: status 'not_applicable' needs a 'justification' [crmrisk.missing_field]",
        "index.rst:21: WARNING: OBL-BADDATE: effective '25/05/2018' is not a YYYY-MM-DD date [crmrisk.bad_date]",
        "index.rst:27: WARNING: OBL-BACKWARDS: until 2019-01-01 is before effective 2020-01-01 [crmrisk.bad_date]",
        "index.rst:34: WARNING: OBL-ODDVERIF: 'phase' link to OBL-NOBASIS, a obligation; it must point at a phase [crmrisk.link_type]",
        "index.rst:34: WARNING: OBL-ODDVERIF: verification 'maybe' is not one of verified, partial, unverified [crmrisk.bad_value]",
        "index.rst:40: WARNING: CLA-WRONG-01: 'covers' link to PH-CONCEPTION, a phase; it must point at a obligation [crmrisk.link_type]",
        "index.rst:44: WARNING: RISK-WRONG: 'addresses' link to CLA-WRONG-01, a clause; it must point at a obligation [crmrisk.link_type]",
    ]
    for line in expected:
        assert line in found
    # the lapsed obligation needs no cover; the others are covered by CLA-WRONG-01
    assert not [line for line in found if "uncovered" in line]


@pytest.mark.sphinx("html", testroot="problems", freshenv=True)
def test_dead_links_and_duplicate_ids_are_located(app):
    app.build()
    lines = warnings_of(app)
    assert any(
        line.startswith("index.rst:")
        and "OBL-DOES-NOT-EXIST" in line
        and "needs.link_outgoing" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("index.rst:52:")
        and "'CLA-DEAD-01' already exists" in line
        and "needs.create_need" in line
        for line in lines
    ), lines


@pytest.mark.sphinx(
    "html", testroot="clean", freshenv=True, confoverrides={"crmrisk_today": "30/11/2026"}
)
def test_a_bad_reference_date_stops_the_build(make_app, app_params):
    args, kwargs = app_params
    with pytest.raises(
        ConfigError, match=r"crmrisk_today must be a date YYYY-MM-DD, not '30/11/2026'"
    ):
        make_app(*args, **kwargs)


@pytest.mark.parametrize(
    ("today", "state"),
    # OBL-IA-HR takes effect on 2027-12-02 and PROC-IA-16 covers it: upcoming until the
    # day before, covered from that day
    [("2027-12-01", "upcoming"), ("2027-12-02", "covered")],
)
def test_reference_date_moves_upcoming_into_force(copy_root, today, state):
    app = build_once(copy_root("clean"), confoverrides={"crmrisk_today": today})
    assert warnings_of(app) == []
    # what the build wrote into the need, into traceability.json and on the page
    assert needs_of(app)["OBL-IA-HR"]["coverage_state"] == state
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))
    assert trace["reference_date"] == today
    assert {o["id"]: o["state"] for o in trace["obligations"]}["OBL-IA-HR"] == state
    need = soup(app, "obligations").find("table", id="OBL-IA-HR")
    assert f"crmrisk-state-{state}" in need.select_one(".crmrisk-state")["class"]


@pytest.mark.sphinx("needs", testroot="uncovered", freshenv=True)
def test_the_needs_builder_runs_the_same_checks(app):
    app.build()
    assert len(crmrisk_warnings(app)) == 4
    assert (Path(app.outdir) / "needs.json").is_file()


@pytest.mark.sphinx(
    "html",
    testroot="uncovered",
    freshenv=True,
    confoverrides={"crmrisk_inactive_statuses": ["retired"]},
)
def test_every_build_records_the_values_it_assessed_with(app):
    app.build()
    recorded = json.loads((Path(app.outdir) / "crmrisk-config.json").read_text())
    assert recorded["crmrisk_today"] == "2026-11-30"
    assert recorded["crmrisk_inactive_statuses"] == ["retired"]
    # what the command and the notebooks read back gives the build's answer
    from sphinx_crmrisk import load_traceability

    data = load_traceability(app.outdir)
    gaps = [a.obligation.id for a in data.assessments if a.state.is_gap]
    assert gaps == ["OBL-GAP-1", "OBL-GAP-3", "OBL-GAP-4"]


def test_a_build_without_a_reference_date_records_the_day_it_ran(copy_root, frozen_today):
    app = build_once(copy_root("rst"), confoverrides={"crmrisk_today": None})
    recorded = json.loads((Path(app.outdir) / "crmrisk-config.json").read_text())
    assert recorded["crmrisk_today"] == frozen_today.isoformat()
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text())
    assert trace["reference_date"] == frozen_today.isoformat()


def test_a_warm_servers_variable_with_an_unknown_value_is_a_warning(copy_root, monkeypatch):
    # CRMRISK_WARM and CRMRISK_WARM_IDLE (docs/explanation/incremental.md): a value the
    # extension does not know is said once, and its default used
    monkeypatch.setenv("CRMRISK_WARM", "sometimes")
    monkeypatch.setenv("CRMRISK_WARM_IDLE", "ten minutes")
    monkeypatch.delenv("CI", raising=False)
    source = copy_root("clean")
    assert warnings_of(build_once(source, freshenv=True)) == [
        "WARNING: CRMRISK_WARM='sometimes' is not keep, build or off: keep is used"
        " [crmrisk.environment]",
        "WARNING: CRMRISK_WARM_IDLE='ten minutes' is not a number of seconds: 600 is used"
        " [crmrisk.environment]",
    ]
    monkeypatch.setenv("CRMRISK_WARM", "Build")
    monkeypatch.setenv("CRMRISK_WARM_IDLE", "0.5")
    assert warnings_of(build_once(source, freshenv=True)) == []
