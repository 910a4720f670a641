"""Watch items: texts announced, adopted or awaited, that will change obligations.

A watch item (kind ``watch``, prefix ``VEI-``) says what is awaited (``legal_basis``,
``source``, ``verification``), the next date at which something should happen
(``expected``: a publication, an entry into application, a court decision) and the
obligations it will change (``affects`` links). Its ``status`` is ``open`` (also when
none is written), ``done`` (what was awaited happened and the handbook says so) or
``abandoned`` (the text was withdrawn, the case closed).

An open item whose ``expected`` date is before the reference date is *overdue*: what it
awaited should have happened, and the statement of the law may be stale. That is the
``crmrisk.watch_overdue`` finding, which the build and ``crmrisk check`` both report
through :class:`~.traceability.Traceability`. An item that came from the shipped
catalogue (its ``catalogue`` field names the statement of the law it belongs to) asks
for an upgrade of that statement instead. The obligations an open item affects show
« expected change » on their page. No Sphinx import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .kinds import N_, VERIFICATION_LEVELS, WATCH_OPEN, WATCH_STATUSES, Kind
from .model import Finding, Item, Model, bad_date_message, parse_date
from .translations import Gettext, same, translator


class WatchState(StrEnum):
    """Where a watch item stands, as of a reference date."""

    OVERDUE = "overdue"
    OPEN = "open"
    DONE = "done"
    ABANDONED = "abandoned"

    @property
    def is_open(self) -> bool:
        """Still awaited: the obligations it affects show an expected change."""
        return self in (WatchState.OPEN, WatchState.OVERDUE)


#: Each state as readers see it (English message IDs; the French catalog translates them).
WATCH_STATE_LABELS: Mapping[WatchState, str] = {
    WatchState.OVERDUE: N_("overdue"),
    WatchState.OPEN: N_("open"),
    WatchState.DONE: N_("done"),
    WatchState.ABANDONED: N_("abandoned"),
}

#: The order the watch list shows them in: overdue first, then open, then closed.
_RANK = {WatchState.OVERDUE: 0, WatchState.OPEN: 1, WatchState.DONE: 2, WatchState.ABANDONED: 2}


@dataclass(frozen=True, slots=True)
class Watch:
    """One watch item's state, its expected date and the obligations it affects."""

    item: Item
    state: WatchState
    #: None when it has none, or not a date (a finding says so)
    expected: dt.date | None
    #: the obligations of its ``affects`` links that the model has, in link order
    affects: tuple[Item, ...] = ()

    @property
    def status(self) -> str:
        """The status word written, ``open`` when none is."""
        return self.item.status or WATCH_OPEN

    @property
    def catalogue(self) -> str:
        """The date of the shipped statement of the law it comes from; empty: the
        project's own."""
        return self.item.field("catalogue")


def watch_state(item: Item, today: dt.date) -> WatchState:
    """``done`` and ``abandoned`` as written; any other status (none, ``open``, or a word
    that is not one: a finding) is open, overdue once ``expected`` is before ``today``."""
    if item.status == "done":
        return WatchState.DONE
    if item.status == "abandoned":
        return WatchState.ABANDONED
    expected = parse_date(item.field("expected"))
    return WatchState.OVERDUE if expected is not None and expected < today else WatchState.OPEN


def sort_key(watch: Watch) -> tuple[int, str, str]:
    """Overdue first, then open, then closed; within each, by expected date, then ID."""
    expected = watch.expected.isoformat() if watch.expected else "9999-99-99"
    return (_RANK[watch.state], expected, watch.item.id)


def assess_watch(model: Model, today: dt.date) -> list[Watch]:
    """Every watch item, in the order the watch list shows them (:func:`sort_key`)."""
    watches = []
    for item in model.of_kind(Kind.WATCH):
        found = (model.items.get(i) for i in dict.fromkeys(item.linked("affects")))
        affects = tuple(o for o in found if o is not None and o.kind is Kind.OBLIGATION)
        expected = parse_date(item.field("expected"))
        watches.append(Watch(item, watch_state(item, today), expected, affects))
    return sorted(watches, key=sort_key)


