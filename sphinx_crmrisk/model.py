"""The traceability model and the coverage rule, with no Sphinx import.

The build check, the ``crmrisk`` command and the notebooks all call this module, so
they give the same answer on the same data. Input is the mapping of needs that
sphinx-needs keeps during a build, or the ``needs`` of a ``needs.json`` file: both
map a need ID to a dict-like with ``type``, ``title``, ``status``, the fields, the
outgoing links as lists of IDs, ``docname``, ``doctype`` and ``lineno``.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .kinds import COVERING_KINDS, DATE_FIELDS, FIELDS, LINK_SPECS, Kind


class State(str, Enum):
    """Where an obligation stands, as of a reference date."""

    COVERED = "covered"
    JUSTIFIED = "justified"
    UPCOMING = "upcoming"
    LAPSED = "lapsed"
    UNCOVERED = "uncovered"

    def __str__(self) -> str:
        return self.value

    @property
    def is_gap(self) -> bool:
        return self is State.UNCOVERED


VERIFICATION_LEVELS = ("verified", "partial", "unverified")
NOT_APPLICABLE = "not_applicable"
DEFAULT_INACTIVE_STATUSES = ("draft", "retired")
DEFAULT_REQUIRED_FIELDS = ("legal_basis",)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


#: ``Kind(value)`` costs an Enum call and an exception for other types: a dict does not.
_KINDS = {kind.value: kind for kind in Kind}
#: The sort key of items in ID order.
_by_id = operator.attrgetter("id")


@dataclass(frozen=True)
class Item:
    """One need of a crmrisk kind (or of another type, ``kind`` then None)."""

    id: str
    type: str
    title: str
    status: str | None = None
    docname: str | None = None
    doctype: str | None = None
    lineno: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def kind(self) -> Kind | None:
        return _KINDS.get(self.type)

    @property
    def file(self) -> str | None:
        """The source file, relative to the source folder, when it is known: the
        included file an item is written in, else its page's."""
        included = self.fields.get("source_file")
        if included:
            return included
        if self.docname is None:
            return None
        return self.docname + (self.doctype or "")

    @property
    def location(self) -> str:
        """``file:line`` (or what is known of it) for messages."""
        where = self.file or "<unknown>"
        return f"{where}:{self.lineno}" if self.lineno else where

    @property
    def parties(self) -> tuple[str, ...]:
        return split_list(self.fields.get("party", ""))

    def field(self, name: str) -> str:
        return self.fields.get(name, "")

    def linked(self, link_type: str) -> tuple[str, ...]:
        return self.links.get(link_type, ())


