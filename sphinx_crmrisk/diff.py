"""What changed in the obligations between two builds, for a pull-request comment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import markdown_text
from .kinds import N_
from .model import STATE_LABELS, Assessment, Item, State
from .reports import gap_record
from .traceability import Traceability
from .translations import translations

FORMATS = ("md", "json")
_STATES = {state.value for state in State}

#: The obligation facts compared; ``phase`` is the list of phase IDs.
COMPARED = ("title", "legal_basis", "phase", "effective", "until")


def _value(obligation: Item, name: str) -> str:
    if name == "title":
        return obligation.title
    if name == "phase":
        return ", ".join(obligation.linked("phase"))
    return obligation.field(name)


def _brief(assessment: Assessment) -> dict[str, str]:
    obligation = assessment.obligation
    return {"id": obligation.id, "title": obligation.title, "state": assessment.state.value}


def diff_document(old: Traceability, new: Traceability) -> dict[str, Any]:
    """Added, removed and changed obligations, state changes, and NEW's gaps."""
    before = {a.obligation.id: a for a in old.assessments}
    after = {a.obligation.id: a for a in new.assessments}
    kept = [i for i in after if i in before]
    changed = []
    for obligation_id in kept:
        changes = [
            {"field": name, "old": old_value, "new": new_value}
            for name in COMPARED
            if (old_value := _value(before[obligation_id].obligation, name))
            != (new_value := _value(after[obligation_id].obligation, name))
        ]
        if changes:
            changed.append({"id": obligation_id, "changes": changes})
    return {
        "reference_date": new.today.isoformat(),
        "added": [_brief(after[i]) for i in after if i not in before],
        "removed": [_brief(before[i]) for i in before if i not in after],
        "changed": changed,
        "state_changes": [
            {
                "id": i,
                "title": after[i].obligation.title,
                "old": before[i].state.value,
                "new": after[i].state.value,
            }
            for i in kept
            if before[i].state is not after[i].state
        ],
        "uncovered": [gap_record(a, new.language) for a in new.gaps],
        "became_suspect": became_suspect(old, new),
    }


def became_suspect(old: Traceability, new: Traceability) -> list[dict[str, Any]]:
    """Covers suspect in NEW that were not in OLD: the items to re-read."""
    before = {(s.item.id, s.obligation.id) for r in old.reviews for s in r.suspects}
    return [
        {
            "id": s.item.id,
            "obligation": s.obligation.id,
            "changed": list(s.changed),
            "location": s.item.location,
            "message": s.message,
        }
        for r in new.reviews
        for s in r.suspects
        if (s.item.id, s.obligation.id) not in before
    ]


def diff_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def diff_markdown(document: Mapping[str, Any], language: str | None = None) -> str:
    """The comment of a pull request, in ``language`` (None: English)."""
    catalog = translations(language)
    t, nt = catalog.gettext, catalog.ngettext
    e = markdown_text.escape

    def state(code: str) -> str:
        return t(STATE_LABELS[State(code)]) if code in _STATES else code

    def heading(message: str, count: int) -> list[str]:
        return [f"#### {t(message).format(n=count)}", ""]

    title = t(N_("Traceability changes (reference date {date})"))
    out = [f"### {title.format(date=document['reference_date'])}", ""]
    uncovered = document["uncovered"]
    if uncovered:
        text = nt(
            N_("{n} obligation uncovered after this change."),
            N_("{n} obligations uncovered after this change."),
            len(uncovered),
        )
        out += [f"**{text.format(n=len(uncovered))}**", ""]
    else:
        out += [t(N_("Every obligation is covered, justified or lapsed.")), ""]
    sections = ("added", "removed", "changed", "state_changes", "became_suspect")
    if not any(document[name] for name in sections):
        out += [t(N_("No obligation was added, removed or changed.")), ""]
    if document["added"]:
        out += heading(N_("Added ({n})"), len(document["added"]))
        out += [
            f"- {e(r['id'])}: {e(r['title'])} ({e(state(r['state']))})" for r in document["added"]
        ]
        out.append("")
    if document["removed"]:
        out += heading(N_("Removed ({n})"), len(document["removed"]))
        out += [f"- {e(r['id'])}: {e(r['title'])}" for r in document["removed"]]
        out.append("")
    if document["changed"]:
        out += heading(N_("Changed ({n})"), len(document["changed"]))
        rows = [
            [entry["id"], c["field"], c["old"], c["new"]]
            for entry in document["changed"]
            for c in entry["changes"]
        ]
        headers = (t(N_("Obligation")), t(N_("Field")), t(N_("Before")), t(N_("After")))
        out.append(markdown_text.table(headers, rows))
    if document["state_changes"]:
        out += heading(N_("State changes ({n})"), len(document["state_changes"]))
        rows = [
            [r["id"], r["title"], f"{state(r['old'])} → {state(r['new'])}"]
            for r in document["state_changes"]
        ]
        out.append(markdown_text.table((t(N_("Obligation")), t(N_("Title")), t(N_("State"))), rows))
    if document["became_suspect"]:
        out += heading(N_("Covers now suspect ({n})"), len(document["became_suspect"]))
        rows = [
            [r["id"], r["obligation"], ", ".join(r["changed"]), r["location"]]
            for r in document["became_suspect"]
        ]
        headers = (t(N_("Re-read")), t(N_("Obligation")), t(N_("What changed")), t(N_("Where")))
        out.append(markdown_text.table(headers, rows))
    if uncovered:
        out += heading(N_("Uncovered ({n})"), len(uncovered))
        out += [f"- {e(r['act_at'])}: {e(r['message'])}" for r in uncovered]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
