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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from itertools import chain
from typing import Any, ClassVar

from .kinds import (
    COVERING_KINDS,
    DATE_FIELDS,
    DEFAULT_NAMES,
    KIND_STATUSES,
    LINK_SPECS,
    N_,
    RISK_SCALES,
    STATUS_LABELS,
    STATUS_WORDS,
    VERIFICATION_LEVELS,
    Kind,
    Names,
    Status,
    canonical_status,
    inactive_keys,
    status_key,
)
from .scope import missing_activities, not_activities
from .text import one_line, split_list
from .translations import Gettext, same, translations
from .warning_types import WarningSubtype


class State(StrEnum):
    """Where an obligation stands, as of a reference date and for a profile.

    Precedence, first that holds: ``lapsed`` (its ``until`` is past: it binds no one
    any more) > ``out_of_scope`` (it lists in ``applies_to`` an activity the
    organization's ``crmrisk_profile`` lacks: it does not bind this organization, so
    it needs neither a cover nor a justification; a cover it has is kept but does not
    make it count) > ``justified`` (``not_applicable`` with a justification: the
    organization's own reason) > ``covered``/``upcoming`` > ``uncovered``. Only
    ``uncovered`` is a gap (:attr:`is_gap`); ``out_of_scope`` obligations are never
    dropped: they are counted apart, with the activities that put them out of scope.
    """

    COVERED = "covered"
    JUSTIFIED = "justified"
    UPCOMING = "upcoming"
    LAPSED = "lapsed"
    OUT_OF_SCOPE = "out_of_scope"
    UNCOVERED = "uncovered"

    @property
    def is_gap(self) -> bool:
        return self is _UNCOVERED


# The members the loops over every need compare with, as module globals: in Python
# 3.11 each ``State.COVERED`` or ``Kind.OBLIGATION`` read goes through the enum's
# descriptor, 0.3 µs, several times a need (benchmarks/README.md, (e))
_COVERED, _JUSTIFIED, _UPCOMING = State.COVERED, State.JUSTIFIED, State.UPCOMING
_LAPSED, _OUT_OF_SCOPE, _UNCOVERED = State.LAPSED, State.OUT_OF_SCOPE, State.UNCOVERED
_OBLIGATION, _RISK = Kind.OBLIGATION, Kind.RISK
_NOT_APPLICABLE_STATUS = Status.NOT_APPLICABLE

#: Each state as readers see it (English message IDs; the French catalog translates them).
STATE_LABELS: Mapping[State, str] = {
    State.COVERED: N_("covered"),
    State.JUSTIFIED: N_("justified"),
    State.UPCOMING: N_("upcoming"),
    State.LAPSED: N_("lapsed"),
    State.OUT_OF_SCOPE: N_("out of scope"),
    State.UNCOVERED: N_("uncovered"),
}

