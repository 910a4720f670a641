"""The fast paths of load.py and model.py give what the plain ones gave.

``read_needs`` parses with msgspec (json only when msgspec refuses the text),
``read_model_needs`` keeps only the keys the model reads, both pause the cyclic garbage
collector, and ``item_from_need``, ``Model``, ``assess`` and
``summaries_by_phase`` were rewritten for speed. The plain path, as it was before,
is kept here as the oracle: ``json.loads`` and the original functions.
No timings: only that the results are the same.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from sphinx_crmrisk import load, load_traceability
from sphinx_crmrisk.kinds import (
    AUTHORED_FIELDS,
    COVERING_KINDS,
    KIND_STATUSES,
    LINK_SPECS,
    STATUS_WORDS,
    Status,
    canonical_status,
    status_key,
)
from sphinx_crmrisk.model import (
    DEFAULT_INACTIVE_STATUSES,
    NEED_KEYS,
    NOT_APPLICABLE,
    Assessment,
    Discount,
    DiscountCode,
    Item,
    Kind,
    Model,
    State,
    assess_all,
    item_from_need,
    parse_date,
    split_list,
    summaries_by_phase,
    summarize,
)
from sphinx_crmrisk.needs_json import LoadError, needs_of, read_model_needs, read_needs
from sphinx_crmrisk.reports import REPORTERS
from sphinx_crmrisk.traceability import Traceability

FIXTURES = Path(__file__).parent / "fixtures"
DATES = (dt.date(2020, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 11, 30), dt.date(2040, 1, 1))
INACTIVE = (("draft", "retired"), ("draft",), ())
# no profile (every obligation applies), an empty one, and some whose words imply others
PROFILES = (None, (), ("prospection",), ("assurance",), ("prospection", "credit"))


# ------------------------------------------------------------- the plain path, as it was


def plain_read_needs(path: Path) -> dict[str, Mapping[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{path}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{path}: invalid JSON at line {err.lineno}: {err.msg}") from None
    return needs_of(data, str(path))


def plain_link_ids(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return split_list(value)
    return tuple(str(v).split(".", 1)[0] for v in value)


def plain_item_from_need(need: Mapping[str, Any]) -> Item:
    lineno = need.get("lineno")
    return Item(
        id=str(need["id"]),
        type=str(need.get("type", "")),
        title=str(need.get("title", "")),
        status=need.get("status") or None,
        docname=need.get("docname") or None,
        doctype=need.get("doctype") or None,
        lineno=int(lineno) if isinstance(lineno, int) else None,
        # the fields an author writes: the computed ones (coverage_state...) are output
        fields={name: str(value).strip() for name in AUTHORED_FIELDS if (value := need.get(name))},
        links={name: ids for name in LINK_SPECS if (ids := plain_link_ids(need.get(name)))},
        # an obligation's text: its reviews track it (reviews.py)
        content=content
        if need.get("type") == "obligation" and isinstance(content := need.get("content"), str)
        else "",
    )


def plain_incoming(items: Iterable[Item]) -> dict[str, dict[str, list[str]]]:
    incoming: dict[str, dict[str, list[str]]] = {}
    for item in items:
        for link_type, targets in item.links.items():
            for target in targets:
                incoming.setdefault(target, {}).setdefault(link_type, []).append(item.id)
    for by_type in incoming.values():
        for ids in by_type.values():
            ids.sort()
    return incoming


def plain_parse_date(text: str) -> dt.date | None:
    """An ISO date written in full (``2026-01-01``), else None; parsed anew each time."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None


def plain_expand(profile: Iterable[str] | None) -> frozenset[str] | None:
    """The profile's activities, with services-financiers for insurance or credit."""
    if profile is None:
        return None
    words = set(profile)
    if words & {"assurance", "credit"}:
        words.add("services-financiers")
    return frozenset(words)


