"""The build's warnings: the one helper that logs them, and the check that reports the
build's findings and coverage gaps, each located at its item's ``file:line``.

The subtypes and their descriptions are declared in :mod:`sphinx_crmrisk.warning_types`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

from ..warning_types import WARNING_TYPE, WarningSubtype
from .state import build_state, build_traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.docutils import SphinxDirective

    from ..model import Item

logger = logging.getLogger("sphinx_crmrisk")

#: A warning's location: a page and its line, or a text ``path:line``.
Location = tuple[str, int | None] | str | None


def location_of(item: Item, app: Sphinx) -> Location:
    """Where a warning about ``item`` points: its page and line, or the included file
    it is written in (a text ``path:line``, which Sphinx prints as it is)."""
    if item.fields.get("source_file"):
        return f"{Path(app.srcdir) / item.fields['source_file']}:{item.lineno or ''}"
    return (item.docname, item.lineno) if item.docname else None


def log_warning(
    app: Sphinx | SphinxDirective,
    subtype: WarningSubtype,
    message: str,
    location: Location = None,
) -> None:
    """Logs a located warning; Sphinx 7.4 does not print the type, so it is added.

    ``app``: the application, or a directive (Sphinx 9 deprecates ``env.app``): only
    its ``config`` is read.
    """
    if not app.config.show_warning_types:
        message = f"{message} [{WARNING_TYPE}.{subtype}]"
    logger.warning(message, type=WARNING_TYPE, subtype=subtype, location=location)


def check_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the findings, then the gaps, on every build (no-change
    rebuilds included)."""
    state = build_state(app)
    if exception is not None or not state.enabled:
        return
    traceability = build_traceability(app)
    for finding in traceability.findings:
        log_warning(app, finding.subtype, finding.text, location_of(finding.located_at, app))
    # each gap where the organization acts on it; a catalogue's, grouped at its import
    for gap in traceability.gap_findings:
        if state.settings.fail_on_uncovered:
            log_warning(app, "uncovered", gap.text, location_of(gap.located_at, app))
        else:
            first, *details = gap.text.split("\n")
            logger.info(
                "%s",
                "\n".join([f"{gap.located_at.location}: {first} [crmrisk.uncovered]", *details]),
            )
