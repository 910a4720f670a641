"""Badges: an obligation's state and how far its facts were verified, a risk's level,
and which covers are suspect.

The state badge (``crmrisk-state-<state>``) is the build's assessment (the one
:class:`~sphinx_crmrisk.traceability.Traceability` the checks and views use), so a reader sees at a
glance that an obligation is covered, upcoming or a gap. The verification badge
replaces the raw ``verification`` value in the need's metadata: a reader sees in words,
in the build's language, whether a fact may be relied on. A suspect cover
(:mod:`sphinx_crmrisk.reviews`) is shown on both ends: on the obligation that changed and on the
clause or procedure to re-read.

An obligation's state depends on other pages (the clauses that cover it): the
incremental fingerprints include each need's neighbours, so its page is re-written
when a cover is added or removed elsewhere (:mod:`.incremental`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.nodes import Need

from ..kinds import RISK_SCALES, VERIFICATION_LEVELS, Kind
from ..model import RISK_LEVEL_LABELS, STATE_LABELS, Item, State, risk_score
from ..reviews import REVIEW_STATE_LABELS, Review, ReviewState, SuspectCover
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
    covering = {names.type(Kind.CLAUSE), names.type(Kind.PROCEDURE)}
    verification = names.field("verification")
    # the build's, made once (a dict of every obligation made on each page grew with
    # pages x obligations: benchmarks/README.md, growth)
    reviews = traceability.review_of
    states = traceability.assessment_of
    for node in found:
        need_id = node.get("refid", "")
        need = needs.get(need_id)
        if need is None:
            continue
        if need_id in suspects:
            node.insert(0, suspect_badge(need_id, suspects[need_id]))
        if need["type"] == risk:
            _add_level_badge(node, traceability.model.items.get(need_id))
            continue
        if need["type"] in covering:
            if need_id in reviews:
                review = reviews[need_id]
                badge = nodes.paragraph()
                badge += review_badge(review.state, review_label(review))
                node.insert(0, badge)
            continue
        if need["type"] != obligation:
            continue
        level = need.get(verification) or ""
        if level in texts:
            badge = nodes.paragraph(
                "", "", classes=["crmrisk-badge", f"crmrisk-verification-{level}"]
            )
            badge += nodes.inline("", texts[level])
            node.insert(0, badge)
        assessment = states.get(need_id)
        if assessment is not None:
            badge = nodes.paragraph()
            badge += state_badge(assessment.state, str(_("State: {state}")))
            node.insert(0, badge)


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
    if review.reviewed is not None:
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
