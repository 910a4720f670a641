"""A badge on every obligation saying how far its facts were verified.

The badge replaces the raw ``verification`` value in the need's metadata: a reader sees
in words, in the build's language, whether a fact may be relied on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.nodes import Need

from .config import get_config, is_enabled
from .i18n import _
from .model import Kind

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
    if not is_enabled(app):
        return
    needs = SphinxNeedsData(app.env).get_needs_view()
    texts = badge_texts()
    names = get_config(app).names
    obligation, verification = names.type(Kind.OBLIGATION), names.field("verification")
    for node in doctree.findall(Need):
        need = needs.get(node.get("refid", ""))
        if need is None or need["type"] != obligation:
            continue
        level = need.get(verification) or ""
        if level not in texts:
            continue
        badge = nodes.paragraph(
            "", "", classes=["crmrisk-badge", f"crmrisk-verification-{level}"]
        )
        badge += nodes.inline("", texts[level])
        node.insert(0, badge)
