"""``crmrisk-gaps``: the uncovered obligations, where they come from, and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives

from ...model import Assessment, Item, State
from ..i18n import _
from .base import PlaceholderDirective, ViewContext
from .nodes import AggregateNode, Cell, gaps_placeholder

if TYPE_CHECKING:
    pass


class GapsDirective(PlaceholderDirective):
    node_class = gaps_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "phase": directives.unchanged_required
    }


def _gettext(message: str) -> str:
    return str(_(message))


def _reason(context: ViewContext, assessment: Assessment) -> list[nodes.Node]:
    """The model's reason, in the reader's language; discounted items are linked, with
    the file and line where the organization acts on them."""
    parts: list[nodes.Node] = [nodes.Text(str(_("No active clause or procedure covers it.")))]
    if assessment.upcoming:
        effective = assessment.obligation.field("effective")
        parts.append(nodes.Text(" " + str(_("Takes effect on {date}.")).format(date=effective)))
    for position, (item, why) in enumerate(assessment.discounted):
        lead = " " + str(_("Not counted:")) + " " if position == 0 else "; "
        parts += [
            nodes.Text(lead),
            context.link(item),
            nodes.Text(f" ({why.text(_gettext)}, "),
            nodes.literal("", item.location),
            nodes.Text(")"),
        ]
    return parts


def _origin(obligation: Item) -> list[nodes.Node]:
    """Where the obligation is written, or the catalogue it comes from and where it is
    imported."""
    where = nodes.literal("", obligation.location)
    if not obligation.catalogue:
        return [where]
    # the version, a date, is never broken at its hyphens (crmrisk-views.css)
    before, _placeholder, after = str(_("catalogue {version}")).partition("{version}")
    return [
        nodes.Text(before),
        nodes.inline("", obligation.catalogue, classes=["crmrisk-nowrap"]),
        nodes.Text(after + ", " + str(_("imported at")) + " "),
        where,
    ]


def render_gaps(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    gaps = [a for a in context.in_phase(node) if a.state is State.UNCOVERED]
    if not gaps:
        text = _("No uncovered obligation: every obligation is covered, justified or lapsed.")
        return [nodes.paragraph("", str(text), classes=["crmrisk-no-gaps"])]
    headers = [str(_("ID")), str(_("Title")), str(_("Origin")), str(_("Reason"))]

    def cells(assessment: Assessment) -> list[Cell]:
        obligation = assessment.obligation
        title: list[nodes.Node] = [nodes.Text(obligation.title)]
        basis = obligation.field("legal_basis")
        if basis:
            # under the title, on a line of its own (crmrisk-views.css)
            title.append(nodes.inline("", basis, classes=["crmrisk-basis"]))
        return [
            context.link(obligation),
            title,
            _origin(obligation),
            _reason(context, assessment),
        ]

    return [context.table(headers, gaps, cells, ["crmrisk-gaps"], widths=[14, 36, 20, 30])]