def plain_assess(
    model: Model,
    obligation: Item,
    today: dt.date,
    inactive: frozenset[str],
    profile: frozenset[str] | None = None,
) -> Assessment:
    """The rule, in its order: lapsed > out_of_scope > justified > covered or upcoming >
    uncovered. ``profile``: the expanded activities (None: every obligation applies)."""
    covering, discounted = [], []
    # the words of the inactive statuses, and of their statuses, in every language
    inactive_words = {status_key(word) for word in inactive}
    for word in inactive:
        if canonical_status(word) is not None:
            inactive_words |= {status_key(w) for w in STATUS_WORDS[canonical_status(word)]}
    for item in model.incoming(obligation.id, "covers"):
        status = item.status
        if item.kind not in COVERING_KINDS:
            discounted.append((item, Discount(DiscountCode.NOT_COVERING, type=item.type)))
        elif status and status_key(status) in inactive_words:
            discounted.append((item, Discount(DiscountCode.INACTIVE, status=status)))
        elif status and canonical_status(status) not in KIND_STATUSES[item.kind]:
            discounted.append((item, Discount(DiscountCode.UNKNOWN_STATUS, status=status)))
        else:
            covering.append(item)
    effective = plain_parse_date(obligation.field("effective"))
    until = plain_parse_date(obligation.field("until"))
    upcoming = effective is not None and effective > today
    evidence = {"covering": tuple(covering), "discounted": tuple(discounted), "upcoming": upcoming}
    if until is not None and until < today:
        return Assessment(obligation, State.LAPSED, **evidence)
    applies_to = split_list(obligation.field("applies_to"))
    lacking = () if profile is None else tuple(w for w in applies_to if w not in profile)
    if lacking:
        return Assessment(obligation, State.OUT_OF_SCOPE, **evidence, out_of_scope_by=lacking)
    not_applicable = canonical_status(obligation.status or "") is Status.NOT_APPLICABLE
    if not_applicable and obligation.field("justification"):
        return Assessment(obligation, State.JUSTIFIED, **evidence)
    if covering:
        return Assessment(obligation, State.UPCOMING if upcoming else State.COVERED, **evidence)
    return Assessment(obligation, State.UNCOVERED, **evidence)


def plain_summaries(model: Model, assessments: list[Assessment]):
    phases = sorted(
        (item for item in model.items.values() if item.kind is Kind.PHASE), key=lambda i: i.id
    )
    rows = [
        summarize(phase.id, (a for a in assessments if phase.id in a.obligation.linked("phase")))
        for phase in phases
    ]
    rows.append(summarize("", assessments))
    return rows


# ------------------------------------------------------------------------- comparisons


def model_keys(needs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        need_id: {key: need[key] for key in NEED_KEYS if key in need}
        for need_id, need in needs.items()
    }


def assert_same_as_plain(needs_json: Path) -> set[State]:
    """Needs, items, incoming links, assessments, summaries and reports all alike, at
    each date of DATES, with each set of inactive statuses and each profile of PROFILES;
    the states the plain path gave, so that a test can say which it covered."""
    plain_needs = plain_read_needs(needs_json)
    assert read_needs(needs_json) == plain_needs
    assert model_keys(read_model_needs(needs_json)) == model_keys(plain_needs)
    plain_items = {need["id"]: plain_item_from_need(need) for need in plain_needs.values()}

    model = load(needs_json)
    assert model.items == plain_items
    # same order too: the matrix and the reports list items as the dict holds them
    assert list(model.items) == list(plain_items)
    assert model._incoming == plain_incoming(plain_items.values())
    for kind in Kind:
        assert model.of_kind(kind) == [i for i in plain_items.values() if i.kind is kind]

    seen: set[State] = set()
    for today, inactive, profile in itertools.product(DATES, INACTIVE, PROFILES):
        expected = [
            plain_assess(model, obligation, today, frozenset(inactive), plain_expand(profile))
            for obligation in sorted(model.obligations, key=lambda i: i.id)
        ]
        seen |= {a.state for a in expected}
        settings = {"inactive_statuses": inactive, "profile": profile}
        computed = Traceability.at(model, today, **settings)
        assert computed.assessments == expected, (today, inactive, profile)
        assessments = assess_all(model, today, inactive, plain_expand(profile))
        assert assessments == expected, (today, inactive, profile)
        assert summaries_by_phase(model, assessments) == plain_summaries(model, expected)
        plain = Traceability.at(model, today, **settings)
        plain.__dict__["assessments"] = expected  # the cached property, given the plain ones
        for report in REPORTERS.values():
            assert report(computed, False) == report(plain, False)

    traceability = load_traceability(needs_json)
    assert traceability.model.items == plain_items
    assert gc.isenabled()
    return seen


