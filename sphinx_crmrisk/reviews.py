"""Reviews of clauses and procedures, and suspect covers, with no Sphinx import.

A clause or a procedure says who answers for it (``owner``), when a person last checked
it against the law (``reviewed``) and how often that must be done (``review_every``,
in months). Its review is overdue when ``reviewed`` plus the cycle is before the
reference date.

A cover (a ``covers`` link) is *suspect* when the obligation it covers changed after
the covering item was last reviewed against it. What the item was reviewed against is
kept in the review lock (:class:`ReviewLock`, a JSON file committed at the project
root, written by ``crmrisk review``): for each covering item and each obligation it
covers, a digest of each tracked field of the obligation (:data:`TRACKED_FIELDS`) as
it was at the review. The digests are of the fields' text only, so the build and the
``crmrisk`` command (from needs.json) compute the same ones, whatever the Sphinx
version.

The lock also keeps each named approval (``crmrisk review --by``): who reviewed an item
and when, and for an evidence (:mod:`.evidence`) the SHA-256 of its document file as
approved, which the build compares the file against. Version 2 of the lock added the
approvals; a version 1 lock is still read (it has none).

The build, the command and the notebooks read all of this through
:class:`~.traceability.Traceability`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .kinds import COVERING_KINDS, N_, Kind
from .model import Finding, Item, Model, bad_date_message, parse_date, slot_setters
from .translations import Gettext, same, translator

#: The obligation fields whose change makes its covers suspect, in the order messages
#: list them. ``phases`` is its ``phase`` links; ``content`` its text.
TRACKED_FIELDS = (
    "title",
    "legal_basis",
    "effective",
    "until",
    "phases",
    "sanction",
    "source",
    "content",
)
DEFAULT_REVIEW_EVERY = 12
#: "Due soon": within this many days of the reference date.
DUE_SOON_DAYS = 90
LOCK_SCHEMA = "sphinx-crmrisk/review-lock"
#: The version written; 2 added the approvals (who, when, and evidence digests).
LOCK_VERSION = 2
#: The versions read: a version 1 lock has no approvals.
READ_VERSIONS = (1, 2)
_MONTHS = re.compile(r"^\d{1,3}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: The longest name ``--by`` takes, in characters.
MAX_NAME = 200


class ReviewState(StrEnum):
    """Where a clause's or a procedure's review stands, as of a reference date."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UP_TO_DATE = "up_to_date"
    NEVER = "never"
    NO_CYCLE = "no_cycle"


# module globals for the loop over every clause and procedure (see model.py: an enum
# member read through its class costs 0.3 µs in Python 3.11)
_OVERDUE, _DUE_SOON, _NEVER = ReviewState.OVERDUE, ReviewState.DUE_SOON, ReviewState.NEVER
_UP_TO_DATE, _NO_CYCLE = ReviewState.UP_TO_DATE, ReviewState.NO_CYCLE

#: Each review state as readers see it (English message IDs; the French catalog
#: translates them), shared by the calendar view and the exports.
REVIEW_STATE_LABELS: Mapping[ReviewState, str] = {
    ReviewState.OVERDUE: N_("overdue"),
    ReviewState.DUE_SOON: N_("due within 90 days"),
    ReviewState.NEVER: N_("never reviewed"),
    ReviewState.UP_TO_DATE: N_("up to date"),
    ReviewState.NO_CYCLE: N_("no review cycle"),
}


def tracked_text(obligation: Item, name: str) -> str:
    """One tracked field's text, normalised so that only a real change changes it."""
    if name == "title":
        text = obligation.title
    elif name == "phases":
        text = ", ".join(sorted(obligation.linked("phase")))
    elif name == "content":
        text = obligation.content
    else:
        text = obligation.field(name)
    # line endings and trailing blanks are not a change of the law
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def fingerprint(obligation: Item) -> dict[str, str]:
    """Each tracked field's digest: 16 hex digits of the SHA-256 of its text."""
    return {
        name: hashlib.sha256(tracked_text(obligation, name).encode("utf-8")).hexdigest()[:16]
        for name in TRACKED_FIELDS
    }


