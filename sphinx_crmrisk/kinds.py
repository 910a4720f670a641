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
    "effective": FieldSpec(N_("Effective"), "The date it took or takes effect, YYYY-MM-DD."),
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
    "severity": FieldSpec(
        N_("Severity"),
        "How serious the risk would be, 1 to 4 (EBIOS RM scale: 1 minor, 2 significant, "
        "3 serious, 4 critical).",
    ),
    "likelihood": FieldSpec(
        N_("Likelihood"),
        "How likely the risk is, 1 to 4 (EBIOS RM scale: 1 unlikely, 2 likely, "
        "3 very likely, 4 almost certain).",
    ),
    "owner": FieldSpec(N_("Owner"), "Who answers for the procedure or the risk."),
    "frequency": FieldSpec(N_("Frequency"), "How often the procedure runs."),
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
        "RISK-",
        N_("Risk"),
        "#F6D5D2",
        ("likelihood", "severity", "owner"),
        "A risk, addressed by obligations, scored by likelihood and severity.",
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

#: The scales a risk is scored on: EBIOS Risk Manager's (ANSSI, 2018), 1 to 4. The
#: English labels are the message IDs; the French catalog gives the guide's words
#: (gravité G1 mineure to G4 critique, vraisemblance V1 peu vraisemblable to V4 quasi
#: certain). Checked against the EBIOS RM 4x4 matrix that CISO Assistant ships
#: (intuitem/ciso-assistant-community, backend/library/libraries/
#: risk-matrix-4x4-ebios-rm.yaml), which words two levels differently: V4 « Certain »,
#: G3 « Important ».
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
