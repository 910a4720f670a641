"""What the three views share: placeholder directives, the resolve step, labels, links.

A view's directive only records its options in a placeholder node at read time: the
model needs the back-links that sphinx-needs resolves at the start of the write phase.
At ``doctree-resolved`` the placeholder is replaced by nodes rendered from
:mod:`sphinx_crmrisk.model` (never a second copy of the coverage rule). Placeholders
subclass :class:`~sphinx_crmrisk.incremental.AggregateNode`, so an incremental build
re-writes their pages whenever a need changes.

Text from the sources only ever goes into docutils ``Text`` nodes, which every writer
escapes; no raw markup is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, Union

from docutils import nodes
from sphinx.errors import NoUri
from sphinx.util.docutils import SphinxDirective

from ..collect import build_model
from ..i18n import _
from ..incremental import AggregateNode, CrmriskDomain
from ..model import Assessment, Item, Kind, Model, State
from ..warnings_ import log_warning

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator


def state_labels() -> dict[State, str]:
    """The state of one obligation, as the reader sees it."""
    return {
        State.COVERED: str(_("covered")),
        State.JUSTIFIED: str(_("justified")),
        State.UPCOMING: str(_("upcoming")),
        State.LAPSED: str(_("lapsed")),
        State.UNCOVERED: str(_("uncovered")),
    }


def parse_states(argument: str | None) -> tuple[State, ...]:
    """Option converter: ``covered, uncovered`` -> states; docutils reports a ValueError."""
    names = [part.strip() for part in (argument or "").split(",") if part.strip()]
    if not names:
        raise ValueError("expected a comma-separated list of states")
    try:
        return tuple(State(name) for name in names)
    except ValueError:
        allowed = ", ".join(state.value for state in State)
        raise ValueError(f"states must be among: {allowed}; got {argument!r}") from None


class PlaceholderDirective(SphinxDirective):
    """Returns one placeholder node holding the directive's options."""

    node_class: ClassVar[type[AggregateNode]]
    has_content = False

    def run(self) -> list[nodes.Node]:
        node = self.node_class()
        node["options"] = dict(self.options)
        self.set_source_info(node)
        return [node]


@dataclass
class ViewContext:
    """What a view renders from: the build's model, and the page it goes on."""

    app: Sphinx
    docname: str
    model: Model
    assessments: list[Assessment]

    @property
    def is_html(self) -> bool:
        return self.app.builder.format == "html"

    def table(
        self,
        headers: Sequence[str],
        records: Sequence[Record],
        cells: Callable[[Record], Sequence[Cell]],
        classes: Sequence[str],
        widths: Sequence[int] | None = None,
    ) -> nodes.table:
        """:func:`table`, its rows streamed on HTML pages."""
        return table(headers, records, cells, classes, widths, stream=self.is_html)

    def link(self, item: Item, text: str | None = None) -> nodes.Node:
        """A link to the need's anchor (its ID), or plain text when it has no page."""
        label = nodes.Text(item.id if text is None else text)
        if item.docname is None:
            return label
        try:
            uri = self.app.builder.get_relative_uri(self.docname, item.docname)
        except NoUri:
            return label
        return nodes.reference(
            "", "", label, refuri=f"{uri}#{item.id}", internal=True, reftitle=item.title
        )

    def links(self, items: Iterable[Item]) -> list[nodes.Node]:
        """Links separated by commas."""
        result: list[nodes.Node] = []
        for item in items:
            if result:
                result.append(nodes.Text(", "))
            result.append(self.link(item))
        return result

    def in_phase(self, node: AggregateNode) -> list[Assessment]:
        """The assessments of the obligations of the node's ``:phase:`` (all without).

        A ``:phase:`` that names no phase is a warning at the directive.
        """
        phase_id = node["options"].get("phase")
        if not phase_id:
            return self.assessments
        phase = self.model.items.get(phase_id)
        if phase is None or phase.kind is not Kind.PHASE:
            self._warn_unknown_phase(node, phase_id)
        return [a for a in self.assessments if phase_id in a.obligation.linked("phase")]

    def _warn_unknown_phase(self, node: AggregateNode, phase_id: str) -> None:
        known = ", ".join(item.id for item in self.model.of_kind(Kind.PHASE)) or "none"
        log_warning(
            self.app,
            "bad_value",
            f"{phase_id!r} given to :phase: is not a phase ID (phases: {known})",
            (self.docname, node.line),
        )