def test_fixture_gives_the_same_model_as_the_plain_path():
    assert_same_as_plain(FIXTURES / "needs-new.json")
    assert_same_as_plain(FIXTURES / "needs-old.json")


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_a_real_build_gives_the_same_model_as_the_plain_path(app):
    app.build()
    needs_json = Path(app.outdir) / "needs.json"
    assert {n["type"] for n in read_needs(needs_json).values()} == {k.value for k in Kind}
    assert_same_as_plain(needs_json)


def test_need_parts_repeated_links_and_odd_values_read_alike(tmp_path):
    # ill-typed values (a number for a text, a text for a list of IDs...) are refused
    # since issue 15: tests/test_input_validation.py; these are well-typed oddities
    needs = {
        "OBL-1": {
            "type": "obligation",
            "title": "One",
            "lineno": 3,
            "status": "open",
            "effective": " 2026-01-01 ",
            "until": "",
            "legal_basis": "12",
            "phase": ["PH-1", "PH-1"],
            "replaced_by": ["OBL-2", "OBL-3"],
        },
        "OBL-2": {
            "type": "obligation",
            "title": "",
            "lineno": 7,
            "justification": "n/a",
            "status": NOT_APPLICABLE,
            "phase": [],
        },
        "CLA-1": {
            "type": "clause",
            "title": "C",
            "covers": ["OBL-1.part", "OBL-2"],
            "status": "draft",
            "party": "a, b",
            "docname": "",
            "doctype": ".md",
        },
        "PROC-1": {"type": "procedure", "covers": ["OBL-1"], "lineno": None},
        "X-1": {"type": "other", "covers": ["OBL-2"], "addresses": None},
        "PH-1": {"type": "phase", "title": "Phase"},
        # the profile's rule: out of scope unless the profile has every activity listed
        "OBL-INSURER": {"type": "obligation", "applies_to": "assurance", "phase": ["PH-1"]},
        "OBL-FINANCE": {"type": "obligation", "applies_to": "prospection, services-financiers"},
        "PROC-2": {"type": "procedure", "covers": ["OBL-FINANCE", "OBL-OLD"]},
        # lapsed goes before out of scope
        "OBL-OLD": {"type": "obligation", "until": "2025-12-31", "applies_to": "credit"},
    }
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"versions": {"": {"needs": needs}}}), encoding="utf-8")
    # every state of the rule is met among the dates, statuses and profiles checked
    assert assert_same_as_plain(path) == set(State)


def test_what_msgspec_refuses_json_still_reads(tmp_path):
    # NaN and a lone surrogate where the model reads nothing: json accepts both,
    # msgspec does not (a lone surrogate in a title is refused: test_input_validation)
    path = tmp_path / "needs.json"
    path.write_text(
        '{"versions": {"": {"needs": {"OBL-1": {"type": "obligation", '
        '"title": "T", "note": "\\ud800", "score": NaN}}}}}',
        encoding="utf-8",
    )
    assert_same_as_plain(path)


