"""The paths ``crmrisk check`` takes on a large needs.json give what the plain ones give.

``read_model_needs`` decodes each need as a record (a msgspec struct read by attribute,
a read-only mapping for other readers), a large file mapped into memory;
``Model.from_needs`` reads a record through a loop written out for each field and link;
``find_problems`` runs its checks only on the items their conditions flag; the model's
indexes are made on first use. The oracles here: ``json`` and ``needs_of``,
``item_from_need`` on plain dicts, and the checks run on every item, as they were.
Needs of every kind (and of a host's type) carry every key the model reads, their own
kind's and the others', with values of each shape. No timings: only that the results
are the same.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sphinx_crmrisk import needs_json
from sphinx_crmrisk.kinds import AUTHORED_FIELDS, DEFAULT_NAMES, LINK_SPECS, Kind, Names
from sphinx_crmrisk.model import (
    NEED_KEYS,
    Finding,
    Item,
    Model,
    NeedRecord,
    _link_problems,
    _location_key,
    _obligation_problems,
    _risk_problems,
    _status_problems,
    find_problems,
    item_from_need,
    need_keys,
)
from sphinx_crmrisk.needs_json import LoadError, needs_of, read_model_needs
from sphinx_crmrisk.reviews import ReviewLock, assess_reviews, reported_reviews, review_findings
from sphinx_crmrisk.traceability import Traceability
from sphinx_crmrisk.translations import translations

FIXTURES = Path(__file__).parent / "fixtures"
RENAMED = Names.resolve(
    {"risk": "crm_risk"}, {"owner": "crm-owner", "effective": "starts"}, {"covers": "crm_covers"}
)
STATUSES = ("", "draft", "Brouillon", "RETIRÉE", "active", "not_applicable", "open", "weird")
TEXTS = ("", " ", "x", " 2026-01-01 ", "2026-13-01", "2026-06-01", "2030-01-01", "1", "5")
TEXTS += ("verified", "nope", "assurance", "credit, bogus", "DPO", "12", "x1", "  padded  ")


def plain_needs(path: Path) -> dict[str, Mapping[str, Any]]:
    return needs_of(json.loads(path.read_text(encoding="utf-8")), str(path))


def random_needs(seed: int, names: Names = DEFAULT_NAMES, count: int = 120) -> dict[str, Any]:
    """Needs of every kind and of a host's type, each with random values (of the types
    the model accepts) under any of the keys it reads, and keys it does not read."""
    rng = random.Random(seed)
    types = [*names.types.values(), "req", "spec"]
    ids = [f"N-{index:03d}" for index in range(count)]
    field_keys = [key for key, _name in names.field_keys]
    link_keys = [key for key, _name in names.link_keys]
    needs: dict[str, Any] = {}
    for need_id in ids:
        need: dict[str, Any] = {"type": rng.choice(types), "title": rng.choice(TEXTS)}
        if rng.random() < 0.9:
            need["id"] = need_id
        for key in ("status", "docname", "doctype"):
            if rng.random() < 0.6:
                need[key] = (
                    rng.choice([None, *STATUSES])
                    if key == "status"
                    else rng.choice([None, "", "page", ".md", ".rst"])
                )
        if rng.random() < 0.8:
            need["lineno"] = rng.choice([None, 1, 7, 2**31 - 1])
        if rng.random() < 0.7:
            need["content"] = rng.choice([None, "", "Texte é", "x\ny"])
        for key in field_keys:
            if rng.random() < 0.5:
                need[key] = rng.choice([None, *TEXTS])
        for key in link_keys:
            if rng.random() < 0.4:
                targets = rng.sample(ids, rng.randint(0, 3))
                targets += [f"{rng.choice(ids)}.part"] if rng.random() < 0.2 else []
                targets += ["UNKNOWN"] if rng.random() < 0.1 else []
                need[key] = rng.choice([None, targets])
        need["unread"] = rng.choice([1, [], {"a": [1]}, "x", True])
        needs[need_id] = dict(sorted(need.items()) if rng.random() < 0.8 else need.items())
    if rng.random() < 0.5:  # not in the order of the IDs
        needs = dict(rng.sample(list(needs.items()), len(needs)))
    return {"current_version": "1", "versions": {"1": {"needs": needs}}}


def write(tmp_path: Path, document: Any, name: str = "needs.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(params=[False, True], ids=["read", "mapped"])
def mapped(request, monkeypatch):
    """Each test twice: the file read into memory, and mapped (``MAP_FROM`` 0)."""
    if request.param:
        monkeypatch.setattr(needs_json, "MAP_FROM", 0)
    return request.param


# -------------------------------------------------------------------- the records


@pytest.mark.parametrize("names", [DEFAULT_NAMES, RENAMED], ids=["canonical", "renamed"])
@pytest.mark.parametrize("seed", range(8))
def test_records_give_the_items_of_the_plain_needs(tmp_path, mapped, seed, names):
    path = write(tmp_path, random_needs(seed, names))
    plain = plain_needs(path)
    records = read_model_needs(path, names)
    assert all(isinstance(need, NeedRecord) for need in records.values())
    keys = need_keys(names)
    # the mapping of each record: the keys the model reads, as the file has them
    assert {i: {k: n[k] for k in keys if k in n} for i, n in records.items()} == {
        i: {k: n[k] for k in keys if k in n} for i, n in plain.items()
    }
    expected = [item_from_need(need, names) for need in plain.values()]
    model = Model.from_needs(records, names)
    assert list(model.items.values()) == expected
    # the same Items as the plain needs give Model.from_needs (item_from_need's path)
    assert list(Model.from_needs(plain, names).items.values()) == expected


def test_a_record_tells_an_absent_key_from_a_null(tmp_path):
    need = {"type": "clause", "title": "T", "covers": None, "party": "", "owner": "DPO"}
    path = write(tmp_path, {"versions": {"": {"needs": {"CLA-1": need}}}})
    record = read_model_needs(path)["CLA-1"]
    assert isinstance(record, Mapping)
    assert "covers" in record and record["covers"] is None
    assert "addresses" not in record and record.get("addresses", "none") == "none"
    with pytest.raises(KeyError):
        record["addresses"]
    with pytest.raises(KeyError):
        record["not read"]
    assert record["owner"] == "DPO" and record["party"] == ""
    # the id is the key's, as needs_of sets it
    assert dict(record) == {**need, "id": "CLA-1"}
    assert record == {**need, "id": "CLA-1"} and record != need
    assert record == read_model_needs(path)["CLA-1"]  # another record of the same need
    assert len(record) == len(need) + 1


@pytest.mark.parametrize(
    ("needs", "message"),
    [
        (
            {"A": {"type": "obligation", "id": "B"}, "B": {"type": "obligation"}},
            "needs 'A' and 'B' have the same id 'B'",
        ),
        # a repeated id before a need with no type: the repeated id is told, as before
        (
            {"A": {"type": "clause", "id": "B"}, "B": {"type": "clause"}, "C": {"title": "t"}},
            "needs 'A' and 'B' have the same id 'B'",
        ),
        ({"A": {"type": "clause"}, "C": {"title": "t"}}, "need 'C' is not an object"),
        ({"A": {"type": "clause", "id": "X"}, "": {"type": "clause"}}, "its id is empty"),
    ],
)
def test_ids_are_checked_as_the_plain_path_checks_them(tmp_path, mapped, needs, message):
    path = write(tmp_path, {"versions": {"": {"needs": needs}}})
    with pytest.raises(LoadError) as plain:
        plain_needs(path)
    with pytest.raises(LoadError) as fast:
        read_model_needs(path)
    assert str(fast.value) == str(plain.value)
    assert message in str(fast.value)


@pytest.mark.parametrize(
    "content",
    [
        b'\xef\xbb\xbf{"versions": {"": {"needs": {"OBL-1": {"type": "obligation"}}}}}',
        b'{"versions": {"": {"needs": {"OBL-1": {"type": "obligation",}}}}}',
        b'{"versions": {"": {"needs": {"OBL-1": {"type": 3}}}}}',
        b"",
    ],
)
def test_a_mapped_file_reads_as_a_read_one(tmp_path, monkeypatch, content):
    path = tmp_path / "needs.json"
    path.write_bytes(content)

    def outcome() -> Any:
        try:
            return {i: dict(n) for i, n in read_model_needs(path).items()}
        except LoadError as err:
            return str(err)

    read = outcome()
    monkeypatch.setattr(needs_json, "MAP_FROM", 0)
    assert outcome() == read


# --------------------------------------------------------------- the model's indexes


def plain_incoming(items: list[Item], link_type: str) -> dict[str, list[str]]:
    incoming: dict[str, list[str]] = {}
    for item in items:
        for target in item.links.get(link_type, ()):
            incoming.setdefault(target, []).append(item.id)
    return {target: sorted(ids) for target, ids in incoming.items()}


@pytest.mark.parametrize("seed", range(6))
def test_the_indexes_are_those_of_every_item(tmp_path, seed):
    model = Model.from_needs(read_model_needs(write(tmp_path, random_needs(seed))))
    items = list(model.items.values())
    for link_type in LINK_SPECS:
        assert model.incoming_ids(link_type) == plain_incoming(items, link_type)
        for target in {t for item in items for t in item.links.get(link_type, ())}:
            assert [i.id for i in model.incoming(target, link_type)] == plain_incoming(
                items, link_type
            )[target]
    for kind in Kind:
        assert model.of_kind(kind) == [item for item in items if item.kind is kind]
        assert model.ids_of([kind]) == {item.id for item in items if item.kind is kind}


# ------------------------------------------------------------------ find_problems


def plain_find_problems(
    model: Model, required: tuple[str, ...], inactive: tuple[str, ...], language: str | None
) -> list[Finding]:
    """Every check on every item of ours, as find_problems ran them before."""
    gettext = translations(language).gettext
    found = []
    for item in model.items.values():
        if item.kind is None:
            continue
        problems = list(_status_problems(item, inactive, gettext)) if item.status else []
        if item.links:
            problems.extend(_link_problems(model, item, gettext))
        if item.kind is Kind.OBLIGATION:
            problems.extend(_obligation_problems(model, item, required, gettext))
        elif item.kind is Kind.RISK:
            problems.extend(_risk_problems(item, gettext))
        if problems:
            found.append((item, problems))
    found.sort(key=lambda pair: _location_key(pair[0]))
    return [finding for _item, problems in found for finding in problems]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("language", [None, "fr"])
def test_find_problems_finds_what_every_check_on_every_item_finds(tmp_path, seed, language):
    model = Model.from_needs(read_model_needs(write(tmp_path, random_needs(seed, count=200))))
    for required, inactive in [
        (("legal_basis",), ("draft", "retired")),
        (("legal_basis", "sanction", "owner"), ("draft",)),
        ((), ()),
    ]:
        expected = plain_find_problems(model, required, inactive, language)
        assert expected  # the random needs have problems of each sort between them
        assert find_problems(model, required, inactive, language) == expected


#: One defect each (a key, a value), that one check reports: on needs that are
#: otherwise right, each must be found by the flagging loop alone.
DEFECTS = (
    ("status", "weird"),
    ("status", "Brouillon"),
    ("status", "not_applicable"),
    ("legal_basis", ""),
    ("phase", []),
    ("phase", ["OBL-0"]),
    ("covers", ["CLA-0"]),
    ("covers", ["REQ-0"]),
    ("addresses", ["OBL-0"]),
    ("affects", ["OBL-0"]),
    ("proves", ["OBL-0"]),
    ("replaced_by", ["PH-0"]),
    ("applies_to", "assurance, bogus"),
    ("verification", "nope"),
    ("effective", "2026-13-01"),
    ("until", "0202-01-01"),
    ("until", "2020-01-01"),
    ("likelihood", "5"),
    ("severity", "high"),
)


def clean_needs(seed: int, count: int = 300) -> dict[str, Any]:
    """Needs of every kind that no check reports, but for one defect in one of five."""
    rng = random.Random(seed)
    kinds = [k.value for k in Kind if k is not Kind.PHASE]
    needs: dict[str, Any] = {"PH-0": {"type": "phase", "title": "P"}}
    needs["REQ-0"] = {"type": "req", "title": "host", "covers": ["OBL-0"]}
    for index in range(count):
        kind = kinds[index % len(kinds)]
        need: dict[str, Any] = {"type": kind, "title": "t", "phase": ["PH-0"]}
        if kind == "obligation":
            need.update(legal_basis="Code, art. 1", effective="2025-01-01", until="2030-01-01")
            need.update(verification="verified", applies_to="assurance")
        elif kind in ("clause", "procedure"):
            need["covers"] = [f"OBL-{rng.randrange(count // len(kinds))}"]
        elif kind == "risk":
            need.update(likelihood="2", severity="4", addresses=["OBL-0"])
        elif kind == "watch":
            need["affects"] = ["OBL-0"]
        elif kind == "evidence":
            need["proves"] = ["CLA-0"]
        if rng.random() < 0.2:
            key, value = rng.choice(DEFECTS)
            need[key] = value
        prefix = {"obligation": "OBL", "clause": "CLA", "procedure": "PROC"}.get(kind, kind)
        needs[f"{prefix}-{index // len(kinds)}"] = need
    return {"versions": {"": {"needs": needs}}}


@pytest.mark.parametrize("seed", range(12))
def test_find_problems_finds_each_defect_alone(tmp_path, seed):
    model = Model.from_needs(read_model_needs(write(tmp_path, clean_needs(seed))))
    required, inactive = ("legal_basis",), ("draft", "retired")
    expected = plain_find_problems(model, required, inactive, None)
    assert find_problems(model, required, inactive, None) == expected


def test_the_clean_needs_have_no_problem_but_their_defects(tmp_path):
    needs = clean_needs(0)["versions"][""]["needs"]
    for key in list(needs):
        needs[key] = {k: v for k, v in needs[key].items() if (k, v) not in DEFECTS}
    model = Model.from_needs(
        read_model_needs(write(tmp_path, {"versions": {"": {"needs": needs}}}))
    )
    assert plain_find_problems(model, ("legal_basis",), ("draft", "retired"), None) == []


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "needs-new.json",
        FIXTURES / "needs-old.json",
        *sorted((FIXTURES / "hostile").glob("*/needs.json")),
    ],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_find_problems_on_the_fixtures(path):
    model = Model.from_needs(read_model_needs(path))
    for required in (("legal_basis",), ("legal_basis", "party")):
        inactive = ("draft", "retired")
        assert find_problems(model, required, inactive, None) == plain_find_problems(
            model, required, inactive, None
        )


def test_every_field_and_link_of_every_kind_is_kept(tmp_path, mapped):
    # a need of each kind, and of a host's type, carrying every field and link, its own
    # kind's or not: the model keeps on it what item_from_need keeps (nothing dropped
    # by the decoder's choice of keys)
    values = {name: f" {name} value " for name in AUTHORED_FIELDS}
    links = {name: ["OBL-1", "PH-1.part"] for name in LINK_SPECS}
    needs = {
        f"{kind}-1": {"type": kind, "title": kind, "content": "c", **values, **links}
        for kind in [*(k.value for k in Kind), "req"]
    }
    path = write(tmp_path, {"versions": {"": {"needs": needs}}})
    model = Model.from_needs(read_model_needs(path))
    for need_id, need in plain_needs(path).items():
        assert model.items[need_id] == item_from_need(need)
        item = model.items[need_id]
        if item.kind is not None:
            assert item.fields == {name: value.strip() for name, value in values.items()}
        assert item.links == dict.fromkeys(LINK_SPECS, ("OBL-1", "PH-1"))
    assert set(NEED_KEYS) >= set(AUTHORED_FIELDS) | set(LINK_SPECS)


# ------------------------------------------------------------------------ reviews


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("warn_never_reviewed", [False, True])
@pytest.mark.parametrize("with_lock", [False, True])
def test_the_reported_reviews_have_the_findings_of_all(
    tmp_path, seed, warn_never_reviewed, with_lock
):
    rng = random.Random(seed)
    document = clean_needs(seed)
    for need in document["versions"][""]["needs"].values():
        if need["type"] in ("clause", "procedure"):
            if rng.random() < 0.3:
                need["reviewed"] = rng.choice(["2026-01-01", "2019-05-01", "2031-01-01", "x"])
            if rng.random() < 0.2:
                need["review_every"] = rng.choice(["12", "0", "x", "999"])
            if rng.random() < 0.1:
                need["status"] = rng.choice(["draft", "retired", "bogus"])
    model = Model.from_needs(read_model_needs(write(tmp_path, document)))
    lock = ReviewLock()
    if with_lock:
        covering = model.of_kind(Kind.CLAUSE) + model.of_kind(Kind.PROCEDURE)
        lock = lock.reviewed(model, rng.sample(covering, len(covering) // 2), "2026-01-01")
        for obligation in rng.sample(model.obligations, 10):  # changed since
            model.items[obligation.id] = dataclasses.replace(obligation, title="changed")
    today = dt.date(2026, 11, 30)
    for inactive in [("draft", "retired"), ()]:
        args = (model, today, 12, lock, inactive)
        everything = review_findings(model, assess_reviews(*args), warn_never_reviewed, today)
        reported = reported_reviews(*args, warn_never_reviewed)
        assert review_findings(model, reported, warn_never_reviewed, today) == everything
        assert everything  # overdue, bad and future dates, suspects...
        settings = {
            "lock": lock,
            "inactive_statuses": inactive,
            "review_every": 12,
            "warn_never_reviewed": warn_never_reviewed,
        }
        traceability = Traceability.at(model, today, **settings)
        made_first = Traceability.at(model, today, **settings)
        assert made_first.reviews is not None  # findings then read every review
        assert traceability.findings == made_first.findings


# ------------------------------------------------------------------------ the command


def test_check_imports_no_other_command():
    """``crmrisk check`` builds the parser of its own command: the modules of the others
    (init's starter, import's register, diff, pack...) are neither compiled nor imported,
    which a CI gate would wait for on every run; ``--help`` still lists every command."""
    code = (
        "import io, sys\n"
        "from sphinx_crmrisk.cli import main\n"
        "sys.stdout = io.TextIOWrapper(io.BytesIO())\n"
        f"main(['check', {str(FIXTURES / 'needs-new.json')!r}])\n"
        "sys.stdout = sys.__stdout__\n"
        "print(sorted(m for m in sys.modules if m.startswith('sphinx_crmrisk')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(result.stdout.strip()))
    assert {"sphinx_crmrisk.cli.check", "sphinx_crmrisk.cli.common"} <= loaded
    others = {"init", "diff", "matrix", "pack", "review", "register_import"}
    assert not {f"sphinx_crmrisk.cli.{name}" for name in others} & loaded
    assert not {"sphinx_crmrisk.starter", "sphinx_crmrisk.register"} & loaded
    help_text = subprocess.run(
        [sys.executable, "-c", "from sphinx_crmrisk.cli import run; run()", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("check", "matrix", "diff", "pack", "init", "review", "import"):
        assert f"\n    {name} " in help_text
