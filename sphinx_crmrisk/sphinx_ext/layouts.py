"""Our kinds as sphinx-needs shows them: their titles, labels and need layouts.

Each kind has its own need layout (``crmrisk-obligation``...), given to the kind's needs
by ``needs_fields`` predicates. sphinx-needs parses each layout line, and the prefix of
each ``meta()`` in it, as reST, for every need it lays out, shown or not
(``LayoutHandler``): a line of a layout costs every need it is rendered on. So our
layouts hold no line (``head: []``, ``meta: []``); once sphinx-needs has laid the need out
on their grid, :func:`add_layout_lines` draws what sphinx-needs' own ``clean`` layout
shows, without reading reST for each need: the head (type, title, ID), the lines of our
fields with their labels, the user's other fields (what ``meta_all`` shows) and the links,
whose role nodes sphinx-needs itself then resolves. The nodes, so the HTML, are those
sphinx-needs draws for ``<<meta("type_name")>>: **<<meta("title")>>** <<meta_id()>>``,
``<<meta("legal_basis", prefix="**Base légale**: ")>>``, ``<<meta_all(...)>>`` and
``<<meta_links_all()>>`` (``tests/test_layouts.py`` builds both ways and compares every
table). The fields shown another way (badges) have no line.
"""

from __future__ import annotations

import functools
import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util.nodes import make_refnode
from sphinx_needs.config import NeedsSphinxConfig
from sphinx_needs.data import NeedsCoreFields, SphinxNeedsData
from sphinx_needs.roles.need_incoming import NeedIncoming, process_need_incoming
from sphinx_needs.roles.need_outgoing import NeedOutgoing, process_need_outgoing
from sphinx_needs.string_links import (
    compiled_string_links,
    split_string_link_value,
    string_link_field_names,
)
from sphinx_needs.utils import match_string_link

from ..kinds import DEFAULT_NAMES, FIELD_SPECS, FIELDS, KIND_SPECS, LINK_SPECS, N_, Kind, Names
from ..translations import is_french
from .i18n import _
from .state import build_state, is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The prefix of our layouts' names: ``crmrisk-obligation``...
LAYOUT = "crmrisk"

STATUS_LABEL = N_("Status")
#: A label and its colon, before a value: « Base légale : » in French.
LABEL_COLON = N_("{label}: ")


def type_titles() -> dict[Kind, str]:
    """Each kind's title, in the build's language."""
    return {kind: str(_(spec.title)) for kind, spec in KIND_SPECS.items()}


def field_labels() -> dict[str, str]:
    """``status`` and every field of ours, by name, in the build's language."""
    labels = {"status": STATUS_LABEL, **{name: f.label for name, f in FIELD_SPECS.items()}}
    return {name: str(_(label)) for name, label in labels.items()}


def link_labels() -> dict[str, tuple[str, str]]:
    """Outgoing and incoming label of each link type."""
    return {
        name: (str(_(link.outgoing)), str(_(link.incoming))) for name, link in LINK_SPECS.items()
    }


def _excluded(names: Names = DEFAULT_NAMES) -> list[str]:
    """Our own fields, and the core fields our layouts show, left out of ``meta_all``.

    Each is shown (with its label) or not at all. ``verification`` is shown as a badge
    in the need's content (badges.py); ``layout`` is set on every need of ours by the
    ``needs_fields`` predicates below, and would otherwise show as ``layout: ...``.
    """
    return ["status", *(names.field(name) for name in FIELDS), "layout"]


def need_layout() -> dict[str, object]:
    """A need layout of ours: the ``simple`` grid, its head and meta blocks drawn by
    :func:`add_layout_lines` (a layout's empty section is no line of sphinx-needs)."""
    return {"grid": "simple", "layout": {"head": [], "meta": []}}


#: After sphinx-needs has laid the needs out (``process_need_nodes``, priority 500).
LAYOUT_LINES_PRIORITY = 550


def field_lines(names: Names = DEFAULT_NAMES) -> dict[str, list[tuple[str, str]]]:
    """Each of our layouts -> the (need key, label) of the field lines it shows, in
    order: ``status``, then the kind's own laid-out fields (:func:`kind_fields`)."""
    labels = field_labels()
    return {
        kind_layout(kind): [
            (name if name == "status" else names.field(name), labels[name])
            for name in kind_fields(kind)
        ]
        for kind in Kind
    }


