"""Which pages an incremental build must re-write so that none shows stale needs.

Sphinx re-writes only the pages it re-read. A page also shows data from other pages:
an obligation's "covered by" line comes from the clauses that link to it, a
``{need}`` role shows another need's title, and tables and matrices aggregate all
needs. So, in ``env-get-updated`` (the last moment to add pages to write), each need
gets a fingerprint of its own data and of its neighbours (what it links to and what
links to it); the pages to add are those whose needs' fingerprints changed or
vanished, those that reference such a need through a role, and, when anything
changed, every page that aggregates needs. A no-change build then writes nothing.

A ``need`` role shows less than its need's fingerprint holds: its title and ID (the
role's template, ``needs_role_need_template``, or one in the role's text, ``[[title]]``),
and a link to its page. A page citing needs so is re-written when what those roles show
changed (each page's digest of it is kept), not for any change of the need: a new party
of a clause does not re-write every page that names it. A template that shows other
fields than those read with the need (its links back, a field the build computes, the
whole ``need``) makes the page's roles count as citing the whole need.

Suspect covers and named reviews (:mod:`sphinx_crmrisk.reviews`) are part of what a
need's page shows: they enter its fingerprint, so a change of an obligation, or of the
review lock, re-writes the page of the clause or procedure that covers it. So are the
watch items that affect an obligation (:mod:`sphinx_crmrisk.watch`), with their dates
and states: a watch item changed on its page re-writes the pages of the obligations it
affects. And so are the states of evidence and the proof of obligations
(:mod:`sphinx_crmrisk.evidence`): an obligation shows the evidence of the items that
cover it, two links away, and an evidence's state follows its file and the lock.

Pages that load the traceability when they are read, executed notebooks above all
(``crmrisk_audit_pages``), show it as of their last reading. When the traced data
changed (:func:`traced_data_changed`) and Sphinx did not re-read them, they are
re-read (myst-nb executes them again) by :mod:`.audits` at ``env-updated``, before the
environment is pickled; when nothing traced changed they are left alone. At
``env-get-outdated`` the changed documents are not read yet, so whether traced data
changed is not known there: after the reading it is.

The needs are read before sphinx-needs resolves them (back-links are not computed
yet, and resolving them here would freeze the pickled environment), so incoming links
come from an index of outgoing ones.

And at ``env-before-read-docs``, the needs of every page about to be re-read are
forgotten before any page is read (:func:`purge_needs_of_pages_to_read`): sphinx-needs
would otherwise lose a need moved to a page read earlier.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.needs import NODE_TYPES, NODE_TYPES_PRIO
from sphinx_needs.roles.need_incoming import NeedIncoming
from sphinx_needs.roles.need_outgoing import NeedOutgoing
from sphinx_needs.roles.need_part import NeedPart
from sphinx_needs.roles.need_ref import NeedRef

from ..evidence import evidence_marks
from ..kinds import Kind
from ..model import Model
from ..reviews import review_marks
from ..traceability import Traceability
from ..watch import watch_marks
from .page_index import get_domain
from .state import build_lock, build_state
from .views.nodes import AggregateNode

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


_REFERENCE_NODES: tuple[type[nodes.Element], ...] = (NeedRef, NeedIncoming, NeedOutgoing)
_AGGREGATE_NODES: tuple[type[nodes.Element], ...] = (
    AggregateNode,
    *(cls for cls in (*NODE_TYPES_PRIO, *NODE_TYPES) if cls not in (*_REFERENCE_NODES, NeedPart)),
)
_TRACKED_NODES = (*_REFERENCE_NODES, *_AGGREGATE_NODES)
_NEIGHBOUR_KEYS = ("type", "title", "status", "docname")
_FINGERPRINTS_ATTR = "crmrisk_fingerprints"
_NAMED_ATTR = "crmrisk_named_prints"
#: The fields a ``need`` role's template may show for a page's roles to be compared by
#: what they show: set when the need is read, never by its resolution (sphinx-needs'
#: links back, the fields this build computes). The ID and title are always compared.
_SHOWN_AS_READ = frozenset(
    {"id", "title", "type", "type_name", "status", "tags", "is_need", "is_part"}
    | {"id_part", "id_complete"}  # from the role's own target
)
#: Need ID -> (fingerprint, docname).
Fingerprints = dict[str, tuple[str, str | None]]


def record_dependencies(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: what the page shows of needs defined elsewhere."""
    domain = get_domain(app.env)
    docname = app.env.docname
    referenced: set[str] = set()
    named: set[str] = set()
    in_template = role_template_fields(app)
    fields: set[str] | None = None if in_template is None else set(in_template)
    for node in doctree.findall(lambda n: isinstance(n, _TRACKED_NODES)):  # one walk, not two
        if isinstance(node, NeedRef):
            named.add(str(node.get("reftarget", "")).split(".", 1)[0])
            if fields is not None:
                shown = _inline_template_fields(node.astext())
                fields = None if shown is None else fields | shown
        elif isinstance(node, _REFERENCE_NODES):
            referenced.add(str(node.get("reftarget", "")).split(".", 1)[0])
        else:
            domain.aggregates.add(docname)
    if fields is None:  # a template that may show anything: the whole need counts
        referenced |= named
    elif named - {""}:
        domain.named[docname] = (frozenset(named - {""}), frozenset(fields))
    referenced.discard("")
    if referenced:
        domain.references[docname] = referenced


