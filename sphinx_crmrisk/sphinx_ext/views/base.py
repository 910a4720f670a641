"""What the views share: placeholder directives, the rendering context, labels, links, tables.

A view's directive only records its options in a placeholder node at read time: the
model needs the back-links that sphinx-needs resolves at the start of the write phase.
At ``doctree-resolved`` the placeholder is replaced by nodes rendered from
:mod:`sphinx_crmrisk.model` (never a second copy of the coverage rule). Placeholders
subclass :class:`~.nodes.AggregateNode`, so an incremental build re-writes their pages
whenever a need changes.

Text from the sources only ever goes into docutils ``Text`` nodes, which every writer
escapes; no raw markup is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from ...kinds import Kind
from ...model import STATE_LABELS, Assessment, Item, Model, State
from ...text import split_list
from ...traceability import Traceability
from ..badges import item_link
from ..build_warnings import log_warning
from ..i18n import _
from .nodes import AggregateNode, Cell, row, streamed_tbody

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def state_labels() -> dict[State, str]:
    """The state of one obligation, as the reader sees it."""
    return {state: str(_(label)) for state, label in STATE_LABELS.items()}


def parse_states(argument: str | None) -> tuple[State, ...]:
    """Option converter: ``covered, uncovered`` -> states; docutils reports a ValueError."""
    names = split_list(argument or "")
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
    """What a view renders from: the build's traceability, and the page it goes on."""

    app: Sphinx
    docname: str
    traceability: Traceability

    @property
    def model(self) -> Model:
        return self.traceability.model

    @property
    def assessments(self) -> list[Assessment]:
        return self.traceability.assessments

    @property
    def is_html(self) -> bool:
        return self.app.builder.format == "html"

    def table(
        self,
        headers: Sequence[Cell],
        records: Sequence[Record],
        cells: Callable[[Record], Sequence[Cell]],
        classes: Sequence[str],
        widths: Sequence[int] | None = None,
        row_data: Callable[[Record], Mapping[str, str]] | None = None,
    ) -> nodes.table:
        """:func:`table`, its rows streamed on HTML pages (with ``row_data`` there)."""
        return table(
            headers, records, cells, classes, widths, stream=self.is_html, row_data=row_data
        )

    def link(self, item: Item, text: str | None = None) -> nodes.Node:
        """A link to the need's anchor (its ID, never broken), or plain text when it has
        no page."""
        return item_link(self.app, self.docname, item, text, id_class=True)

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
            "view_option",
            f"{phase_id!r} given to :phase: is not a phase ID (phases: {known})",
            (self.docname, node.line),
        )


Record = TypeVar("Record")


def table(
    headers: Sequence[Cell],
    records: Sequence[Record],
    cells: Callable[[Record], Sequence[Cell]],
    classes: Sequence[str],
    widths: Sequence[int] | None = None,
    *,
    stream: bool = False,
    row_data: Callable[[Record], Mapping[str, str]] | None = None,
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
    head += row(headers)
    group += head
    if stream:
        group += streamed_tbody(records, cells, row_data)
    else:
        group += nodes.tbody(
            "",
            *(row(cells(r), row_data(r) if row_data is not None else None) for r in records),
        )
    return table_node