NOT_APPLICABLE = Status.NOT_APPLICABLE.value
DEFAULT_INACTIVE_STATUSES = ("draft", "retired")
DEFAULT_REQUIRED_FIELDS = ("legal_basis",)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The years a date may have, wherever one is read (items' fields, ``:reviewed:``,
#: ``crmrisk_today``, ``--today``). Outside them a date is a typo (``9999-12-31``,
#: ``0202-01-01``) that no computation should see: adding a review cycle (at most 999
#: months) to a date of these years cannot overflow Python's dates. 1800: the oldest
#: French texts still cited as in force (Code civil, 1804) fit.
FIRST_YEAR, LAST_YEAR = 1800, 2999


#: ``Kind(value)`` costs an Enum call and an exception for other types: a dict does not.
_KINDS = {kind.value: kind for kind in Kind}
#: ``Item.kind`` left out: taken from ``type`` under the canonical names.
_FROM_TYPE: Any = object()
#: The sort key of items in ID order.
_by_id = operator.attrgetter("id")


@dataclass(frozen=True, init=False, slots=True)
class Item:
    """One need of a crmrisk kind (or of another type, ``kind`` then None).

    ``type`` is the need type as the project names it; ``kind`` the canonical kind
    (:func:`item_from_need` gives it through the project's :class:`~.kinds.Names`).
    ``fields`` and ``links`` are keyed by the canonical names.
    """

    id: str
    type: str
    title: str
    status: str | None = None
    docname: str | None = None
    doctype: str | None = None
    lineno: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kind: Kind | None = field(default=_FROM_TYPE, compare=False)
    #: The need's text (kept for obligations only: reviews track it, :mod:`.reviews`)
    content: str = ""

    def __init__(
        self,
        id: str,
        type: str,
        title: str,
        status: str | None = None,
        docname: str | None = None,
        doctype: str | None = None,
        lineno: int | None = None,
        fields: Mapping[str, str] | None = None,
        links: Mapping[str, tuple[str, ...]] | None = None,
        kind: Kind | None = _FROM_TYPE,
        content: str = "",
    ) -> None:
        # slots, not an instance dict: 120 bytes an item instead of 216, kept by a build
        # through the writing of its pages and by the command (a large needs.json makes
        # 50,000 items, benchmarks/README.md, (e)). The frozen dataclass's own __init__
        # would set each slot through object.__setattr__: the slots' own setters are
        # called instead, a third cheaper
        (
            set_id,
            set_type,
            set_title,
            set_status,
            set_docname,
            set_doctype,
            set_lineno,
            set_fields,
            set_links,
            set_kind,
            set_content,
        ) = _ITEM_SET
        set_id(self, id)
        set_type(self, type)
        set_title(self, title)
        set_status(self, status)
        set_docname(self, docname)
        set_doctype(self, doctype)
        set_lineno(self, lineno)
        set_fields(self, {} if fields is None else fields)
        set_links(self, {} if links is None else links)
        set_kind(self, _KINDS.get(type) if kind is _FROM_TYPE else kind)
        set_content(self, content)

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
    def catalogue(self) -> str | None:
        """The version of the shipped catalogue the item was imported from
        (``crmrisk-catalogue``), None for an item the project writes."""
        return self.fields.get("catalogue") or None

    @property
    def parties(self) -> tuple[str, ...]:
        return split_list(self.fields.get("party", ""))

    def field(self, name: str) -> str:
        return self.fields.get(name, "")

    def linked(self, link_type: str) -> tuple[str, ...]:
        return self.links.get(link_type, ())


def slot_setters(cls: type, names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The setter of each of ``cls``'s slots named in ``names``, in that order: what a
    frozen dataclass's ``__init__`` calls, without ``object.__setattr__``'s lookup."""
    return tuple(vars(cls)[name].__set__ for name in names.split())


_ITEM_SET = slot_setters(
    Item, "id type title status docname doctype lineno fields links kind content"
)


# a handbook has few distinct dates and every assessment reads two: each text is parsed
# once (dates are immutable, so sharing them is safe)
# (a large needs.json has thousands of distinct dates: the cache holds them all, or each
# one read again is parsed again)
@functools.lru_cache(maxsize=1 << 16)
def parse_date(value: str) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` date of the years :data:`FIRST_YEAR` to :data:`LAST_YEAR`,
    or None when the text is not one (:func:`bad_date_message` says why)."""
    if not _ISO_DATE.match(value):
        return None
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return date if FIRST_YEAR <= date.year <= LAST_YEAR else None


#: What :data:`FIRST_YEAR` and :data:`LAST_YEAR` allow, for messages.
DATE_YEARS = f"the years {FIRST_YEAR} to {LAST_YEAR}"


def is_out_of_range(value: str) -> bool:
    """Whether ``value`` is a real ``YYYY-MM-DD`` date that :func:`parse_date` refuses
    for its year."""
    if not _ISO_DATE.match(value):
        return False
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return False
    return not FIRST_YEAR <= date.year <= LAST_YEAR


def bad_date_message(item_id: str, field: str, value: str, gettext: Gettext = same) -> str:
    """``OBL-X: effective '2026-13-01' is not a YYYY-MM-DD date``, or ``... is not a date
    of the years 1800 to 2999``: why :func:`parse_date` refuses ``value``, in a message
    (``gettext``: the build's language)."""
    if is_out_of_range(value):
        template = N_("{id}: {field} '{value}' is not a date of the years {first} to {last}")
    else:
        template = N_("{id}: {field} '{value}' is not a YYYY-MM-DD date")
    return gettext(template).format(
        id=item_id, field=field, value=value, first=FIRST_YEAR, last=LAST_YEAR
    )


def _is_id_list(value: Any) -> bool:
    """A host need's key of one of our link names is read as links only when it holds
    what a link does (its own field of that name may hold anything)."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _link_ids(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return split_list(value)
    # a link to a need part is written ``ID.part``: it counts for the need
    return tuple(
        [v.partition(".")[0] if v.__class__ is str else str(v).partition(".")[0] for v in value]
    )


_CORE_KEYS = ("id", "type", "title", "status", "docname", "doctype", "lineno", "content")


def need_keys(names: Names = DEFAULT_NAMES) -> tuple[str, ...]:
    """Every key of a need that :func:`item_from_need` reads: a reader may skip the others."""
    return (
        *_CORE_KEYS,
        *(key for key, _ in names.field_keys),
        *(key for key, _ in names.link_keys),
    )


#: :func:`need_keys` under the canonical names.
NEED_KEYS = need_keys()


def item_from_need(need: Mapping[str, Any], names: Names = DEFAULT_NAMES) -> Item:
    """Reads one need of sphinx-needs (build data or needs.json) into an Item.

    ``names`` says under which keys the project has our fields and links, and which of
    its types are our kinds; the Item holds them under the canonical names.
    """
    # called once a need (50,000 times on a large needs.json): plain loops over the
    # (key, canonical name) pairs, made once for the names, each value read once;
    # sphinx-needs writes every field on every need, "" where it has none, so most
    # values are skipped here; str() only for a value that is not one already
    get = need.get
    need_type = get("type", "")
    if need_type.__class__ is not str:
        need_type = str(need_type)
    kind = names.kinds.get(need_type)
    fields = {}
    links = {}
    if kind is not None:
        for key, name in names.field_keys:
            value = get(key)
            if value:
                fields[name] = (value if value.__class__ is str else str(value)).strip()
    for key, name in names.link_keys:
        value = get(key)
        if value and (kind is not None or _is_id_list(value)):
            ids = _link_ids(value)
            if ids:
                links[name] = ids
    lineno = get("lineno")
    content = get("content") if kind is _OBLIGATION else None
    need_id = need["id"]
    title = get("title", "")
    return Item(
        need_id if need_id.__class__ is str else str(need_id),
        need_type,
        title if title.__class__ is str else str(title),
        get("status") or None,
        get("docname") or None,
        get("doctype") or None,
        lineno if lineno.__class__ is int else None,
        fields,
        links,
        kind,
        content if content.__class__ is str else "",
    )


class NeedRecord:
    """A need as :func:`~.needs_json.read_model_needs` decodes it: each key the model
    reads is an attribute of its canonical name (``id``, ``type``..., ``legal_basis``...,
    ``covers``...), whatever the project names it; a key the need lacks holds
    :attr:`absent` (falsy). The decoder has checked each value's type.

    The mixin of the decoder's record class (a msgspec struct: no dict a need, its
    values read in C). :meth:`Model.from_needs` reads it without a lookup by key; for
    any other reader it is a read-only mapping of the need's keys as the file names
    them.
    """

    __slots__ = ()
    #: the need's key (as the file names it) -> the attribute that holds it
    keys_read: ClassVar[Mapping[str, str]] = {}
    #: what an attribute holds when the need lacks the key
    absent: ClassVar[object] = None

    def __getitem__(self, key: str) -> Any:
        attribute = self.keys_read.get(key)
        value = self.absent if attribute is None else getattr(self, attribute)
        if value is self.absent:
            raise KeyError(key)
        # a list of IDs, as the file has it (the record holds a tuple)
        return list(value) if value.__class__ is tuple else value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        attribute = self.keys_read.get(key) if isinstance(key, str) else None
        return attribute is not None and getattr(self, attribute) is not self.absent

    def __iter__(self) -> Iterator[str]:
        return (key for key in self.keys_read if key in self)

    def __len__(self) -> int:
        return sum(1 for _key in self)

    def keys(self) -> list[str]:
        return list(self)

    def values(self) -> list[Any]:
        return [self[key] for key in self]

    def items(self) -> list[tuple[str, Any]]:
        return [(key, self[key]) for key in self]

    def __eq__(self, other: object) -> bool:
        # as a mapping: the same keys and values as a dict (or another record) has
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"


Mapping.register(NeedRecord)


def _items_from_needs(needs: Iterable[Mapping[str, Any]], names: Names) -> list[Item]:
    """:func:`item_from_need` of each need; a :class:`NeedRecord` is read by attribute
    (:func:`_record_reader`), to the same Item."""
    field_names = tuple(name for _key, name in names.field_keys)
    link_names = tuple(name for _key, name in names.link_keys)
    return _record_reader(field_names, link_names)(needs, names)


#: The loop of :func:`_record_reader`; its fields and links are written in for each
#: name (``{fields}``, ``{links}``).
_READER = """
def read_records(needs, names):
    kinds = names.kinds
    items = []
    append = items.append
    for need in needs:
        if not isinstance(need, NeedRecord):
            append(item_from_need(need, names))
            continue
        need_type = need.type
        kind = kinds.get(need_type)
        fields = {{}}
        if kind is not None:
{fields}
        links = {{}}
{links}
        title = need.title
        lineno = need.lineno
        content = need.content if kind is OBLIGATION else ""
        append(
            Item(
                need.id,
                need_type,
                title if title.__class__ is str else "",
                need.status or None,
                need.docname or None,
                need.doctype or None,
                lineno if lineno.__class__ is int else None,
                fields,
                links,
                kind,
                content if content.__class__ is str else "",
            )
        )
    return items
"""


@functools.lru_cache(maxsize=8)
def _record_reader(
    field_names: tuple[str, ...], link_names: tuple[str, ...]
) -> Callable[[Iterable[Mapping[str, Any]], Names], list[Item]]:
    """The loop that makes the items of needs, a :class:`NeedRecord` read by attribute.

    What :func:`item_from_need` does, to the same Item: a record holds, as attributes
    of the canonical names, the keys item_from_need reads under the project's, each
    value already of its type (a text, a list of texts, a line number: the decoder
    checked them), so its ``str()`` and list checks have nothing left to do. Written
    out for each field and link, in item_from_need's order (``field_names``,
    ``link_names``), and compiled once, as :mod:`dataclasses` does: one attribute read
    a name, which Python specializes, where a loop over the names would look each one
    up (50,000 needs on a large needs.json; most values are "", sphinx-needs writing
    every field on every need).
    """
    assert all(name.isidentifier() for name in (*field_names, *link_names))
    fields = "\n".join(
        f"            value = need.{name}\n"
        f"            if value:\n"
        f"                fields[{name!r}] = value.strip()"
        for name in field_names
    )
    # a non-empty tuple of IDs (as the decoder makes them) is kept as it is; a link to
    # a need part (``ID.part``) counts for the need (_link_ids)
    links = "\n".join(
        f"        value = need.{name}\n"
        f"        if value:\n"
        f"            links[{name!r}] = "
        f"value if '.' not in ''.join(value) else link_ids(value)"
        for name in link_names
    )
    namespace: dict[str, Any] = {
        "NeedRecord": NeedRecord,
        "item_from_need": item_from_need,
        "Item": Item,
        "OBLIGATION": _OBLIGATION,
        "link_ids": _link_ids,
    }
    exec(_READER.format(fields=fields, links=links), namespace)
    reader: Callable[[Iterable[Mapping[str, Any]], Names], list[Item]] = namespace["read_records"]
    return reader


class DiscountCode(StrEnum):
    """Why a ``covers`` link does not count."""

    #: the item's status is one of ``crmrisk_inactive_statuses`` (draft, retired...)
    INACTIVE = "inactive"
    #: the item's status is no word the vocabulary knows: never counted on a guess
    UNKNOWN_STATUS = "unknown_status"
    #: the item is not a clause or procedure
    NOT_COVERING = "not_covering"


@dataclass(frozen=True, slots=True)
class Discount:
    """Why one covering item does not count, in words of any language (:meth:`text`);
    ``str()`` gives the English words (the message IDs)."""

    code: DiscountCode
    #: the status as written (:attr:`DiscountCode.INACTIVE`, ``UNKNOWN_STATUS``)
    status: str = ""
    #: the item's type, and the project's names of clauses and procedures
    #: (:attr:`DiscountCode.NOT_COVERING`)
    type: str = ""
    covering_types: tuple[str, str] = ("clause", "procedure")

    def text(self, gettext: Gettext = same) -> str:
        """``is draft``, or in French ``brouillon``."""
        if self.code is DiscountCode.INACTIVE:
            known = canonical_status(self.status)
            word = gettext(STATUS_LABELS[known]) if known is not None else self.status
            return gettext(N_("is {status}")).format(status=word)
        if self.code is DiscountCode.UNKNOWN_STATUS:
            return gettext(N_("has the unknown status '{status}'")).format(status=self.status)
        clause, procedure = self.covering_types
        return gettext(N_("is a {type}, not a {clause} or {procedure}")).format(
            type=self.type, clause=clause, procedure=procedure
        )

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, init=False, slots=True)
class Assessment:
    """The state of one obligation and the evidence for it."""

    obligation: Item
    state: State
    covering: tuple[Item, ...] = ()
    """Active clauses and procedures that cover it."""
    discounted: tuple[tuple[Item, Discount], ...] = ()
    """Covering items that do not count, each with the reason."""
    upcoming: bool = False
    """Its ``effective`` date is after the reference date."""
    out_of_scope_by: tuple[str, ...] = ()
    """The activities of its ``applies_to`` that the profile lacks (empty: in scope)."""

    def __init__(
        self,
        obligation: Item,
        state: State,
        covering: tuple[Item, ...] = (),
        discounted: tuple[tuple[Item, Discount], ...] = (),
        upcoming: bool = False,
        out_of_scope_by: tuple[str, ...] = (),
    ) -> None:
        # as Item's: one assessment an obligation, tens of thousands in a large file
        set_obligation, set_state, set_covering, set_discounted, set_upcoming, set_out = (
            _ASSESSMENT_SET
        )
        set_obligation(self, obligation)
        set_state(self, state)
        set_covering(self, covering)
        set_discounted(self, discounted)
        set_upcoming(self, upcoming)
        set_out(self, out_of_scope_by)

    @property
    def reason(self) -> str:
        """Why covering items do not count, e.g. ``"CLA-X is draft"``."""
        return self.reason_text()

    def reason_text(self, gettext: Gettext = same) -> str:
        """:attr:`reason` in a language: ``CLA-X : brouillon`` in French."""
        template = gettext(N_("{id} {reason}"))
        return "; ".join(
            template.format(id=item.id, reason=why.text(gettext)) for item, why in self.discounted
        )

    @property
    def acted_on(self) -> Item:
        """Where the organization acts on this obligation, when it is a gap.

        An obligation imported from the shipped catalogue is located at the directive
        that imports it, a text the organization does not write: when an item of its
        own covers it without counting (a draft, a retired clause), that item is where
        it acts; otherwise the import, where its scope is decided. An obligation the
        project writes is its own place.
        """
        if self.obligation.catalogue and self.discounted:
            return self.discounted[0][0]
        return self.obligation


_ASSESSMENT_SET = slot_setters(
    Assessment, "obligation state covering discounted upcoming out_of_scope_by"
)


class RiskLevel(StrEnum):
    """Where a scored risk falls on the 4x4 map of severity by likelihood."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LEVEL_LABELS: Mapping[RiskLevel, str] = {
    RiskLevel.LOW: N_("Low"),
    RiskLevel.MEDIUM: N_("Medium"),
    RiskLevel.HIGH: N_("High"),
}

