"""The need kinds, their fields and their links, each described once.

Registration with sphinx-needs (``sphinx_ext/registration.py``), the model (:mod:`.model`), the
need layouts and the reference documentation all read these tables, so a kind, a field
or a link is added or changed here and nowhere else. No Sphinx import: the model and
the ``crmrisk`` command use this module too.

Labels are English message IDs of the ``sphinx_crmrisk`` catalog, marked with
:func:`N_`; they are translated where they are shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache


def N_(message: str) -> str:
    """Marks a label for the catalog; it is translated where it is shown."""
    return message


class Kind(StrEnum):
    """The need types the extension registers (the directive names)."""

    PHASE = "phase"
    OBLIGATION = "obligation"
    CLAUSE = "clause"
    PROCEDURE = "procedure"
    RISK = "risk"
    WATCH = "watch"
    EVIDENCE = "evidence"


@dataclass(frozen=True)
class FieldSpec:
    """A field the extension adds to needs (a string; lists are comma-separated)."""

    label: str
    doc: str
    #: False: kept out of the need's layout (shown another way, e.g. as a badge)
    in_layout: bool = True
    #: True: the build sets it on each need (an assessment), an author never writes it,
    #: and the model never reads it (:mod:`.computed_fields`)
    computed: bool = False


@dataclass(frozen=True)
class KindSpec:
    """One need type: its ID prefix, title, colour, fields and reference line."""

    prefix: str
    title: str
    color: str
    fields: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class LinkSpec:
    """A link type: which kinds it may go from, the kinds it may point at, labels."""

    sources: frozenset[Kind]
    targets: frozenset[Kind]
    outgoing: str
    incoming: str
    doc: str


#: In the order the need layouts show them.
FIELD_SPECS: Mapping[str, FieldSpec] = {
    "legal_basis": FieldSpec(
        N_("Legal basis"),
        "The text and article the obligation rests on (a watch item: the text it watches).",
    ),
    "effective": FieldSpec(N_("Effective"), "The date it took or takes effect, YYYY-MM-DD."),
    "until": FieldSpec(N_("Until"), "The date it ended, YYYY-MM-DD, when it was replaced."),
    "expected": FieldSpec(
        N_("Expected"),
        "A watch item's next expected date, YYYY-MM-DD: when something should happen "
        "(publication, application, a court decision); an open item past it is overdue "
        "(shown in its badge).",
        in_layout=False,
    ),
    "sanction": FieldSpec(N_("Sanction"), "What a breach costs."),
    "source": FieldSpec(N_("Source"), "The official text (URL, shown as a link)."),
    "justification": FieldSpec(
        N_("Justification"), "Why it does not apply, with status not_applicable."
    ),
    "verification": FieldSpec(
        N_("Verification"),
        "How far its facts were checked: verified, partial or unverified (shown as a badge).",
        in_layout=False,
    ),
    "applies_to": FieldSpec(
        N_("Applies to"),
        "The activities it concerns, comma-separated (none: every organization).",
    ),
    "party": FieldSpec(N_("Party"), "Who the clause binds, comma-separated."),
    "severity": FieldSpec(
        N_("Severity"),
        "How serious the risk would be, 1 to 4 (EBIOS RM scale: 1 minor, 2 significant, "
        "3 serious, 4 critical; shown in the risk's level badge).",
        in_layout=False,
    ),
    "likelihood": FieldSpec(
        N_("Likelihood"),
        "How likely the risk is, 1 to 4 (EBIOS RM scale: 1 unlikely, 2 likely, "
        "3 very likely, 4 almost certain; shown in the risk's level badge).",
        in_layout=False,
    ),
    "owner": FieldSpec(
        N_("Owner"),
        "Who answers for the clause, procedure, risk or evidence, and reviews it (a role "
        "or a team).",
    ),
    "frequency": FieldSpec(N_("Frequency"), "How often the procedure runs."),
    "expected_evidence": FieldSpec(
        N_("Expected evidence"),
        "The proof an auditor asks for to show the clause or procedure is applied, and how "
        "long to keep it where the law says, with the source (the handbook's models).",
    ),
    "document": FieldSpec(
        N_("Document"),
        "The evidence's document: a path relative to the source folder (checked by every "
        "build: present, and unchanged since approved), or a reference that is not a "
        "path (a URL, a document-management number).",
    ),
    "dated": FieldSpec(N_("Dated"), "The date the proof was established or signed, YYYY-MM-DD."),
    "valid_until": FieldSpec(
        N_("Valid until"),
        "The last day the proof is valid, YYYY-MM-DD (none: it does not expire).",
    ),
    "reviewed": FieldSpec(
        N_("Last reviewed"),
        "The last time a person checked the item against the law, YYYY-MM-DD "
        "(set by 'crmrisk review'; shown in the review badge).",
        in_layout=False,
    ),
    "review_every": FieldSpec(
        N_("Review every (months)"),
        "The review cycle in months (default: crmrisk_review_every); 0: no cycle "
        "(the review badge shows the next review's date).",
        in_layout=False,
    ),
    "coverage_state": FieldSpec(
        N_("State"),
        "Set by the build, not written: the obligation's state (covered, justified, "
        "upcoming, lapsed, out_of_scope or uncovered), for sphinx-needs' tables and "
        "filters (shown as a badge).",
        in_layout=False,
        computed=True,
    ),
    "review_state": FieldSpec(
        N_("Review state"),
        "Set by the build, not written: the active clause's or procedure's review state "
        "(up_to_date, due_soon, overdue, never or no_cycle), for sphinx-needs' tables "
        "and filters (shown as a badge).",
        in_layout=False,
        computed=True,
    ),
    "watch_state": FieldSpec(
        N_("Watch state"),
        "Set by the build, not written: the watch item's state (open, overdue, done or "
        "abandoned), for sphinx-needs' tables and filters (shown as a badge).",
        in_layout=False,
        computed=True,
    ),
    "proof_state": FieldSpec(
        N_("Proof"),
        "Set by the build, not written: the covered or upcoming obligation's proof state "
        "(proven, invalid or unproven), for sphinx-needs' tables and filters (shown as a "
        "badge).",
        in_layout=False,
        computed=True,
    ),
    "evidence_state": FieldSpec(
        N_("Evidence state"),
        "Set by the build, not written: the evidence's state (valid, expiring, expired, "
        "missing, changed or inactive), for sphinx-needs' tables and filters (shown as a "
        "badge).",
        in_layout=False,
        computed=True,
    ),
    # of no kind: every item may have it, and the extension sets it (item_directive.py)
    "source_file": FieldSpec(
        N_("Source file"),
        "Set by the extension, not written: the file the item is written in, relative to "
        "the source folder, when it is not its page's own (an included file).",
        in_layout=False,
    ),
    # of no kind: the shipped catalogue's records have it, and crmrisk-catalogue sets it
    # on what it imports (catalogue_directive.py)
    "catalogue": FieldSpec(
        N_("Catalogue"),
        "Set by the extension, not written: the version (YYYY-MM-DD) of the shipped "
        "catalogue of the law the item was imported from by crmrisk-catalogue; its gaps "
        "say so, and are reported where the organization acts on them; an overdue watch "
        "item of it asks for an upgrade.",
        in_layout=False,
    ),
    # set by the extension on evidence (item_directive.py), read by the model
    "document_sha256": FieldSpec(
        N_("Document SHA-256"),
        "Set by the extension, not written: what the build found at the evidence's "
        "document path: the file's SHA-256 (64 hex digits), 'missing', 'unreadable' or "
        "'outside' (a path out of the source folder); none when the document is not a path.",
        in_layout=False,
    ),
}

KIND_SPECS: Mapping[Kind, KindSpec] = {
    Kind.PHASE: KindSpec(
        "PH-", N_("Phase"), "#DCE8F5", (), "A phase of the program: conception, deployment..."
    ),
    Kind.OBLIGATION: KindSpec(
        "OBL-",
        N_("Obligation"),
        "#F5E6C8",
        (
            "legal_basis",
            "effective",
            "until",
            "sanction",
            "source",
            "justification",
            "verification",
            "applies_to",
            "coverage_state",
            "proof_state",
        ),
        "A legal obligation, to be covered by a clause or a procedure.",
    ),
    Kind.CLAUSE: KindSpec(
        "CLA-",
        N_("Clause"),
        "#D6EDD9",
        ("party", "owner", "expected_evidence", "reviewed", "review_every", "review_state"),
        "A contract clause that covers obligations.",
    ),
    Kind.PROCEDURE: KindSpec(
        "PROC-",
        N_("Procedure"),
        "#E3DDF3",
        ("owner", "frequency", "expected_evidence", "reviewed", "review_every", "review_state"),
        "An internal procedure that covers obligations.",
    ),
    Kind.RISK: KindSpec(
        "RISK-",
        N_("Risk"),
        "#F6D5D2",
        ("likelihood", "severity", "owner"),
        "A risk, addressed by obligations, scored by likelihood and severity.",
    ),
    Kind.WATCH: KindSpec(
        "VEI-",
        N_("Watch item"),
        "#FCEFD9",
        ("expected", "legal_basis", "source", "verification", "watch_state"),
        "A text announced, adopted or awaited that will change obligations: its next "
        "expected date, its status (open, done or abandoned) and the obligations it affects.",
    ),
    Kind.EVIDENCE: KindSpec(
        "EVD-",
        N_("Evidence"),
        "#FFF3B0",
        ("owner", "document", "dated", "valid_until", "document_sha256", "evidence_state"),
        "A proof that a clause or procedure is applied: a signed document, an extract, "
        "minutes, with its date and expiry.",
    ),
}

#: Kinds whose ``covers`` links count towards coverage.
COVERING_KINDS = frozenset({Kind.CLAUSE, Kind.PROCEDURE})

LINK_SPECS: Mapping[str, LinkSpec] = {
    "covers": LinkSpec(
        COVERING_KINDS,
        frozenset({Kind.OBLIGATION}),
        N_("covers"),
        N_("covered by"),
        "From a clause or procedure to the obligations it covers.",
    ),
    "addresses": LinkSpec(
        frozenset({Kind.RISK}),
        frozenset({Kind.OBLIGATION}),
        N_("addresses"),
        N_("addressed by"),
        "From a risk to the obligations that address it.",
    ),
    "phase": LinkSpec(
        frozenset(Kind) - {Kind.PHASE},
        frozenset({Kind.PHASE}),
        N_("phase"),
        N_("obligations of the phase"),
        "From any other item to its phases.",
    ),
    "affects": LinkSpec(
        frozenset({Kind.WATCH}),
        frozenset({Kind.OBLIGATION}),
        N_("affects"),
        N_("affected by"),
        "From a watch item to the obligations it will change.",
    ),
    "replaced_by": LinkSpec(
        frozenset({Kind.OBLIGATION}),
        frozenset({Kind.OBLIGATION}),
        N_("replaced by"),
        N_("replaces"),
        "From a lapsed obligation to the one that replaced it.",
    ),
    "proves": LinkSpec(
        frozenset({Kind.EVIDENCE}),
        COVERING_KINDS,
        N_("proves"),
        N_("proven by"),
        "From an evidence to the clauses and procedures whose application it proves.",
    ),
}

#: The need ID prefix of each kind.
PREFIXES: Mapping[Kind, str] = {kind: spec.prefix for kind, spec in KIND_SPECS.items()}

#: Each field, by the kinds that have it.
FIELDS: Mapping[str, frozenset[Kind]] = {
    name: frozenset(kind for kind, spec in KIND_SPECS.items() if name in spec.fields)
    for name in FIELD_SPECS
}

#: The fields the build sets (never written by an author, never read by the model).
COMPUTED_FIELDS: tuple[str, ...] = tuple(n for n, s in FIELD_SPECS.items() if s.computed)

#: The fields an author writes: what the model reads and the catalogue ships.
AUTHORED_FIELDS: tuple[str, ...] = tuple(n for n, s in FIELD_SPECS.items() if not s.computed)

DATE_FIELDS = ("effective", "until")
#: An evidence's dates (:mod:`.evidence`).
EVIDENCE_DATE_FIELDS = ("dated", "valid_until")

#: The IDs of our items (``OBL-RGPD-28-3``): the build adds it to a host's own rule as an
#: alternative (``sphinx_ext/coexistence.py``); ``crmrisk import`` checks register IDs by it.
ID_REGEX = "^[A-Z0-9][A-Z0-9_-]{2,}$"

#: A watch item's ``status`` words; none written is :data:`WATCH_OPEN`.
WATCH_OPEN = "open"
WATCH_STATUSES = (WATCH_OPEN, "done", "abandoned")

#: An obligation's ``verification`` levels, each with the sentence its badge shows.
VERIFICATION_LEVELS: Mapping[str, str] = {
    "verified": N_("Verified: the facts below were checked in the sources cited."),
    "partial": N_(
        "Partly verified: some facts below still have to be confirmed in the official text."
    ),
    "unverified": N_(
        "Not verified: the facts below have not been confirmed in an official source."
    ),
}


class Status(StrEnum):
    """What an item's ``:status:`` means (the canonical words)."""

    #: counts: a clause or procedure in force (no status means the same)
    ACTIVE = "active"
    #: does not count yet: being written or awaiting approval
    DRAFT = "draft"
    #: does not count any more: withdrawn or replaced
    RETIRED = "retired"
    #: an obligation the organization declares not applicable (with a justification)
    NOT_APPLICABLE = "not_applicable"


