"""``crmrisk-grid``: the classic traceability grid, obligations by covering items.

One row per obligation (of a ``:phase:``, or covered by an item of a ``:party:``), one
column per clause or procedure that covers at least one of them, and a mark where an
item covers an obligation: ● when the cover counts, ○ when it does not (a draft). It
suits one phase or one party; the matrix (:mod:`.matrix`) suits the whole project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives

from ...model import Assessment, Item
from ..i18n import _
from .base import PlaceholderDirective, ViewContext, state_labels
from .matrix import select
from .nodes import AggregateNode, Cell, grid_placeholder

if TYPE_CHECKING:
    pass

COUNTED, NOT_COUNTED = "\u25cf", "\u25cb"


class GridDirective(PlaceholderDirective):
    node_class = grid_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "phase": directives.unchanged_required,
        "party": directives.unchanged_required,
    }


def render_grid(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    chosen = select(context, node)
    if not chosen:
        return [nodes.paragraph("", str(_("No obligation matches these filters.")))]
    columns: dict[str, Item] = {}
    for assessment in chosen:
        for item in (*assessment.covering, *(item for item, _why in assessment.discounted)):
            columns.setdefault(item.id, item)
    items = sorted(columns.values(), key=lambda item: item.id)
    labels = state_labels()
    headers: list[Cell] = [str(_("Obligation")), str(_("State")), *(context.link(i) for i in items)]

    def cells(assessment: Assessment) -> list[Cell]:
        counted = {item.id for item in assessment.covering}
        not_counted = {item.id for item, _why in assessment.discounted}
        marks: list[Cell] = [
            nodes.inline("", COUNTED, classes=["crmrisk-mark"])
            if item.id in counted
            else nodes.inline("", NOT_COUNTED, classes=["crmrisk-mark", "crmrisk-mark-not-counted"])
            if item.id in not_counted
            else ""
            for item in items
        ]
        state = assessment.state
        return [
            context.link(assessment.obligation),
            nodes.inline("", labels[state], classes=[f"crmrisk-state-{state.value}"]),
            *marks,
        ]

    legend = nodes.paragraph(
        "",
        str(
            _("{counted}: covers it; {not_counted}: covers it but does not count (inactive).")
        ).format(counted=COUNTED, not_counted=NOT_COUNTED),
        classes=["crmrisk-note"],
    )
    table = context.table(
        headers, chosen, cells, ["crmrisk-grid"], widths=[14, 8, *([3] * len(items))]
    )
    return [table, legend]