#: ``_LEVEL_GRID[likelihood - 1][severity - 1]``: the acceptance zones of the EBIOS RM
#: 4x4 matrix as CISO Assistant ships it (library risk-matrix-4x4-ebios-rm): severity
#: weighs more than likelihood, so a critical risk is never low.
_L, _M, _H = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
_LEVEL_GRID = (
    (_L, _L, _M, _M),
    (_L, _L, _M, _H),
    (_L, _M, _H, _H),
    (_M, _M, _H, _H),
)


@dataclass(frozen=True)
class RiskScore:
    """A risk's likelihood and severity (1 to 4 each) and the level they give."""

    likelihood: int
    severity: int

    @property
    def level(self) -> RiskLevel:
        return _LEVEL_GRID[self.likelihood - 1][self.severity - 1]

    @property
    def product(self) -> int:
        return self.likelihood * self.severity


def _scale_value(text: str) -> int | None:
    text = text.strip()
    return int(text) if text in ("1", "2", "3", "4") else None


def risk_score(item: Item) -> RiskScore | None:
    """The risk's score, or None when it is not scored (or a value is not 1 to 4)."""
    likelihood = _scale_value(item.field("likelihood"))
    severity = _scale_value(item.field("severity"))
    if likelihood is None or severity is None:
        return None
    return RiskScore(likelihood, severity)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem in the data, to be reported with its subtype and location."""

    subtype: WarningSubtype
    item: Item
    message: str
    #: Where it is reported, when not at ``item``: where the organization acts on it
    #: (:attr:`Assessment.acted_on`).
    at: Item | None = None
    #: The obligations a gap finding is about (:func:`gap_findings`), else empty.
    obligations: tuple[Item, ...] = ()
    #: The lines under the message: one a gap of a grouped gap finding.
    details: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The message, and its details on lines of their own."""
        return "\n".join((self.message, *self.details))

    @property
    def located_at(self) -> Item:
        """The item whose ``file:line`` the finding is reported at."""
        return self.at or self.item