def add_layout_lines(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each need laid out with one of our layouts gets its head
    (type, title, ID) and its ``meta`` block: the lines of its fields (a line, empty for
    an empty field), those of the user's other fields and its links, as sphinx-needs'
    ``meta()``, ``meta_id()``, ``meta_all()`` and ``meta_links_all()`` would have drawn
    them."""
    if not is_enabled(app):
        return
    lines_of = field_lines(build_state(app).settings.names)
    tables = [
        (table, fields)
        for table in doctree.findall(nodes.table)
        if "need" in table["classes"] and (fields := lines_of.get(_layout_of(table))) is not None
    ]
    if not tables:
        return
    needs = SphinxNeedsData(app.env).get_needs_view()
    drawer = _Drawer(app, docname)
    # « : » in French, with its narrow no-break space
    colon = str(_(LABEL_COLON)).format(label="")
    for table, fields in tables:
        need = needs.get(table["ids"][0]) if table["ids"] else None
        head, meta = _layout_entries(table)
        if need is None or head is None or meta is None:
            continue
        head += drawer.head(need, colon)
        block = nodes.line_block(classes=["needs_meta"])
        for key, label in fields:
            line = nodes.line()
            inline = nodes.inline()
            field = drawer.meta(need, key, [nodes.strong(label, label), nodes.Text(colon)])
            if field is not None:
                inline += field
            line += inline
            block += line
        block += drawer.other_fields(need)
        block += drawer.links(need)
        meta += block
    # the links' targets, resolved by sphinx-needs' own roles (its handler of the page,
    # which resolves those of the text, ran before these lines were drawn)
    if drawer.outgoing:
        process_need_outgoing(app, doctree, docname, drawer.outgoing)
    if drawer.incoming:
        process_need_incoming(app, doctree, docname, drawer.incoming)


class _Drawer:
    """What sphinx-needs' ``LayoutHandler`` draws for ``meta()``, ``meta_id()``,
    ``meta_all()`` and ``meta_links_all()``, for the needs of one page (``docname``): the
    same nodes, the labels read as reST once a text (:func:`_parsed`), not once a need."""

    def __init__(self, app: Sphinx, docname: str) -> None:
        self.app = app
        self.docname = docname
        config = NeedsSphinxConfig(app.config)
        self.config = config
        self.string_links = list(compiled_string_links(config).values())
        self.split_fields = string_link_field_names(config)
        self._links_of: dict[str, list[Any]] = {}
        schema = SphinxNeedsData(app.env).get_schema()
        self.link_fields = list(schema.iter_link_fields())
        links = [link.name for link in self.link_fields]
        #: the links drawn, for sphinx-needs' roles to resolve
        self.outgoing: list[nodes.Element] = []
        self.incoming: list[nodes.Element] = []
        # what meta_all(no_links=True, exclude=...) leaves out: its defaults, the links
        # both ways, and the fields our lines show (or the badges)
        self.not_shown = frozenset(
            [name for name, props in NeedsCoreFields.items() if not props.get("show_in_layout")]
            + links
            + [f"{name}_back" for name in links]
            + _excluded(build_state(app).settings.names)
        )

    def matching(self, key: str) -> list[Any]:
        """The string links that name ``key`` (looked up once a page)."""
        found = self._links_of.get(key)
        if found is None:
            found = self._links_of[key] = [s for s in self.string_links if key in s.options]
        return found

    def head(self, need: Any, colon: str) -> nodes.line_block:
        """``<<meta("type_name")>>: **<<meta("title")>>** <<meta_id()>>``."""
        kind = nodes.inline()
        if (type_name := self.meta(need, "type_name")) is not None:
            kind += type_name
        kind += nodes.Text(colon)
        title = nodes.inline()
        if (value := self.meta(need, "title")) is not None:
            title += value
        strong = nodes.strong('**<<meta("title")>>**')
        strong += title
        ident = nodes.inline()
        ident += nodes.Text(" ")
        ident += self.meta_id(need)
        line = nodes.line()
        line += [kind, strong, ident]
        block = nodes.line_block(classes=["needs_head"])
        block += line
        return block

    def meta_id(self, need: Any) -> nodes.inline:
        """The need's ID, a link to it (an empty inline for a need on no page)."""
        container = nodes.inline(classes=["needs-id"])
        if self.docname and need["docname"]:
            container += make_refnode(
                self.app.builder,
                fromdocname=self.docname,
                todocname=need["docname"],
                targetid=need["id"],
                child=nodes.Text(need["id"]),
                title=need["id"],
            )
        return container

    def other_fields(self, need: Any) -> nodes.line:
        """``<<meta_all(no_links=True, exclude=...)>>``: a line of each field of the
        need that no line of ours shows, ``name: value``, in the need's order."""
        container = nodes.inline()
        for key in need:
            if key in self.not_shown:
                continue
            field = self.meta(need, key, self.label(f"{key}: "))
            if field is not None:
                data_line = nodes.line()
                data_line += field
                container += data_line
        # an empty container too: a docutils node is true however empty, and
        # sphinx-needs adds whatever a layout function returns that is true
        inline = nodes.inline()
        inline += container
        line = nodes.line()
        line += inline
        return line

    def links(self, need: Any) -> nodes.line:
        """``<<meta_links_all()>>``: a line of each link type the need has, outgoing then
        incoming, in the schema's order: the label, then sphinx-needs' role node."""
        lines = nodes.inline()
        for link in self.link_fields:
            for key, label, role in (
                (link.name, link.display.outgoing, NeedOutgoing),
                (f"{link.name}_back", link.display.incoming, NeedIncoming),
            ):
                if not need[key]:
                    continue
                line = nodes.line()
                line += self.label(f"{label}: ")
                container = nodes.inline(classes=[link.name])
                node = role(reftarget=need["id"], link_type=key)
                node.append(nodes.inline(need["id"], need["id"]))
                (self.outgoing if role is NeedOutgoing else self.incoming).append(node)
                container += node
                line += container
                lines += line
        line = nodes.line()
        line += lines
        return line

    def label(self, text: str) -> list[nodes.Node]:
        """A prefix, read as reST inline markup as sphinx-needs reads it (once a text)."""
        return [node.deepcopy() for node in _parsed(text)]

    def meta(
        self, need: Any, key: str, label: list[nodes.Node] | None = None
    ) -> nodes.inline | None:
        """What ``<<meta(key, prefix=...)>>`` draws (``LayoutHandler.meta``) with the
        ``label`` nodes as its prefix: the value, through the ``needs_string_links`` that
        name the field (split at ``,`` and ``;`` when one names it), a list's items apart;
        None for a field without a value."""
        value = need.get(key)
        if value is None or value == "" or value == []:
            return None
        container = nodes.inline(classes=[f"needs_{key}"])
        if label:
            label_node = nodes.inline(classes=["needs_label"])
            label_node += label
            container += label_node
        matching = self.matching(key)

        def linked(text: str) -> Any:
            """``text`` through the string links that name the field."""
            return match_string_link(
                text_item=text,
                data=text,
                need_key=key,
                matching_link_confs=matching,
                render_context=self.config.render_context,
                location=(need.get("docname"), need.get("lineno")),
            )

        if isinstance(value, str):
            data = nodes.inline(classes=["needs_data"])
            items = split_string_link_value(value) if key in self.split_fields else [value]
            for index, item in enumerate(items):
                data += linked(item) if matching else nodes.Text(item)
                if index + 1 < len(items):
                    data += nodes.emphasis("; ", "; ")
            container += data
        elif isinstance(value, list):
            items_node = nodes.inline(classes=["needs_data_container"])
            for index, element in enumerate(value):
                if index > 0:
                    spacer = nodes.inline(classes=["needs_spacer"])
                    spacer += nodes.Text(", ")
                    items_node += spacer
                data = nodes.inline(classes=["needs_data"])
                text = str(element)
                # as a needtable's cell: an empty item gets no link
                data += linked(text) if matching and text else nodes.Text(element)
                items_node += data
            container += items_node
        else:
            container += nodes.Text(value)
        return container


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> tuple[nodes.Node, ...]:
    """``text`` read as reST inline markup, as sphinx-needs reads a layout's label (a
    field's name and colon, a link type's): the nodes to copy, not to put in a tree."""
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser, languages
    from docutils.parsers.rst.states import Inliner
    from docutils.utils import new_document

    settings = get_default_settings(Parser)
    inliner = Inliner()
    inliner.init_customizations(settings)
    document = new_document("dummy", settings)
    memo = SimpleNamespace(
        document=document,
        reporter=document.reporter,
        language=languages.get_language(document.settings.language_code),
        title_styles=[],
        section_level=0,
        section_bubble_up_kludge=False,
        inliner=None,
    )
    parsed, _messages = inliner.parse(text, 0, memo, document)
    return tuple(parsed)


def _layout_of(table: nodes.table) -> str:
    for name in table["classes"]:
        if name.startswith("needs_layout_"):
            return str(name[len("needs_layout_") :])
    return ""


def _layout_entries(table: nodes.table) -> tuple[nodes.entry | None, nodes.entry | None]:
    """The head and meta entries of a need laid out on the ``simple`` grid: table >
    tgroup > tbody > the row > its entry: children, not a walk."""
    head = meta = None
    for tgroup in table.children:
        for tbody in tgroup.children:
            if not isinstance(tbody, nodes.tbody):
                continue
            for row in tbody.children:
                if not isinstance(row, nodes.row):
                    continue
                for entry in row.children:
                    if not isinstance(entry, nodes.entry):
                        continue
                    if "head" in row["classes"] and "head" in entry["classes"]:
                        head = entry
                    elif "meta" in row["classes"] and "meta" in entry["classes"]:
                        meta = entry
    return head, meta


def kind_layout(kind: Kind) -> str:
    """The name of the layout of a kind's needs: ``crmrisk-clause``..."""
    return f"{LAYOUT}-{kind.value}"


def kind_fields(kind: Kind) -> list[str]:
    """The fields a kind's layout shows: ``status``, then the kind's own fields that
    are laid out, in the order of :data:`~.kinds.FIELD_SPECS`."""
    return ["status"] + [
        name for name, spec in FIELD_SPECS.items() if spec.in_layout and kind in FIELDS[name]
    ]


#: Most frequent kinds first: sphinx-needs evaluates the predicates of a need in turn.
_PREDICATE_ORDER = (
    Kind.OBLIGATION,
    Kind.CLAUSE,
    Kind.PROCEDURE,
    Kind.EVIDENCE,
    Kind.RISK,
    Kind.WATCH,
    Kind.PHASE,
)


def layout_predicates(names: Names = DEFAULT_NAMES) -> list[tuple[str, str]]:
    """``needs_fields["layout"]["predicates"]``: each kind's need gets its layout.

    They test the need's type, so a host's needs (of its own types) are never given
    one of our layouts.
    """
    return [(f'type == "{names.type(kind)}"', kind_layout(kind)) for kind in _PREDICATE_ORDER]


def layout_left_at_default(config: Config) -> bool:
    """Whether the user left the need layout to sphinx-needs: no
    ``needs_default_layout`` of theirs, no default or predicates for the ``layout``
    field (``needs_fields``, or the deprecated ``needs_global_options``)."""
    if config.needs_default_layout != "clean":
        return False
    for value in (config.needs_fields, config.needs_global_options):
        entry = (value or {}).get("layout") if isinstance(value, dict) else None
        if isinstance(entry, dict) and (
            entry.get("default") is not None or entry.get("predicates") is not None
        ):
            return False
        if entry is not None and not isinstance(entry, dict):
            return False  # theirs, and sphinx-needs reports what is wrong with it
    return True


#: sphinx-needs writes a link's label and its colon as one text (``"couverte par: "``).
_LINK_COLON = re.compile(r"(?<=[^\s\u202f]):(?=\s|$)")
#: The rows of a need's table that the layout writes (not the author's text).
_LAYOUT_ROWS = frozenset({"head", "meta"})


def french_colons(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``, after sphinx-needs laid the needs out: in a French build, the
    colon after each link label of our needs' layouts gets its narrow no-break space
    (« couverte par : »): sphinx-needs writes ``label:`` with none. Only the layout's own
    rows, never the item's text."""
    if not is_enabled(app) or not is_french(app.config.language):
        return
    for table in doctree.findall(nodes.table):
        if not any(c.startswith(f"{LAYOUT}-") for c in _layout_classes(table)):
            continue
        for row in table.findall(nodes.row):
            if not _LAYOUT_ROWS & set(row.get("classes", ())):
                continue
            for text in list(row.findall(nodes.Text)):
                if isinstance(text.parent, (nodes.reference, nodes.literal)):
                    continue
                spaced = _LINK_COLON.sub("\u202f:", str(text))
                if spaced != str(text):
                    text.parent.replace(text, nodes.Text(spaced))


def _layout_classes(table: nodes.table) -> list[str]:
    """``needs_layout_crmrisk-obligation`` -> ``crmrisk-obligation``."""
    classes: list[str] = table.get("classes", [])
    return [c.removeprefix("needs_layout_") for c in classes]
