"""No obligation of the handbook says ``verified`` while a fact of it is unconfirmed.

Two witnesses can say a fact is unconfirmed: the obligation's own text (an « À confirmer »
box, « non confirmé », « à vérifier »), and the project's catalogue of the law
(``../shared/domain/catalogue.md`` beside the repository), which marks every point it could
not confirm with ⚠️ (partly verified) or ❓ (not verified) in the obligation's entry. Either
one is enough to make ``verified`` untrue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sphinx_crmrisk import load_traceability
from sphinx_crmrisk.needs_cache import needs_json_of
from sphinx_crmrisk.needs_json import find_needs_json

# reads the handbook, a Jupyter Book: its needs.json is built with Jupyter Book's configuration
pytestmark = pytest.mark.book

REPO = Path(__file__).parents[1]
CATALOGUE = REPO.parent / "shared" / "domain" / "catalogue.md"

# what the handbook writes when a fact is not settled (compared in lower case)
UNSETTLED_WORDS = ("à confirmer", "non confirmé", "à vérifier")
# the catalogue's legend: ⚠️ partly verified, ❓ not verified
CATALOGUE_MARKS = ("⚠️", "❓")

_ENTRY = re.compile(r"^#### (OBL-[A-Z0-9_-]+)\b")  # a detailed entry: "#### OBL-X — title"
_ROW = re.compile(r"^\| (OBL-[A-Z0-9_-]+) \|")  # a table row: "| OBL-X | ... |"


def catalogue_entries(text: str) -> dict[str, str]:
    """Each obligation ID of the catalogue, with the text of its entry and its table rows."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("#"):
            match = _ENTRY.match(line)
            current = match.group(1) if match else None
            if current:
                entries.setdefault(current, []).append(line)
            continue
        row = _ROW.match(line)
        if row:
            entries.setdefault(row.group(1), []).append(line)
        elif current:
            entries[current].append(line)
    return {ob_id: "\n".join(lines) for ob_id, lines in entries.items()}


def unconfirmed_in_catalogue(text: str) -> dict[str, list[str]]:
    """The IDs whose catalogue entry carries a ⚠️ or ❓ mark, with the marked lines."""
    marked = {}
    for ob_id, entry in catalogue_entries(text).items():
        lines = [
            line.strip() for line in entry.splitlines() if any(m in line for m in CATALOGUE_MARKS)
        ]
        if lines:
            marked[ob_id] = lines
    return marked


@pytest.fixture(scope="module")
def obligations():
    """Every obligation of the built handbook: id -> its needs.json entry."""
    load_traceability(REPO)  # builds the handbook's needs.json when it is missing or stale
    data = json.loads(find_needs_json(needs_json_of(REPO)).read_text(encoding="utf-8"))
    needs = data["versions"][data["current_version"]]["needs"]
    found = {ob_id: need for ob_id, need in needs.items() if need["type"] == "obligation"}
    assert found, "the handbook's needs.json holds no obligation"
    return found


@pytest.fixture(scope="module")
def catalogue_text():
    if not CATALOGUE.is_file():
        pytest.fail(
            f"the catalogue of the law is missing: {CATALOGUE} (the checkout must have ../shared "
            "beside it, as CI does); without it, this test cannot check what the catalogue marks "
            "as unconfirmed",
            pytrace=False,
        )
    return CATALOGUE.read_text(encoding="utf-8")


def test_needs_json_stores_each_obligation_text_in_content(obligations):
    # the check below reads "content"; if sphinx-needs moved the text, it would check nothing
    sample = obligations["OBL-RGPD-30"]
    assert "registre" in sample["content"]


def test_a_verified_obligation_says_nothing_is_left_to_confirm(obligations):
    lying = []
    for ob_id, need in sorted(obligations.items()):
        if need.get("verification") != "verified":
            continue
        text = need["content"].lower()
        words = [w for w in UNSETTLED_WORDS if w in text]
        if words:
            lying.append(f"{ob_id} ({need['docname']}:{need['lineno']}): says {words}")
    assert lying == [], "verified, yet its own text leaves facts unconfirmed:\n" + "\n".join(lying)


def test_the_catalogue_format_is_still_the_one_this_test_reads(catalogue_text):
    entries = catalogue_entries(catalogue_text)
    # the catalogue's detailed entries of 2026 number 53; a format change would leave none
    assert len(entries) >= 50, (
        f"{CATALOGUE}: only {len(entries)} obligation entries found; has its format changed?"
    )
    assert unconfirmed_in_catalogue(catalogue_text), f"{CATALOGUE}: no ⚠️ or ❓ mark found"


def test_no_obligation_is_verified_when_the_catalogue_marks_it_unconfirmed(
    obligations, catalogue_text
):
    marked = unconfirmed_in_catalogue(catalogue_text)
    lying = [
        f"{ob_id} ({need['docname']}:{need['lineno']}): the catalogue says "
        + " | ".join(line[:120] for line in marked[ob_id])
        for ob_id, need in sorted(obligations.items())
        if need.get("verification") == "verified" and ob_id in marked
    ]
    assert lying == [], "verified, yet the catalogue marks it unconfirmed:\n" + "\n".join(lying)


def test_the_catalogue_reader_finds_entries_and_rows():
    text = "\n".join(
        [
            "| OBL-A | phase | sujet | base | 21/12/2022 ⚠️ | PROC-1 |",
            "#### OBL-B — titre",
            "- **Sanction** : ❓ non relue.",
            "#### OBL-C — titre",
            "- **Vérification** : ✅ https://example.org",
            "## 3. Clauses",
            "- ⚠️ une remarque hors de toute fiche",
        ]
    )
    assert sorted(catalogue_entries(text)) == ["OBL-A", "OBL-B", "OBL-C"]
    assert sorted(unconfirmed_in_catalogue(text)) == ["OBL-A", "OBL-B"]
