"""The handbook keeps the project's promises: its counts, its fields, its sources, its gate."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from sphinx_crmrisk.cli import main as crmrisk
from sphinx_crmrisk.load import find_needs_json, load_traceability
from sphinx_crmrisk.model import Kind, State
from sphinx_crmrisk.source import needs_json_of

REPO = Path(__file__).parents[1]
OFFICIAL_SITES = ("legifrance.gouv.fr", "eur-lex.europa.eu", "cnil.fr")
STATEMENT_DATE = dt.date(2026, 11, 30)

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
    assert "30 novembre 2026" in home
    assert "pas un avis juridique" in home


def test_counts_of_the_catalogue(handbook):
    states = [a.state for a in handbook.assessments]
    in_force = [s for s in states if s is not State.LAPSED]
    assert len(in_force) >= 50
    assert states.count(State.LAPSED) >= 9
    assert len(handbook.model.of_kind(Kind.CLAUSE)) >= 20
    assert len(handbook.model.of_kind(Kind.PROCEDURE)) >= 20
    assert len(handbook.model.of_kind(Kind.RISK)) == 14
    assert {p.id for p in handbook.model.of_kind(Kind.PHASE)} == {
        "PH-CONCEPTION", "PH-DEPLOIEMENT", "PH-EXPLOITATION",
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
    needs = json.loads(find_needs_json(needs_json_of(REPO)).read_text())
    needs = needs["versions"][needs["current_version"]]["needs"]
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
    capsys.readouterr()
    assert crmrisk(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f": {ob_id}: obligation '" in out
    assert "1 uncovered" in out
