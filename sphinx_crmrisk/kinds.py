"""The need kinds, their fields and their links, each described once.

Registration with sphinx-needs (:mod:`.needs_schema`), the model (:mod:`.model`), the
need layouts and the reference documentation all read these tables, so a kind, a field
or a link is added or changed here and nowhere else. No Sphinx import: the model and
the ``crmrisk`` command use this module too.

Labels are English message IDs of the ``sphinx_crmrisk`` catalog, marked with
:func:`N_`; they are translated where they are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


def N_(message: str) -> str:
    """Marks a label for the catalog; it is translated where it is shown."""
    return message


class Kind(str, Enum):
    """The need types the extension registers (the directive names)."""

    PHASE = "phase"
    OBLIGATION = "obligation"
    CLAUSE = "clause"
    PROCEDURE = "procedure"
    RISK = "risk"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FieldSpec:
    """A field the extension adds to needs (a string; lists are comma-separated)."""

    label: str
    doc: str
    #: False: kept out of the need's layout (shown another way, e.g. as a badge)
    in_layout: bool = True


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
    """A link type: which kinds it may go from, the one kind it must point at, labels."""

    sources: frozenset[Kind]
    target: Kind
    outgoing: str
    incoming: str
    doc: str


#: In the order the need layouts show them.
FIELD_SPECS: Mapping[str, FieldSpec] = {
    "legal_basis": FieldSpec(N_("Legal basis"), "The text and article the obligation rests on."),
    "effective": FieldSpec(N_("In force since"), "The date it took or takes effect, YYYY-MM-DD."),
    "until": FieldSpec(N_("Until"), "The date it ended, YYYY-MM-DD, when it was replaced."),
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
    "owner": FieldSpec(N_("Owner"), "Who answers for the procedure."),
    "frequency": FieldSpec(N_("Frequency"), "How often the procedure runs."),
    # of no kind: every item may have it, and the extension sets it (locations.py)
    "source_file": FieldSpec(
        N_("Source file"),
        "Set by the extension, not written: the file the item is written in, relative to "
        "the source folder, when it is not its page's own (an included file).",
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
            "legal_basis", "effective", "until", "sanction", "source", "justification",
            "verification", "applies_to",
        ),
        "A legal obligation, to be covered by a clause or a procedure.",
    ),
    Kind.CLAUSE: KindSpec(
        "CLA-", N_("Clause"), "#D6EDD9", ("party",), "A contract clause that covers obligations."
    ),
    Kind.PROCEDURE: KindSpec(
        "PROC-",
        N_("Procedure"),
        "#E3DDF3",
        ("owner", "frequency"),
        "An internal procedure that covers obligations.",
    ),
    Kind.RISK: KindSpec(
        "RISK-", N_("Risk"), "#F6D5D2", (), "A risk, addressed by obligations."
    ),
}

#: Kinds whose ``covers`` links count towards coverage.
COVERING_KINDS = frozenset({Kind.CLAUSE, Kind.PROCEDURE})

LINK_SPECS: Mapping[str, LinkSpec] = {
    "covers": LinkSpec(
        COVERING_KINDS,
        Kind.OBLIGATION,
        N_("covers"),
        N_("covered by"),
        "From a clause or procedure to the obligations it covers.",
    ),
    "addresses": LinkSpec(
        frozenset({Kind.RISK}),
        Kind.OBLIGATION,
        N_("addresses"),
        N_("addressed by"),
        "From a risk to the obligations that address it.",
    ),
    "phase": LinkSpec(
        frozenset(Kind) - {Kind.PHASE},
        Kind.PHASE,
        N_("phase"),
        N_("obligations of the phase"),
        "From any other item to its phases.",
    ),
    "replaced_by": LinkSpec(
        frozenset({Kind.OBLIGATION}),
        Kind.OBLIGATION,
        N_("replaced by"),
        N_("replaces"),
        "From a lapsed obligation to the one that replaced it.",
    ),
}

#: The need ID prefix of each kind.
PREFIXES: Mapping[Kind, str] = {kind: spec.prefix for kind, spec in KIND_SPECS.items()}

#: Each field, by the kinds that have it.
FIELDS: Mapping[str, frozenset[Kind]] = {
    name: frozenset(kind for kind, spec in KIND_SPECS.items() if name in spec.fields)
    for name in FIELD_SPECS
}

DATE_FIELDS = ("effective", "until")
