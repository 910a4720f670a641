"""``crmrisk-coverage``: per phase and overall, how many obligations are covered (and
proven, when the project has evidence)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes

from ...evidence import ProofState
from ...model import State, Summary, summaries_by_phase
from ..i18n import _
from .base import PlaceholderDirective, ViewContext
from .nodes import AggregateNode, Cell, coverage_bar, coverage_placeholder

if TYPE_CHECKING:
    pass

BAR_WIDTH = 10


class CoverageDirective(PlaceholderDirective):
    node_class = coverage_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {}


def text_bar(percent: float) -> str:
    """``[#####-----]``: the bar for builders without CSS."""
    filled = round(BAR_WIDTH * percent / 100)
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


def _bar(context: ViewContext, percent: float) -> nodes.Node:
    if context.is_html:
        return coverage_bar("", percent=percent)
    return nodes.Text(text_bar(percent))


def _label(context: ViewContext, summary: Summary) -> list[nodes.Node]:
    if not summary.label:
        return [nodes.strong("", str(_("All phases")))]
    phase = context.model.items[summary.label]
    # the phase's title, linked to the phase (its ID is in the link's address): nine
    # columns fit the text column of a Jupyter Book
    return [context.link(phase, phase.title or phase.id)]


def render_coverage(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    counted = [State.COVERED, State.UPCOMING, State.JUSTIFIED, State.LAPSED]
    labels = [_("Covered"), _("Upcoming"), _("Justified"), _("Lapsed")]
    # out of scope only with a profile: without one, nothing can be
    if context.traceability.profile is not None:
        counted.append(State.OUT_OF_SCOPE)
        labels.append(_("Out of scope"))
    counted.append(State.UNCOVERED)
    labels.append(_("Uncovered"))
    headers = [
        str(_("Phase")),
        str(_("Obligations")),
        *(str(label) for label in labels),
        str(_("Coverage")),
    ]

    def cells(summary: Summary) -> list[Cell]:
        # the bar in the percentage's cell: ten columns fit the text column of a
        # theme (the Jupyter Book's included)
        return [
            _label(context, summary),
            str(summary.total),
            *(str(summary.counts[state]) for state in counted),
            [nodes.Text(f"{summary.percent:.0f}\u202f% "), _bar(context, summary.percent)],
        ]

    widths = [20, 9, *([9] * len(counted)), 14]
    summaries = summaries_by_phase(context.model, context.assessments)
    note = nodes.paragraph(
        "",
        str(
            _(
                "Coverage: covered or upcoming obligations among those not justified, "
                "lapsed or out of scope."
            )
        ),
        classes=["crmrisk-note"],
    )
    result: list[nodes.Node] = [
        context.table(headers, summaries, cells, ["crmrisk-coverage"], widths),
        note,
    ]
    traceability = context.traceability
    if traceability.has_evidence or traceability.settings.require_evidence:
        result += _proof_table(context, summaries, traceability.proof_summaries)
    return result


_PROOF_ORDER = (ProofState.PROVEN, ProofState.INVALID, ProofState.UNPROVEN)


def _proof_table(
    context: ViewContext, summaries: list[Summary], proofs: list[dict[ProofState, int]]
) -> list[nodes.Node]:
    """The proof counts of each phase, a table of its own below the coverage."""
    headers = [
        str(_("Phase")),
        str(_("Covered or upcoming")),
        str(_("Proven")),
        str(_("Invalid proof")),
        str(_("Unproven")),
        str(_("Proven (%)")),
    ]

    def cells(record: tuple[Summary, dict[ProofState, int]]) -> list[Cell]:
        summary, proof = record
        provable = summary.covered
        share = 100.0 if provable == 0 else 100.0 * proof[ProofState.PROVEN] / provable
        return [
            _label(context, summary),
            str(provable),
            *(str(proof[state]) for state in _PROOF_ORDER),
            f"{share:.0f} %",
        ]

    rows = list(zip(summaries, proofs, strict=True))
    note = nodes.paragraph(
        "",
        str(
            _(
                "Proof, of the covered or upcoming ones: proven (an item that covers it has "
                "a valid evidence), invalid (its evidence is expired, missing or changed), "
                "unproven (no evidence)."
            )
        ),
        classes=["crmrisk-note"],
    )
    table = context.table(
        headers, rows, cells, ["crmrisk-coverage", "crmrisk-proof-summary"], [22, 10, 8, 8, 8, 8]
    )
    return [table, note]