class Model:
    """All items, with an index of incoming links built from outgoing ones."""

    def __init__(self, items: Iterable[Item], names: Names = DEFAULT_NAMES) -> None:
        self.items: dict[str, Item] = {item.id: item for item in items}
        #: The project's names of our kinds, fields and links (for messages).
        self.names = names
        self._incoming_by_type: dict[str, dict[str, list[Item]]] = {}
        #: link type -> the IDs its index has items of a status or of no covering kind for
        self._other_sources: dict[str, set[str]] = {}
        self._ids_of: dict[frozenset[Kind], frozenset[str]] = {}
        #: What the items were read from, when it holds nothing else (:meth:`from_needs`)
        self._read_from: object = None

    def incoming_items(self, link_type: str) -> Mapping[str, list[Item]]:
        """Target ID -> the items that link to it with ``link_type``, in ID order (as
        sphinx-needs sorts back-links: the order in which needs were read changes with
        an incremental build and must not change what is shown).

        Made on first use, one link type at a time: ``crmrisk check`` needs only the
        covers (each item's phase links alone are 50,000 on a large needs.json).
        """
        index = self._incoming_by_type.get(link_type)
        if index is None:
            index = {}
            # the targets of an item with a status or of another kind than a clause or
            # procedure: the covers of those items may not count (_assess_each looks at
            # the covers of those targets only), told while each item is at hand
            other_sources: set[str] = set()
            covering_kinds = COVERING_KINDS
            # whether the items that have such links come in the order of their IDs (a
            # needs.json of sphinx-needs holds its needs so): then so does each list
            in_order, last_id = True, ""
            for item in self.items.values():
                links = item.links
                if not links:
                    continue
                targets = links.get(link_type)
                if targets is None:
                    continue
                item_id = item.id
                if item_id < last_id:
                    in_order = False
                last_id = item_id
                for target in targets:
                    # get, not setdefault: that builds a throwaway [] every call
                    sources = index.get(target)
                    if sources is None:
                        index[target] = [item]
                    else:
                        sources.append(item)
                if item.status or item.kind not in covering_kinds:
                    other_sources.update(targets)
            if not in_order:
                for sources in index.values():
                    if len(sources) > 1:
                        sources.sort(key=_by_id)
            self._incoming_by_type[link_type] = index
            self._other_sources[link_type] = other_sources
        return index

    def incoming_ids(self, link_type: str) -> dict[str, list[str]]:
        """:meth:`incoming_items` as IDs."""
        return {
            target: [item.id for item in sources]
            for target, sources in self.incoming_items(link_type).items()
        }

    @property
    def _incoming(self) -> dict[str, dict[str, list[str]]]:
        """Target ID -> link type -> source IDs: every link type's :meth:`incoming_ids`."""
        incoming: dict[str, dict[str, list[str]]] = {}
        for link_type in LINK_SPECS:
            for target, ids in self.incoming_ids(link_type).items():
                incoming.setdefault(target, {})[link_type] = ids
        return incoming

    @classmethod
    def from_needs(
        cls, needs: Mapping[str, Mapping[str, Any]], names: Names = DEFAULT_NAMES
    ) -> Model:
        model = cls(_items_from_needs(needs.values(), names), names)
        if needs and isinstance(next(iter(needs.values())), NeedRecord):
            # the records a needs.json was decoded into, whose texts the items share:
            # freed with the model, not object by object as soon as it is made (a
            # command ends without freeing it at all: cli.run)
            model._read_from = needs
        return model

    def of_kind(self, kind: Kind) -> list[Item]:
        """The items of ``kind``, in the order of :attr:`items` (a new list)."""
        return list(self._by_kind.get(kind, ()))

    @cached_property
    def _by_kind(self) -> dict[Kind, list[Item]]:
        """The items of each kind, in one pass (the assessments, the reviews, the
        evidence, the watch items and the checks each ask for some)."""
        by_kind: dict[Kind, list[Item]] = {}
        for item in self.items.values():
            kind = item.kind
            if kind is not None:
                items = by_kind.get(kind)
                if items is None:
                    by_kind[kind] = [item]
                else:
                    items.append(item)
        return by_kind

    def ids_of(self, kinds: Iterable[Kind]) -> frozenset[str]:
        """The IDs of the items of ``kinds`` (made once for each set of kinds)."""
        kinds = frozenset(kinds)
        ids = self._ids_of.get(kinds)
        if ids is None:
            by_kind = self._by_kind
            ids = frozenset(map(_by_id, chain.from_iterable(by_kind.get(k, ()) for k in kinds)))
            self._ids_of[kinds] = ids
        return ids

    @property
    def has_items(self) -> bool:
        """Whether any need is of one of our kinds (a host project may have none)."""
        return any(item.kind is not None for item in self.items.values())

    @property
    def obligations(self) -> list[Item]:
        return self.of_kind(Kind.OBLIGATION)

    def incoming(self, item_id: str, link_type: str) -> list[Item]:
        """Items that link to ``item_id`` with ``link_type``."""
        return list(self.incoming_items(link_type).get(item_id, ()))

    def phases_of(self, obligation: Item) -> list[Item]:
        return [self.items[i] for i in obligation.linked("phase") if i in self.items]