@dataclass(frozen=True, slots=True)
class Approval:
    """One named approval recorded by ``crmrisk review``: when, by whom (empty: the
    review was not named), and for an evidence the SHA-256 of its document file then."""

    date: str
    by: str = ""
    sha256: str = ""

    def as_json(self) -> dict[str, str]:
        data = {"date": self.date}
        if self.by:
            data["by"] = self.by
        if self.sha256:
            data["sha256"] = self.sha256
        return data


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be recorded as a reviewer's name, or None."""
    if not name.strip():
        return "is empty"
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    if _NOT_IN_NAMES.search(name):
        return "holds a line break, a control character or a lone surrogate"
    return None


def _shown(text: str) -> str:
    """A key or value of the lock, printable in a one-line message."""
    return repr(text.encode("utf-8", "backslashreplace").decode("utf-8"))[:80]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text, not {type(value).__name__}")
    if _SURROGATE.search(value):
        raise ValueError(f"{where} holds a lone surrogate")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object, not {type(value).__name__}")
    for key in value:
        _text(key, f"{where}: the key {_shown(key)}")
    return value


def _parse_approval(item_id: str, value: Any) -> Approval:
    where = f"approvals: {_shown(item_id)}"
    entry = _object(value, where)
    unknown = sorted(set(entry) - {"date", "by", "sha256"})
    if unknown:
        raise ValueError(f"{where}: unknown key {_shown(unknown[0])}")
    date = _text(entry.get("date"), f"{where}: date")
    if parse_date(date) is None:
        raise ValueError(f"{where}: date {_shown(date)} is not a YYYY-MM-DD date")
    by = _text(entry.get("by", ""), f"{where}: by")
    if by and name_problem(by):
        raise ValueError(f"{where}: the name {name_problem(by)}")
    sha256 = _text(entry.get("sha256", ""), f"{where}: sha256")
    if sha256 and not _SHA256.match(sha256):
        raise ValueError(f"{where}: sha256 is not 64 lowercase hex digits")
    return Approval(date, by, sha256)


