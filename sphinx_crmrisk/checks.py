"""Turns the model's findings and coverage gaps into located build warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.util import logging

from .collect import build_model
from .config import get_config
from .model import State, find_problems, uncovered_message
from .warnings_ import location_of, log_warning

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger("sphinx_crmrisk")


def check_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: runs on every build, no-change rebuilds included."""
    if exception is not None:
        return
    config = get_config(app)
    model, assessments = build_model(app)
    for finding in find_problems(model, config.required_fields):
        log_warning(app, finding.subtype, finding.message, location_of(finding.item))  # type: ignore[arg-type]
    for assessment in assessments:
        if assessment.state is not State.UNCOVERED:
            continue
        message = uncovered_message(assessment)
        if config.fail_on_uncovered:
            log_warning(app, "uncovered", message, location_of(assessment.obligation))
        else:
            logger.info(
                "%s: %s [crmrisk.uncovered]",
                assessment.obligation.location,
                message,
            )