Cell = Union[nodes.Node, str, Sequence[nodes.Node]]
Record = TypeVar("Record")


def table(
    headers: Sequence[str],
    records: Sequence[Record],
    cells: Callable[[Record], Sequence[Cell]],
    classes: Sequence[str],
    widths: Sequence[int] | None = None,
    *,
    stream: bool = False,
) -> nodes.table:
    """A docutils table of one row per record; a cell is a string, a node or inline nodes.

    With ``stream`` (HTML builders), the rows are made as the page is written: see
    :class:`streamed_tbody`.
    """
    table_node = nodes.table("", classes=["crmrisk-table", *classes])
    group = nodes.tgroup("", cols=len(headers))
    table_node += group
    for width in widths or [1] * len(headers):
        group += nodes.colspec("", colwidth=width)
    head = nodes.thead()
    head += _row(headers)
    group += head
    if stream:
        group += streamed_tbody(records, cells)
    else:
        group += nodes.tbody("", *(_row(cells(record)) for record in records))
    return table_node


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        if isinstance(cell, str):
            paragraph += nodes.Text(cell)
        elif isinstance(cell, nodes.Node):
            paragraph += cell
        else:
            paragraph.extend(cell)
        entry += paragraph
        row += entry
    return row


class streamed_tbody(nodes.tbody):
    """A table body whose rows are made while the HTML is written, one at a time.

    Sphinx holds a page's whole doctree while it writes the page: a matrix of 2,000
    obligations made of docutils nodes weighs 33 MiB, and was the peak memory of the
    whole build (benchmarks/README.md). The HTML is the same, byte for byte.
    """

    def __init__(self, records: Sequence[Any], cells: Callable[[Any], Sequence[Cell]]) -> None:
        super().__init__()
        self.records = records
        self.cells = cells


def visit_streamed_tbody(translator: HTML5Translator, node: streamed_tbody) -> None:
    translator.visit_tbody(node)
    body = translator.body
    for record in node.records:
        row = _row(node.cells(record))
        node += row  # the entries' visitors look up their table through the row's parents
        start = len(body)
        row.walkabout(translator)
        body[start:] = ["".join(body[start:])]  # one string a row, not one a tag
        del node[0]
    translator.depart_tbody(node)
    raise nodes.SkipNode


Renderer = Callable[[ViewContext, AggregateNode], list[nodes.Node]]


#: Each view's placeholder class and its renderer, filled by :func:`add_view`.
_RENDERERS: dict[type[AggregateNode], Renderer] = {}
#: Builders that write one page per document: the recorded pages say where views are.
_PAGE_BUILDERS = frozenset({"html", "dirhtml"})


def _replace_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: one walk of the pages that hold views, none of the others."""
    if app.builder.name in _PAGE_BUILDERS:
        domain: CrmriskDomain = app.env.get_domain(CrmriskDomain.name)  # type: ignore[assignment]
        if docname not in domain.aggregates:
            return
    placeholders = list(doctree.findall(AggregateNode))
    if not placeholders:
        return
    model, assessments = build_model(app)
    context = ViewContext(app, docname, model, assessments)
    for placeholder in placeholders:
        render = _RENDERERS.get(type(placeholder))
        if render is not None:
            placeholder.replace_self(render(context, placeholder))


def add_view(
    app: Sphinx,
    name: str,
    directive: type[PlaceholderDirective],
    render: Renderer,
) -> None:
    """Registers a view's directive and the renderer of its placeholders."""
    app.add_directive(name, directive)
    _RENDERERS[directive.node_class] = render


def setup_views(app: Sphinx) -> None:
    """Once per application, after the views are added: the handler that fills them."""
    app.connect("doctree-resolved", _replace_placeholders)
    # only HTML builders get streamed rows (ViewContext.is_html)
    app.add_node(streamed_tbody, html=(visit_streamed_tbody, None))