#: The words a team may write for each status, French and English; they are compared
#: without case, accents, or the difference between spaces, ``_`` and ``-``
#: (:func:`status_key`), so ``Retirée``, ``retiree`` and ``RETIRÉE`` are one word.
#: A small list on purpose: a word that is not here is refused (a ``bad_value``),
#: never guessed.
STATUS_WORDS: Mapping[Status, tuple[str, ...]] = {
    Status.ACTIVE: (
        "active",
        "approved",
        "in force",
        "actif",
        "approuvé",
        "approuvée",
        "validé",
        "validée",
        "en vigueur",
    ),
    Status.DRAFT: (
        "draft",
        "in progress",
        "brouillon",
        "projet",
        "en cours",
        "en cours de rédaction",
        "à valider",
    ),
    Status.RETIRED: (
        "retired",
        "withdrawn",
        "obsolete",
        "retiré",
        "retirée",
        "obsolète",
        "abrogé",
        "abrogée",
        "archivé",
        "archivée",
    ),
    Status.NOT_APPLICABLE: (
        "not_applicable",
        "not applicable",
        "non applicable",
        "sans objet",
    ),
}

#: The statuses each kind may have; a kind not listed (phases, risks) may have any
#: (a risk register has its own workflow: ``open``, ``treated``...).
KIND_STATUSES: Mapping[Kind, tuple[Status, ...]] = {
    Kind.CLAUSE: (Status.ACTIVE, Status.DRAFT, Status.RETIRED),
    Kind.PROCEDURE: (Status.ACTIVE, Status.DRAFT, Status.RETIRED),
    Kind.OBLIGATION: (Status.ACTIVE, Status.NOT_APPLICABLE),
    # an evidence proves only when active (a draft, a retired one, an unknown word: not)
    Kind.EVIDENCE: (Status.ACTIVE, Status.DRAFT, Status.RETIRED),
}

