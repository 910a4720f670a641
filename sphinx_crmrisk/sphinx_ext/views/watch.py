"""``crmrisk-watch``: the watch list, overdue first, then by expected date.

Every watch item (:mod:`sphinx_crmrisk.watch`): overdue ones first, then the open ones,
then those done or abandoned, each group by expected date; each linked, with its state,
its expected date, how far its facts were verified and the obligations it affects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from docutils import nodes

from ...kinds import N_, VERIFICATION_LEVELS
from ...watch import WATCH_STATE_LABELS, Watch, WatchState
from ..i18n import _
from .base import PlaceholderDirective, ViewContext
from .nodes import AggregateNode, Cell, watch_placeholder

#: The short word of each verification level, in the list (the badge's sentence is long).
VERIFICATION_WORDS = {
    "verified": N_("verified"),
    "partial": N_("partly verified"),
    "unverified": N_("not verified"),
}
assert set(VERIFICATION_WORDS) == set(VERIFICATION_LEVELS)


class WatchDirective(PlaceholderDirective):
    node_class = watch_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {}


def render_watch(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    watches = context.traceability.watches
    if not watches:
        return [nodes.paragraph("", str(_("No watch item.")), classes=["crmrisk-count"])]
    counts = {state: sum(w.state is state for w in watches) for state in WatchState}
    summary = nodes.paragraph(
        "",
        str(
            _(
                "Watch items: {total} — overdue: {overdue}, open: {open}, done or "
                "abandoned: {closed} (reference date {date})."
            )
        ).format(
            total=len(watches),
            overdue=counts[WatchState.OVERDUE],
            open=counts[WatchState.OPEN],
            closed=counts[WatchState.DONE] + counts[WatchState.ABANDONED],
            date=context.traceability.today.isoformat(),
        ),
        classes=["crmrisk-count"],
    )
    headers = [
        str(_("ID")),
        str(_("Title")),
        str(_("Expected")),
        str(_("Watch state")),
        str(_("Affects")),
        str(_("Verification")),
    ]
    labels = {state: str(_(label)) for state, label in WATCH_STATE_LABELS.items()}
    words = {level: str(_(word)) for level, word in VERIFICATION_WORDS.items()}

    def cells(watch: Watch) -> list[Cell]:
        item = watch.item
        level = item.field("verification")
        return [
            context.link(item),
            item.title,
            item.field("expected"),
            nodes.inline(
                "",
                labels[watch.state],
                classes=["crmrisk-badge", "crmrisk-watch", f"crmrisk-watch-{watch.state.value}"],
            ),
            context.links(watch.affects),
            words.get(level, level),
        ]

    def row_data(watch: Watch) -> dict[str, str]:
        return {"state": watch.state.value}

    table = context.table(
        headers,
        watches,
        cells,
        ["crmrisk-watch-list"],
        widths=[16, 34, 10, 10, 20, 10],
        row_data=row_data,
    )
    return [summary, table]
