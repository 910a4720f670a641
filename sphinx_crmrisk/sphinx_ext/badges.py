"""Badges: an obligation's state and how far its facts were verified, a risk's level,
which covers are suspect, a watch item's state and the obligations it will change.

The state badge (``crmrisk-state-<state>``) is the build's assessment (the one
:class:`~sphinx_crmrisk.traceability.Traceability` the checks and views use), so a reader sees at a
glance that an obligation is covered, upcoming or a gap. The verification badge
replaces the raw ``verification`` value in the need's metadata: a reader sees in words,
in the build's language, whether a fact may be relied on. A suspect cover
(:mod:`sphinx_crmrisk.reviews`) is shown on both ends: on the obligation that changed and on the
clause or procedure to re-read.

A watch item (:mod:`sphinx_crmrisk.watch`) shows its state and expected date, and each
obligation that an open watch item affects shows « expected change », naming the item
and its date, with a link to it.

The proof (:mod:`sphinx_crmrisk.evidence`) is shown on three kinds of pages: an
obligation's proof badge lists the evidence of the items that cover it, each with its
state; a clause's or procedure's lists its own evidence; an evidence's says its state,
its dates and its last approval.

An obligation's state depends on other pages (the clauses that cover it, the watch
items that affect it): the incremental fingerprints include each need's neighbours and
what its badges show of them, so its page is re-written when a cover is added or
removed elsewhere, or a watch item changes (:mod:`.incremental`); what it shows of
evidence, two links away, enters its fingerprint as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.errors import NoUri
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.nodes import Need

from ..evidence import (
    EVIDENCE_STATE_LABELS,
    PROOF_LABELS,
    EvidenceAssessment,
    EvidenceState,
    Proof,
    ProofState,
)
from ..kinds import RISK_SCALES, VERIFICATION_LEVELS, Kind
from ..model import RISK_LEVEL_LABELS, STATE_LABELS, Item, State, risk_score
from ..reviews import REVIEW_STATE_LABELS, Approval, Review, ReviewState, SuspectCover
from ..watch import WATCH_STATE_LABELS, Watch, WatchState, expected_changes
from .i18n import _
from .state import build_state, build_traceability, is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def badge_texts() -> dict[str, str]:
    """Each verification level's badge sentence, in the build's language."""
    return {level: str(_(text)) for level, text in VERIFICATION_LEVELS.items()}


#: Before sphinx-needs lays the need out (``process_need_nodes``, priority 500), so the
#: badge sits at the top of the need's content, as if the author had written it there.
BADGE_PRIORITY = 450


def add_badges(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each need's badges go into the page being written.

    Not at ``doctree-read``: Sphinx keeps every read doctree in memory until its page is
    written, so badges added there stayed in memory for all pages at once (3.6 MiB at
    5,000 needs, benchmarks/README.md); here each lives only while its page is written.
    """
    if not is_enabled(app):
        return
    found = list(doctree.findall(Need))
    if not found:
        return
    needs = SphinxNeedsData(app.env).get_needs_view()
    texts = badge_texts()
    traceability = build_traceability(app)
    suspects = traceability.suspects
    names = build_state(app).settings.names
    obligation, risk = names.type(Kind.OBLIGATION), names.type(Kind.RISK)
    watch = names.type(Kind.WATCH)
    covering = {names.type(Kind.CLAUSE), names.type(Kind.PROCEDURE)}
    evidence_type = names.type(Kind.EVIDENCE)
    verification = names.field("verification")
    # the build's, made once (a dict of every obligation made on each page grew with
    # pages x obligations: benchmarks/README.md, growth)
    reviews = traceability.review_of
    states = traceability.assessment_of
    watches = evidence = None
    changes = expected_changes(traceability.watches)
    linker = _Linker(app, docname)
    for node in found:
        need_id = node.get("refid", "")
        need = needs.get(need_id)
        if need is None:
            continue
        if need_id in suspects:
            node.insert(0, suspect_badge(need_id, suspects[need_id]))
        if need_id in changes:
            node.insert(0, expected_change_badge(changes[need_id], linker))
        if need["type"] == watch:
            if watches is None:
                watches = {w.item.id: w for w in traceability.watches}
            _add_verification_badge(node, need.get(verification) or "", texts)
            if need_id in watches:
                badge = nodes.paragraph()
                badge += watch_badge(watches[need_id].state, watch_label(watches[need_id]))
                node.insert(0, badge)
            continue
        if need["type"] == risk:
            _add_level_badge(node, traceability.model.items.get(need_id))
            continue
        if need["type"] == evidence_type:
            if evidence is None:
                evidence = {e.item.id: e for e in traceability.evidence}
            if need_id in evidence:
                badge = nodes.paragraph()
                badge += evidence_state_badge(
                    evidence[need_id].state, evidence_label(evidence[need_id])
                )
                node.insert(0, badge)
            continue
        if need["type"] in covering:
            if traceability.has_evidence:
                proving = traceability.evidence_of_items.get(need_id, [])
                node.insert(0, evidence_list_badge(proving, linker))
            if need_id in reviews:
                review = reviews[need_id]
                badge = nodes.paragraph()
                badge += review_badge(review.state, review_label(review))
                node.insert(0, badge)
            continue
        if need["type"] != obligation:
            continue
        _add_verification_badge(node, need.get(verification) or "", texts)
        proof = traceability.proofs.get(need_id)
        if proof is not None and (
            traceability.has_evidence or traceability.settings.require_evidence
        ):
            node.insert(0, obligation_proof_badge(proof, linker))
        assessment = states.get(need_id)
        if assessment is not None:
            badge = nodes.paragraph()
            badge += state_badge(assessment.state, str(_("State: {state}")))
            node.insert(0, badge)


