"""``crmrisk-evidence``: the register of evidence, by owner.

Every evidence, grouped by owner (the first one named, as in the review calendar):
expired, missing or changed first, then those that expire within 90 days, the valid
ones, and those not counted (a draft or retired status); each linked, with what it
proves, its document, its dates and its last approval (:mod:`sphinx_crmrisk.evidence`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from docutils import nodes

from ...evidence import EVIDENCE_STATE_LABELS, EvidenceAssessment, EvidenceState
from ..badges import approval_text, evidence_state_badge
from ..i18n import _
from .base import PlaceholderDirective, ViewContext
from .nodes import AggregateNode, Cell, evidence_placeholder
from .reviews import lead_owner

#: The order rows are listed in, within an owner: what to act on first.
_ORDER = {
    EvidenceState.EXPIRED: 0,
    EvidenceState.MISSING: 0,
    EvidenceState.CHANGED: 0,
    EvidenceState.EXPIRING: 1,
    EvidenceState.VALID: 2,
    EvidenceState.INACTIVE: 3,
}


class EvidenceDirective(PlaceholderDirective):
    node_class = evidence_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {}


def sort_key(evidence: EvidenceAssessment) -> tuple[int, str, str]:
    until = evidence.valid_until.isoformat() if evidence.valid_until else "9999"
    return (_ORDER[evidence.state], until, evidence.item.id)


def render_evidence(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    register = context.traceability.evidence
    if not register:
        return [nodes.paragraph("", str(_("No evidence yet.")))]
    counts = {state: sum(e.state is state for e in register) for state in EvidenceState}
    summary = nodes.paragraph(
        "",
        str(
            _(
                "Evidence: {total}. Expired, missing or changed: {invalid}; expiring "
                "within 90 days: {soon}; valid: {valid}."
            )
        ).format(
            total=len(register),
            invalid=sum(e.state.is_invalid for e in register),
            soon=counts[EvidenceState.EXPIRING],
            valid=counts[EvidenceState.VALID],
        ),
        classes=["crmrisk-count"],
    )
    headers = [
        str(_("ID")),
        str(_("Title")),
        str(_("State")),
        str(_("Proves")),
        str(_("Document")),
        str(_("Dated")),
        str(_("Valid until")),
        str(_("Last reviewed")),
    ]
    no_owner = str(_("No owner"))
    never = str(_("never approved"))

    def cells(evidence: EvidenceAssessment) -> list[Cell]:
        item = evidence.item
        approved = approval_text(evidence.approval) or (never if evidence.is_file else "")
        return [
            context.link(item),
            item.title,
            evidence_state_badge(evidence.state, str(_(EVIDENCE_STATE_LABELS[evidence.state]))),
            context.links(evidence.proves),
            nodes.literal("", evidence.document) if evidence.is_file else evidence.document,
            item.field("dated"),
            item.field("valid_until"),
            approved,
        ]

    by_owner: dict[str, list[EvidenceAssessment]] = {}
    for evidence in register:
        by_owner.setdefault(lead_owner(evidence.item.field("owner")), []).append(evidence)
    result: list[nodes.Node] = [summary]
    for owner in sorted(by_owner, key=lambda o: (o == "", o.casefold())):
        rows = sorted(by_owner[owner], key=sort_key)
        title = nodes.rubric("", owner or no_owner, classes=["crmrisk-owner"])
        table = context.table(
            headers, rows, cells, ["crmrisk-evidence"], widths=[12, 22, 10, 14, 18, 9, 9, 16]
        )
        result += [title, table]
    return result