class _KeysRead(dict):
    """A need that records which keys are read from it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def test_the_model_reads_no_key_that_read_model_needs_skips():
    # read_model_needs drops every key not in NEED_KEYS: one more read would be lost
    for need in plain_read_needs(FIXTURES / "needs-new.json").values():
        recorded = _KeysRead(need)
        item_from_need(recorded)
        assert recorded.read <= set(NEED_KEYS)


@pytest.mark.parametrize(
    "content",
    [
        '{"versions": []}',
        '{"versions": {"": []}}',
        '{"versions": {"": {"needs": []}}}',
        '{"versions": {"": {"needs": {"OBL-1": "text"}}}}',
        '{"versions": {"": {"needs": {"OBL-1": {"title": "no type"}}}}}',
        '{"current_version": "2", "versions": {"1": {"needs": {}}, "3": {"needs": {}}}}',
        "[]",
    ],
)
def test_a_needs_json_of_the_wrong_shape_gives_the_plain_paths_message(tmp_path, content):
    path = tmp_path / "needs.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoadError) as plain:
        plain_read_needs(path)
    for read in (read_needs, read_model_needs):
        with pytest.raises(LoadError) as fast:
            read(path)
        assert str(fast.value) == str(plain.value)
    assert gc.isenabled()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{\n  "versions": {\n    "": {"needs": {\n      "OBL-1": {"type": "obligation",}\n}}}}',
        '{"versions": {}}\n\n\n  trailing',
        "",
        '{"versions": {"": {"needs": {}}}',
        '{\r\n"versions":\r\n\r\n x}',
        '{\r"versions":\r\r x}',
        "\ufeff\ufeff{}",  # one byte order mark is skipped, not two
        '{"a": "tab\tinside"}',
    ],
)
def test_invalid_json_gives_the_plain_paths_one_line_message(tmp_path, content):
    path = tmp_path / "needs.json"
    path.write_bytes(content.encode("utf-8"))
    with pytest.raises(LoadError) as plain:
        plain_read_needs(path)
    with pytest.raises(LoadError) as fast:
        read_needs(path)
    message = str(fast.value)
    assert message == str(plain.value)
    assert message.startswith(f"{path}: invalid JSON at line ")
    assert "\n" not in message
    assert gc.isenabled()


def test_the_line_number_is_the_line_of_the_error(tmp_path):
    path = tmp_path / "needs.json"
    path.write_text('{\n  "versions": {\n    "": {\n      "needs": }\n}}', encoding="utf-8")
    with pytest.raises(LoadError, match=r"invalid JSON at line 4: Expecting value$"):
        read_needs(path)


def test_bytes_that_are_not_utf8_cannot_be_read_as_before(tmp_path):
    path = tmp_path / "needs.json"
    path.write_bytes(b'{"versions": {"": {"needs": {"A": {"type": "x", "title": "\xff"}}}}}')
    with pytest.raises(LoadError) as plain:
        plain_read_needs(path)
    with pytest.raises(LoadError) as fast:
        read_needs(path)
    assert str(fast.value) == str(plain.value)
    assert ": cannot read: 'utf-8' codec can't decode byte 0xff" in str(fast.value)


def test_the_collector_runs_again_after_a_load_and_stays_off_when_it_was(tmp_path):
    assert gc.isenabled()
    load(FIXTURES / "needs-new.json")
    assert gc.isenabled()
    gc.disable()
    try:
        load(FIXTURES / "needs-new.json")
        assert not gc.isenabled()
    finally:
        gc.enable()
    (tmp_path / "needs.json").write_text("{", encoding="utf-8")
    with pytest.raises(LoadError):
        load(tmp_path / "needs.json")
    assert gc.isenabled()


# each text, and the date it is: written out here, not computed by the code under test
DATE_TEXTS = {
    "2026-11-30": dt.date(2026, 11, 30),
    "2026-12-01": dt.date(2026, 12, 1),
    "2024-02-29": dt.date(2024, 2, 29),
    "2026-02-30": None,
    "2026-1-1": None,
    "": None,
    "x": None,
    "2026-11-30 ": None,
    " 2026-11-30": None,
    "2026-11-30\n": None,
    "30/11/2026": None,
    # forms Python's date.fromisoformat accepts, which the fields do not
    "20261130": None,
    "2026-W48-1": None,
}


def test_cached_dates_are_the_parsed_dates():
    parse_date.cache_clear()
    # the first round parses and fills the cache; the second reads it, texts that differ
    # by a space or a line break included: each must still give its own date
    for round_ in ("parsed", "cached"):
        got = {text: parse_date(text) for text in DATE_TEXTS}
        assert got == DATE_TEXTS, round_
    assert parse_date.cache_info().hits >= len(DATE_TEXTS)  # the second round was cached
    assert {text: plain_parse_date(text) for text in DATE_TEXTS} == DATE_TEXTS  # the oracle

    # an assessment made with the cache full of the fixture's dates: the same as the
    # plain rule, which parses each date anew
    model = load(FIXTURES / "needs-new.json")
    for today in DATES:
        expected = [
            plain_assess(model, ob, today, frozenset(DEFAULT_INACTIVE_STATUSES))
            for ob in sorted(model.obligations, key=lambda i: i.id)
        ]
        assert Traceability.at(model, today).assessments == expected, today
