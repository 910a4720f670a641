"""The law in OSCAL: a catalog of the phases and obligations, and the organization's profile.

OSCAL (NIST's Open Security Controls Assessment Language, version 1.2) is what
compliance-trestle and the GRC tools that follow it read. :func:`catalog_document` writes
a :class:`~.traceability.Traceability`'s phases as groups and its obligations as
controls (title, French text as the statement, legal basis, dates, activities and
verification level as props, the official source as a back-matter resource, a lapsed
obligation ``withdrawn``); :func:`profile_document` selects from that catalog, by ID,
the obligations in the organization's scope (neither out of scope nor lapsed).

Both are stable: every UUID is a version-5 UUID derived from what it names (a document's
from its content), dates come from the reference date, never the clock, so two exports
of one build are byte-identical. The tests validate both against NIST's published JSON
schemas (``tests/oscal/``). ``crmrisk matrix --format oscal-catalog|oscal-profile``
writes them, and ``make catalogue`` writes the shipped catalogue's beside its
``needs.json``. No Sphinx import.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .kinds import N_, Kind
from .model import Item, State
from .text import split_list
from .traceability import Traceability
from .translations import translator

#: The OSCAL release whose schemas the documents are checked against.
OSCAL_VERSION = "1.2.3"
#: The namespace of our props (an absolute URI): fixed once, never to change.
NS = "urn:sphinx-crmrisk:oscal"
#: The namespace of every UUID we derive (itself derived from :data:`NS`).
UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, NS)
#: The catalog's file name: the one ``make catalogue`` writes, the profile's default href.
CATALOG_FILE = "oscal-catalog.json"
FORMATS = ("oscal-catalog", "oscal-profile")
#: OSCAL's token, ``^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$``, in Python's spelling.
_TOKEN = re.compile(r"^[^\W\d][\w.\-]*$")
#: The fields that become props of a control, in this order.
PROP_FIELDS = ("legal_basis", "effective", "until", "applies_to", "verification", "sanction")
LIST_FIELDS = frozenset({"applies_to"})
CATALOG_TITLE = N_("Obligations as of {date}")
PROFILE_TITLE = N_("Obligations in the organization's scope as of {date}")


class OscalError(Exception):
    """A document that cannot be written: one line."""


def stable_uuid(*parts: str) -> str:
    """A version-5 UUID of the parts: the same parts give the same UUID, anywhere."""
    return str(uuid.uuid5(UUID_NS, "\x1f".join(parts)))


def control_id(item_id: str) -> str:
    """An ID as an OSCAL id (a token): kept when it is one (``OBL-RGPD-28-3``), else
    ``_`` and the ID with each character a token cannot hold as ``_`` (an ID of ours
    may start with a digit; none starts with ``_``)."""
    return item_id if _TOKEN.match(item_id) else "_" + re.sub(r"[^\w.\-]", "_", item_id)


def _line(text: str) -> str:
    """A text as OSCAL's one-line strings must be: no line break, no blank at either end."""
    return " ".join(text.split())


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


#: ``{need}`OBL-X` `` or ``{doc}`text <page>` ``: MyST roles, which OSCAL's Markdown lacks.
_ROLE = re.compile(r"\{[\w:.-]+\}`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")
_FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})\{[\w:.-]+\}\s*(.*)$")


def prose(content: str) -> str:
    """A MyST text as OSCAL prose (Markdown): a role becomes its text, a directive
    (``{admonition} À confirmer``) its title in bold then its body, its options dropped."""
    out: list[str] = []
    closing: list[str] = []
    options = False
    for line in content.splitlines():
        match = _FENCE.match(line.strip())
        if match:
            closing.append(match.group(1))
            title = _ROLE.sub(lambda m: m.group(1) or m.group(2), match.group(2)).strip()
            if title:
                out.append(f"**{title}**")
            options = True
            continue
        if closing and line.strip() == closing[-1]:
            closing.pop()
            options = False
            continue
        if options and re.match(r"^\s*:[\w-]+:", line):
            continue
        options = False
        out.append(_ROLE.sub(lambda m: m.group(1) or m.group(2), line))
    return "\n".join(out).strip()