@dataclass(frozen=True)
class ReviewLock:
    """Covering item ID -> obligation ID -> tracked field -> digest, as last reviewed;
    and item ID -> its last named approval.

    ``present`` is False when the project has no lock file yet: nothing was reviewed
    against anything, and no cover is suspect.
    """

    reviewed_against: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    present: bool = False
    approvals: Mapping[str, Approval] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> ReviewLock:
        """Reads a lock file's text, every value checked; ValueError, with the reason in
        one line, when it is unusable (bad JSON, a value nested too deeply, a wrong type,
        a lone surrogate, an unknown version or key)."""

        def refuse(constant: str) -> Any:
            raise ValueError(f"{constant} is not a JSON value")

        try:
            data = json.loads(text, parse_constant=refuse)
        except json.JSONDecodeError as err:
            raise ValueError(f"invalid JSON at line {err.lineno}: {err.msg}") from None
        except RecursionError:
            raise ValueError("values nested too deeply to read") from None
        if not isinstance(data, dict) or data.get("schema") != LOCK_SCHEMA:
            raise ValueError(f'not a review lock (no "schema": "{LOCK_SCHEMA}")')
        version = data.get("version")
        # bool is an int in Python (True == 1): refused by its type
        if type(version) is not int or version not in READ_VERSIONS:
            shown = json.dumps(version) if isinstance(version, (bool, int, type(None))) else None
            raise ValueError(
                f"version {shown or type(version).__name__} is not one of "
                f"{', '.join(map(str, READ_VERSIONS))}"
            )
        allowed = {"schema", "version", "reviewed_against"}
        if version >= 2:
            allowed.add("approvals")
        for key in data:
            _text(key, f"the key {_shown(key)}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(f"unknown key {_shown(unknown[0])} in a version {version} lock")
        if "reviewed_against" not in data:
            raise ValueError('no "reviewed_against" object')
        entries = _object(data["reviewed_against"], "reviewed_against")
        for item_id, covers in entries.items():
            where = f"reviewed_against: {_shown(item_id)}"
            for obligation_id, digests in _object(covers, where).items():
                inner = f"{where}: {_shown(obligation_id)}"
                for name, digest in _object(digests, inner).items():
                    _text(digest, f"{inner}: {_shown(name)}")
        approvals = {
            item_id: _parse_approval(item_id, value)
            for item_id, value in _object(data.get("approvals", {}), "approvals").items()
        }
        return cls(entries, present=True, approvals=approvals)

    def dumps(self) -> str:
        """The file's text: sorted, one key a line, so that diffs of it are readable."""
        data: dict[str, Any] = {
            "schema": LOCK_SCHEMA,
            "version": LOCK_VERSION,
            "reviewed_against": self.reviewed_against,
        }
        if self.approvals:
            data["approvals"] = {key: value.as_json() for key, value in self.approvals.items()}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def reviewed(
        self,
        model: Model,
        items: Iterable[Item],
        date: str = "",
        by: str = "",
        digests: Mapping[str, str] | None = None,
    ) -> ReviewLock:
        """This lock, with each item recorded as reviewed against what it covers now
        (clauses and procedures) and, with a ``date``, approved on that date by ``by``
        (an evidence with the SHA-256 of its document file given in ``digests``)."""
        entries = {key: dict(value) for key, value in self.reviewed_against.items()}
        approvals = dict(self.approvals)
        digests = digests or {}
        for item in items:
            if item.kind in COVERING_KINDS:
                entries[item.id] = {
                    obligation.id: fingerprint(obligation)
                    for obligation in covered_obligations(model, item)
                }
            if date:
                approvals[item.id] = Approval(date, by, digests.get(item.id, ""))
        return ReviewLock(entries, present=True, approvals=approvals)


class LockError(ValueError):
    """An unusable review lock: the message names the file and says why, in one line."""


def read_lock(path: Path) -> ReviewLock:
    """The lock file at ``path``; an empty lock (``present`` False) when there is none.

    The one reader of the lock, for the build, the command and the notebooks. Raises
    :class:`LockError` when the file is unusable.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ReviewLock()
    except (OSError, UnicodeDecodeError) as err:
        raise LockError(f"{path}: unusable review lock: cannot read: {err}") from None
    try:
        return ReviewLock.parse(text)
    except ValueError as err:
        raise LockError(f"{path}: unusable review lock: {err}") from None


def covered_obligations(model: Model, item: Item) -> list[Item]:
    found = (model.items.get(i) for i in dict.fromkeys(item.linked("covers")))
    return [o for o in found if o is not None and o.kind is Kind.OBLIGATION]


@dataclass(frozen=True, slots=True)
class SuspectCover:
    """A cover whose obligation changed since the covering item was reviewed against it."""

    item: Item
    obligation: Item
    changed: tuple[str, ...]

    @property
    def message(self) -> str:
        return self.message_in(same)

    def message_in(self, gettext: Gettext) -> str:
        """The message in the language of ``gettext``."""
        template = N_(
            "{id}: its cover of {obligation} is suspect: the obligation's {changed} changed "
            "since {id} was last reviewed against it (re-read it, then run 'crmrisk review')"
        )
        return gettext(template).format(
            id=self.item.id, obligation=self.obligation.id, changed=", ".join(self.changed)
        )


@dataclass(frozen=True, init=False, slots=True)
class Review:
    """One clause's or procedure's review state."""

    item: Item
    owner: str
    reviewed: dt.date | None
    #: months; 0: no cycle
    every: int
    due: dt.date | None
    state: ReviewState
    suspects: tuple[SuspectCover, ...] = ()
    #: obligations it covers that the lock has no review of (covers added since)
    unrecorded: tuple[Item, ...] = ()
    #: its last named approval in the lock (``crmrisk review``), if any
    approval: Approval | None = None

    @property
    def reviewed_by(self) -> str:
        """Who made the last review: the name ``crmrisk review --by`` recorded on the
        date of ``reviewed`` (empty when the review was not named, or when ``reviewed``
        was changed by hand since: that name was given for another review)."""
        approval = self.approval
        if approval is None or self.reviewed is None:
            return ""
        return approval.by if approval.date == self.reviewed.isoformat() else ""

    def __init__(
        self,
        item: Item,
        owner: str,
        reviewed: dt.date | None,
        every: int,
        due: dt.date | None,
        state: ReviewState,
        suspects: tuple[SuspectCover, ...] = (),
        unrecorded: tuple[Item, ...] = (),
        approval: Approval | None = None,
    ) -> None:
        # as model.Item's: one review a clause or procedure, tens of thousands in a
        # large needs.json; each slot set by its own setter, not through the frozen
        # dataclass's object.__setattr__
        (
            set_item,
            set_owner,
            set_reviewed,
            set_every,
            set_due,
            set_state,
            set_suspects,
            set_unrecorded,
            set_approval,
        ) = _REVIEW_SET
        set_item(self, item)
        set_owner(self, owner)
        set_reviewed(self, reviewed)
        set_every(self, every)
        set_due(self, due)
        set_state(self, state)
        set_suspects(self, suspects)
        set_unrecorded(self, unrecorded)
        set_approval(self, approval)


_REVIEW_SET = slot_setters(
    Review, "item owner reviewed every due state suspects unrecorded approval"
)


def add_months(date: dt.date, months: int) -> dt.date:
    """``date`` plus ``months``; the 31st becomes the month's last day when it has none.
    Past the last date Python has (year 9999), that last date."""
    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    return date.replace(
        year=year, month=month, day=min(date.day, calendar.monthrange(year, month)[1])
    )


def review_cycle(item: Item, default: int) -> int | None:
    """The item's ``review_every`` in months, ``default`` without one, None when bad."""
    text = item.field("review_every")
    if not text:
        return default
    return int(text) if _MONTHS.match(text) else None


def assess_review(
    model: Model,
    item: Item,
    today: dt.date,
    default_every: int,
    lock: ReviewLock,
) -> Review:
    fields = item.fields
    every = review_cycle(item, default_every) if fields.get("review_every") else default_every
    every = default_every if every is None else every
    reviewed_text = fields.get("reviewed")
    reviewed = parse_date(reviewed_text) if reviewed_text else None
    due = add_months(reviewed, every) if reviewed is not None and every else None
    if not every:
        state = _NO_CYCLE if reviewed is not None else _NEVER
    elif reviewed is None:
        state = _NEVER
    elif due is not None and due < today:
        state = _OVERDUE
    elif due is not None and (due - today).days <= DUE_SOON_DAYS:
        state = _DUE_SOON
    else:
        state = _UP_TO_DATE
    owner = fields.get("owner", "")
    if not lock.present:  # no lock: nothing recorded, so nothing suspect, nor approved
        return Review(item, owner, reviewed, every, due, state)
    suspects: list[SuspectCover] = []
    unrecorded: list[Item] = []
    recorded = lock.reviewed_against.get(item.id) or {}
    for obligation in covered_obligations(model, item):
        before = recorded.get(obligation.id)
        if before is None:
            unrecorded.append(obligation)
            continue
        now = fingerprint(obligation)
        changed = tuple(name for name in TRACKED_FIELDS if before.get(name) != now[name])
        if changed:
            suspects.append(SuspectCover(item, obligation, changed))
    return Review(
        item,
        owner,
        reviewed,
        every,
        due,
        state,
        tuple(suspects),
        tuple(unrecorded),
        lock.approvals.get(item.id),
    )


#: The sort key of items in ID order.
_BY_ID = operator.attrgetter("id")


def assess_reviews(
    model: Model,
    today: dt.date,
    default_every: int = DEFAULT_REVIEW_EVERY,
    lock: ReviewLock | None = None,
    inactive_statuses: Iterable[str] = (),
) -> list[Review]:
    """Every active clause's and procedure's review, in ID order.

    Inactive items (``draft``, ``retired``...) have no review to keep: their covers do
    not count.
    """
    lock = lock or ReviewLock()
    items = _reviewed_items(model, inactive_statuses)
    return [assess_review(model, item, today, default_every, lock) for item in items]


def reported_reviews(
    model: Model,
    today: dt.date,
    default_every: int = DEFAULT_REVIEW_EVERY,
    lock: ReviewLock | None = None,
    inactive_statuses: Iterable[str] = (),
    warn_never_reviewed: bool = False,
) -> list[Review]:
    """The reviews of :func:`assess_reviews` that :func:`review_findings` may report
    something about, in the same order: so review_findings of these finds what it finds
    of all of them, without a review made for each clause and procedure of a large
    handbook (``crmrisk check``).

    Those are the items with a ``reviewed`` date (a bad or future date, an overdue
    review) or a ``review_every`` (a bad cycle); every item when there is a lock (a
    suspect cover) or when ``warn_never_reviewed`` (a review never made).
    """
    lock = lock or ReviewLock()
    if lock.present or warn_never_reviewed:
        return assess_reviews(model, today, default_every, lock, inactive_statuses)
    items = _reviewed_items(
        model,
        inactive_statuses,
        lambda item: bool(item.fields.get("reviewed") or item.fields.get("review_every")),
    )
    return [assess_review(model, item, today, default_every, lock) for item in items]


def _reviewed_items(
    model: Model, inactive_statuses: Iterable[str], keep: Callable[[Item], bool] | None = None
) -> list[Item]:
    """The active clauses and procedures (those ``keep`` keeps), in ID order."""
    inactive = frozenset(inactive_statuses)
    return sorted(
        (
            item
            for kind in sorted(COVERING_KINDS)
            for item in model.of_kind(kind)
            if not (item.status and item.status in inactive) and (keep is None or keep(item))
        ),
        key=_BY_ID,
    )


def review_findings(
    model: Model,
    reviews: Iterable[Review],
    warn_never_reviewed: bool = False,
    today: dt.date | None = None,
    language: str | None = None,
) -> list[Finding]:
    """Bad review values, reviews dated after ``today``, overdue reviews, never-reviewed
    items (when asked), suspect covers; the messages in ``language`` (None: English)."""
    gettext = translator(language)
    findings: list[Finding] = []
    for review in reviews:
        item = review.item
        fields = item.fields
        text = fields.get("reviewed", "")
        if text and parse_date(text) is None:
            message = bad_date_message(item.id, "reviewed", text, gettext)
            findings.append(Finding("bad_date", item, message))
        elif today is not None and review.reviewed is not None and review.reviewed > today:
            template = N_(
                "{id}: reviewed {date} is after the reference date {today}: a review cannot "
                "have happened yet"
            )
            message = gettext(template).format(id=item.id, date=text, today=today)
            findings.append(Finding("future_date", item, message))
        every = fields.get("review_every", "")
        if every and not _MONTHS.match(every):
            template = N_("{id}: review_every '{every}' is not a whole number of months")
            message = gettext(template).format(id=item.id, every=every)
            findings.append(Finding("bad_value", item, message))
        # the owner's words only for a message that names the owner
        state = review.state
        if state is _OVERDUE:
            owner = review.owner or gettext(N_("no owner"))
            template = N_(
                "{id}: review overdue: {type} of {owner}, last reviewed {reviewed}, was due "
                "for review on {due}"
            )
            message = gettext(template).format(
                id=item.id, type=item.type, owner=owner, reviewed=review.reviewed, due=review.due
            )
            findings.append(Finding("review_overdue", item, message))
        elif state is _NEVER and warn_never_reviewed and not text:
            owner = review.owner or gettext(N_("no owner"))
            template = N_("{id}: never reviewed: {type} of {owner} has no 'reviewed' date")
            message = gettext(template).format(id=item.id, type=item.type, owner=owner)
            findings.append(Finding("review_overdue", item, message))
        if review.suspects:
            findings.extend(
                Finding("suspect", item, suspect.message_in(gettext)) for suspect in review.suspects
            )
    return findings


def review_marks(reviews: Iterable[Review]) -> dict[str, list[tuple[Any, ...]]]:
    """Need ID -> what its page shows of reviews: which pages an edit must re-write."""
    marks: dict[str, list[tuple[Any, ...]]] = {}
    for review in reviews:
        if review.reviewed_by:
            marks.setdefault(review.item.id, []).append((review.item.id, review.reviewed_by))
        for suspect in review.suspects:
            mark = (suspect.item.id, suspect.obligation.id, suspect.changed)
            marks.setdefault(suspect.item.id, []).append(mark)
            marks.setdefault(suspect.obligation.id, []).append(mark)
    return marks
