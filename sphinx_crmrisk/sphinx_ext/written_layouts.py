"""Our needs' layouts, emptied once their page is written.

A page's doctree is a web of reference cycles (each node points to its parent, each
parent to its children), so when Sphinx drops it after writing the page, CPython's
reference counting frees none of it: it waits, with the garbage of the pages written
since, for the next full collection of the oldest generation, which comes once a
quarter as many objects as that generation held have joined it. On the pages of our
needs, most of the nodes are the needs' layouts (a table a need: its head, the lines of
its fields, its links, its badges); the highest memory of a build is one such page's
nodes plus the garbage of the pages before it (``benchmarks/README.md``).

So, once a page is written, the nodes under each of our layouts' tables are taken apart
(each element's children emptied, each node's parent forgotten): no cycle holds them,
and reference counting frees them there and then. What is emptied, and when:

- only the tables laid out with one of our layouts (``crmrisk-obligation``...): a host's
  needs, and every other node of the page, are left as they are;
- only on a page the builder has written: :func:`note_written_layouts` finds the tables
  at ``html-page-context``, once the page's body is HTML, after the handlers with a
  smaller priority number (the host's and other extensions' at the default 500 see the
  whole tree), and
  :func:`empty_written_layouts` empties them at the next page's ``doctree-resolved``,
  once the template of the page has been rendered and its file written, or at
  ``build-finished``. A builder that writes no HTML page (LaTeX, text, man) never emits
  ``html-page-context``: its doctrees are never touched. A parallel write (``-j``) notes
  the tables in its worker processes, which end with their pages.

Each table stays where it was, empty, so the document keeps its shape (its ``ids`` still
name the table); what reads a written page's doctree later reads it without our layouts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes

from ..kinds import Kind
from .layouts import kind_layout
from .state import build_state, is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: The classes sphinx-needs gives a table laid out with one of our layouts.
_OUR_LAYOUTS = frozenset(f"needs_layout_{kind_layout(kind)}" for kind in Kind)

#: After the handlers at the default priority (500) have seen the page whole.
NOTE_PRIORITY = 900
#: Before any other handler of the next page's ``doctree-resolved``.
EMPTY_PRIORITY = 0


def our_tables(doctree: nodes.Node) -> list[nodes.table]:
    """The tables of ``doctree`` laid out with one of our layouts."""
    return [
        table
        for table in doctree.findall(nodes.table)
        if not _OUR_LAYOUTS.isdisjoint(table["classes"])
    ]


def note_written_layouts(
    app: Sphinx, pagename: str, templatename: str, context: Any, doctree: nodes.Node | None
) -> None:
    """``html-page-context`` (:data:`NOTE_PRIORITY`): the tables of the page just written."""
    if doctree is not None and is_enabled(app):
        build_state(app).written_layouts.extend(our_tables(doctree))


def empty_written_layouts(app: Sphinx, *_args: Any) -> None:
    """``doctree-resolved`` of the next page (:data:`EMPTY_PRIORITY`) and ``build-finished``:
    each noted table emptied."""
    if not is_enabled(app):
        return
    tables = build_state(app).written_layouts
    while tables:
        empty(tables.pop())


def empty(element: nodes.Element) -> None:
    """Takes the nodes under ``element`` apart: each element's children emptied, each
    node's parent forgotten. ``element`` itself is left in place, empty."""
    below: list[Any] = element.children
    element.children = []
    while below:
        node = below.pop()
        children = node.children
        # a Text's children are an empty tuple, shared by its class
        if children.__class__ is list and children:
            below.extend(children)
            node.children = []
        node.parent = None