def _discount_reason(item: Item, inactive: frozenset[str], names: Names) -> Discount | None:
    if item.kind not in COVERING_KINDS:
        return Discount(
            DiscountCode.NOT_COVERING,
            type=item.type,
            covering_types=(names.type(Kind.CLAUSE), names.type(Kind.PROCEDURE)),
        )
    status = item.status
    if not status:
        return None
    key = status_key(status)
    if key in inactive:
        return Discount(DiscountCode.INACTIVE, status=status)
    known = canonical_status(status)
    if known is None or known not in KIND_STATUSES[item.kind]:
        return Discount(DiscountCode.UNKNOWN_STATUS, status=status)
    return None


def counts_as_cover(item: Item, inactive_statuses: Iterable[str]) -> bool:
    """Whether a clause's or procedure's ``covers`` links count: its status is active
    (none, ``active``, ``actif``...), neither inactive nor unknown."""
    return _discount_reason(item, inactive_keys(inactive_statuses), DEFAULT_NAMES) is None


def not_counting_statuses(model: Model, inactive_statuses: Iterable[str]) -> frozenset[str]:
    """The statuses, as written in ``model``, of the clauses and procedures that do not
    count: the inactive ones, whatever their language, and the unknown ones."""
    inactive = inactive_keys(inactive_statuses)
    return frozenset(
        item.status
        for kind in COVERING_KINDS
        for item in model.of_kind(kind)
        if item.status and _discount_reason(item, inactive, model.names) is not None
    )


def assess(
    model: Model,
    obligation: Item,
    today: dt.date,
    inactive_statuses: Iterable[str] = DEFAULT_INACTIVE_STATUSES,
    profile: frozenset[str] | None = None,
) -> Assessment:
    """Applies the coverage rule to one obligation.

    lapsed (``until`` before ``today``) > out_of_scope (an activity of its
    ``applies_to`` is not in ``profile``, the expanded profile; None: everything
    applies) > justified (``not_applicable`` with a justification) > covered (an
    active clause or procedure ``covers`` it; shown as upcoming while ``effective``
    is after ``today``) > uncovered. See :class:`State`.
    """
    inactive = (
        inactive_statuses
        if isinstance(inactive_statuses, _InactiveKeys)
        else inactive_keys(inactive_statuses)
    )
    return _assess(model, obligation, today, inactive, profile)


def _assess(
    model: Model,
    obligation: Item,
    today: dt.date,
    inactive: frozenset[str],
    profile: frozenset[str] | None,
) -> Assessment:
    return _assess_each(model, (obligation,), today, inactive, profile)[0]