def overdue_message(
    watch: Watch, today: dt.date, expected_name: str = "expected", gettext: Gettext = same
) -> str:
    """The one sentence the build and ``crmrisk check`` print for an overdue item."""
    item = watch.item
    if watch.catalogue:
        template = N_(
            "{id}: watch item still open after its expected date {expected} (reference "
            "date {today}): the statement of the law of {catalogue} imported from the "
            "sphinx-crmrisk catalogue may be out of date: upgrade sphinx-crmrisk, or pin "
            "a newer :version: of crmrisk-catalogue"
        )
    else:
        template = N_(
            "{id}: watch item still open after its expected date {expected} (reference "
            "date {today}): see what happened, then update it (a later '{field}' date, or "
            "status done or abandoned) and the obligations it affects"
        )
    return gettext(template).format(
        id=item.id,
        expected=item.field("expected"),
        today=today.isoformat(),
        catalogue=watch.catalogue,
        field=expected_name,
    )


def watch_findings(
    model: Model, watches: Iterable[Watch], today: dt.date, language: str | None = None
) -> list[Finding]:
    """Bad statuses, dates and verification levels of watch items, open items without
    an expected date, and overdue items, in the order of their files and lines; the
    messages in ``language`` (None: English)."""
    gettext = translator(language)
    field = model.names.field
    findings: list[Finding] = []
    ordered = sorted(watches, key=lambda w: (w.item.file or "", w.item.lineno or 0, w.item.id))
    for watch in ordered:
        item = watch.item
        if item.status and item.status not in WATCH_STATUSES:
            template = N_(
                "{id}: status '{status}' is not one of {statuses} (the statuses of a watch item)"
            )
            message = gettext(template).format(
                id=item.id, status=item.status, statuses=", ".join(WATCH_STATUSES)
            )
            findings.append(Finding("bad_value", item, message))
        level = item.field("verification")
        if level and level not in VERIFICATION_LEVELS:
            template = N_("{id}: {field} '{value}' is not one of {values}")
            message = gettext(template).format(
                id=item.id,
                field=field("verification"),
                value=level,
                values=", ".join(VERIFICATION_LEVELS),
            )
            findings.append(Finding("bad_value", item, message))
        text = item.field("expected")
        if text and watch.expected is None:
            message = bad_date_message(item.id, field("expected"), text, gettext)
            findings.append(Finding("bad_date", item, message))
        elif not text and watch.state.is_open:
            template = N_(
                "{id}: open watch item has no '{field}' date: when should something happen?"
            )
            message = gettext(template).format(id=item.id, field=field("expected"))
            findings.append(Finding("missing_field", item, message))
        if watch.state is WatchState.OVERDUE:
            message = overdue_message(watch, today, field("expected"), gettext)
            findings.append(Finding("watch_overdue", item, message))
    return findings


def expected_changes(watches: Iterable[Watch]) -> dict[str, list[Watch]]:
    """Obligation ID -> the open watch items that affect it, in watch-list order."""
    by_obligation: dict[str, list[Watch]] = {}
    for watch in watches:
        if not watch.state.is_open:
            continue
        for obligation in watch.affects:
            by_obligation.setdefault(obligation.id, []).append(watch)
    return by_obligation


def watch_marks(watches: Iterable[Watch]) -> dict[str, list[tuple[Any, ...]]]:
    """Need ID -> what its page shows of watch items: which pages an edit must re-write.

    An obligation's « expected change » badge names each open item that affects it,
    with its date and whether it is overdue: a change of any of them, on the watch
    item's page, must re-write the obligation's.
    """
    return {
        obligation_id: [
            (w.item.id, w.item.field("expected"), w.state.value, w.catalogue) for w in found
        ]
        for obligation_id, found in expected_changes(watches).items()
    }
