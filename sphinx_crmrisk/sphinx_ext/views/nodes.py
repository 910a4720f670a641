"""The docutils nodes of the views, and how HTML writes the ones that need it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.writers.html5 import HTML5Translator


class AggregateNode(nodes.General, nodes.Element):
    """Base of the placeholders of views that show many needs.

    An incremental build re-writes every page holding one whenever a need changes
    (:mod:`sphinx_crmrisk.incremental`).
    """


class matrix_placeholder(AggregateNode):
    """Replaced by the matrix at ``doctree-resolved``."""


class coverage_placeholder(AggregateNode):
    """Replaced by the coverage summary at ``doctree-resolved``."""


class gaps_placeholder(AggregateNode):
    """Replaced by the list of gaps at ``doctree-resolved``."""


class reviews_placeholder(AggregateNode):
    """Where ``crmrisk-reviews`` goes."""


class evidence_placeholder(AggregateNode):
    """Where ``crmrisk-evidence`` goes."""


class coverage_bar(nodes.Inline, nodes.Element):
    """A bar drawn with CSS (HTML only); its one attribute is a computed number."""


def visit_coverage_bar(self: HTML5Translator, node: coverage_bar) -> None:
    percent = float(node["percent"])
    self.body.append(
        f'<span class="crmrisk-bar" role="img" aria-label="{percent:.0f} %">'
        f'<span class="crmrisk-bar-fill" style="width: {percent:.1f}%"></span></span>'
    )
    raise nodes.SkipNode


Cell = nodes.Node | str | Sequence[nodes.Node]


class data_row(nodes.row):
    """A row with ``data-*`` attributes in HTML (what the matrix's filter reads).

    Sphinx's translators visit a node by the first class of its MRO they know, so other
    builders write it as a plain row.
    """


def visit_data_row(self: HTML5Translator, node: data_row) -> None:
    self.visit_row(node)
    attributes = "".join(
        f' data-{name}="{html.escape(value, quote=True)}"' for name, value in node["data"].items()
    )
    self.body[-1] = self.body[-1].replace("<tr", "<tr" + attributes, 1)


def depart_data_row(self: HTML5Translator, node: data_row) -> None:
    self.depart_row(node)


def row(cells: Sequence[Cell], data: Mapping[str, str] | None = None) -> nodes.row:
    """A table row; a cell is a string, a node or inline nodes; ``data`` its ``data-*``."""
    result = nodes.row() if data is None else data_row("", data=dict(data))
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
        result += entry
    return result


class streamed_tbody(nodes.tbody):
    """A table body whose rows are made while the HTML is written, one at a time.

    Sphinx holds a page's whole doctree while it writes the page: a matrix of 2,000
    obligations made of docutils nodes weighs 33 MiB, and was the peak memory of the
    whole build (benchmarks/README.md). The HTML is the same, byte for byte, but for
    the characters beyond Latin-1 (:func:`latin_1_html`).
    """

    def __init__(
        self,
        records: Sequence[Any],
        cells: Callable[[Any], Sequence[Cell]],
        row_data: Callable[[Any], Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.records = records
        self.cells = cells
        #: ``data-*`` attributes of each row, read by the matrix's filter (static/)
        self.row_data = row_data


_BEYOND_LATIN_1 = re.compile("[^\x00-\xff]")


def latin_1_html(text: str) -> str:
    """``text`` (HTML, outside any script) with its characters beyond Latin-1 written as
    character references (``100&#8239;%``): what a browser shows is the same.

    Python stores a string at one byte a character while every character is Latin-1,
    else at two or four, and a page is one string, copied a few times while it is written:
    the five narrow no-break spaces of the coverage table (``100\u202f%``) made a
    2,000-obligation matrix page take 1.6 MB a copy instead of 0.8, and raised the peak
    memory of the whole build by 3 MiB (benchmarks/README.md). A page whose own text
    holds such characters is stored wide anyway; nothing is lost.
    """
    if text.isascii() or _BEYOND_LATIN_1.search(text) is None:
        return text
    return _BEYOND_LATIN_1.sub(lambda found: f"&#{ord(found[0])};", text)


def visit_streamed_tbody(translator: HTML5Translator, node: streamed_tbody) -> None:
    translator.visit_tbody(node)
    body = translator.body
    # None until a row shows that cells_html() writes what the translator writes
    fast: bool | None = None
    for record in node.records:
        data = node.row_data(record) if node.row_data is not None else None
        cells = node.cells(record)
        inner = None if fast is False else cells_html(translator, cells)
        made = row(() if fast and inner is not None else cells, data)
        node += made  # the entries' visitors look up their table through the row's parents
        start = len(body)
        translator.dispatch_visit(made)  # the <tr>: its data-*, its row-even or row-odd
        if fast and inner is not None:
            body.append(inner)
        else:
            entries = len(body)
            for entry in made.children:
                entry.walkabout(translator)
            if inner is not None:
                fast = "".join(body[entries:]) == inner
        translator.dispatch_departure(made)
        body[start:] = [latin_1_html("".join(body[start:]))]  # one string a row, not a tag
        del node[0]
    translator.depart_tbody(node)
    raise nodes.SkipNode


#: what a node may carry besides its classes and still be written by cells_html()
_EMPTY_ATTRIBUTES = ("ids", "names", "dupnames", "backrefs")
_LINK_ATTRIBUTES = frozenset(("refuri", "internal", "reftitle"))


def cells_html(translator: HTML5Translator, cells: Sequence[Cell]) -> str | None:
    """A row's cells as the translator writes them, when made of text, spans and links
    only (what the views put in their tables); None when a cell holds anything else.

    The translator walks some twenty nodes a row, each through its visitor and start
    tag: two thirds of the time a 2,000-obligation matrix takes to write, and the
    matrix is written again after any edit of a need (benchmarks/README.md). Written
    here with the translator's own escaping (``encode``, ``attval``); a table uses this
    only once its first row that allows it came out the same both ways
    (:func:`visit_streamed_tbody`), and the tests compare whole pages.
    """
    parts = []
    for cell in cells:
        if isinstance(cell, str | nodes.Node):
            inner = _inline_html(translator, cell)
        else:
            inner = _joined(translator, cell)
        if inner is None:
            return None
        parts.append(f"<td><p>{inner}</p></td>\n")
    return "".join(parts)


def _inline_html(translator: HTML5Translator, node: nodes.Node | str) -> str | None:
    """Text, a ``span`` or a link by URI as the translator writes it in a paragraph;
    None for any other node, or one with an attribute the translator would write."""
    kind = type(node)
    if kind is str or kind is nodes.Text:
        return translator.encode(node)
    if kind is nodes.inline:
        assert isinstance(node, nodes.inline)
        classes = _classes(node, ())
        if classes is None:
            return None
        tag = f'<span class="{translator.attval(classes)}">' if classes else "<span>"
        content = _joined(translator, node.children)
        return None if content is None else f"{tag}{content}</span>"
    if kind is nodes.reference:
        assert isinstance(node, nodes.reference)
        uri = node.get("refuri")
        if uri is None or uri.startswith("mailto:"):
            return None
        reach = ("reference", "internal" if node.get("internal") else "external")
        classes = _classes(node, reach, _LINK_ATTRIBUTES)
        content = _joined(translator, node.children)
        if classes is None or content is None:
            return None
        title = node.get("reftitle")
        title = "" if title is None else f' title="{translator.attval(title)}"'
        href = translator.attval(uri or "#")
        return f'<a class="{translator.attval(classes)}" href="{href}"{title}>{content}</a>'
    return None


def _joined(translator: HTML5Translator, parts: Sequence[nodes.Node]) -> str | None:
    """Inline nodes one after the other, or None when one is not for :func:`_inline_html`."""
    written = [_inline_html(translator, part) for part in parts]
    return None if None in written else "".join(written)  # type: ignore[arg-type]


def _classes(
    node: nodes.Element, added: Sequence[str], allowed: frozenset[str] = frozenset()
) -> str | None:
    """The ``class`` attribute the translator's ``starttag`` writes; None when the node
    has an ID, a name or any attribute but ``allowed``, or a language class."""
    for name, value in node.attributes.items():
        if name in _EMPTY_ATTRIBUTES:
            if value:
                return None
        elif name != "classes" and name not in allowed:
            return None
    classes: list[str] = []
    for name in (*node["classes"], *added):
        if name.startswith("language-"):
            return None
        if name.strip() and name not in classes:
            classes.append(name)
    return " ".join(classes)


class risks_placeholder(AggregateNode):
    """Replaced by the heat map and register of risks at ``doctree-resolved``."""


class grid_placeholder(AggregateNode):
    """Replaced by the obligation x clause/procedure grid at ``doctree-resolved``."""


class watch_placeholder(AggregateNode):
    """Replaced by the watch list at ``doctree-resolved``."""
