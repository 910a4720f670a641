"""The traceability model of the running build, computed once per build."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_needs.data import SphinxNeedsData

from .config import get_config
from .model import Assessment, Model, assess_all

if TYPE_CHECKING:
    from sphinx.application import Sphinx

_CACHE_ATTR = "_crmrisk_build_model"


def build_model(app: Sphinx) -> tuple[Model, list[Assessment]]:
    """The model and assessments from the resolved needs (write phase and later).

    Cached on the application, never on the environment: the environment is pickled
    before the write phase, and the next build must not see this one's model.
    """
    cached = getattr(app, _CACHE_ATTR, None)
    if cached is None:
        config = get_config(app)
        model = Model.from_needs(SphinxNeedsData(app.env).get_needs_view())
        cached = (model, assess_all(model, config.reference_date, config.inactive_statuses))
        setattr(app, _CACHE_ATTR, cached)
    return cached