def item_link(
    app: Sphinx, docname: str, item: Item, text: str | None = None, id_class: bool = False
) -> nodes.Node:
    """A link from page ``docname`` to the item's anchor, reading ``text`` or its ID, or
    plain text where the builder has no page for it. ``id_class``: the ID is one word,
    never broken at its hyphens (``crmrisk-id``, crmrisk-views.css)."""
    label = nodes.Text(item.id if text is None else text)
    if item.docname is None:
        return label
    try:
        uri = app.builder.get_relative_uri(docname, item.docname)
    except NoUri:
        return label
    classes = ["crmrisk-id"] if id_class and text is None else []
    return nodes.reference(
        "",
        "",
        label,
        refuri=f"{uri}#{item.id}",
        internal=True,
        reftitle=item.title,
        classes=classes,
    )


class _Linker:
    """Links from the page being written to an item's anchor, by its ID."""

    def __init__(self, app: Sphinx, docname: str) -> None:
        self.app = app
        self.docname = docname

    def __call__(self, item: Item) -> nodes.Node:
        return item_link(self.app, self.docname, item)


def proof_badge(state: ProofState, label: str | None = None) -> nodes.inline:
    """An obligation's proof (``crmrisk-proof-<state>``); ``label``: the whole text, else
    the state's name."""
    text = str(_(PROOF_LABELS[state])) if label is None else label
    return nodes.inline(
        "", text, classes=["crmrisk-badge", "crmrisk-proof", f"crmrisk-proof-{state.value}"]
    )


def evidence_state_badge(state: EvidenceState, label: str | None = None) -> nodes.inline:
    """An evidence's state (``crmrisk-evidence-<state>``); ``label``: the whole text."""
    text = str(_(EVIDENCE_STATE_LABELS[state])) if label is None else label
    return nodes.inline(
        "",
        text,
        classes=["crmrisk-badge", "crmrisk-evidence", f"crmrisk-evidence-{state.value}"],
    )


def approval_text(approval: Approval | None) -> str:
    """« revu le 2026-06-01 par Marie Dupont, DPO », or without a name; "" without one."""
    if approval is None:
        return ""
    if approval.by:
        return str(_("reviewed on {date} by {name}")).format(date=approval.date, name=approval.by)
    return str(_("reviewed on {date}")).format(date=approval.date)


