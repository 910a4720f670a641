"""``crmrisk-reviews``: the review calendar, by owner.

Every active clause and procedure, grouped by owner (the first one named: ``DPO, avec
la DSI`` goes under ``DPO``): overdue first, then those with a
suspect cover, those due in the next 90 days, the never reviewed, the others; each
linked, with its last review (and who made it), its cycle and its due date
(:mod:`sphinx_crmrisk.reviews`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes

from ...reviews import REVIEW_STATE_LABELS, Review, ReviewState
from ..i18n import _
from .base import PlaceholderDirective, ViewContext
from .nodes import AggregateNode, Cell, reviews_placeholder

if TYPE_CHECKING:
    pass

#: The order rows are listed in, within an owner.
_ORDER = {
    ReviewState.OVERDUE: 0,
    ReviewState.DUE_SOON: 2,
    ReviewState.NEVER: 3,
    ReviewState.UP_TO_DATE: 4,
    ReviewState.NO_CYCLE: 5,
}


def review_state_labels() -> dict[ReviewState, str]:
    return {state: str(_(label)) for state, label in REVIEW_STATE_LABELS.items()}


class ReviewsDirective(PlaceholderDirective):
    node_class = reviews_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {}


def lead_owner(owner: str) -> str:
    """The one who answers: ``DPO, avec la DSI`` is grouped under ``DPO``."""
    return owner.split(",", 1)[0].strip()


def _last_review(review: Review) -> str:
    """« 2026-06-01 par Marie Dupont, DPO », the date alone when it was not named."""
    if review.reviewed is None:
        return ""
    if review.reviewed_by:
        return str(_("{date} by {name}")).format(
            date=review.reviewed.isoformat(), name=review.reviewed_by
        )
    return review.reviewed.isoformat()


def sort_key(review: Review) -> tuple[int, str, str]:
    rank = (
        1 if review.suspects and review.state is not ReviewState.OVERDUE else _ORDER[review.state]
    )
    return (rank, review.due.isoformat() if review.due else "9999", review.item.id)


def render_reviews(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    reviews = context.traceability.reviews
    if not reviews:
        return [nodes.paragraph("", str(_("No clause or procedure to review.")))]
    labels = review_state_labels()
    counts = {state: sum(r.state is state for r in reviews) for state in ReviewState}
    suspect = sum(bool(r.suspects) for r in reviews)
    summary = nodes.paragraph(
        "",
        str(
            _(
                "{total} clauses and procedures: {overdue} overdue, {suspect} with a suspect "
                "cover, {soon} due within 90 days, {never} never reviewed."
            )
        ).format(
            total=len(reviews),
            overdue=counts[ReviewState.OVERDUE],
            suspect=suspect,
            soon=counts[ReviewState.DUE_SOON],
            never=counts[ReviewState.NEVER],
        ),
        classes=["crmrisk-count"],
    )
    headers = [
        str(_("ID")),
        str(_("Title")),
        str(_("Owner")),
        str(_("Review")),
        str(_("Last reviewed")),
        str(_("Review every (months)")),
        str(_("Due")),
        str(_("Suspect covers")),
    ]
    no_owner = str(_("No owner"))

    def cells(review: Review) -> list[Cell]:
        item = review.item
        suspects: list[nodes.Node] = []
        for suspect in review.suspects:
            if suspects:
                suspects.append(nodes.Text("; "))
            suspects += [
                context.link(suspect.obligation),
                nodes.Text(f" ({', '.join(suspect.changed)})"),
            ]
        if review.unrecorded:
            # covers added since the last review: the next review records them
            if suspects:
                suspects.append(nodes.Text("; "))
            suspects += [nodes.Text(str(_("not reviewed against yet:")) + " ")]
            suspects += context.links(review.unrecorded)
        return [
            context.link(item),
            item.title,
            review.owner,
            nodes.inline(
                "", labels[review.state], classes=[f"crmrisk-review-{review.state.value}"]
            ),
            _last_review(review),
            str(review.every),
            review.due.isoformat() if review.due else "",
            suspects,
        ]

    by_owner: dict[str, list[Review]] = {}
    for review in reviews:
        by_owner.setdefault(lead_owner(review.owner), []).append(review)
    result: list[nodes.Node] = [summary]
    for owner in sorted(by_owner, key=lambda o: (o == "", o.casefold())):
        rows = sorted(by_owner[owner], key=sort_key)
        title = nodes.rubric("", owner or no_owner, classes=["crmrisk-owner"])
        table = context.table(
            headers, rows, cells, ["crmrisk-reviews"], widths=[12, 24, 14, 10, 10, 6, 10, 14]
        )
        result += [title, table]
    return result
