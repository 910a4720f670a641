"""The site's views of the traceability model: matrix, grid, coverage, gaps, reviews, risks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import setup_placeholders
from .coverage import setup_coverage
from .gaps import setup_gaps
from .grid import setup_grid
from .matrix import setup_matrix
from .reviews import setup_reviews
from .risks import setup_risks

if TYPE_CHECKING:
    from sphinx.application import Sphinx

def setup_views(app: Sphinx) -> None:
    setup_matrix(app)
    setup_grid(app)
    setup_coverage(app)
    setup_gaps(app)
    setup_reviews(app)
    setup_risks(app)
    setup_placeholders(app)
    # the stylesheets and the matrix's script are added with the need types, only when
    # the project has crmrisk items (needs_schema.register_needs_schema)