def evidence_label(evidence: EvidenceAssessment) -> str:
    """« Preuve : valide — établie le 2026-01-15, valable jusqu'au 2027-01-15, revue le
    2026-02-01 par Marie Dupont, DPO »."""
    label = str(_("Evidence: {state}")).format(state=str(_(EVIDENCE_STATE_LABELS[evidence.state])))
    details = []
    if evidence.item.field("dated"):
        details.append(str(_("dated {date}")).format(date=evidence.item.field("dated")))
    if evidence.item.field("valid_until"):
        details.append(str(_("valid until {date}")).format(date=evidence.item.field("valid_until")))
    else:
        details.append(str(_("no expiry")))
    if evidence.approval is not None:
        details.append(approval_text(evidence.approval))
    elif evidence.is_file:
        details.append(str(_("never approved")))
    return f"{label} — {', '.join(details)}"


def _evidence_entries(
    evidence: list[EvidenceAssessment] | tuple[EvidenceAssessment, ...], link: _Linker
) -> list[nodes.Node]:
    """``EVD-1 (valide), EVD-2 (expirée)``, each linked, each state a badge's colour."""
    result: list[nodes.Node] = []
    for entry in evidence:
        if result:
            result.append(nodes.Text(", "))
        result.append(link(entry.item))
        result.append(nodes.Text(" "))
        result.append(evidence_state_badge(entry.state))
    return result


def obligation_proof_badge(proof: Proof, link: _Linker) -> nodes.paragraph:
    """« Preuve : prouvée — EVD-1 (valide), EVD-2 (expirée) » on an obligation."""
    badge = nodes.paragraph("", "", classes=["crmrisk-proof-line"])
    badge += proof_badge(
        proof.state, str(_("Proof: {state}")).format(state=str(_(PROOF_LABELS[proof.state])))
    )
    if proof.evidence:
        badge += nodes.Text(" — ")
        badge.extend(_evidence_entries(proof.evidence, link))
    return badge


def evidence_list_badge(evidence: list[EvidenceAssessment], link: _Linker) -> nodes.paragraph:
    """« Preuves : EVD-1 (valide) » on a clause or procedure, « Preuves : aucune »."""
    badge = nodes.paragraph("", "", classes=["crmrisk-proof-line"])
    if not evidence:
        badge += proof_badge(ProofState.UNPROVEN, str(_("Evidence: none")))
        return badge
    badge += nodes.inline("", str(_("Evidence:")) + " ", classes=["crmrisk-proof-head"])
    badge.extend(_evidence_entries(evidence, link))
    return badge


def _add_verification_badge(node: Need, level: str, texts: dict[str, str]) -> None:
    """How far the item's facts were verified, in words (``crmrisk-verification-<level>``)."""
    if level in texts:
        badge = nodes.paragraph("", "", classes=["crmrisk-badge", f"crmrisk-verification-{level}"])
        badge += nodes.inline("", texts[level])
        node.insert(0, badge)


def watch_badge(state: WatchState, label: str | None = None) -> nodes.inline:
    """A watch item's state (``crmrisk-watch-<state>``); ``label``: the whole text, else
    the state's name."""
    text = str(_(WATCH_STATE_LABELS[state])) if label is None else label
    return nodes.inline(
        "", text, classes=["crmrisk-badge", "crmrisk-watch", f"crmrisk-watch-{state.value}"]
    )


def watch_label(watch: Watch) -> str:
    """« Veille : en retard — attendue le 2026-12-02 »: the ``expected`` field is read
    here, not as a layout line."""
    label = str(_("Watch: {state}")).format(state=str(_(WATCH_STATE_LABELS[watch.state])))
    if watch.expected is None:
        return label
    return f"{label} — " + str(_("expected {date}")).format(date=watch.expected.isoformat())


def expected_change_badge(watches: list[Watch], link: _Linker) -> nodes.paragraph:
    """« Évolution attendue : VEI-X (attendue le 2027-01-01) » on an obligation that open
    watch items affect, each linked to its page (``crmrisk-expected-change``)."""
    overdue = any(w.state is WatchState.OVERDUE for w in watches)
    classes = ["crmrisk-badge", "crmrisk-expected-change"]
    if overdue:
        classes.append("crmrisk-expected-change-overdue")
    badge = nodes.paragraph("", "", classes=classes)
    badge += nodes.inline("", str(_("Expected change:")) + " ")
    for position, watch in enumerate(watches):
        if position:
            badge += nodes.Text(", ")
        badge += link(watch.item)
        if watch.expected is not None:
            when = _("expected {date}").format(date=watch.expected.isoformat())
        else:
            when = _("no date")
        if watch.state is WatchState.OVERDUE:
            when = f"{when}, {_(WATCH_STATE_LABELS[WatchState.OVERDUE])}"
        badge += nodes.Text(" ")
        badge += nodes.inline("", f"({when})", classes=["crmrisk-expected-when"])
    return badge


