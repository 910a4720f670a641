"""Badges on every obligation: its state, and how far its facts were verified.

The state badge (``crmrisk-state-<state>``) is the build's assessment (the one
:class:`~.traceability.Traceability` the checks and views use), so a reader sees at a
glance that an obligation is covered, upcoming or a gap. The verification badge
replaces the raw ``verification`` value in the need's metadata: a reader sees in words,
in the build's language, whether a fact may be relied on.

An obligation's state depends on other pages (the clauses that cover it): the
incremental fingerprints include each need's neighbours, so its page is re-written
when a cover is added or removed elsewhere (:mod:`.incremental`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.nodes import Need

from .build_traceability import build_traceability
from .i18n import _
from .model import RISK_LEVEL_LABELS, STATE_LABELS, Kind, item_from_need, risk_score

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def badge_texts() -> dict[str, str]:
    return {
        "verified": str(_("Verified: the facts below were checked in the sources cited.")),
        "partial": str(
            _("Partly verified: some facts below still have to be confirmed in the official text.")
        ),
        "unverified": str(
            _("Not verified: the facts below have not been confirmed in an official source.")
        ),
    }


#: Before sphinx-needs lays the need out (``process_need_nodes``, priority 500), so the
#: badge sits at the top of the need's content, as if the author had written it there.
BADGE_PRIORITY = 450


def add_verification_badges(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the badge goes into the page being written.

    Not at ``doctree-read``: Sphinx keeps every read doctree in memory until its page is
    written, so badges added there stayed in memory for all pages at once (3.6 MiB at
    5,000 needs, benchmarks/README.md); here each lives only while its page is written.
    """
    found = list(doctree.findall(Need))
    if not found:
        return
    needs = SphinxNeedsData(app.env).get_needs_view()
    texts = badge_texts()
    states = None
    for node in found:
        need = needs.get(node.get("refid", ""))
        if need is not None and need["type"] == Kind.RISK.value:
            _add_level_badge(node, need)
            continue
        if need is None or need["type"] != Kind.OBLIGATION.value:
            continue
        level = need.get("verification") or ""
        if level in texts:
            badge = nodes.paragraph(
                "", "", classes=["crmrisk-badge", f"crmrisk-verification-{level}"]
            )
            badge += nodes.inline("", texts[level])
            node.insert(0, badge)
        if states is None:
            states = {a.obligation.id: a.state for a in build_traceability(app).assessments}
        state = states.get(need["id"])
        if state is not None:
            label = str(_("State: {state}")).format(state=str(_(STATE_LABELS[state])))
            badge = nodes.paragraph(
                "", "", classes=["crmrisk-badge", "crmrisk-state", f"crmrisk-state-{state.value}"]
            )
            badge += nodes.inline("", label)
            node.insert(0, badge)


def _add_level_badge(node: Need, need: dict) -> None:
    """A scored risk's level, as on the heat map (``crmrisk-level-<level>``)."""
    score = risk_score(item_from_need(need))
    if score is None:
        return
    label = str(_("Level: {level}")).format(level=str(_(RISK_LEVEL_LABELS[score.level])))
    badge = nodes.paragraph(
        "", "", classes=["crmrisk-badge", "crmrisk-level", f"crmrisk-level-{score.level.value}"]
    )
    badge += nodes.inline("", label)
    node.insert(0, badge)