def _assess_each(
    model: Model,
    obligations: Iterable[Item],
    today: dt.date,
    inactive: frozenset[str],
    profile: frozenset[str] | None,
) -> list[Assessment]:
    """The assessment of each obligation, in the order given: the rule of :func:`assess`,
    in one loop (20,000 obligations on a large needs.json)."""
    covers_of = model.incoming_items("covers").get
    # the obligations covered by an item with a status or of another kind: elsewhere
    # (clauses and procedures without a status) every cover counts
    may_discount = model._other_sources["covers"]
    names = model.names
    covering_kinds = COVERING_KINDS
    assessments: list[Assessment] = []
    for obligation in obligations:
        covering: list[Item] = []
        discounted: list[tuple[Item, Discount]] = []
        covers = covers_of(obligation.id)
        if covers and obligation.id not in may_discount:
            covering = covers
        elif covers:
            for item in covers:
                # the common case first: a clause or procedure without a status counts
                if not item.status and item.kind in covering_kinds:
                    covering.append(item)
                    continue
                reason = _discount_reason(item, inactive, names)
                if reason is None:
                    covering.append(item)
                else:
                    discounted.append((item, reason))
        fields = obligation.fields
        effective_text, until_text = fields.get("effective"), fields.get("until")
        effective = parse_date(effective_text) if effective_text else None
        until = parse_date(until_text) if until_text else None
        upcoming = effective is not None and effective > today
        applies_to = fields.get("applies_to")
        missing = missing_activities(applies_to, profile) if applies_to else ()
        status = obligation.status
        if until is not None and until < today:
            state = _LAPSED
        elif missing:
            state = _OUT_OF_SCOPE
        elif (
            status
            and canonical_status(status) is _NOT_APPLICABLE_STATUS
            and fields.get("justification")
        ):
            state = _JUSTIFIED
        elif covering:
            state = _UPCOMING if upcoming else _COVERED
        else:
            state = _UNCOVERED
        assessments.append(
            Assessment(
                obligation,
                state,
                tuple(covering),
                tuple(discounted),
                upcoming,
                missing if state is _OUT_OF_SCOPE else (),
            )
        )
    return assessments


def assess_all(
    model: Model,
    today: dt.date,
    inactive_statuses: Iterable[str] = DEFAULT_INACTIVE_STATUSES,
    profile: frozenset[str] | None = None,
) -> list[Assessment]:
    """Every obligation's assessment, in ID order (``profile``: see :func:`assess`)."""
    # the keys of the inactive words, made once, not once an obligation
    inactive = _InactiveKeys(inactive_keys(inactive_statuses))
    obligations = model.obligations
    obligations.sort(key=_by_id)
    return _assess_each(model, obligations, today, inactive, profile)


class _InactiveKeys(frozenset[str]):
    """The keys of inactive status words, already made (:func:`~.kinds.inactive_keys`)."""


def _is_not_applicable(obligation: Item) -> bool:
    status = obligation.status
    return bool(status) and canonical_status(status or "") is Status.NOT_APPLICABLE


def out_of_scope_message(assessment: Assessment, language: str | None = None) -> str:
    """``OBL-X: out of scope (the profile lacks: assurance)``: for reports."""
    gettext = translations(language).gettext
    return gettext(N_("{id}: out of scope (the profile lacks: {activities})")).format(
        id=assessment.obligation.id, activities=", ".join(assessment.out_of_scope_by)
    )


def origin(item: Item, language: str | None = None) -> str:
    """Where an imported obligation comes from: ``catalogue 2026-12-05, RGPD, art. 30``
    (its legal basis); empty for an obligation the project writes."""
    if not item.catalogue:
        return ""
    gettext = translations(language).gettext
    text = gettext(N_("catalogue {version}")).format(version=item.catalogue)
    basis = item.field("legal_basis")
    return f"{text}, {basis}" if basis else text


def uncovered_message(assessment: Assessment, language: str | None = None) -> str:
    """The one sentence that the build, the CLI and the notebooks print for a gap, in
    ``language`` (None: English)."""
    gettext = translations(language).gettext
    obligation = assessment.obligation
    came_from = origin(obligation, language)
    if came_from:
        text = gettext(
            N_(
                "{id}: obligation '{title}' ({origin}) is not covered by any active "
                "clause or procedure"
            )
        ).format(id=obligation.id, title=obligation.title, origin=came_from)
    else:
        text = gettext(
            N_("{id}: obligation '{title}' is not covered by any active clause or procedure")
        ).format(id=obligation.id, title=obligation.title)
    if assessment.upcoming:
        text += gettext(N_(" (it takes effect on {date})")).format(
            date=obligation.field("effective")
        )
    if assessment.discounted:
        text += f" ({assessment.reason_text(gettext)})"
    return text


def find_problems(
    model: Model,
    required_fields: Iterable[str] = DEFAULT_REQUIRED_FIELDS,
    inactive_statuses: Iterable[str] = DEFAULT_INACTIVE_STATUSES,
    language: str | None = None,
) -> list[Finding]:
    """Problems in the items of our kinds other than coverage gaps, in a stable order,
    their messages in ``language`` (None: English).

    Needs of other types (a host project's) are never reported: their links and fields
    are the host's business, even under names that are also ours.
    """
    gettext = translations(language).gettext
    # canonical names; the project's name of a renamed field is taken too
    by_key = dict(model.names.field_keys)
    required = tuple(by_key.get(name, name) for name in required_fields)
    inactive = tuple(inactive_statuses)
    # 50,000 items on a large needs.json, few with a finding: the items of each kind
    # are first looked at with the conditions of the checks themselves, to tell whether
    # any would report something (most items: none); the checks then run on those
    # items only, and say it in their words
    flagged = [
        item
        for kind, items in model._by_kind.items()
        for item in _flagged(model, kind, items, required, inactive)
    ]
    # each flagged item's findings, in the order of its checks; then the items, in the
    # order of their location (an item's ID makes each location its own)
    found: list[tuple[Item, list[Finding]]] = []
    for item in flagged:
        kind = item.kind
        problems = list(_status_problems(item, inactive, gettext)) if item.status else []
        if item.links:
            problems.extend(_link_problems(model, item, gettext))
        if kind is _OBLIGATION:
            problems.extend(_obligation_problems(model, item, required, gettext))
        elif kind is _RISK:
            problems.extend(_risk_problems(item, gettext))
        if problems:
            found.append((item, problems))
    found.sort(key=lambda pair: _location_key(pair[0]))
    return [finding for _item, problems in found for finding in problems]