def split_list(value: str) -> tuple[str, ...]:
    """``"a, b ,c"`` -> ``("a", "b", "c")``; the form of multi-valued text fields."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


# a handbook has few distinct dates and every assessment reads two: each text is parsed
# once (dates are immutable, so sharing them is safe)
@functools.lru_cache(maxsize=4096)
def parse_date(value: str) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` date, or None when the text is not one."""
    if not _ISO_DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _link_ids(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return split_list(value)
    # a link to a need part is written ``ID.part``: it counts for the need
    return tuple([str(v).partition(".")[0] for v in value])


_FIELD_NAMES = tuple(FIELDS)
_LINK_NAMES = tuple(LINK_SPECS)
#: Every key of a need that :func:`item_from_need` reads: a reader may skip the others.
NEED_KEYS = (
    "id", "type", "title", "status", "docname", "doctype", "lineno", *_FIELD_NAMES, *_LINK_NAMES
)


def item_from_need(need: Mapping[str, Any]) -> Item:
    """Reads one need of sphinx-needs (build data or needs.json) into an Item."""
    # called once a need (50,000 times on a large needs.json): plain loops over the
    # names, each value read once; sphinx-needs writes every field on every need, ""
    # where it has none, so most values are skipped here
    get = need.get
    fields = {}
    for name in _FIELD_NAMES:
        value = get(name)
        if value:
            fields[name] = str(value).strip()
    links = {}
    for name in _LINK_NAMES:
        value = get(name)
        if value:
            ids = _link_ids(value)
            if ids:
                links[name] = ids
    lineno = get("lineno")
    return Item(
        id=str(need["id"]),
        type=str(get("type", "")),
        title=str(get("title", "")),
        status=get("status") or None,
        docname=get("docname") or None,
        doctype=get("doctype") or None,
        lineno=int(lineno) if isinstance(lineno, int) else None,
        fields=fields,
        links=links,
    )


@dataclass(frozen=True)
class Assessment:
    """The state of one obligation and the evidence for it."""

    obligation: Item
    state: State
    covering: tuple[Item, ...] = ()
    """Active clauses and procedures that cover it."""
    discounted: tuple[tuple[Item, str], ...] = ()
    """Covering items that do not count, each with the reason."""
    upcoming: bool = False
    """Its ``effective`` date is after the reference date."""

    @property
    def reason(self) -> str:
        """Why covering items do not count, e.g. ``"CLA-X is draft"``."""
        return "; ".join(f"{item.id} {why}" for item, why in self.discounted)


@dataclass(frozen=True)
class Finding:
    """A problem in the data, to be reported with its subtype and location."""

    subtype: str
    item: Item
    message: str


class Model:
    """All items, with an index of incoming links built from outgoing ones."""

    def __init__(self, items: Iterable[Item]) -> None:
        self.items: dict[str, Item] = {item.id: item for item in items}
        incoming: dict[str, dict[str, list[str]]] = {}
        self._incoming = incoming
        for item in self.items.values():
            if not item.links:
                continue
            item_id = item.id
            for link_type, targets in item.links.items():
                for target in targets:
                    # get, not setdefault: that builds a throwaway {} or [] every call
                    by_type = incoming.get(target)
                    if by_type is None:
                        by_type = incoming[target] = {}
                    ids = by_type.get(link_type)
                    if ids is None:
                        by_type[link_type] = [item_id]
                    else:
                        ids.append(item_id)
        # in ID order, as sphinx-needs sorts back-links: the order in which needs were
        # read changes with an incremental build and must not change what is shown
        for by_type in incoming.values():
            for ids in by_type.values():
                ids.sort()

    @classmethod
    def from_needs(cls, needs: Mapping[str, Mapping[str, Any]]) -> Model:
        return cls(item_from_need(need) for need in needs.values())

    def of_kind(self, kind: Kind) -> list[Item]:
        # ``item.kind is kind`` exactly when the type is the kind's value; comparing the
        # strings spares a property call and a dict look-up per item
        value = kind.value
        return [item for item in self.items.values() if item.type == value]

    @property
    def obligations(self) -> list[Item]:
        return self.of_kind(Kind.OBLIGATION)

    def incoming(self, item_id: str, link_type: str) -> list[Item]:
        """Items that link to ``item_id`` with ``link_type``."""
        ids = self._incoming.get(item_id, {}).get(link_type, [])
        return [self.items[i] for i in ids]

    def phases_of(self, obligation: Item) -> list[Item]:
        return [self.items[i] for i in obligation.linked("phase") if i in self.items]


def _discount_reason(item: Item, inactive: frozenset[str]) -> str | None:
    if item.kind not in COVERING_KINDS:
        return f"is a {item.type}, not a clause or procedure"
    if item.status and item.status in inactive:
        return f"is {item.status}"
    return None


def assess(
    model: Model,
    obligation: Item,
    today: dt.date,
    inactive_statuses: Iterable[str] = DEFAULT_INACTIVE_STATUSES,
) -> Assessment:
    """Applies the coverage rule to one obligation.

    lapsed (``until`` before ``today``) > justified (``not_applicable`` with a
    justification) > covered (an active clause or procedure ``covers`` it; shown as
    upcoming while ``effective`` is after ``today``) > uncovered.
    """
    inactive = frozenset(inactive_statuses)
    covering: list[Item] = []
    discounted: list[tuple[Item, str]] = []
    for item in model.incoming(obligation.id, "covers"):
        reason = _discount_reason(item, inactive)
        if reason is None:
            covering.append(item)
        else:
            discounted.append((item, reason))
    fields = obligation.fields
    effective = parse_date(fields.get("effective", ""))
    until = parse_date(fields.get("until", ""))
    upcoming = effective is not None and effective > today
    if until is not None and until < today:
        state = State.LAPSED
    elif obligation.status == NOT_APPLICABLE and fields.get("justification"):
        state = State.JUSTIFIED
    elif covering:
        state = State.UPCOMING if upcoming else State.COVERED
    else:
        state = State.UNCOVERED
    return Assessment(obligation, state, tuple(covering), tuple(discounted), upcoming)


def assess_all(
    model: Model,
    today: dt.date,
    inactive_statuses: Iterable[str] = DEFAULT_INACTIVE_STATUSES,
) -> list[Assessment]:
    """Every obligation's assessment, in ID order."""
    # frozenset() of a frozenset is free: built once, not once an obligation
    inactive_statuses = frozenset(inactive_statuses)
    return [
        assess(model, obligation, today, inactive_statuses)
        for obligation in sorted(model.obligations, key=_by_id)
    ]


def uncovered_message(assessment: Assessment) -> str:
    """The one sentence that the build, the CLI and the notebooks print for a gap."""
    obligation = assessment.obligation
    text = (
        f"{obligation.id}: obligation '{obligation.title}' is not covered by any "
        "active clause or procedure"
    )
    if assessment.upcoming:
        text += f" (it takes effect on {obligation.field('effective')})"
    if assessment.discounted:
        text += f" ({assessment.reason})"
    return text


def find_problems(
    model: Model, required_fields: Iterable[str] = DEFAULT_REQUIRED_FIELDS
) -> list[Finding]:
    """Problems in the data other than coverage gaps, in a stable order."""
    findings: list[Finding] = []
    required = tuple(required_fields)
    for item in sorted(model.items.values(), key=lambda i: (i.file or "", i.lineno or 0, i.id)):
        findings.extend(_link_problems(model, item))
        if item.kind is Kind.OBLIGATION:
            findings.extend(_obligation_problems(model, item, required))
    return findings


def _link_problems(model: Model, item: Item) -> Iterable[Finding]:
    for link_type, targets in item.links.items():
        rule = LINK_SPECS[link_type]
        if item.kind is not None and item.kind not in rule.sources:
            yield Finding(
                "link_type",
                item,
                f"{item.id}: a {item.type} cannot have a '{link_type}' link "
                f"(only {', '.join(sorted(k.value for k in rule.sources))} can)",
            )
            continue
        for target_id in targets:
            target = model.items.get(target_id)
            # unknown IDs are sphinx-needs' own dead-link warning
            if target is not None and target.kind is not rule.target:
                yield Finding(
                    "link_type",
                    item,
                    f"{item.id}: '{link_type}' link to {target_id}, a {target.type}; "
                    f"it must point at a {rule.target.value}",
                )


def _obligation_problems(
    model: Model, item: Item, required: tuple[str, ...]
) -> Iterable[Finding]:
    for name in required:
        if not item.field(name):
            yield Finding("missing_field", item, f"{item.id}: obligation has no '{name}'")
    if not item.linked("phase"):
        yield Finding("missing_field", item, f"{item.id}: obligation has no 'phase' link")
    if item.status == NOT_APPLICABLE and not item.field("justification"):
        yield Finding(
            "missing_field",
            item,
            f"{item.id}: status '{NOT_APPLICABLE}' needs a 'justification'",
        )
    level = item.field("verification")
    if level and level not in VERIFICATION_LEVELS:
        yield Finding(
            "bad_value",
            item,
            f"{item.id}: verification '{level}' is not one of "
            f"{', '.join(VERIFICATION_LEVELS)}",
        )
    dates = {}
    for name in DATE_FIELDS:
        text = item.field(name)
        if not text:
            continue
        dates[name] = parse_date(text)
        if dates[name] is None:
            yield Finding(
                "bad_date", item, f"{item.id}: {name} '{text}' is not a YYYY-MM-DD date"
            )
    if dates.get("effective") and dates.get("until") and dates["until"] < dates["effective"]:
        yield Finding(
            "bad_date",
            item,
            f"{item.id}: until {item.field('until')} is before effective "
            f"{item.field('effective')}",
        )


@dataclass(frozen=True)
class Summary:
    """Counts of obligations by state, for one phase or for all."""

    label: str
    counts: Mapping[State, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def in_force(self) -> int:
        """Obligations that need cover: all but the lapsed and the justified."""
        return self.total - self.counts[State.LAPSED] - self.counts[State.JUSTIFIED]

    @property
    def covered(self) -> int:
        return self.counts[State.COVERED] + self.counts[State.UPCOMING]

    @property
    def percent(self) -> float:
        """Share of the obligations that need cover which have it (100 when none do)."""
        return 100.0 if self.in_force == 0 else 100.0 * self.covered / self.in_force


def summarize(label: str, assessments: Iterable[Assessment]) -> Summary:
    counts = {state: 0 for state in State}
    for assessment in assessments:
        counts[assessment.state] += 1
    return Summary(label, counts)


def summaries_by_phase(model: Model, assessments: list[Assessment]) -> list[Summary]:
    """One summary per phase item (in ID order), then one overall.

    An obligation linked to several phases counts in each; the overall line counts
    it once.
    """
    phases = sorted(model.of_kind(Kind.PHASE), key=_by_id)
    # one pass over the assessments, not one a phase (a large handbook has hundreds)
    by_phase: dict[str, list[Assessment]] = {phase.id: [] for phase in phases}
    for assessment in assessments:
        # dict.fromkeys: an obligation linked twice to one phase counts there once
        for phase_id in dict.fromkeys(assessment.obligation.linked("phase")):
            if phase_id in by_phase:
                by_phase[phase_id].append(assessment)
    rows = [summarize(phase.id, by_phase[phase.id]) for phase in phases]
    rows.append(summarize("", assessments))
    return rows
