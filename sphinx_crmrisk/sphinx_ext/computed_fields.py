"""The states the build computes, written into the needs for sphinx-needs' own tools.

Each obligation's ``coverage_state`` (and, covered or upcoming, its ``proof_state``), each
active clause's and procedure's ``review_state``, each watch item's ``watch_state`` and
each evidence's ``evidence_state`` (:data:`~sphinx_crmrisk.kinds.COMPUTED_FIELDS`) are set
on the needs just before sphinx-needs seals
them (``needs-before-sealing``), from the build's one
:class:`~sphinx_crmrisk.traceability.Traceability`. So a ``needtable`` can show them as columns,
every sphinx-needs filter can select on them (``coverage_state == "uncovered"``), and
needs.json carries them. In a ``needtable`` cell the value is drawn as the same badge
as on the item's own page (:func:`badge_table_cells`).

The fields are set after the environment is pickled, so the next build never reads a
stale state: it computes them again from that build's needs. An author's own value
(a ``:coverage_state:`` option, a ``needextend``) is replaced, with a ``crmrisk.computed_field``
warning at the item; an imported need's (a ``needimport`` of a needs.json another build
wrote) is replaced silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes

from ..evidence import EvidenceState, ProofState
from ..kinds import COMPUTED_FIELDS
from ..model import State
from ..reviews import ReviewState
from ..watch import WatchState
from .badges import evidence_state_badge, proof_badge, review_badge, state_badge, watch_badge
from .build_warnings import location_of, log_warning
from .page_index import get_domain
from .state import build_state, build_traceability, is_enabled

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

    from sphinx.application import Sphinx

#: After sphinx-needs has made its tables (``process_creator``, priority 500).
TABLE_BADGE_PRIORITY = 550


def set_computed_fields(app: Sphinx, needs: MutableMapping[str, Any]) -> None:
    """``needs-before-sealing``: each item's state, as this build assesses it."""
    state = build_state(app)
    if not state.enabled:
        return
    names = state.settings.names
    traceability = build_traceability(app, needs)
    values: dict[str, dict[str, str | None]] = {}
    for assessment in traceability.assessments:
        values.setdefault(assessment.obligation.id, {})["coverage_state"] = assessment.state.value
    for obligation_id, proof in traceability.proofs.items():
        values.setdefault(obligation_id, {})["proof_state"] = proof.state.value
    for review in traceability.reviews:
        values.setdefault(review.item.id, {})["review_state"] = review.state.value
    for watch in traceability.watches:
        values.setdefault(watch.item.id, {})["watch_state"] = watch.state.value
    for evidence in traceability.evidence:
        values.setdefault(evidence.item.id, {})["evidence_state"] = evidence.state.value
    # each need this extension set fields on, with the values it set: a second build of
    # the same application (a test suite, a live-preview server) keeps in memory the
    # needs of the pages it does not read again, with the values the first build set:
    # those are ours, not an author's. One flat tuple a need, (need, key, value, key,
    # value...): kept through the writing of the pages, where a dict a need held 0.3 MiB
    # more at 2,000 needs
    before = state.computed
    now: dict[str, tuple[Any, ...]] = {}
    for item in traceability.model.items.values():
        if item.kind is None:
            continue
        need = needs[item.id]
        computed = values.get(item.id, {})
        record = before.get(item.id)
        ours = record[1:] if record is not None and record[0] is need else ()
        set_here: list[Any] = []
        for name in COMPUTED_FIELDS:
            key = names.field(name)
            written = need.get(key)
            # an imported need's value is another build's output (a needs.json written
            # by sphinx-crmrisk), not an author's: replaced without a word
            if written and _value_set(ours, key) != written and not need.get("is_import"):
                log_warning(
                    app,
                    "computed_field",
                    f"{item.id}: '{key}' is set by the build, not written: "
                    f"'{written}' is replaced by its own value; remove it",
                    location_of(item, app),
                )
            if name in computed or written:
                value = computed.get(name)
                need[key] = value
                set_here += (key, value)
        if set_here:
            now[item.id] = (need, *set_here)
    state.computed = now


def _value_set(pairs: tuple[Any, ...], key: str) -> Any:
    """The value set under ``key`` in ``pairs`` (key, value, key, value...), else None."""
    for at in range(0, len(pairs), 2):
        if pairs[at] == key:
            return pairs[at + 1]
    return None


def badge_table_cells(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: a ``needtable``'s state cells drawn as badges.

    Only on the pages that hold a sphinx-needs table or view (recorded when read), so
    the other pages cost no walk.
    """
    if not is_enabled(app) or docname not in get_domain(app.env).aggregates:
        return
    names = build_state(app).settings.names
    makers: dict[str, Callable[[str], nodes.inline | None]] = {
        f"needs_{names.field('coverage_state')}": _maker(State, state_badge),
        f"needs_{names.field('review_state')}": _maker(ReviewState, review_badge),
        f"needs_{names.field('watch_state')}": _maker(WatchState, watch_badge),
        f"needs_{names.field('proof_state')}": _maker(ProofState, proof_badge),
        f"needs_{names.field('evidence_state')}": _maker(EvidenceState, evidence_state_badge),
    }
    for entry in doctree.findall(nodes.entry):
        make = next((makers[c] for c in entry["classes"] if c in makers), None)
        if make is None:
            continue
        badge = make(entry.astext().strip())
        if badge is not None:
            del entry[:]
            paragraph = nodes.paragraph()
            paragraph += badge
            entry += paragraph


def _maker(
    enum: type[State | ReviewState | WatchState | ProofState | EvidenceState],
    badge: Callable[[Any], nodes.inline],
) -> Callable[[str], nodes.inline | None]:
    by_code = {member.value: member for member in enum}

    def make(code: str) -> nodes.inline | None:
        return badge(by_code[code]) if code in by_code else None

    return make