def _flagged(
    model: Model,
    kind: Kind,
    items: Iterable[Item],
    required: tuple[str, ...],
    inactive: tuple[str, ...],
) -> list[Item]:
    """The items of ``kind`` that :func:`_status_problems`, :func:`_link_problems`,
    :func:`_obligation_problems` or :func:`_risk_problems` would report something
    about: their conditions, without the messages."""
    accepted = _accepted_keys(kind, inactive) if kind in KIND_STATUSES else None
    # the links an item of this kind may have, and the IDs each may point at: a link's
    # targets are looked up one by one only when one is not such an ID (50,000 phase
    # links point at 100 phases)
    may_have = frozenset(name for name, rule in LINK_SPECS.items() if kind in rule.sources)
    targets_of = {name: model.ids_of(LINK_SPECS[name].targets) for name in may_have}
    items_get = model.items.get
    obligations, risks = kind is _OBLIGATION, kind is _RISK
    flagged = []
    for item in items:
        status = item.status
        if status and accepted is not None and status_key(status) not in accepted:
            flagged.append(item)
            continue
        links = item.links
        if links:
            if not may_have.issuperset(links):
                flagged.append(item)
                continue
            wrong_target = False
            for link_type, targets in links.items():
                if targets_of[link_type].issuperset(targets):
                    continue
                allowed = LINK_SPECS[link_type].targets
                for target_id in targets:
                    target = items_get(target_id)
                    if target is not None and target.kind not in allowed:
                        wrong_target = True
                        break
                if wrong_target:
                    break
            if wrong_target:
                flagged.append(item)
                continue
        if (obligations and _obligation_flagged(item, required)) or (risks and _risk_flagged(item)):
            flagged.append(item)
    return flagged


def _accepted_keys(kind: Kind, inactive_statuses: tuple[str, ...]) -> frozenset[str]:
    """The keys of :func:`accepted_statuses`: an item of ``kind`` whose status has
    another key is reported by :func:`_status_problems`."""
    return frozenset(status_key(word) for word in accepted_statuses(kind, inactive_statuses))


def _obligation_flagged(item: Item, required: tuple[str, ...]) -> bool:
    """Whether :func:`_obligation_problems` reports anything about ``item``: its
    conditions, in its order, without the messages."""
    get = item.fields.get
    for name in required:
        if not get(name):
            return True
    if not item.links.get("phase"):
        return True
    status = item.status
    if status and canonical_status(status) is _NOT_APPLICABLE_STATUS and not get("justification"):
        return True
    applies_to = get("applies_to")
    if applies_to and _has_unknown_activity(applies_to):
        return True
    level = get("verification")
    if level and level not in VERIFICATION_LEVELS:
        return True
    # DATE_FIELDS, each a date when written, the until not before the effective
    effective_text, until_text = get("effective"), get("until")
    effective = parse_date(effective_text) if effective_text else None
    if effective_text and effective is None:
        return True
    until = parse_date(until_text) if until_text else None
    if until_text and until is None:
        return True
    return effective is not None and until is not None and until < effective


assert DATE_FIELDS == ("effective", "until"), "_obligation_flagged reads these two"


@functools.lru_cache(maxsize=1024)
def _has_unknown_activity(applies_to: str) -> bool:
    """Whether an ``applies_to`` text names a word that is no activity (the texts are
    few: the same lists on many obligations)."""
    return not_activities(split_list(applies_to)) is not None


def _risk_flagged(item: Item) -> bool:
    """Whether :func:`_risk_problems` reports anything about ``item``."""
    fields = item.fields
    for name in RISK_SCALES:
        text = fields.get(name)
        if text and _scale_value(text) is None:
            return True
    return False


def _location_key(item: Item) -> tuple[str, int, str]:
    return (item.file or "", item.lineno or 0, item.id)


def accepted_statuses(kind: Kind, inactive_statuses: Iterable[str] = ()) -> list[str]:
    """The status words an item of ``kind`` may have: those of its statuses, then the
    other words of ``crmrisk_inactive_statuses`` (a clause or procedure)."""
    words = [word for status in KIND_STATUSES[kind] for word in STATUS_WORDS[status]]
    if kind in COVERING_KINDS:
        known = {status_key(word) for word in words}
        words += [word for word in inactive_statuses if status_key(word) not in known]
    return words


def _status_problems(
    item: Item, inactive_statuses: tuple[str, ...], gettext: Gettext
) -> Iterable[Finding]:
    """A status that is no word of the item's kind: a clause or procedure that has one
    does not count (:func:`_discount_reason`), never on a guess."""
    kind = item.kind
    if not item.status or kind is None or kind not in KIND_STATUSES:
        return
    accepted = accepted_statuses(kind, inactive_statuses)
    if status_key(item.status) in {status_key(word) for word in accepted}:
        return
    if kind in COVERING_KINDS:
        message = N_(
            "{id}: status '{status}' is not a status of a {type}, so its covers do not "
            "count (statuses: {accepted})"
        )
    else:
        message = N_("{id}: status '{status}' is not a status of a {type} (statuses: {accepted})")
    yield Finding(
        "bad_value",
        item,
        gettext(message).format(
            id=item.id, status=item.status, type=item.type, accepted=", ".join(accepted)
        ),
    )


def _risk_problems(item: Item, gettext: Gettext) -> Iterable[Finding]:
    for name in RISK_SCALES:
        text = item.field(name)
        if text and _scale_value(text) is None:
            yield Finding(
                "bad_value",
                item,
                gettext(
                    N_("{id}: {field} '{value}' is not one of 1, 2, 3, 4 (EBIOS RM scale)")
                ).format(id=item.id, field=name, value=text),
            )


def _link_problems(model: Model, item: Item, gettext: Gettext) -> Iterable[Finding]:
    names = model.names
    for link_type, targets in item.links.items():
        rule = LINK_SPECS[link_type]
        link_name = names.link(link_type)
        if item.kind not in rule.sources:
            yield Finding(
                "link_type",
                item,
                gettext(N_("{id}: a {type} cannot have a '{link}' link (only {types} can)")).format(
                    id=item.id,
                    type=item.type,
                    link=link_name,
                    types=", ".join(sorted(names.type(k) for k in rule.sources)),
                ),
            )
            continue
        for target_id in targets:
            target = model.items.get(target_id)
            # unknown IDs are sphinx-needs' own dead-link warning
            if target is not None and target.kind not in rule.targets:
                allowed = " or a ".join(sorted(names.type(k) for k in rule.targets))
                yield Finding(
                    "link_type",
                    item,
                    gettext(
                        N_(
                            "{id}: '{link}' link to {target}, a {type}; it must point at a {expected}"
                        )
                    ).format(
                        id=item.id,
                        link=link_name,
                        target=target_id,
                        type=target.type,
                        expected=allowed,
                    ),
                )


