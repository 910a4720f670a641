"""Evidence, and the proof of obligations, with no Sphinx import.

An evidence (kind ``evidence``, IDs ``EVD-``) ``proves`` clauses or procedures: a signed
data-processing agreement, a consent register extract, the minutes of a review. Its
``document`` is a path relative to the source folder, or a reference that is not a
path (a URL, a document-management number; :func:`is_path` says which). ``dated`` is
when the proof was established or signed, ``valid_until`` its last valid day.

The file facts are the build's: it alone has the source folder. When it reads an
evidence whose document is a path, it examines the file (:func:`examine`: its SHA-256,
or why there is none) and records what it found in the need (``document_sha256``);
needs.json carries it to the ``crmrisk`` command, so both assess the same facts, and
the evidence's page depends on the file, so a change of its bytes makes an incremental
build read the page again. The review lock keeps the SHA-256 of the file as it was
approved (``crmrisk review``, :class:`~.reviews.Approval`): a file that no longer has
it has changed.

An evidence's state, the first that holds: ``inactive`` (its status is a word of
``crmrisk_inactive_statuses`` in any language, or no status word of an evidence: it
proves nothing and is not checked) > ``missing`` (its
document path holds no readable file) > ``expired`` (``valid_until`` before the
reference date) > ``changed`` (the file's SHA-256 is not the approved one) >
``expiring`` (valid, until a day within :data:`EXPIRING_DAYS`) > ``valid``.

An obligation that is covered or upcoming has a proof state: ``proven`` (an active
item that covers it has at least one valid or expiring evidence), ``invalid`` (its
covering items have evidence, none valid) or ``unproven`` (none has any). With
``crmrisk_require_evidence``, one that is not proven is a ``crmrisk.unproven`` finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .kinds import (
    COVERING_KINDS,
    KIND_STATUSES,
    N_,
    Kind,
    canonical_status,
    inactive_keys,
    status_key,
)
from .model import Assessment, Finding, Item, Model, State, bad_date_message, parse_date
from .reviews import Approval, ReviewLock
from .translations import Gettext, same, translator

#: "Expiring": valid until a day within this many days of the reference date.
EXPIRING_DAYS = 90

#: What the build records in ``document_sha256`` when it found no file to hash.
MISSING, UNREADABLE, OUTSIDE = "missing", "unreadable", "outside"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: A URL, ``urn:``, ``ged:``...: a reference, never a path.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: A file extension with a letter in it: ``.pdf``, ``.xlsx``, ``.p7s`` (not ``.2``).
_EXTENSION = re.compile(r"\.[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*$")
_CHUNK = 1 << 20


def is_path(document: str) -> bool:
    """Whether ``document`` names a file of the project: a text without a URL scheme
    whose last part has a file extension (``preuves/dpa-signe.pdf``). Anything else is
    a reference the build cannot check (``https://...``, ``GED-2026-0042``,
    ``Contrat n° 2026/014``)."""
    text = document.strip()
    if not text or _SCHEME.match(text):
        return False
    last = re.split(r"[/\\]", text)[-1]
    return bool(_EXTENSION.search(last))


def document_path(srcdir: Path, document: str) -> Path | None:
    """The file ``document`` names under ``srcdir``, resolved; None when it is out of
    ``srcdir`` (an absolute path, ``..``, a link that leads out)."""
    root = srcdir.resolve()
    path = (root / document.strip().replace("\\", "/")).resolve()
    return path if path.is_relative_to(root) else None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex; OSError when it cannot be read."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def examine(srcdir: Path, document: str) -> str:
    """What the build records of a document path: the file's SHA-256, :data:`MISSING`,
    :data:`UNREADABLE` or :data:`OUTSIDE` (the path leads out of the source folder)."""
    path = document_path(srcdir, document)
    if path is None:
        return OUTSIDE
    if not path.is_file():
        return MISSING
    try:
        return file_sha256(path)
    except OSError:
        return UNREADABLE


class EvidenceState(StrEnum):
    """Where an evidence stands, as of a reference date (see the module)."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"
    CHANGED = "changed"
    INACTIVE = "inactive"

    @property
    def counts(self) -> bool:
        """Whether the evidence proves what it proves."""
        return self in (EvidenceState.VALID, EvidenceState.EXPIRING)

    @property
    def is_invalid(self) -> bool:
        """Expired, missing or changed: to act on."""
        return self in (EvidenceState.EXPIRED, EvidenceState.MISSING, EvidenceState.CHANGED)


EVIDENCE_STATE_LABELS: Mapping[EvidenceState, str] = {
    EvidenceState.VALID: N_("valid"),
    EvidenceState.EXPIRING: N_("expires soon"),
    EvidenceState.EXPIRED: N_("expired"),
    EvidenceState.MISSING: N_("missing"),
    EvidenceState.CHANGED: N_("changed"),
    EvidenceState.INACTIVE: N_("not counted"),
}


