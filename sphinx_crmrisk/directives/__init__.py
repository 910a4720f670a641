"""The site's views of the traceability model: matrix, coverage summary and gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import setup_views
from .coverage import setup_coverage
from .gaps import setup_gaps
from .matrix import setup_matrix

if TYPE_CHECKING:
    from sphinx.application import Sphinx

STYLESHEET = "crmrisk-views.css"


def setup_directives(app: Sphinx) -> None:
    setup_matrix(app)
    setup_coverage(app)
    setup_gaps(app)
    setup_views(app)
    # the file sits in sphinx_crmrisk/static/, which setup() adds to html_static_path
    app.add_css_file(STYLESHEET)
