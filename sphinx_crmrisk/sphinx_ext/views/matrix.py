"""``crmrisk-matrix``: one row per obligation, with its state and what covers it.

One row per obligation (never an obligation x clause grid), so the table stays
readable with hundreds of obligations. When the project has evidence (or requires it),
a column gives each covered or upcoming obligation's proof, and the filter box a list
to choose on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives

from ...evidence import PROOF_LABELS
from ...model import Assessment
from ..badges import proof_badge
from ..i18n import _
from .base import PlaceholderDirective, ViewContext, parse_states, state_labels
from .nodes import AggregateNode, Cell, matrix_placeholder

if TYPE_CHECKING:
    pass


class MatrixDirective(PlaceholderDirective):
    node_class = matrix_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "phase": directives.unchanged_required,
        "party": directives.unchanged_required,
        "state": parse_states,
    }


def _has_party(assessment: Assessment, party: str) -> bool:
    """Covered by at least one item whose ``party`` lists ``party`` (any case)."""
    wanted = party.strip().casefold()
    return any(wanted in (p.casefold() for p in item.parties) for item in assessment.covering)


def select(context: ViewContext, node: AggregateNode) -> list[Assessment]:
    options = node["options"]
    chosen = context.in_phase(node)
    if options.get("party"):
        chosen = [a for a in chosen if _has_party(a, options["party"])]
    if options.get("state"):
        chosen = [a for a in chosen if a.state in options["state"]]
    return chosen


def _state(labels: dict, assessment: Assessment) -> nodes.Node:
    """The state's label; out of scope, with the activities the profile lacks."""
    text = labels[assessment.state]
    if assessment.out_of_scope_by:
        text += f" ({', '.join(assessment.out_of_scope_by)})"
    return nodes.inline("", text, classes=[f"crmrisk-state-{assessment.state.value}"])


def render_matrix(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    chosen = select(context, node)
    total = len(context.assessments)
    count = nodes.paragraph(
        "",
        # no plural to agree: the words are the same for 1 and for 74
        str(_("Obligations shown: {shown} of {total}.")).format(shown=len(chosen), total=total),
        classes=["crmrisk-count"],
    )
    if not chosen:
        return [count, nodes.paragraph("", str(_("No obligation matches these filters.")))]
    labels = state_labels()
    headers = [
        str(_("ID")),
        str(_("Title")),
        str(_("Phase(s)")),
        str(_("Legal basis")),
        str(_("State")),
        # short: a long heading wrapped in a narrow column made the heading row tall
        str(_("Covered by")),
    ]

    suspect_label = str(_("suspect"))
    traceability = context.traceability
    with_proof = traceability.has_evidence or traceability.settings.require_evidence
    proof_labels = {state: str(_(label)) for state, label in PROOF_LABELS.items()}
    if with_proof:
        headers.insert(5, str(_("Proof")))

    def proof(assessment: Assessment) -> list[nodes.Node]:
        """The proof's badge and the evidence, linked (none without a proof state)."""
        found = traceability.proofs.get(assessment.obligation.id)
        if found is None:
            return []
        result: list[nodes.Node] = [proof_badge(found.state, proof_labels[found.state])]
        for position, evidence in enumerate(found.evidence):
            result.append(nodes.Text(" " if position == 0 else ", "))
            result.append(context.link(evidence.item))
        return result

    def covering(assessment: Assessment) -> list[nodes.Node]:
        """The covering items, each suspect one marked as such."""
        suspect = {
            s.item.id for s in context.traceability.suspects.get(assessment.obligation.id, [])
        }
        result: list[nodes.Node] = []
        for item in assessment.covering:
            if result:
                result.append(nodes.Text(", "))
            result.append(context.link(item))
            if item.id in suspect:
                result.append(nodes.inline("", f" ({suspect_label})", classes=["crmrisk-suspect"]))
        return result

    def cells(assessment: Assessment) -> list[Cell]:
        obligation = assessment.obligation
        row: list[Cell] = [
            context.link(obligation),
            obligation.title,
            context.links(context.model.phases_of(obligation)),
            obligation.field("legal_basis"),
            _state(labels, assessment),
            covering(assessment),
        ]
        if with_proof:
            row.insert(5, proof(assessment))
        return row

    def row_data(assessment: Assessment) -> dict[str, str]:
        """What the filter box (static/crmrisk-matrix.js) filters on, one value a line."""
        parties = dict.fromkeys(p for item in assessment.covering for p in item.parties)
        data = {
            "state": assessment.state.value,
            "phases": "\n".join(assessment.obligation.linked("phase")),
            "parties": "\n".join(parties),
        }
        if with_proof:
            found = traceability.proofs.get(assessment.obligation.id)
            data["proof"] = found.state.value if found else ""
        return data

    widths = [12, 30, 12, 20, 10, 16]
    if with_proof:
        widths = [12, 26, 12, 18, 10, 12, 14]
    matrix = context.table(
        headers,
        chosen,
        cells,
        ["crmrisk-matrix"],
        widths=widths,
        row_data=row_data,
    )
    return [count, matrix]