def _uri(text: str) -> str:
    """A URL as a valid URI reference: characters a URI cannot hold percent-encoded."""
    return urllib.parse.quote(text.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _is_url(text: str) -> bool:
    return bool(re.match(r"^https?://\S+$", text.strip()))


def _control(
    obligation: Item,
    state: State,
    phases: tuple[str, ...],
    known: frozenset[str],
    resources: Mapping[str, str],
) -> dict[str, Any]:
    cid = control_id(obligation.id)
    props: list[dict[str, str]] = [{"name": "label", "value": obligation.id}]
    if state is State.LAPSED:
        props.append({"name": "status", "value": "withdrawn"})  # OSCAL's own prop
    for name in PROP_FIELDS:
        value = obligation.field(name)
        values = split_list(value) if name in LIST_FIELDS else (value,)
        props.extend(_prop(name, _line(v)) for v in values if _line(v))
    props.extend(_prop("phase", phase) for phase in phases[1:])
    source = obligation.field("source")
    if source and not _is_url(source):
        props.append(_prop("source", _line(source)))
    links: list[dict[str, str]] = []
    if source and _is_url(source):
        links.append({"href": "#" + resources[source.strip()], "rel": "reference"})
    links.extend(
        {"href": "#" + control_id(target), "rel": "moved-to"}
        for target in obligation.linked("replaced_by")
        if target in known
    )
    control: dict[str, Any] = {"id": cid, "title": _line(obligation.title) or obligation.id}
    control["props"] = props
    if links:
        control["links"] = links
    text = prose(obligation.content) or control["title"]
    control["parts"] = [{"id": f"{cid}_smt", "name": "statement", "prose": text}]
    return control


def _metadata(title: str, date: str, extra: list[dict[str, str]]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "title": _line(title),
        # from the reference date, never the clock: the same build, the same bytes
        "last-modified": f"{date}T00:00:00Z",
        "version": date,
        "oscal-version": OSCAL_VERSION,
    }
    props = [_prop("reference_date", date), *extra]
    metadata["props"] = props
    return metadata


def _stamped(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The document with its UUID first, derived from the rest: a changed content gets
    a new UUID (OSCAL's change-on-write), the same content the same."""
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return {model: {"uuid": stable_uuid(model, digest), **body}}


def _gettext(traceability: Traceability) -> Callable[[str], str]:
    return translator(traceability.settings.language)


def catalog_document(traceability: Traceability, title: str | None = None) -> dict[str, Any]:
    """The OSCAL catalog of the traceability's phases and obligations (every one, lapsed
    and out-of-scope ones included: the catalog is the law; the profile is the scope)."""
    model = traceability.model
    date = traceability.today.isoformat()
    assessments = traceability.assessments
    known_ids = frozenset(a.obligation.id for a in assessments)
    sources = sorted(
        {
            a.obligation.field("source").strip()
            for a in assessments
            if _is_url(a.obligation.field("source"))
        }
    )
    resources = {url: stable_uuid("source", url) for url in sources}
    phases = sorted(model.of_kind(Kind.PHASE), key=lambda p: p.id)
    phase_ids = {phase.id for phase in phases}
    by_phase: dict[str, list[dict[str, Any]]] = {phase.id: [] for phase in phases}
    loose: list[dict[str, Any]] = []
    for assessment in assessments:
        obligation = assessment.obligation
        linked = tuple(dict.fromkeys(p for p in obligation.linked("phase") if p in phase_ids))
        control = _control(obligation, assessment.state, linked, known_ids, resources)
        if linked:
            by_phase[linked[0]].append(control)
        else:
            loose.append(control)
    groups = []
    for phase in phases:
        if not by_phase[phase.id]:
            continue  # a group holds controls or groups: an empty one is left out
        groups.append(
            {
                "id": control_id(phase.id),
                "title": _line(phase.title) or phase.id,
                "props": [{"name": "label", "value": phase.id}],
                "controls": by_phase[phase.id],
            }
        )
    law_date = traceability.settings.law_date
    extra = [_prop("law_date", law_date)] if law_date else []
    heading = title or _gettext(traceability)(CATALOG_TITLE).format(date=law_date or date)
    body: dict[str, Any] = {"metadata": _metadata(heading, date, extra)}
    if groups:
        body["groups"] = groups
    if loose:
        body["controls"] = loose
    if sources:
        body["back-matter"] = {
            "resources": [
                {"uuid": resources[url], "title": _line(url), "rlinks": [{"href": _uri(url)}]}
                for url in sources
            ]
        }
    return _stamped("catalog", body)


def in_scope(traceability: Traceability) -> list[str]:
    """The IDs of the obligations in the organization's scope: neither out of scope nor
    lapsed (covered or not, justified or upcoming), in ID order."""
    return [
        a.obligation.id
        for a in traceability.assessments
        if a.state not in (State.OUT_OF_SCOPE, State.LAPSED)
    ]


def profile_document(
    traceability: Traceability, catalog_href: str = CATALOG_FILE
) -> dict[str, Any]:
    """The organization's OSCAL profile: the obligations in scope, selected by ID from
    the catalog at ``catalog_href`` (a file name relative to the profile, or a URI: the
    two files travel together). OscalError when no obligation is in scope."""
    chosen = in_scope(traceability)
    if not chosen:
        raise OscalError(
            "no obligation is in scope (all are out of scope or lapsed): an OSCAL profile "
            "selects at least one"
        )
    href = _uri(catalog_href)
    if not href:
        raise OscalError("the catalog's href is empty")
    date = traceability.today.isoformat()
    # the activities of crmrisk_profile that decided the scope (none: all apply)
    extra = [_prop("activity", word) for word in traceability.profile or ()]
    heading = _gettext(traceability)(PROFILE_TITLE).format(date=date)
    body = {
        "metadata": _metadata(heading, date, extra),
        "imports": [
            {
                "href": href,
                "include-controls": [{"with-ids": [control_id(i) for i in chosen]}],
            }
        ],
        # a tool that resolves the profile keeps the catalog's phases
        "merge": {"as-is": True},
    }
    return _stamped("profile", body)


def document_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