class ProofState(StrEnum):
    """The proof of a covered or upcoming obligation."""

    PROVEN = "proven"
    INVALID = "invalid"
    UNPROVEN = "unproven"


PROOF_LABELS: Mapping[ProofState, str] = {
    ProofState.PROVEN: N_("proven"),
    ProofState.INVALID: N_("invalid proof"),
    ProofState.UNPROVEN: N_("unproven"),
}


@dataclass(frozen=True, slots=True)
class EvidenceAssessment:
    """One evidence's state, and what it rests on."""

    item: Item
    state: EvidenceState
    #: the clauses and procedures it proves (those of the project: IDs in ``proves``)
    proves: tuple[Item, ...]
    dated: dt.date | None
    valid_until: dt.date | None
    #: its document names a file of the project (:func:`is_path`)
    is_file: bool
    #: what the build recorded of the file (its SHA-256, MISSING...); "" when unknown
    found: str
    #: its last named approval in the review lock, if any
    approval: Approval | None
    expired: bool = False
    missing: bool = False
    changed: bool = False

    @property
    def document(self) -> str:
        return self.item.field("document")

    @property
    def sha256(self) -> str:
        """The file's SHA-256 as the build found it, or ""."""
        return self.found if _SHA256.match(self.found) else ""


def assess_one(
    model: Model,
    item: Item,
    today: dt.date,
    lock: ReviewLock,
    inactive: frozenset[str] = frozenset(),
) -> EvidenceAssessment:
    """One evidence's state as of ``today`` (see the module for the precedence)."""
    proves = tuple(
        target
        for target_id in dict.fromkeys(item.linked("proves"))
        if (target := model.items.get(target_id)) is not None and target.kind in COVERING_KINDS
    )
    dated = parse_date(item.field("dated"))
    valid_until = parse_date(item.field("valid_until"))
    document = item.field("document")
    is_file = is_path(document)
    found = item.field("document_sha256") if is_file else ""
    approval = lock.approvals.get(item.id)
    # a path out of the source folder is no file of the project (a bad_value finding)
    missing = is_file and found in (MISSING, UNREADABLE, OUTSIDE)
    expired = valid_until is not None and valid_until < today
    changed = bool(
        is_file
        and _SHA256.match(found)
        and approval is not None
        and approval.sha256
        and approval.sha256 != found
    )
    if item.status and (
        status_key(item.status) in inactive
        or canonical_status(item.status) not in KIND_STATUSES[Kind.EVIDENCE]
    ):
        # inactive in any language, or an unknown word (a bad_value): proves nothing
        state = EvidenceState.INACTIVE
    elif missing:
        state = EvidenceState.MISSING
    elif expired:
        state = EvidenceState.EXPIRED
    elif changed:
        state = EvidenceState.CHANGED
    elif valid_until is not None and (valid_until - today).days <= EXPIRING_DAYS:
        state = EvidenceState.EXPIRING
    else:
        state = EvidenceState.VALID
    return EvidenceAssessment(
        item, state, proves, dated, valid_until, is_file, found, approval, expired, missing, changed
    )


def assess_evidence(
    model: Model,
    today: dt.date,
    lock: ReviewLock | None = None,
    inactive_statuses: Iterable[str] = (),
) -> list[EvidenceAssessment]:
    """Every evidence's state, in ID order."""
    lock = lock or ReviewLock()
    inactive = inactive_keys(inactive_statuses)
    return [
        assess_one(model, item, today, lock, inactive)
        for item in sorted(model.of_kind(Kind.EVIDENCE), key=lambda i: i.id)
    ]


def evidence_of_items(
    evidence: Iterable[EvidenceAssessment],
) -> dict[str, list[EvidenceAssessment]]:
    """Clause or procedure ID -> the active evidence that proves it, in ID order."""
    by_item: dict[str, list[EvidenceAssessment]] = {}
    for assessment in evidence:
        if assessment.state is EvidenceState.INACTIVE:
            continue
        for item in assessment.proves:
            by_item.setdefault(item.id, []).append(assessment)
    return by_item


@dataclass(frozen=True, slots=True)
class Proof:
    """A covered or upcoming obligation's proof: its state and the active evidence of the
    items that cover it (each with its own state), in ID order."""

    state: ProofState
    evidence: tuple[EvidenceAssessment, ...] = ()

    @property
    def valid(self) -> tuple[EvidenceAssessment, ...]:
        return tuple(e for e in self.evidence if e.state.counts)


#: The obligation states that have a proof state.
PROVABLE = frozenset({State.COVERED, State.UPCOMING})


