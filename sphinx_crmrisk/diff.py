"""What changed in the obligations and the watch items between two builds, for a
pull-request comment."""

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
from .watch import Watch

FORMATS = ("md", "json")
_STATES = {state.value for state in State}

#: The obligation facts compared; ``phase`` is the list of phase IDs.
COMPARED = ("title", "legal_basis", "phase", "effective", "until")
#: The watch item facts compared; ``affects`` is the list of obligation IDs.
WATCH_COMPARED = ("title", "status", "expected", "affects")


def _value(obligation: Item, name: str) -> str:
    if name == "title":
        return obligation.title
    if name == "phase":
        return ", ".join(obligation.linked("phase"))
    return obligation.field(name)


def _watch_value(watch: Watch, name: str) -> str:
    if name == "title":
        return watch.item.title
    if name == "status":
        return watch.status
    if name == "affects":
        return ", ".join(watch.item.linked("affects"))
    return watch.item.field(name)


def _watch_brief(watch: Watch) -> dict[str, str]:
    item = watch.item
    return {
        "id": item.id,
        "title": item.title,
        "state": watch.state.value,
        "expected": item.field("expected"),
    }


def watch_changes(old: Traceability, new: Traceability) -> dict[str, list[dict[str, Any]]]:
    """Watch items added, removed, and changed (title, status, expected date, affects)."""
    before = {w.item.id: w for w in old.watches}
    after = {w.item.id: w for w in new.watches}
    changed = []
    for watch_id in sorted(i for i in after if i in before):
        changes = [
            {"field": name, "old": old_value, "new": new_value}
            for name in WATCH_COMPARED
            if (old_value := _watch_value(before[watch_id], name))
            != (new_value := _watch_value(after[watch_id], name))
        ]
        if changes:
            changed.append({"id": watch_id, "changes": changes})
    return {
        "added": [_watch_brief(after[i]) for i in sorted(after) if i not in before],
        "removed": [_watch_brief(before[i]) for i in sorted(before) if i not in after],
        "changed": changed,
    }


def _brief(assessment: Assessment) -> dict[str, str]:
    obligation = assessment.obligation
    return {"id": obligation.id, "title": obligation.title, "state": assessment.state.value}


def diff_document(old: Traceability, new: Traceability) -> dict[str, Any]:
    """Added, removed and changed obligations, state changes, NEW's gaps, the covers that
    became suspect, and what changed in the watch items."""
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
        "watch": watch_changes(old, new),
        "proof_changes": proof_changes(old, new),
        "evidence_changes": evidence_changes(old, new),
    }


def _proof(traceability: Traceability, obligation_id: str) -> str | None:
    proof = traceability.proofs.get(obligation_id)
    return proof.state.value if proof else None


def proof_changes(old: Traceability, new: Traceability) -> list[dict[str, Any]]:
    """Obligations of both builds whose proof state changed (null: none, when it is not
    covered or upcoming), in ID order."""
    before = {a.obligation.id for a in old.assessments}
    changes = []
    for assessment in new.assessments:
        obligation_id = assessment.obligation.id
        if obligation_id not in before:
            continue
        was, now = _proof(old, obligation_id), _proof(new, obligation_id)
        if was != now:
            changes.append(
                {"id": obligation_id, "title": assessment.obligation.title, "old": was, "new": now}
            )
    return changes


def evidence_changes(old: Traceability, new: Traceability) -> list[dict[str, Any]]:
    """Evidence added (old null), removed (new null) or whose state changed, in ID order."""
    before = {e.item.id: e for e in old.evidence}
    after = {e.item.id: e for e in new.evidence}
    changes = []
    for evidence_id in sorted(before.keys() | after.keys()):
        was, now = before.get(evidence_id), after.get(evidence_id)
        old_state = was.state.value if was else None
        new_state = now.state.value if now else None
        if old_state != new_state:
            item = (now or was).item  # type: ignore[union-attr]  # one of them is there
            changes.append(
                {
                    "id": evidence_id,
                    "title": item.title,
                    "old": old_state,
                    "new": new_state,
                    "location": item.location,
                }
            )
    return changes


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
    sections = (
        "added",
        "removed",
        "changed",
        "state_changes",
        "became_suspect",
        "proof_changes",
        "evidence_changes",
    )
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
    watch = document.get("watch") or {}
    if any(watch.get(name) for name in ("added", "removed", "changed")):
        rows = [
            [r["id"], "added", "", f"{r['state']} {r['expected']}".strip()]
            for r in watch.get("added", [])
        ]
        rows += [[r["id"], "removed", r["state"], ""] for r in watch.get("removed", [])]
        rows += [
            [entry["id"], c["field"], c["old"], c["new"]]
            for entry in watch.get("changed", [])
            for c in entry["changes"]
        ]
        out += [f"#### Watch items ({len(rows)} change(s))", ""]
        out.append(markdown_text.table(("Watch item", "Change", "Before", "After"), rows))
    if document["proof_changes"]:
        out += [f"#### Proof changes ({len(document['proof_changes'])})", ""]
        rows = [
            [r["id"], r["title"], f"{r['old'] or 'none'} → {r['new'] or 'none'}"]
            for r in document["proof_changes"]
        ]
        out.append(markdown_text.table(("Obligation", "Title", "Proof"), rows))
    if document["evidence_changes"]:
        out += [f"#### Evidence changes ({len(document['evidence_changes'])})", ""]
        rows = [
            [r["id"], r["title"], f"{r['old'] or 'none'} → {r['new'] or 'none'}", r["location"]]
            for r in document["evidence_changes"]
        ]
        out.append(markdown_text.table(("Evidence", "Title", "State", "Where"), rows))
    if uncovered:
        out += heading(N_("Uncovered ({n})"), len(uncovered))
        out += [f"- {e(r['act_at'])}: {e(r['message'])}" for r in uncovered]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
