"""The site's views of the traceability model: matrix, grid, coverage, gaps and risks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import setup_placeholders
from .coverage import setup_coverage
from .gaps import setup_gaps
from .grid import setup_grid
from .matrix import setup_matrix
from .risks import setup_risks

if TYPE_CHECKING:
    from sphinx.application import Sphinx

STYLESHEET = "crmrisk-views.css"
#: The matrix's filter box and sortable columns (HTML builds only).
SCRIPT = "crmrisk-matrix.js"


def setup_views(app: Sphinx) -> None:
    setup_matrix(app)
    setup_grid(app)
    setup_coverage(app)
    setup_gaps(app)
    setup_risks(app)
    setup_placeholders(app)
    # the file sits in sphinx_crmrisk/static/, which setup() adds to html_static_path
    app.add_css_file(STYLESHEET)
    app.connect("builder-inited", _add_script)


def _add_script(app: Sphinx) -> None:
    if app.builder.format == "html":
        app.add_js_file(SCRIPT, defer="defer")