def role_template_fields(app: Sphinx) -> frozenset[str] | None:
    """The fields ``needs_role_need_template`` shows, when all are read with the need."""
    template = getattr(app.config, "needs_role_need_template", "{{ title }} ({{ id }})")
    return template_fields(str(template))


def _inline_template_fields(text: str) -> frozenset[str] | None:
    """The fields a role's own template shows (``[[title]]``): none without one."""
    if "[[" in text and "]]" in text:
        return template_fields(text, "[[", "]]")
    return frozenset()


@cache
def template_fields(text: str, start: str = "{{", end: str = "}}") -> frozenset[str] | None:
    """The fields a role template shows, as sphinx-needs renders it (Jinja, or the
    older ``{field}`` format of ``str.format``); None when it may show another field
    than those read with the need, or when it cannot be read."""
    names: set[str] = set()
    if start == "{{" and not any(marker in text for marker in ("{{", "{%", "{#")):
        try:
            for _literal, field, _spec, _conversion in string.Formatter().parse(text):
                if field is not None:
                    names.add(field.split(".", 1)[0].split("[", 1)[0])
        except ValueError:
            return None
    else:
        import jinja2
        from jinja2 import meta

        environment = jinja2.Environment(variable_start_string=start, variable_end_string=end)
        try:
            names = set(meta.find_undeclared_variables(environment.parse(text)))
        except jinja2.TemplateError:
            return None
    return frozenset(names) if names <= _SHOWN_AS_READ else None


def _shown(need: Mapping[str, Any] | None, fields: frozenset[str]) -> tuple[Any, ...] | None:
    """What a ``need`` role shows of ``need``: the fields, its page or external link,
    and its parts (a role may cite one, with the part's text as its title)."""
    if need is None:
        return None
    parts = need.get("parts") or {}
    return (
        tuple(need.get(field) for field in sorted(fields | {"id", "title"})),
        need.get("docname"),
        need.get("is_external"),
        need.get("external_url"),
        need.get("external_css"),
        sorted((str(key), repr(value)) for key, value in parts.items()),
    )


def named_prints(env: BuildEnvironment, needs: Mapping[str, Any]) -> dict[str, str]:
    """By page citing needs with ``need`` roles: a digest of what those roles show."""
    return {
        docname: _digest([(i, _shown(needs.get(i), fields)) for i in sorted(ids)])
        for docname, (ids, fields) in get_domain(env).named.items()
    }


def _digest(value: object) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


def _summary(need: Mapping[str, Any]) -> tuple[Any, ...]:
    return (need["id"], *(need.get(key) for key in _NEIGHBOUR_KEYS))


