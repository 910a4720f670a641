"""The site's views of the traceability model: matrix, coverage summary, gaps, reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import setup_placeholders
from .coverage import setup_coverage
from .gaps import setup_gaps
from .matrix import setup_matrix
from .reviews import setup_reviews

if TYPE_CHECKING:
    from sphinx.application import Sphinx

def setup_views(app: Sphinx) -> None:
    setup_matrix(app)
    setup_coverage(app)
    setup_gaps(app)
    setup_reviews(app)
    setup_placeholders(app)
    # the stylesheet (crmrisk-views.css) is added with the need types, only when the
    # project has crmrisk items (needs_schema.register_needs_schema)
