"""``crmrisk-coverage``: per phase and overall, how many obligations are covered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes

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
    return [context.table(headers, summaries, cells, ["crmrisk-coverage"], widths), note]
