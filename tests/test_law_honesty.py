"""No obligation of the handbook says ``verified`` while a fact of it is unconfirmed.

Two witnesses, both in the repository, can say a fact is unconfirmed; either one is enough
to make ``verified`` untrue:

- the obligation's own text: an « À confirmer » box, « non confirmé », « à vérifier »;
- ``handbook/unconfirmed.yml``, the list of the facts the project knows to be unconfirmed,
  one entry per fact, with four keys: ``id`` (the obligation's ID), ``fact`` (what is not
  confirmed, in French), ``source`` (where it was read) and ``check`` (where to confirm it,
  a URL). Its first content is the statement of the law of November 2026 (the points it
  marked partly verified or not verified).

To update it: when a fact is confirmed on the official text, delete its entry (and the
obligation may then say ``verified``); when a doubtful fact is found, add an entry. Every
``id`` must be an obligation of the handbook: an entry left behind by a renamed or removed
obligation fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sphinx_builds import needs_of

from sphinx_crmrisk import load_traceability
from sphinx_crmrisk.needs_cache import needs_json_of
from sphinx_crmrisk.needs_json import find_needs_json

REPO = Path(__file__).parents[1]
UNCONFIRMED = REPO / "handbook" / "unconfirmed.yml"
LISTED = UNCONFIRMED.relative_to(REPO)  # the path messages name

# what the handbook writes when a fact is not settled (compared in lower case); an
# « À confirmer » box is a ```{admonition} À confirmer block, kept in the need's content
UNSETTLED_WORDS = ("à confirmer", "non confirmé", "à vérifier")
ENTRY_KEYS = ("id", "fact", "source", "check")


def read_unconfirmed(path: Path = UNCONFIRMED) -> list[dict[str, Any]]:
    """The entries of ``handbook/unconfirmed.yml``, as written."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(entries, list), f"{path}: a list of entries is expected"
    return entries


def malformed(entries: list[Any]) -> list[str]:
    """Each entry that does not have exactly the four keys, each a non-empty string, with
    ``check`` a web address."""
    found = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            found.append(f"entry {number}: not a mapping: {entry!r}")
            continue
        keys = sorted(entry)
        if keys != sorted(ENTRY_KEYS):
            found.append(f"entry {number} ({entry.get('id')}): keys {keys}, not {list(ENTRY_KEYS)}")
            continue
        empty = [key for key in ENTRY_KEYS if not (isinstance(entry[key], str) and entry[key])]
        if empty:
            found.append(f"entry {number} ({entry['id']}): empty or not text: {empty}")
        elif not entry["check"].startswith(("https://", "http://")):
            found.append(f"entry {number} ({entry['id']}): check is not a URL: {entry['check']}")
    return found


def unsettled_in_text(obligations: dict[str, dict[str, Any]]) -> list[str]:
    """A line for each verified obligation whose own text leaves a fact unconfirmed."""
    lying = []
    for ob_id, need in sorted(obligations.items()):
        if need.get("verification") != "verified":
            continue
        words = [w for w in UNSETTLED_WORDS if w in need["content"].lower()]
        if words:
            lying.append(f"{ob_id} ({need['docname']}:{need['lineno']}): says {words}")
    return lying


def listed_while_verified(
    obligations: dict[str, dict[str, Any]], entries: list[dict[str, Any]]
) -> list[str]:
    """A line for each fact of the list whose obligation is marked verified."""
    return [
        f"{entry['id']} ({obligations[entry['id']]['docname']}): {entry['fact']} "
        f"(read in: {entry['source']}; to confirm at: {entry['check']})"
        for entry in entries
        if obligations.get(entry["id"], {}).get("verification") == "verified"
    ]


@pytest.fixture(scope="module")
def obligations():
    """Every obligation of the built handbook: id -> its needs.json entry."""
    load_traceability(REPO)  # builds the handbook's needs.json when it is missing or stale
    needs = needs_of(find_needs_json(needs_json_of(REPO)))
    found = {ob_id: need for ob_id, need in needs.items() if need["type"] == "obligation"}
    assert found, "the handbook's needs.json holds no obligation"
    return found


