"""Turns the build's findings and coverage gaps into located build warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.util import logging

from .build_traceability import build_traceability
from .config import get_config, is_enabled
from .model import uncovered_message
from .warnings_ import location_of, log_warning

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger("sphinx_crmrisk")


def check_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: runs on every build, no-change rebuilds included."""
    if exception is not None or not is_enabled(app):
        return
    traceability = build_traceability(app)
    for finding in traceability.findings:
        log_warning(app, finding.subtype, finding.message, location_of(finding.item, app))  # type: ignore[arg-type]
    fail = get_config(app).fail_on_uncovered
    for assessment in traceability.gaps:
        message = uncovered_message(assessment)
        if fail:
            log_warning(app, "uncovered", message, location_of(assessment.obligation, app))
        else:
            logger.info("%s: %s [crmrisk.uncovered]", assessment.obligation.location, message)