def fingerprints(needs: Mapping[str, Any]) -> Fingerprints:
    """Need ID -> (fingerprint, docname), from unresolved needs."""
    outgoing: dict[str, list[tuple[str, str]]] = {}
    incoming: dict[str, list[tuple[str, str]]] = {}
    for need_id, need in needs.items():
        for link_type, targets in need.iter_links_items():
            for target in targets:
                target_id = target.split(".", 1)[0]
                outgoing.setdefault(need_id, []).append((link_type, target_id))
                incoming.setdefault(target_id, []).append((link_type, need_id))

    def neighbours(pairs: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
        return sorted(
            (link_type, _summary(needs[other]) if other in needs else (other,))
            for link_type, other in pairs
        )

    result = {}
    for need_id, need in needs.items():
        # keys are unique: sorting never compares values; one repr of the lot is cheap
        own = sorted(need.items())
        result[need_id] = (
            _digest(
                (own, neighbours(outgoing.get(need_id, [])), neighbours(incoming.get(need_id, [])))
            ),
            need.get("docname"),
        )
    return result


def with_marks(app: Sphinx, needs: Mapping[str, Any], prints: Fingerprints) -> Fingerprints:
    """The fingerprints, with what each need's page shows of suspect covers, named
    reviews, the watch items that affect it, evidence and proof.

    A cover turns suspect when an obligation changes, or back when the review lock
    does: the covering item's page, on another page, shows it and must be re-written.
    An obligation's « expected change » badge names the open watch items that affect it
    with their dates: a watch item's new date or status, on its own page, must
    re-write the obligation's. An evidence's state changes with its file, its dates or
    the lock, and the pages of what it proves and of the obligations they cover show it.
    """
    lock = build_lock(app)
    config = build_state(app).settings
    types = {need.get("type") for need in needs.values()}
    has_watch = config.names.type(Kind.WATCH) in types
    has_evidence = config.names.type(Kind.EVIDENCE) in types
    if not (lock.reviewed_against or lock.approvals or has_watch or has_evidence):
        return prints  # nothing recorded, watched or proven: no model to make
    traceability = Traceability(Model.from_needs(needs, config.names), config, lock)
    marks = review_marks(traceability.reviews)
    if has_watch:
        for need_id, found in watch_marks(traceability.watches).items():
            marks.setdefault(need_id, []).extend(found)
    if has_evidence:
        for need_id, found in evidence_marks(traceability.evidence, traceability.proofs).items():
            marks.setdefault(need_id, []).extend(found)
    if not marks:
        return prints
    return {
        need_id: (_digest((print_, marks[need_id])), docname)
        if need_id in marks
        else (print_, docname)
        for need_id, (print_, docname) in prints.items()
    }


def _current_fingerprints(app: Sphinx, env: BuildEnvironment) -> Fingerprints | None:
    """This build's fingerprints (None once sphinx-needs has resolved the needs), made
    once a build: :func:`traced_data_changed` and :func:`pages_to_rewrite` share them."""
    state = build_state(app)
    if state.fingerprints is None:
        needs_data = SphinxNeedsData(env)
        if needs_data.needs_is_post_processed:
            return None
        needs = needs_data.get_needs_mutable()
        state.fingerprints = with_marks(app, needs, fingerprints(needs))
    return state.fingerprints


def _changed(current: Fingerprints, previous: Fingerprints) -> set[str]:
    changed = {
        need_id
        for need_id, (print_, _docname) in current.items()
        if previous.get(need_id, (None,))[0] != print_
    }
    changed |= previous.keys() - current.keys()
    return changed


def traced_data_changed(app: Sphinx, env: BuildEnvironment) -> bool:
    """Whether any need's fingerprint changed since the last build (False in a first
    build: there is nothing to compare with, and every page is read anyway)."""
    current = _current_fingerprints(app, env)
    previous: Fingerprints = getattr(env, _FINGERPRINTS_ATTR, {})
    return bool(current is not None and previous and _changed(current, previous))


def pages_to_rewrite(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: pages not re-read whose needs' display changed."""
    current = _current_fingerprints(app, env)
    if current is None:
        return []
    previous: Fingerprints = getattr(env, _FINGERPRINTS_ATTR, {})
    setattr(env, _FINGERPRINTS_ATTR, current)
    changed = _changed(current, previous) if previous else set()
    named_before: dict[str, str] = getattr(env, _NAMED_ATTR, {})
    if changed or not previous or not named_before:
        # what the need roles show can change only with a need (a page re-read with
        # other roles is written anyway): made again only then
        named_now = named_prints(env, SphinxNeedsData(env).get_needs_mutable())
        setattr(env, _NAMED_ATTR, named_now)
    if not changed:
        return []
    pages = {current[i][1] for i in changed if i in current}
    pages |= {previous[i][1] for i in changed if i in previous}
    domain = get_domain(env)
    pages |= {doc for doc, ids in domain.references.items() if ids & changed}
    pages |= {doc for doc, shown in named_now.items() if named_before.get(doc) != shown}
    pages |= domain.aggregates
    return sorted(page for page in pages if page and page in env.found_docs)


def purge_needs_of_pages_to_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: forget the needs of every page about to be re-read.

    A workaround for sphinx-needs 9.1, which forgets a page's needs at
    ``env-purge-doc``: a serial read purges each page just before reading it, so a need
    moved from ``b`` to ``a`` (a page read earlier) meets its stale copy, still held for
    ``b``: "A need with ID ... already exists", the need from ``a`` is dropped, then
    ``b`` is purged and re-read without it, and the need is gone from the build. With
    every page to read purged first (as a parallel read does), the stale copies are gone
    before any page is read, and the result is a clean build's.
    """
    needs_data = SphinxNeedsData(env)
    if needs_data.needs_is_post_processed or not docnames:
        return
    to_read = set(docnames)
    needs = needs_data.get_needs_mutable()
    # one pass over the needs, not one a page (SphinxNeedsData.remove_doc's cost);
    # sphinx-needs' own env-purge-doc still clears the rest of each page's data
    stale = [need_id for need_id, need in needs.items() if need.get("docname") in to_read]
    for need_id in stale:
        needs_data.remove_need(need_id)