@pytest.fixture(scope="module")
def unconfirmed():
    return read_unconfirmed()


@pytest.mark.book  # reads the handbook, a Jupyter Book, built with its configuration
def test_needs_json_stores_each_obligation_text_in_content(obligations):
    # the check below reads "content"; if sphinx-needs moved the text, it would check nothing
    sample = obligations["OBL-RGPD-30"]
    assert "registre" in sample["content"]
    # and the « À confirmer » boxes are in it: the text check would see none otherwise
    boxed = [ob_id for ob_id, need in obligations.items() if "À confirmer" in need["content"]]
    assert boxed, "no obligation's content holds an « À confirmer » box"


@pytest.mark.book
def test_a_verified_obligation_says_nothing_is_left_to_confirm(obligations):
    lying = unsettled_in_text(obligations)
    assert lying == [], "verified, yet its own text leaves facts unconfirmed:\n" + "\n".join(lying)


def test_each_unconfirmed_fact_has_its_four_keys(unconfirmed):
    assert unconfirmed, f"{LISTED} lists no fact"
    problems = malformed(unconfirmed)
    assert problems == [], f"{LISTED}:\n" + "\n".join(problems)


@pytest.mark.book
def test_each_unconfirmed_fact_belongs_to_an_obligation_of_the_handbook(obligations, unconfirmed):
    stale = sorted({entry["id"] for entry in unconfirmed} - set(obligations))
    assert stale == [], (
        f"{LISTED} lists facts of obligations the handbook does not have: " + ", ".join(stale)
    )


@pytest.mark.book
def test_no_obligation_is_verified_while_a_fact_of_it_is_listed_unconfirmed(
    obligations, unconfirmed
):
    lying = listed_while_verified(obligations, unconfirmed)
    assert lying == [], f"verified, yet {LISTED} lists a fact of it as unconfirmed:\n" + "\n".join(
        lying
    )


# the checks above on made-up data: each one reports what it must report


def need(verification: str, content: str = "Texte.") -> dict[str, Any]:
    return {"verification": verification, "content": content, "docname": "page", "lineno": 3}


FACT = {
    "id": "OBL-A",
    "fact": "Le montant de l'amende n'a pas été relu.",
    "source": "https://example.org/article",
    "check": "https://www.legifrance.gouv.fr/",
}


def test_a_listed_fact_of_a_verified_obligation_is_reported_with_the_fact():
    obligations = {"OBL-A": need("verified"), "OBL-B": need("partial")}
    other = {**FACT, "id": "OBL-B"}
    assert listed_while_verified(obligations, [FACT, other]) == [
        "OBL-A (page): Le montant de l'amende n'a pas été relu. "
        "(read in: https://example.org/article; to confirm at: https://www.legifrance.gouv.fr/)"
    ]


@pytest.mark.parametrize(
    "content",
    [
        "Texte.\n\n```{admonition} À confirmer\nLe montant.\n```",
        "Le montant est non confirmé.",
        "Date à vérifier sur Légifrance.",
    ],
)
def test_an_unsettled_text_of_a_verified_obligation_is_reported(content):
    obligations = {"OBL-A": need("verified", content), "OBL-B": need("partial", content)}
    [line] = unsettled_in_text(obligations)
    assert line.startswith("OBL-A (page:3): says ")


def test_a_verified_obligation_with_a_settled_text_is_not_reported():
    assert unsettled_in_text({"OBL-A": need("verified", "Confirmé au JO.")}) == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({k: v for k, v in FACT.items() if k != "source"}, "keys ['check', 'fact', 'id']"),
        ({**FACT, "note": "x"}, "keys ['check', 'fact', 'id', 'note', 'source']"),
        ({**FACT, "fact": ""}, "empty or not text: ['fact']"),
        ({**FACT, "check": "Légifrance"}, "check is not a URL"),
        ("OBL-A", "not a mapping"),
    ],
)
def test_a_malformed_entry_is_reported(entry, problem):
    [line] = malformed([FACT, entry])
    assert line.startswith("entry 2") and problem in line, line
