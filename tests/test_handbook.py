"""The handbook keeps the project's promises: its counts, its fields, its sources, its gate."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from sphinx_builds import build_once, needs_of

from sphinx_crmrisk import load_traceability
from sphinx_crmrisk.cli import main as crmrisk
from sphinx_crmrisk.model import Kind, State
from sphinx_crmrisk.needs_cache import needs_json_of
from sphinx_crmrisk.needs_json import find_needs_json
from sphinx_crmrisk.scope import ACTIVITIES
from sphinx_crmrisk.watch import WatchState

REPO = Path(__file__).parents[1]
OFFICIAL_SITES = ("legifrance.gouv.fr", "eur-lex.europa.eu", "cnil.fr")
STATEMENT_DATE = dt.date(2026, 12, 5)

# the handbook is a Jupyter Book: reading it needs Jupyter Book 1, hence Sphinx 7.4
pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def handbook():
    return load_traceability(REPO)


def obligations(handbook):
    return sorted(handbook.model.obligations, key=lambda item: item.id)


def test_the_handbook_states_the_law_as_of_its_date(handbook):
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["sphinx"]["config"]["crmrisk_today"] == STATEMENT_DATE.isoformat()
    assert handbook.today == STATEMENT_DATE
    home = (REPO / "handbook" / "intro.md").read_text()
    assert "5 décembre 2026" in home
    assert "pas un avis juridique" in home


def test_counts_of_the_catalogue(handbook):
    states = [a.state for a in handbook.assessments]
    in_force = [s for s in states if s is not State.LAPSED]
    # the statement of the law revised on 1 December 2026: 60 obligations in force or
    # upcoming, 10 lapsed, 22 clauses, 25 procedures; more may come, fewer would be a loss
    assert len(in_force) >= 60
    assert states.count(State.LAPSED) >= 10
    assert len(handbook.model.of_kind(Kind.CLAUSE)) >= 22
    assert len(handbook.model.of_kind(Kind.PROCEDURE)) >= 25
    assert len(handbook.model.of_kind(Kind.RISK)) == 14
    assert {p.id for p in handbook.model.of_kind(Kind.PHASE)} == {
        "PH-CONCEPTION",
        "PH-DEPLOIEMENT",
        "PH-EXPLOITATION",
    }


def test_every_obligation_is_covered_justified_or_lapsed(handbook):
    gaps = [a.obligation.id for a in handbook.assessments if a.state.is_gap]
    assert gaps == []


def test_every_obligation_states_basis_phase_date_and_official_source(handbook):
    for ob in obligations(handbook):
        assert ob.field("legal_basis"), ob.id
        assert ob.linked("phase"), ob.id
        assert ob.field("effective"), ob.id
        host = urlparse(ob.field("source")).hostname or ""
        assert host.endswith(OFFICIAL_SITES), f"{ob.id}: {ob.field('source')}"


def test_lapsed_rules_say_when_they_ended_and_what_replaced_them(handbook):
    lapsed = [a.obligation for a in handbook.assessments if a.state is State.LAPSED]
    for ob in lapsed:
        assert ob.field("until"), ob.id
        replacements = ob.linked("replaced_by")
        assert replacements, ob.id
        for new_id in replacements:
            assert handbook.model.items[new_id].kind is Kind.OBLIGATION


def test_unsettled_facts_are_shown_as_such(handbook):
    needs = needs_of(find_needs_json(needs_json_of(REPO)))
    for ob in obligations(handbook):
        level = ob.field("verification")
        assert level in ("verified", "partial", "unverified"), ob.id
        if level != "verified":
            assert "À confirmer" in needs[ob.id]["content"], ob.id


def test_a_lost_cover_fails_the_command_naming_the_obligation(handbook, tmp_path, capsys):
    # an obligation that a single item covers: remove that item's link to it
    fragile = next(
        a for a in handbook.assessments if a.state is State.COVERED and len(a.covering) == 1
    )
    ob_id, cover_id = fragile.obligation.id, fragile.covering[0].id
    source = find_needs_json(needs_json_of(REPO))
    data = json.loads(source.read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    needs[cover_id]["covers"] = [i for i in needs[cover_id]["covers"] if i != ob_id]
    (tmp_path / "needs.json").write_text(json.dumps(data))
    shutil.copy(source.with_name("crmrisk-config.json"), tmp_path)

    assert crmrisk(["check", str(source.parent)]) == 0
    out = capsys.readouterr().out
    # the handbook is French: the command answers in French, with French plurals
    total = len(handbook.assessments)
    assert out.startswith(f"{total} obligations au 2026-12-05\u202f: ")
    assert ", 0 non couverte" in out
    assert crmrisk(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f": {ob_id}\u202f: l'obligation «\u202f" in out
    assert ", 1 non couverte" in out
    # --lang: the same in English
    assert crmrisk(["check", str(tmp_path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f": {ob_id}: obligation '" in out and "1 uncovered" in out


def test_the_veille_page_lists_every_upcoming_obligation_from_the_build(handbook):
    upcoming = {a.obligation.id for a in handbook.assessments if a.state is State.UPCOMING}
    # the Data Act's end of switching charges (12 January 2027) is one of them
    assert "OBL-DATA-ACT-29" in upcoming
    source = (REPO / "handbook" / "veille.md").read_text(encoding="utf-8")
    # the list is the extension's matrix view filtered on that state (its filtering is tested
    # in test_directives), not a second hand-kept list: no upcoming ID is written in the page.
    # The watch items' :affects: links name obligations a text awaited will change (the SREN
    # item names OBL-DATA-ACT-29): they say what will change, not what is upcoming
    assert "```{crmrisk-matrix}\n:state: upcoming\n```" in source
    affects = [line for line in source.splitlines() if line.startswith(":affects:")]
    assert any("OBL-DATA-ACT-29" in line for line in affects)
    rest = "\n".join(line for line in source.splitlines() if not line.startswith(":affects:"))
    assert [i for i in sorted(upcoming) if i in rest] == []
    # the dated table beside it is sphinx-needs' own, filtered on the state the build wrote
    # into each need, which needs.json carries: the same obligations, no date written twice
    assert ':filter: coverage_state == "upcoming"' in source
    assert STATEMENT_DATE.isoformat() not in source
    needs = needs_of(find_needs_json(needs_json_of(REPO)))
    assert {i for i, n in needs.items() if n.get("coverage_state") == "upcoming"} == upcoming


def test_the_veille_page_holds_only_watch_items_none_overdue(handbook):
    source = (REPO / "handbook" / "veille.md").read_text(encoding="utf-8")
    # no hand-written table left: the texts awaited are watch items, listed by the view
    assert not [line for line in source.splitlines() if line.lstrip().startswith("|")]
    assert "```{crmrisk-watch}\n```" in source
    watches = handbook.watches
    assert len(watches) == source.count("{watch}") >= 9
    assert {w.item.docname for w in watches} == {"handbook/veille"}
    # none overdue on the statement date, each open with a date after it
    assert [w.item.id for w in watches if w.state is WatchState.OVERDUE] == []
    assert all(w.state is WatchState.OPEN and w.expected > STATEMENT_DATE for w in watches)
    assert [f.message for f in handbook.findings if f.subtype == "watch_overdue"] == []
    # the handbook's rules: basis, source, verification, and what is unsettled shown as such
    data = json.loads(find_needs_json(needs_json_of(REPO)).read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    for watch in watches:
        item = watch.item
        assert item.field("legal_basis"), item.id
        assert urlparse(item.field("source")).scheme == "https", item.id
        assert item.field("verification") in ("verified", "partial", "unverified"), item.id
        if item.field("verification") != "verified":
            assert "À confirmer" in needs[item.id]["content"], item.id
        assert watch.affects, item.id
        assert {o.id for o in watch.affects} == set(item.linked("affects")), item.id
    # the obligations they affect say so, in the built pages too
    affected = {o.id for w in watches for o in w.affects}
    assert {"OBL-CONSO-R223-1", "OBL-DATA-ACT-29", "OBL-IA-HR"} <= affected


def test_the_law_of_5_december_2026_is_in_the_built_needs_json(handbook):
    """The done-when of issue 22, read from the needs.json the handbook's build wrote."""
    data = json.loads(find_needs_json(needs_json_of(REPO)).read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    # décret n° 2026-662 in force from 11 August 2026: the three new obligations cite it
    for ob_id in ("OBL-CONSO-R223-1", "OBL-CONSO-R223-2", "OBL-CONSO-R223-3"):
        assert "2026-662" in needs[ob_id]["legal_basis"], ob_id
        assert needs[ob_id]["effective"] == "2026-08-11", ob_id
    # D223-9 as rewritten by it, the earlier wording lapsed the day before
    rewritten = needs["OBL-CONSO-D223-9-2026"]
    assert "D223-9" in rewritten["legal_basis"] and "2026-662" in rewritten["legal_basis"]
    assert rewritten["effective"] == "2026-08-11"
    old = needs["OBL-CONSO-D223-9"]
    assert old["until"] == "2026-08-10"
    assert old["replaced_by"] == ["OBL-CONSO-D223-9-2026"]
    # the AI obligations cite règlement (UE) 2026/1744
    for ob_id in ("OBL-IA-HR", "OBL-IA-4", "OBL-IA-50"):
        assert "2026/1744" in needs[ob_id]["legal_basis"], ob_id
    # trackers: art. 82 effective in 2011 (ordonnance n° 2011-1012), not 2021
    assert needs["OBL-CNIL-TRACEURS"]["effective"].startswith("2011-")
    assert "82" in needs["OBL-CNIL-TRACEURS"]["legal_basis"]
    # accessibility: art. 47 cites ordonnance n° 2023-859
    assert "2023-859" in needs["OBL-ACCESS-47"]["legal_basis"]
    assert "47" in needs["OBL-ACCESS-47"]["legal_basis"]


def test_every_obligation_names_only_known_activities(handbook):
    vocabulary = set(ACTIVITIES)  # the one vocabulary, sphinx_crmrisk/scope.py
    tagged = 0
    for ob in obligations(handbook):
        words = [w.strip() for w in (ob.field("applies_to") or "").split(",") if w.strip()]
        assert set(words) <= vocabulary, (ob.id, words)
        tagged += bool(words)
    # insurance, CPF and renovation canvassing concern only the programs that do them
    assert (
        handbook.model.items["OBL-ASSUR-L112-2-2"].field("applies_to") == "prospection, assurance"
    )
    assert tagged >= 30


def test_every_clause_and_procedure_has_an_owner_a_review_and_a_cycle(handbook):
    from sphinx_crmrisk.reviews import ReviewState

    covering = handbook.model.of_kind(Kind.CLAUSE) + handbook.model.of_kind(Kind.PROCEDURE)
    for item in covering:
        assert item.field("owner"), item.id
        assert item.field("review_every").isdigit(), item.id
    # reviewed, none overdue or suspect as of the statement date, each recorded in the lock
    assert {r.item.id for r in handbook.reviews} == {item.id for item in covering}
    assert [
        r.item.id for r in handbook.reviews if r.state in (ReviewState.NEVER, ReviewState.OVERDUE)
    ] == []
    assert [r.item.id for r in handbook.reviews if r.suspects or r.unrecorded] == []
    assert [f.message for f in handbook.findings] == []
    # the calendar page shows the extension's view, under « Repères »
    assert "```{crmrisk-reviews}\n```" in (REPO / "handbook" / "revues.md").read_text(
        encoding="utf-8"
    )
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    reperes = next(part for part in toc["parts"] if part["caption"] == "Repères")
    assert {"file": "handbook/revues"} in reperes["chapters"]


def test_the_handbooks_audit_pack_names_every_obligation_and_risk(handbook, tmp_path, capsys):
    import pypdf

    output = tmp_path / "pack"
    assert (
        crmrisk(["pack", str(find_needs_json(needs_json_of(REPO))), "--output", str(output)]) == 0
    )
    capsys.readouterr()
    reader = pypdf.PdfReader(output / "dossier-audit.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for item in handbook.model.obligations + handbook.model.of_kind(Kind.RISK):
        assert item.id in text, item.id  # whole: an ID is never broken across lines
    assert "État du droit au 5 décembre 2026" in text
    assert "Relation client et centres d'appels" in text


def test_the_handbook_needs_json_names_its_project_and_imports_with_sphinx_needs(tmp_path):
    """Another project may take the handbook's needs with sphinx-needs' own needimport,
    and build with -W: no link to a page of the handbook in a need's text (issue 24)."""
    needs_json = find_needs_json(needs_json_of(REPO))
    document = json.loads(needs_json.read_text(encoding="utf-8"))
    assert document["project"] != "Project name not set"
    assert document["project"].startswith("Relation client et centres d'appels")
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx_crmrisk"]\n'
        'language = "fr"\n'
        "crmrisk_enable = True\n"
        'crmrisk_today = "2026-12-05"\n'
        "crmrisk_fail_on_uncovered = False\n",
        encoding="utf-8",
    )
    shutil.copy(needs_json, tmp_path / "handbook-needs.json")
    (tmp_path / "index.md").write_text(
        "# Import\n\n```{needimport} handbook-needs.json\n:parse_by_doctype: true\n```\n",
        encoding="utf-8",
    )
    app = build_once(tmp_path, freshenv=True)
    warnings = app.warning.getvalue()
    assert "WARNING" not in warnings, warnings[:3000]