def state_badge(state: State, template: str = "{state}") -> nodes.inline:
    """An obligation's state, labelled in the build's language (``crmrisk-state-<state>``),
    on its page and in sphinx-needs' tables (:mod:`.computed_fields`)."""
    label = template.format(state=str(_(STATE_LABELS[state])))
    return nodes.inline(
        "", label, classes=["crmrisk-badge", "crmrisk-state", f"crmrisk-state-{state.value}"]
    )


def review_badge(state: ReviewState, label: str | None = None) -> nodes.inline:
    """A clause's or procedure's review state (``crmrisk-review-<state>``); ``label``:
    the whole text, else the state's name."""
    text = str(_(REVIEW_STATE_LABELS[state])) if label is None else label
    return nodes.inline(
        "", text, classes=["crmrisk-badge", "crmrisk-review", f"crmrisk-review-{state.value}"]
    )


def review_label(review: Review) -> str:
    """« Revue : à jour — dernière revue le 2026-06-01, prochaine avant le 2027-06-01 »:
    the review fields (``reviewed``, ``review_every``) are read here, not as layout lines
    (each line costs every need of the kind, benchmarks/README.md)."""
    label = str(_("Review: {state}")).format(state=str(_(REVIEW_STATE_LABELS[review.state])))
    details = []
    if review.reviewed is not None and review.reviewed_by:
        details.append(
            str(_("reviewed on {date} by {name}")).format(
                date=review.reviewed.isoformat(), name=review.reviewed_by
            )
        )
    elif review.reviewed is not None:
        details.append(str(_("last reviewed {date}")).format(date=review.reviewed.isoformat()))
    if review.due is not None:
        due = _("due since {date}") if review.state is ReviewState.OVERDUE else _("next by {date}")
        details.append(str(due).format(date=review.due.isoformat()))
    return f"{label} — {', '.join(details)}" if details else label


def _add_level_badge(node: Need, item: Item | None) -> None:
    """A scored risk's level, as on the heat map (``crmrisk-level-<level>``), with the two
    scores it comes from (not as layout lines, like the review fields)."""
    score = None if item is None else risk_score(item)
    if score is None:
        return
    label = str(_("Level: {level}")).format(level=str(_(RISK_LEVEL_LABELS[score.level])))
    scores = _(
        "severity {severity} ({severity_label}), likelihood {likelihood} ({likelihood_label})"
    )
    label += " — " + str(scores).format(
        severity=score.severity,
        severity_label=str(_(RISK_SCALES["severity"][score.severity])).lower(),
        likelihood=score.likelihood,
        likelihood_label=str(_(RISK_SCALES["likelihood"][score.likelihood])).lower(),
    )
    badge = nodes.paragraph(
        "", "", classes=["crmrisk-badge", "crmrisk-level", f"crmrisk-level-{score.level.value}"]
    )
    badge += nodes.inline("", label)
    node.insert(0, badge)


def suspect_badge(need_id: str, suspects: list[SuspectCover]) -> nodes.paragraph:
    """ "Suspect cover: ..." on the obligation, and on the item that covers it."""
    badge = nodes.paragraph("", "", classes=["crmrisk-badge", "crmrisk-suspect"])
    for position, suspect in enumerate(suspects):
        if position:
            badge += nodes.Text(" ")
        changed = ", ".join(suspect.changed)
        if suspect.obligation.id == need_id:
            text = _(
                "Suspect cover: {item} was reviewed before this obligation's {fields} changed."
            ).format(item=suspect.item.id, fields=changed)
        else:
            text = _(
                "Suspect cover: {obligation} changed ({fields}) since this item was last "
                "reviewed against it."
            ).format(obligation=suspect.obligation.id, fields=changed)
        badge += nodes.inline("", str(text))
    return badge
