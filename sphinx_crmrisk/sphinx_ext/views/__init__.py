"""The site's views of the traceability: matrix, grid, coverage, gaps, reviews, risks,
watch list, evidence.

A view's directive records its options in a placeholder node when the page is read;
:func:`replace_placeholders` renders it when the page is written, from the build's one
traceability (the model needs the back-links that sphinx-needs resolves at the start of
the write phase). :data:`VIEWS` and :data:`NODES` are registered by the extension's
``setup()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..page_index import get_domain
from ..state import build_traceability
from .base import PlaceholderDirective, ViewContext
from .coverage import CoverageDirective, render_coverage
from .evidence import EvidenceDirective, render_evidence
from .gaps import GapsDirective, render_gaps
from .grid import GridDirective, render_grid
from .matrix import MatrixDirective, render_matrix
from .nodes import (
    AggregateNode,
    coverage_bar,
    data_row,
    depart_data_row,
    streamed_tbody,
    visit_coverage_bar,
    visit_data_row,
    visit_streamed_tbody,
)
from .reviews import ReviewsDirective, render_reviews
from .risks import RisksDirective, render_risks
from .watch import WatchDirective, render_watch

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx

Renderer = Callable[[ViewContext, AggregateNode], "list[nodes.Node]"]

#: Each view: its directive name, its directive, and the renderer of its placeholders.
VIEWS: Mapping[str, tuple[type[PlaceholderDirective], Renderer]] = {
    "crmrisk-matrix": (MatrixDirective, render_matrix),
    "crmrisk-grid": (GridDirective, render_grid),
    "crmrisk-coverage": (CoverageDirective, render_coverage),
    "crmrisk-gaps": (GapsDirective, render_gaps),
    "crmrisk-reviews": (ReviewsDirective, render_reviews),
    "crmrisk-risks": (RisksDirective, render_risks),
    "crmrisk-watch": (WatchDirective, render_watch),
    "crmrisk-evidence": (EvidenceDirective, render_evidence),
}

#: The nodes the views write, each with its HTML visitors (only HTML builders get
#: streamed rows: ``ViewContext.is_html``).
NODES: Mapping[type[Any], tuple[Callable[..., None], Callable[..., None] | None]] = {
    coverage_bar: (visit_coverage_bar, None),
    streamed_tbody: (visit_streamed_tbody, None),
    data_row: (visit_data_row, depart_data_row),
}

_RENDERERS = {directive.node_class: render for directive, render in VIEWS.values()}
#: Builders that write one page per document: the recorded pages say where views are.
_PAGE_BUILDERS = frozenset({"html", "dirhtml"})


def replace_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: one walk of the pages that hold views, none of the others."""
    if app.builder.name in _PAGE_BUILDERS and docname not in get_domain(app.env).aggregates:
        return
    placeholders = list(doctree.findall(AggregateNode))
    if not placeholders:
        return
    context = ViewContext(app, docname, build_traceability(app))
    for placeholder in placeholders:
        render = _RENDERERS.get(type(placeholder))
        if render is not None:
            placeholder.replace_self(render(context, placeholder))