#: What each status means, for the reference documentation.
STATUS_DOCS: Mapping[Status, str] = {
    Status.ACTIVE: "In force: its covers count (no status means the same).",
    Status.DRAFT: "Being written or awaiting approval: its covers do not count yet.",
    Status.RETIRED: "Withdrawn or replaced: its covers do not count any more.",
    Status.NOT_APPLICABLE: "Declared not applicable to the organization; with a "
    "justification, the obligation is justified.",
}

#: Each status as readers see it (the French catalog puts clauses and procedures,
#: both feminine, in the feminine).
STATUS_LABELS: Mapping[Status, str] = {
    Status.ACTIVE: N_("active"),
    Status.DRAFT: N_("draft"),
    Status.RETIRED: N_("retired"),
    Status.NOT_APPLICABLE: N_("not applicable"),
}


# a handbook writes a few status words on thousands of items: each is made a key once
@lru_cache(maxsize=1024)
def status_key(word: str) -> str:
    """``" Retirée "`` -> ``"retiree"``: lower case, no accent, one space between words
    (``_`` and ``-`` are spaces): how status words are compared."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[\s_\-]+", plain.strip())).strip()


_STATUS_BY_KEY: Mapping[str, Status] = {
    status_key(word): status for status, words in STATUS_WORDS.items() for word in words
}


def canonical_status(word: str) -> Status | None:
    """The status a word means (``brouillon`` -> draft), or None for an unknown word."""
    return _STATUS_BY_KEY.get(status_key(word))


def inactive_keys(words: Iterable[str]) -> frozenset[str]:
    """The keys of ``crmrisk_inactive_statuses``' words, each word's status included:
    ``draft`` makes ``brouillon`` inactive too, whatever the language it is written in."""
    keys: set[str] = set()
    for word in words:
        keys.add(status_key(word))
        status = canonical_status(word)
        if status is not None:
            keys.update(status_key(w) for w in STATUS_WORDS[status])
    return frozenset(keys)


#: What a renamed type, field or link may be called: a directive or option name.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Names:
    """The project's names of our kinds, fields and links, each by its canonical name.

    By default every name is the canonical one (:class:`Kind` values, the keys of
    :data:`FIELD_SPECS` and :data:`LINK_SPECS`). A host project that already uses one of
    them renames ours (``crmrisk_type_names``, ``crmrisk_field_names``,
    ``crmrisk_link_names``). This is only a layer over the tables above: the model keeps
    the canonical names internally (``Item.fields``, ``Item.links``, ``Item.kind``), and
    what is registered with sphinx-needs, read from a need or shown uses the project's.
    """

    types: Mapping[Kind, str]
    fields: Mapping[str, str]
    links: Mapping[str, str]

    @classmethod
    def resolve(
        cls,
        type_names: Mapping[str, str] | None = None,
        field_names: Mapping[str, str] | None = None,
        link_names: Mapping[str, str] | None = None,
    ) -> Names:
        """The names, canonical ones where the mappings say nothing.

        Raises ValueError, with the reason, on a key that is not one of ours, a name
        that is not a directive or option name, or two of ours given one name.
        """
        tables = (
            ("type", type_names, [kind.value for kind in Kind]),
            ("field", field_names, list(FIELD_SPECS)),
            ("link", link_names, list(LINK_SPECS)),
        )
        resolved: list[dict[str, str]] = []
        for what, asked, canonical in tables:
            given = dict(asked or {})
            unknown = sorted(set(given) - set(canonical))
            if unknown:
                raise ValueError(
                    f"crmrisk_{what}_names: {', '.join(map(repr, unknown))} "
                    f"{'is' if len(unknown) == 1 else 'are'} not one of our {what}s "
                    f"({', '.join(canonical)})"
                )
            for key, value in given.items():
                if not isinstance(value, str) or not _NAME.match(value):
                    raise ValueError(
                        f"crmrisk_{what}_names: the name given to {key!r} must be a "
                        f"{what} name (a letter, then letters, digits, '_' or '-'), "
                        f"not {value!r}"
                    )
            resolved.append({name: given.get(name, name) for name in canonical})
        types, fields, links = resolved
        # a type is a directive; fields and links are both options and need keys
        for kind_of_name, by_canonical in (("type", types), ("field or link", {**fields, **links})):
            seen: dict[str, str] = {}
            for canonical_name, name in by_canonical.items():
                if name in seen:
                    raise ValueError(
                        f"crmrisk names: {seen[name]!r} and {canonical_name!r} are both "
                        f"named {name!r}; each {kind_of_name} needs a name of its own"
                    )
                seen[name] = canonical_name
        return cls({Kind(k): v for k, v in types.items()}, fields, links)

    def type(self, kind: Kind) -> str:
        return self.types[kind]

    def field(self, name: str) -> str:
        return self.fields[name]

    def link(self, name: str) -> str:
        return self.links[name]

    @property
    def is_canonical(self) -> bool:
        return self == DEFAULT_NAMES

    @cached_property
    def kinds(self) -> Mapping[str, Kind]:
        """Each project type name -> its Kind (other types are not in it)."""
        return {name: kind for kind, name in self.types.items()}

    @cached_property
    def field_keys(self) -> tuple[tuple[str, str], ...]:
        """``(need key, canonical name)`` of each field an author writes (the computed
        ones are the build's output, not its input), in :data:`FIELD_SPECS` order."""
        return tuple(
            (name, canonical)
            for canonical, name in self.fields.items()
            if not FIELD_SPECS[canonical].computed
        )

    @cached_property
    def link_keys(self) -> tuple[tuple[str, str], ...]:
        """``(need key, canonical name)`` of each link type."""
        return tuple((name, canonical) for canonical, name in self.links.items())


DEFAULT_NAMES = Names(
    {kind: kind.value for kind in Kind},
    {name: name for name in FIELD_SPECS},
    {name: name for name in LINK_SPECS},
)
#: The scales a risk is scored on: EBIOS Risk Manager's (ANSSI, 2018), 1 to 4. The
#: English labels are the message IDs; the French catalog gives the guide's words
#: (gravité G1 mineure to G4 critique, vraisemblance V1 peu vraisemblable to V4 quasi
#: certain). Not read in ANSSI's guide itself, which could not be reached: the eight
#: words agree in five to seven independent public reproductions of it (2026-12-01);
#: the EBIOS RM 4x4 matrix that CISO Assistant ships (intuitem/ciso-assistant-community,
#: backend/library/libraries/risk-matrix-4x4-ebios-rm.yaml) words two levels its own
#: way, V4 « Certain », G3 « Important », and puts the others in the masculine.
RISK_SCALES: Mapping[str, Mapping[int, str]] = {
    "severity": {
        1: N_("Minor"),
        2: N_("Significant"),
        3: N_("Serious"),
        4: N_("Critical"),
    },
    "likelihood": {
        1: N_("Unlikely"),
        2: N_("Likely"),
        3: N_("Very likely"),
        4: N_("Almost certain"),
    },
}