def proof_of(
    assessment: Assessment, by_item: Mapping[str, list[EvidenceAssessment]]
) -> Proof | None:
    """The proof of one obligation; None when it is not covered or upcoming."""
    if assessment.state not in PROVABLE:
        return None
    found: dict[str, EvidenceAssessment] = {}
    for item in assessment.covering:
        for entry in by_item.get(item.id, ()):
            found.setdefault(entry.item.id, entry)
    evidence = tuple(found[key] for key in sorted(found))
    if not evidence:
        return Proof(ProofState.UNPROVEN)
    if any(e.state.counts for e in evidence):
        return Proof(ProofState.PROVEN, evidence)
    return Proof(ProofState.INVALID, evidence)


def proofs_of(
    assessments: Iterable[Assessment], evidence: Iterable[EvidenceAssessment]
) -> dict[str, Proof]:
    """Obligation ID -> its proof, for each covered or upcoming obligation."""
    by_item = evidence_of_items(evidence)
    result = {}
    for assessment in assessments:
        proof = proof_of(assessment, by_item)
        if proof is not None:
            result[assessment.obligation.id] = proof
    return result


def proof_counts(
    assessments: Iterable[Assessment], proofs: Mapping[str, Proof]
) -> dict[ProofState, int]:
    counts = dict.fromkeys(ProofState, 0)
    for assessment in assessments:
        proof = proofs.get(assessment.obligation.id)
        if proof is not None:
            counts[proof.state] += 1
    return counts


def proof_counts_by_phase(
    model: Model, assessments: list[Assessment], proofs: Mapping[str, Proof]
) -> list[dict[ProofState, int]]:
    """The proof counts of each phase (in ID order), then of all: the rows of
    :func:`~.model.summaries_by_phase`, in its order."""
    phases = sorted(model.of_kind(Kind.PHASE), key=lambda i: i.id)
    by_phase: dict[str, list[Assessment]] = {phase.id: [] for phase in phases}
    for assessment in assessments:
        for phase_id in dict.fromkeys(assessment.obligation.linked("phase")):
            if phase_id in by_phase:
                by_phase[phase_id].append(assessment)
    rows = [proof_counts(by_phase[phase.id], proofs) for phase in phases]
    rows.append(proof_counts(assessments, proofs))
    return rows


def _ids(items: Iterable[Item], gettext: Gettext = same) -> str:
    return ", ".join(item.id for item in items) or gettext(N_("nothing"))


def _proof_of_what(evidence: EvidenceAssessment, gettext: Gettext = same) -> str:
    """``proof of CLA-A, PROC-B dated 2026-01-15``."""
    ids = _ids(evidence.proves, gettext)
    dated = evidence.item.field("dated")
    if dated:
        return gettext(N_("proof of {ids} dated {date}")).format(ids=ids, date=dated)
    return gettext(N_("proof of {ids}")).format(ids=ids)


