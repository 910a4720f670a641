"""Scope: the activity vocabulary, crmrisk_profile and the out_of_scope state (no Sphinx)."""

from __future__ import annotations

import datetime as dt

import pytest

from sphinx_crmrisk.model import Item, Model, State, assess, find_problems, summarize
from sphinx_crmrisk.scope import ACTIVITIES, IMPLIES, expand
from sphinx_crmrisk.settings import SettingsError, default_values, read_settings, recorded_values
from sphinx_crmrisk.traceability import Traceability

TODAY = dt.date(2026, 11, 30)
PHASE = Item(id="PH-X", type="phase", title="Phase X")


def obligation(applies_to: str = "", oid: str = "OBL-A", **fields: str) -> Item:
    status = fields.pop("status", None)
    if applies_to:
        fields["applies_to"] = applies_to
    return Item(
        id=oid,
        type="obligation",
        title=oid,
        status=status,
        docname="ch",
        doctype=".md",
        lineno=3,
        fields=fields,
        links={"phase": ("PH-X",)},
    )


def assessed(ob: Item, profile: list[str] | None, *others: Item):
    model = Model([PHASE, ob, *others])
    return assess(model, ob, TODAY, profile=None if profile is None else expand(profile))


@pytest.mark.parametrize("word", list(ACTIVITIES))
def test_every_activity_word_puts_out_of_scope_an_organization_without_it(word):
    ob = obligation(word)
    inside = assessed(ob, [word])
    assert (inside.state, inside.out_of_scope_by) == (State.UNCOVERED, ())
    others = [w for w in ACTIVITIES if w != word and word not in IMPLIES.get(w, ())]
    outside = assessed(ob, others)
    assert (outside.state, outside.out_of_scope_by) == (State.OUT_OF_SCOPE, (word,))
    assert not outside.state.is_gap
    # no profile: everything applies
    assert assessed(ob, None).state is State.UNCOVERED


def test_an_obligation_of_two_activities_applies_only_to_who_does_both():
    ob = obligation("prospection, assurance")
    assert assessed(ob, ["prospection", "assurance"]).state is State.UNCOVERED
    assert assessed(ob, ["prospection"]).out_of_scope_by == ("assurance",)
    assert assessed(ob, ["assurance"]).out_of_scope_by == ("prospection",)
    assert assessed(ob, []).out_of_scope_by == ("prospection", "assurance")


@pytest.mark.parametrize("word", ["assurance", "credit"])
def test_insurers_and_lenders_sell_financial_services(word):
    # OBL-CONSO-L222-5-1 (distance-sold financial services) concerns an insurer whose
    # profile says only "assurance"
    ob = obligation("services-financiers")
    assert assessed(ob, [word]).state is State.UNCOVERED
    assert assessed(ob, ["prospection"]).state is State.OUT_OF_SCOPE
    assert expand([word]) == {word, "services-financiers"}


def test_precedence_lapsed_then_out_of_scope_then_justified_then_covered():
    cover = Item(id="CLA-1", type="clause", title="c", links={"covers": ("OBL-A",)})
    lapsed = obligation("assurance", until="2020-01-01")
    assert assessed(lapsed, ["prospection"]).state is State.LAPSED
    justified = obligation("assurance", status="not_applicable", justification="none")
    assert assessed(justified, ["prospection"]).state is State.OUT_OF_SCOPE
    assert assessed(justified, ["assurance"]).state is State.JUSTIFIED
    # a cover of an obligation out of scope is kept, and does not bring it back in
    covered = assessed(obligation("assurance"), ["prospection"], cover)
    assert covered.state is State.OUT_OF_SCOPE
    assert [i.id for i in covered.covering] == ["CLA-1"]
    assert assessed(obligation("assurance"), ["assurance"], cover).state is State.COVERED


def test_out_of_scope_is_counted_apart_and_needs_no_cover():
    results = [
        assessed(obligation("assurance", "OBL-A"), ["prospection"]),
        assessed(obligation("", "OBL-B"), ["prospection"]),
    ]
    summary = summarize("", results)
    assert summary.counts[State.OUT_OF_SCOPE] == 1
    assert (summary.total, summary.in_force) == (2, 1)


def test_traceability_expands_the_profile_and_lists_what_is_out_of_scope():
    model = Model([PHASE, obligation("services-financiers", "OBL-F"), obligation("ia", "OBL-I")])
    trace = Traceability.at(model, TODAY, profile=("assurance",))
    assert [a.obligation.id for a in trace.gaps] == ["OBL-F"]
    assert [(a.obligation.id, a.out_of_scope_by) for a in trace.out_of_scope] == [
        ("OBL-I", ("ia",))
    ]


def test_an_unknown_applies_to_word_is_a_bad_value_naming_the_valid_ones():
    ob = obligation("prospection, banque")
    findings = [f for f in find_problems(Model([PHASE, ob])) if f.subtype == "bad_value"]
    assert [f.message for f in findings] == [
        "OBL-A: applies_to 'banque' is not an activity (activities: " + ", ".join(ACTIVITIES) + ")"
    ]


def test_crmrisk_profile_is_validated_and_recorded():
    values = {**default_values(), "crmrisk_profile": ["prospection", "ia"]}
    config = read_settings(values)
    assert config.profile == ("prospection", "ia")
    assert recorded_values(config)["crmrisk_profile"] == ("prospection", "ia")
    assert read_settings(default_values()).profile is None
    with pytest.raises(
        SettingsError, match=r"'banque' is not an activity \(activities: prospection, "
    ):
        read_settings({**values, "crmrisk_profile": ["banque"]})
    with pytest.raises(SettingsError, match="must be a list of activities"):
        read_settings({**values, "crmrisk_profile": "prospection"})
