"""The pure coverage rule (no Sphinx): every state, every reason, every problem."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sphinx_crmrisk.model import (
    Item,
    Model,
    State,
    assess,
    assess_all,
    find_problems,
    item_from_need,
    parse_date,
    summaries_by_phase,
    uncovered_message,
)
from sphinx_crmrisk.translations import translator

TODAY = dt.date(2026, 11, 30)


def obligation(oid: str = "OBL-A", **fields: str) -> Item:
    status = fields.pop("status", None)
    links = {"phase": ("PH-X",)}
    return Item(
        id=oid,
        type="obligation",
        title=f"title of {oid}",
        status=status,
        docname="chapter",
        doctype=".md",
        lineno=12,
        fields=fields,
        links=links,
    )


def covering(cid: str, *targets: str, kind: str = "clause", status: str | None = None) -> Item:
    return Item(id=cid, type=kind, title=cid, status=status, links={"covers": targets})


PHASE = Item(id="PH-X", type="phase", title="Phase X")


def state_of(ob: Item, *others: Item) -> State:
    model = Model([PHASE, ob, *others])
    return assess(model, ob, TODAY).state


def test_items_and_assessments_hold_slots_not_an_instance_dict_and_stay_frozen():
    """A build keeps every item and assessment through the writing of its pages (its
    peak of memory, benchmarks/README.md): slots, 120 bytes an item instead of 216."""
    ob = obligation(legal_basis="RGPD, art. 28")
    assessment = assess(Model([PHASE, ob]), ob, TODAY)
    for made, name in ((ob, "title"), (assessment, "state")):
        assert not hasattr(made, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, name, None)
    # every argument lands in its own slot
    assert (ob.id, ob.type, ob.title, ob.docname, ob.doctype, ob.lineno) == (
        "OBL-A",
        "obligation",
        "title of OBL-A",
        "chapter",
        ".md",
        12,
    )
    assert ob.fields == {"legal_basis": "RGPD, art. 28"} and ob.links == {"phase": ("PH-X",)}
    assert ob.kind is not None and ob.kind.value == "obligation" and ob.content == ""
    assert assessment.obligation is ob and assessment.state is State.UNCOVERED
    assert (assessment.covering, assessment.discounted, assessment.upcoming) == ((), (), False)


def test_covered_by_an_active_clause_or_procedure():
    ob = obligation()
    assert state_of(ob, covering("CLA-1", "OBL-A")) is State.COVERED
    assert state_of(ob, covering("PROC-1", "OBL-A", kind="procedure")) is State.COVERED


def test_nothing_covers_it():
    assert state_of(obligation()) is State.UNCOVERED


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_inactive_cover_does_not_count_and_says_why(status):
    ob = obligation()
    model = Model([PHASE, ob, covering("CLA-1", "OBL-A", status=status)])
    result = assess(model, ob, TODAY)
    assert result.state is State.UNCOVERED
    assert result.reason == f"CLA-1 is {status}"
    assert f"(CLA-1 is {status})" in uncovered_message(result)


def test_inactive_statuses_are_configurable():
    ob = obligation()
    retired = Model([PHASE, ob, covering("CLA-1", "OBL-A", status="retired")])
    # without retired among the inactive statuses, a retired clause counts
    assert assess(retired, ob, TODAY, ["draft"]).state is State.COVERED
    # a word of the team's own is inactive once it is listed
    proposed = Model([PHASE, ob, covering("CLA-1", "OBL-A", status="proposed")])
    result = assess(proposed, ob, TODAY, ["draft", "proposed"])
    assert result.state is State.UNCOVERED
    assert result.reason == "CLA-1 is proposed"


def status_problems(model: Model, **kwargs) -> list:
    """The findings about statuses (the test obligations lack a legal basis)."""
    return [p for p in find_problems(model, **kwargs) if "status" in p.message]


@pytest.mark.parametrize(
    "status",
    ["brouillon", "Brouillon", "en cours", "projet", "à valider", "A valider", "DRAFT"],
)
def test_a_french_draft_does_not_count(status):
    ob = obligation()
    model = Model([PHASE, ob, covering("CLA-1", "OBL-A", status=status)])
    result = assess(model, ob, TODAY)
    assert result.state is State.UNCOVERED
    assert result.reason == "CLA-1 is draft"
    # in French the reason is the status's French word
    assert result.reason_text(translator("fr")) == "CLA-1\u202f: brouillon"
    assert status_problems(model) == []


@pytest.mark.parametrize("status", ["retiré", "Retirée", "RETIREE", "obsolète", "abrogée"])
def test_a_french_retired_status_does_not_count(status):
    ob = obligation()
    model = Model([PHASE, ob, covering("CLA-1", "OBL-A", status=status)])
    assert assess(model, ob, TODAY).reason == "CLA-1 is retired"


@pytest.mark.parametrize("status", ["active", "actif", "Active", "en vigueur", "validée"])
def test_a_french_active_status_counts(status):
    ob = obligation()
    model = Model([PHASE, ob, covering("CLA-1", "OBL-A", status=status)])
    assert assess(model, ob, TODAY).state is State.COVERED
    assert status_problems(model) == []


def test_the_inactive_statuses_are_inactive_in_every_language():
    ob = obligation()
    # "brouillon" listed: "draft" is inactive too, and the other way round
    for listed, written in (("brouillon", "draft"), ("draft", "brouillon")):
        model = Model([PHASE, ob, covering("CLA-1", "OBL-A", status=written)])
        assert assess(model, ob, TODAY, [listed]).state is State.UNCOVERED


@pytest.mark.parametrize("status", ["n'importe quoi", "proposed", "not_applicable"])
def test_an_unknown_status_never_counts_and_is_a_bad_value(status):
    ob = obligation()
    clause = Item(
        id="CLA-1",
        type="clause",
        title="CLA-1",
        status=status,
        docname="clauses",
        doctype=".md",
        lineno=7,
        links={"covers": ("OBL-A",)},
    )
    model = Model([PHASE, ob, clause])
    result = assess(model, ob, TODAY)
    assert result.state is State.UNCOVERED
    assert result.reason == f"CLA-1 has the unknown status '{status}'"
    [problem] = status_problems(model)
    assert problem.subtype == "bad_value"
    assert problem.item.location == "clauses.md:7"
    assert problem.message.startswith(
        f"CLA-1: status '{status}' is not a status of a clause, so its covers do not count "
        "(statuses: active, approved, in force, actif, "
    )
    # the team's own inactive words are statuses too
    assert status_problems(model, inactive_statuses=["draft", status]) == []


def test_an_obligation_status_is_checked_too():
    justified = obligation(status="non applicable", justification="x")
    assert status_problems(Model([PHASE, justified])) == []
    [problem] = status_problems(Model([PHASE, obligation(status="ouvert")]))
    assert problem.subtype == "bad_value"
    assert "status 'ouvert' is not a status of a obligation" in problem.message
    # a French "not applicable" justifies, as not_applicable does
    assert state_of(obligation(status="Sans objet", justification="no sales")) is State.JUSTIFIED


def test_a_risk_covers_nothing():
    ob = obligation()
    result = assess(Model([PHASE, ob, covering("RISK-1", "OBL-A", kind="risk")]), ob, TODAY)
    assert result.state is State.UNCOVERED
    assert "RISK-1 is a risk, not a clause or procedure" in result.reason


def test_justified_needs_a_justification():
    assert (
        state_of(obligation(status="not_applicable", justification="no sales")) is State.JUSTIFIED
    )
    assert state_of(obligation(status="not_applicable")) is State.UNCOVERED


def test_lapsed_before_the_reference_date_needs_no_cover():
    assert state_of(obligation(effective="2001-01-01", until="2018-05-24")) is State.LAPSED
    # still in force on its last day
    assert state_of(obligation(until="2026-11-30")) is State.UNCOVERED


def test_upcoming_must_still_be_covered():
    ob = obligation(effective="2027-12-02")
    assert state_of(ob, covering("CLA-1", "OBL-A")) is State.UPCOMING
    result = assess(Model([PHASE, ob]), ob, TODAY)
    assert result.state is State.UNCOVERED
    assert "takes effect on 2027-12-02" in uncovered_message(result)


def test_message_names_id_title():
    result = assess(Model([PHASE, obligation()]), obligation(), TODAY)
    assert uncovered_message(result).startswith("OBL-A: obligation 'title of OBL-A' is not covered")


def test_link_to_a_need_part_counts_for_the_need():
    item = item_from_need(
        {"id": "CLA-1", "type": "clause", "title": "t", "covers": ["OBL-A.part1"]}
    )
    assert item.linked("covers") == ("OBL-A",)


def test_item_from_needs_json_entry():
    item = item_from_need(
        {
            "id": "OBL-A",
            "type": "obligation",
            "title": "T",
            "status": None,
            "docname": "handbook/phases/x",
            "doctype": ".md",
            "lineno": 7,
            "legal_basis": "RGPD art. 30",
            "phase": ["PH-X"],
            "covers": [],
            "unknown": "ignored",
        }
    )
    assert item.location == "handbook/phases/x.md:7"
    assert item.fields == {"legal_basis": "RGPD art. 30"}
    assert item.links == {"phase": ("PH-X",)}


def test_parse_date_is_strict():
    assert parse_date("2018-05-25") == dt.date(2018, 5, 25)
    for text in ("25/05/2018", "2018-5-25", "2018-02-30", "soon", ""):
        assert parse_date(text) is None


def test_problems_name_the_item_and_subtype():
    model = Model(
        [
            PHASE,
            Item(id="OBL-1", type="obligation", title="t", links={}),
            Item(
                id="OBL-2",
                type="obligation",
                title="t",
                fields={"legal_basis": "x", "effective": "2020-01-01", "until": "2019-01-01"},
                links={"phase": ("PH-X",)},
            ),
            Item(
                id="OBL-3",
                type="obligation",
                title="t",
                fields={"legal_basis": "x", "verification": "maybe"},
                links={"phase": ("OBL-1",)},
            ),
            Item(id="CLA-1", type="clause", title="t", links={"covers": ("PH-X",)}),
            Item(
                id="OBL-4",
                type="obligation",
                title="t",
                fields={"legal_basis": "x"},
                links={"phase": ("PH-X",), "covers": ("OBL-1",)},
            ),
        ]
    )
    found = {(f.subtype, f.item.id, f.message) for f in find_problems(model)}
    assert ("missing_field", "OBL-1", "OBL-1: obligation has no 'legal_basis'") in found
    assert ("missing_field", "OBL-1", "OBL-1: obligation has no 'phase' link") in found
    assert ("bad_date", "OBL-2", "OBL-2: until 2019-01-01 is before effective 2020-01-01") in found
    assert (
        "bad_value",
        "OBL-3",
        "OBL-3: verification 'maybe' is not one of verified, partial, unverified",
    ) in found
    assert (
        "link_type",
        "OBL-3",
        "OBL-3: 'phase' link to OBL-1, a obligation; it must point at a phase",
    ) in found
    assert (
        "link_type",
        "CLA-1",
        "CLA-1: 'covers' link to PH-X, a phase; it must point at a obligation",
    ) in found
    assert any(
        s == "link_type" and i == "OBL-4" and "cannot have a 'covers' link" in m
        for s, i, m in found
    )


def test_required_fields_are_configurable():
    ob = obligation(legal_basis="x")
    model = Model([PHASE, ob])
    assert find_problems(model) == []
    messages = [f.message for f in find_problems(model, ["legal_basis", "source"])]
    assert messages == ["OBL-A: obligation has no 'source'"]


def test_summaries_count_each_phase_and_overall_once():
    ph2 = Item(id="PH-Y", type="phase", title="Y")
    both = Item(id="OBL-B", type="obligation", title="b", links={"phase": ("PH-X", "PH-Y")})
    only_x = obligation("OBL-A")
    model = Model([PHASE, ph2, both, only_x, covering("CLA-1", "OBL-B")])
    rows = summaries_by_phase(model, assess_all(model, TODAY))
    by_label = {row.label: row for row in rows}
    assert [row.label for row in rows] == ["PH-X", "PH-Y", ""]
    assert (by_label["PH-X"].total, by_label["PH-X"].covered) == (2, 1)
    assert by_label["PH-X"].percent == 50.0
    assert (by_label["PH-Y"].total, by_label["PH-Y"].percent) == (1, 100.0)
    assert by_label[""].total == 2