def evidence_findings(
    model: Model,
    evidence: Iterable[EvidenceAssessment],
    today: dt.date,
    language: str | None = None,
) -> list[Finding]:
    """Each evidence's problems, at the evidence, in ID order: missing fields, bad dates
    and values, a date after ``today``, then (active evidence only) a missing, expired
    or changed document; the messages in ``language`` (None: English)."""
    gettext = translator(language)
    names = model.names
    field = names.field
    findings: list[Finding] = []
    for assessment in evidence:
        item = assessment.item
        for name in ("document", "dated"):
            if not item.field(name):
                message = gettext(N_("{id}: evidence has no '{field}'"))
                findings.append(
                    Finding("missing_field", item, message.format(id=item.id, field=field(name)))
                )
        if not item.linked("proves"):
            message = gettext(N_("{id}: evidence has no '{link}' link: it proves nothing"))
            findings.append(
                Finding(
                    "missing_field", item, message.format(id=item.id, link=names.link("proves"))
                )
            )
        for name in ("dated", "valid_until"):
            text = item.field(name)
            if text and parse_date(text) is None:
                findings.append(
                    Finding("bad_date", item, bad_date_message(item.id, field(name), text, gettext))
                )
        dated, valid_until = assessment.dated, assessment.valid_until
        if dated is not None and valid_until is not None and valid_until < dated:
            message = gettext(N_("{id}: {valid_until} {until} is before {dated} {date}"))
            findings.append(
                Finding(
                    "bad_date",
                    item,
                    message.format(
                        id=item.id,
                        valid_until=field("valid_until"),
                        until=item.field("valid_until"),
                        dated=field("dated"),
                        date=item.field("dated"),
                    ),
                )
            )
        # a draft may be dated of a signature to come
        active = assessment.state is not EvidenceState.INACTIVE
        if active and dated is not None and dated > today:
            message = gettext(
                N_(
                    "{id}: {dated} {date} is after the reference date {today}: a proof "
                    "cannot have been established yet"
                )
            )
            findings.append(
                Finding(
                    "future_date",
                    item,
                    message.format(
                        id=item.id, dated=field("dated"), date=item.field("dated"), today=today
                    ),
                )
            )
        if assessment.is_file and assessment.found == OUTSIDE:
            message = gettext(
                N_(
                    "{id}: {document} '{path}' is not inside the source folder: give a path "
                    "relative to it"
                )
            )
            findings.append(
                Finding(
                    "bad_value",
                    item,
                    message.format(
                        id=item.id, document=field("document"), path=assessment.document
                    ),
                )
            )
        if assessment.state is EvidenceState.INACTIVE:
            continue
        what = _proof_of_what(assessment, gettext)
        if assessment.missing and assessment.found != OUTSIDE:
            if assessment.found == UNREADABLE:
                template = N_(
                    "{id}: its document {document}, {what}, cannot be read (no readable file "
                    "at that path in the source folder)"
                )
            else:
                template = N_(
                    "{id}: its document {document}, {what}, is missing (no readable file at "
                    "that path in the source folder)"
                )
            findings.append(
                Finding(
                    "evidence_missing",
                    item,
                    gettext(template).format(id=item.id, document=assessment.document, what=what),
                )
            )
        if assessment.expired:
            message = gettext(
                N_(
                    "{id}: expired: the {what} was valid until {until}, before the "
                    "reference date {today}"
                )
            )
            findings.append(
                Finding(
                    "evidence_expired",
                    item,
                    message.format(
                        id=item.id, what=what, until=item.field("valid_until"), today=today
                    ),
                )
            )
        if assessment.changed and assessment.approval is not None:
            approval = assessment.approval
            if approval.by:
                template = N_(
                    "{id}: its document {document}, {what}, changed since it was approved "
                    "on {date} by {name} (SHA-256 {then}… then, {now}… now): check it, then "
                    "run 'crmrisk review'"
                )
            else:
                template = N_(
                    "{id}: its document {document}, {what}, changed since it was approved "
                    "on {date} (SHA-256 {then}… then, {now}… now): check it, then run "
                    "'crmrisk review'"
                )
            findings.append(
                Finding(
                    "evidence_changed",
                    item,
                    gettext(template).format(
                        id=item.id,
                        document=assessment.document,
                        what=what,
                        date=approval.date,
                        name=approval.by,
                        then=approval.sha256[:12],
                        now=assessment.found[:12],
                    ),
                )
            )
    return findings


def unproven_message(assessment: Assessment, proof: Proof, gettext: Gettext = same) -> str:
    """The sentence of a ``crmrisk.unproven`` finding."""
    obligation = assessment.obligation
    covering = _ids(assessment.covering, gettext)
    if proof.state is ProofState.UNPROVEN:
        template = N_(
            "{id}: obligation '{title}' is covered by {covering} but not proven: no "
            "evidence proves {covering}"
        )
    else:
        template = N_(
            "{id}: obligation '{title}' is covered by {covering} but not proven: none of "
            "the evidence of {covering} is valid ({states})"
        )
    states = ", ".join(f"{e.item.id} {e.state.value}" for e in proof.evidence)
    return gettext(template).format(
        id=obligation.id, title=obligation.title, covering=covering, states=states
    )


def unproven_findings(
    assessments: Iterable[Assessment],
    proofs: Mapping[str, Proof],
    language: str | None = None,
) -> list[Finding]:
    """Covered or upcoming obligations that are not proven, in ID order; the messages in
    ``language`` (None: English)."""
    gettext = translator(language)
    findings = []
    for assessment in assessments:
        proof = proofs.get(assessment.obligation.id)
        if proof is not None and proof.state is not ProofState.PROVEN:
            findings.append(
                Finding(
                    "unproven",
                    assessment.obligation,
                    unproven_message(assessment, proof, gettext),
                )
            )
    return findings


def evidence_marks(
    evidence: Iterable[EvidenceAssessment], proofs: Mapping[str, Proof]
) -> dict[str, list[tuple[Any, ...]]]:
    """Need ID -> what its page shows of evidence and proof: an evidence its state and
    approval, a clause or procedure the states of its evidence, an obligation its proof
    (an incremental build re-writes a page whose marks changed)."""
    marks: dict[str, list[tuple[Any, ...]]] = {}
    for assessment in evidence:
        mark = (assessment.item.id, assessment.state.value, assessment.approval)
        marks.setdefault(assessment.item.id, []).append(mark)
        for item in assessment.proves:
            marks.setdefault(item.id, []).append(mark)
    for obligation_id, proof in proofs.items():
        marks.setdefault(obligation_id, []).append(
            (proof.state.value, tuple((e.item.id, e.state.value) for e in proof.evidence))
        )
    return marks