def _obligation_problems(
    model: Model, item: Item, required: tuple[str, ...], gettext: Gettext
) -> Iterable[Finding]:
    names = model.names
    # the project's names in messages: it is what the author wrote
    field = names.fields.get
    for name in required:
        if not item.field(name):
            yield Finding(
                "missing_field",
                item,
                gettext(N_("{id}: obligation has no '{field}'")).format(
                    id=item.id, field=field(name, name)
                ),
            )
    if not item.linked("phase"):
        yield Finding(
            "missing_field",
            item,
            gettext(N_("{id}: obligation has no '{link}' link")).format(
                id=item.id, link=names.link("phase")
            ),
        )
    if _is_not_applicable(item) and not item.field("justification"):
        yield Finding(
            "missing_field",
            item,
            gettext(N_("{id}: status '{status}' needs a '{field}'")).format(
                id=item.id, status=item.status, field=field("justification")
            ),
        )
    refused = not_activities(split_list(item.field("applies_to")), gettext)
    if refused:
        yield Finding(
            "bad_value",
            item,
            gettext(N_("{id}: applies_to {refused}")).format(id=item.id, refused=refused),
        )
    level = item.field("verification")
    if level and level not in VERIFICATION_LEVELS:
        yield Finding(
            "bad_value",
            item,
            gettext(N_("{id}: {field} '{value}' is not one of {values}")).format(
                id=item.id,
                field=field("verification"),
                value=level,
                values=", ".join(VERIFICATION_LEVELS),
            ),
        )
    dates: dict[str, dt.date] = {}
    for name in DATE_FIELDS:
        text = item.field(name)
        if not text:
            continue
        date = parse_date(text)
        if date is None:
            yield Finding(
                "bad_date",
                item,
                bad_date_message(item.id, field(name, name), text, gettext),
            )
        else:
            dates[name] = date
    if "effective" in dates and "until" in dates and dates["until"] < dates["effective"]:
        yield Finding(
            "bad_date",
            item,
            gettext(N_("{id}: {until} {until_date} is before {effective} {effective_date}")).format(
                id=item.id,
                until=field("until"),
                until_date=item.field("until"),
                effective=field("effective"),
                effective_date=item.field("effective"),
            ),
        )


def gap_findings(gaps: Iterable[Assessment], language: str | None = None) -> list[Finding]:
    """The uncovered obligations as findings, each reported where the organization acts
    (:attr:`Assessment.acted_on`), in the order of ``gaps``.

    The gaps of obligations one ``crmrisk-catalogue`` imports, that nothing of the
    organization's covers yet, are one finding at that directive, listing them with
    their legal basis: one place to act, one message (forty gaps on one line of one file
    would be forty identical locations). Any other gap is a finding of its own.
    """
    gettext = translations(language).gettext
    ngettext = translations(language).ngettext
    groups: dict[tuple[str, str | None, int | None], list[Assessment]] = {}
    order: list[tuple[str, object]] = []
    for assessment in gaps:
        obligation = assessment.obligation
        if obligation.catalogue and not assessment.discounted:
            key = (obligation.catalogue, obligation.file, obligation.lineno)
            if key not in groups:
                groups[key] = []
                order.append(("group", key))
            groups[key].append(assessment)
        else:
            order.append(("one", assessment))
    findings = []
    for what, entry in order:
        if what == "one":
            assert isinstance(entry, Assessment)
            findings.append(
                Finding(
                    "uncovered",
                    entry.obligation,
                    uncovered_message(entry, language),
                    at=entry.acted_on if entry.acted_on is not entry.obligation else None,
                    obligations=(entry.obligation,),
                )
            )
            continue
        assert isinstance(entry, tuple)
        members = groups[entry]
        if len(members) == 1:
            only = members[0]
            findings.append(
                Finding(
                    "uncovered",
                    only.obligation,
                    uncovered_message(only, language),
                    obligations=(only.obligation,),
                )
            )
            continue
        head = ngettext(
            N_(
                "{count} obligation of the catalogue {version} imported here is not covered "
                "by any active clause or procedure:"
            ),
            N_(
                "{count} obligations of the catalogue {version} imported here are not "
                "covered by any active clause or procedure:"
            ),
            len(members),
        ).format(count=len(members), version=one_line(entry[0]))
        findings.append(
            Finding(
                "uncovered",
                members[0].obligation,
                head,
                obligations=tuple(m.obligation for m in members),
                details=tuple(gap_line(member, gettext) for member in members),
            )
        )
    return findings


def gap_line(assessment: Assessment, gettext: Gettext = same) -> str:
    """``  - OBL-X (RGPD, art. 30): 'title'``: one gap in a grouped message."""
    obligation = assessment.obligation
    basis = obligation.field("legal_basis")
    text = (
        gettext(N_("  - {id} ({legal_basis}): '{title}'"))
        if basis
        else gettext(N_("  - {id}: '{title}'"))
    ).format(
        # the details are lines of their own: a line break of the data stays an escape
        id=one_line(obligation.id),
        legal_basis=one_line(basis),
        title=one_line(obligation.title),
    )
    if assessment.upcoming:
        text += gettext(N_(" (it takes effect on {date})")).format(
            date=obligation.field("effective")
        )
    return text


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
        """Obligations that need cover: all but the lapsed, the justified and those
        out of scope."""
        return (
            self.total
            - self.counts[State.LAPSED]
            - self.counts[State.JUSTIFIED]
            - self.counts[State.OUT_OF_SCOPE]
        )

    @property
    def covered(self) -> int:
        return self.counts[State.COVERED] + self.counts[State.UPCOMING]

    @property
    def percent(self) -> float:
        """Share of the obligations that need cover which have it (100 when none do)."""
        return 100.0 if self.in_force == 0 else 100.0 * self.covered / self.in_force


def summarize(label: str, assessments: Iterable[Assessment]) -> Summary:
    counts = dict.fromkeys(State, 0)
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
