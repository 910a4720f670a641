"""Our needs' layouts, emptied once their page is written (``written_layouts.py``): their
nodes freed by reference counting, not left to the cycle collector; pages written whole;
a host's needs, and builders that write no HTML page, left alone."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from docutils import nodes
from sphinx_builds import soup, warnings_of

from sphinx_crmrisk.sphinx_ext.state import build_state
from sphinx_crmrisk.sphinx_ext.written_layouts import NOTE_PRIORITY, empty, our_tables


@contextmanager
def collector_off() -> Iterator[None]:
    """No cyclic collection while the build runs: what is freed is freed by reference
    counting alone."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def uncovered_only(warnings: list[str]) -> bool:
    """The root's one warning: an obligation it leaves uncovered, on purpose."""
    return (
        len(warnings) == 1 and "OBL-RGPD-32" in warnings[0] and "[crmrisk.uncovered]" in warnings[0]
    )


def need_tables(doctree: nodes.Node) -> list[nodes.table]:
    return [t for t in doctree.findall(nodes.table) if "need" in t["classes"]]


def size(table: nodes.table) -> int:
    return sum(1 for _ in table.findall(include_self=False))


class Probe:
    """What a build's pages held: our tables and the host's, and weak references to the
    elements under ours, taken when each page was written."""

    def __init__(self, app: Any) -> None:
        self.ours: dict[str, list[nodes.table]] = {}
        self.hosts: dict[str, list[nodes.table]] = {}
        self.sizes_written: dict[str, list[int]] = {}
        self.sizes_after_ours: dict[str, list[int]] = {}
        self.sizes_next_page: dict[str, list[int]] = {}
        self.below: list[weakref.ref[nodes.Element]] = []
        app.connect("html-page-context", self.written)  # 500: before ours (NOTE_PRIORITY)
        app.connect("html-page-context", self.after_ours, priority=NOTE_PRIORITY + 50)
        # after ours (0): the tables of the pages written before are emptied by then
        app.connect("doctree-resolved", self.next_page, priority=1)

    def written(self, app: Any, pagename: str, _t: str, _c: Any, doctree: Any) -> None:
        if doctree is None:
            return
        ours = our_tables(doctree)
        self.ours[pagename] = ours
        self.hosts[pagename] = [t for t in need_tables(doctree) if t not in ours]
        self.sizes_written[pagename] = [size(t) for t in ours]
        self.below += [
            weakref.ref(n)
            for t in ours
            for n in t.findall(nodes.Element, include_self=False)
            if not n["ids"]  # the document's ids keep the nodes they name
        ]

    def after_ours(self, app: Any, pagename: str, _t: str, _c: Any, doctree: Any) -> None:
        if doctree is not None:
            self.sizes_after_ours[pagename] = [size(t) for t in self.ours[pagename]]

    def next_page(self, app: Any, doctree: Any, docname: str) -> None:
        for page, tables in self.ours.items():
            self.sizes_next_page.setdefault(page, [size(t) for t in tables])


@pytest.mark.sphinx("html", testroot="host-mixed", freshenv=True)
def test_our_layouts_are_freed_once_their_page_is_written(app):
    probe = Probe(app)
    with collector_off():
        app.build()
        # with the collector off (each object stays in the youngest generation, which
        # the first collection after it is back would free), what is gone now was freed
        # by reference counting alone
        alive = [r() for r in probe.below if r() is not None]
    assert uncovered_only(warnings_of(app))

    # the crmrisk page is written first (pages in the order of their names), the host's next
    ours = probe.ours["crmrisk"]
    assert [t["ids"] for t in ours] == [
        ["PH-DEPLOY"],
        ["OBL-RGPD-30"],
        ["OBL-RGPD-32"],
        ["PROC-REG-01"],
    ]
    # the handlers at the default priority, and those after ours, see the page whole...
    assert all(n > 10 for n in probe.sizes_written["crmrisk"]), probe.sizes_written
    assert probe.sizes_after_ours["crmrisk"] == probe.sizes_written["crmrisk"]
    # ...and the page holds its layouts
    obligation = soup(app, "crmrisk").find("table", id="OBL-RGPD-30")
    assert "GDPR, art. 30" in obligation.get_text(" ")
    # when the next page is resolved, the tables are empty, in place, their ids kept
    assert probe.sizes_next_page["crmrisk"] == [0] * len(ours)
    assert all(t.children == [] and t.parent is not None for t in ours)
    assert "OBL-RGPD-30" in [t["ids"][0] for t in ours]
    # with the collector off, reference counting freed the elements under them; a few
    # are still named by other garbage, which waits for the collector (sphinx-needs'
    # LayoutHandler keeps the tbody it filled, its link roles the nodes they were
    # replaced by): those hold nothing any more
    assert len(probe.below) > 100, len(probe.below)
    assert len(alive) * 10 < len(probe.below), (len(alive), len(probe.below))
    assert all(n.children == [] for n in alive), [n for n in alive if n.children][:5]

    # the host's needs, laid out by sphinx-needs' own layout, are left whole
    hosts = probe.hosts["host"]
    assert len(hosts) == 2
    assert probe.ours["host"] == []
    assert all(size(t) > 10 for t in hosts)
    assert build_state(app).written_layouts == []


@pytest.mark.sphinx("text", testroot="host-mixed", freshenv=True)
def test_a_builder_writing_no_html_page_is_left_alone(app):
    kept: list[nodes.table] = []
    # the last handler of each page: its tables as they will be written
    app.connect(
        "doctree-resolved",
        lambda app, doctree, docname: kept.extend(our_tables(doctree)),
        priority=1000,
    )
    app.build()
    assert uncovered_only(warnings_of(app))
    assert len(kept) == 4
    assert all(size(t) > 10 for t in kept)
    assert build_state(app).written_layouts == []
    text = (app.outdir / "crmrisk.txt").read_text(encoding="utf-8")
    assert "GDPR, art. 30" in text


@pytest.mark.sphinx("singlehtml", testroot="layouts", freshenv=True)
def test_a_single_page_is_written_whole(app):
    probe = Probe(app)
    app.build()
    assert warnings_of(app) == []
    written = probe.sizes_written["index"]
    page = soup(app, "index")
    assert len(written) == len(page.select('table[class*="needs_layout_crmrisk-"]')) == 5
    assert all(n > 10 for n in written)
    # emptied at the end of the build, after the one page was written
    assert all(t.children == [] for t in probe.ours["index"])
    assert "RGPD, art. 30" in page.find("table", id="OBL-RGPD-30").get_text(" ")


def test_empty_takes_apart_what_is_below_and_leaves_the_element():
    document = nodes.section()
    table = nodes.table(ids=["X"])
    document += table
    entry = nodes.entry()
    text = nodes.Text("deux")
    entry += nodes.paragraph("", "", nodes.Text("un"), nodes.strong("", "", text))
    table += nodes.tgroup("", nodes.tbody("", nodes.row("", entry)))
    below = list(table.findall(include_self=False))
    assert len(below) == 8

    empty(table)

    assert table.children == [] and table.parent is document and document.children == [table]
    assert all(n.parent is None for n in below)
    assert all(n.children in ([], ()) for n in below)
    assert str(text) == "deux"
