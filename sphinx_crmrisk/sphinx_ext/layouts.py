"""Our kinds as sphinx-needs shows them: their titles, labels and need layouts.

Each kind has its own need layout (``crmrisk-obligation``...), given to the kind's needs
by ``needs_fields`` predicates. sphinx-needs parses each layout line, and the prefix of
each ``meta()`` in it, as reST, for every need it lays out, shown or not
(``LayoutHandler``): a line of a layout costs every need it is rendered on. So the
layouts hold only what sphinx-needs' own ``clean`` layout holds (the head, the user's
other fields, the links), and the lines of our fields, each with its label, are put in
by :func:`add_field_lines` once sphinx-needs has laid the need out: the same nodes
(the same HTML) as ``<<meta("legal_basis", prefix="**Base légale**: ")>>`` gives,
made without parsing anything. The fields shown another way (badges) have no line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx_needs.config import NeedsSphinxConfig
from sphinx_needs.data import SphinxNeedsData
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


def need_layout(names: Names = DEFAULT_NAMES) -> dict[str, object]:
    """A need layout of ours: the head, the user's own fields, the links; the lines of
    our fields are added by :func:`add_field_lines`."""
    # « Obligation : » in French: the type's label, with its narrow no-break space
    label_colon = str(_(LABEL_COLON))
    return {
        "grid": "simple",
        "layout": {
            "head": [
                label_colon.format(label='<<meta("type_name")>>')
                + '**<<meta("title")>>** <<meta_id()>>',
            ],
            "meta": [
                # what the user adds (their own ``needs_fields``, tags...) stays visible
                f"<<meta_all(no_links=True, exclude={_excluded(names)!r})>>",
                "<<meta_links_all()>>",
            ],
        },
    }


#: After sphinx-needs has laid the needs out (``process_need_nodes``, priority 500).
FIELD_LINES_PRIORITY = 550


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


def add_field_lines(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each need laid out with one of our layouts gets the lines of
    its fields, first in the layout's ``meta`` block, as sphinx-needs' ``meta()`` would
    have drawn them (a line, empty for an empty field)."""
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
    config = NeedsSphinxConfig(app.config)
    string_links = list(compiled_string_links(config).values())
    link_fields = string_link_field_names(config)
    # « : » in French, with its narrow no-break space
    colon = str(_(LABEL_COLON)).format(label="")
    # each field's string links, found once a page, not once a need
    links_of = {
        key: ([link for link in string_links if key in link.options], key in link_fields)
        for fields in lines_of.values()
        for key, _label in fields
    }
    for table, fields in tables:
        need = needs.get(table["ids"][0]) if table["ids"] else None
        meta = _meta_block(table)
        if need is None or meta is None:
            continue
        lines = []
        for key, label in fields:
            line = nodes.line()
            inline = nodes.inline()
            matching, split = links_of[key]
            field = _field(need, key, label, config, matching, split, colon)
            if field is not None:
                inline += field
            line += inline
            lines.append(line)
        meta[0:0] = lines


def _layout_of(table: nodes.table) -> str:
    for name in table["classes"]:
        if name.startswith("needs_layout_"):
            return str(name[len("needs_layout_") :])
    return ""


def _meta_block(table: nodes.table) -> nodes.line_block | None:
    """The ``needs_meta`` line block of a need laid out on the ``simple`` grid: table >
    tgroup > tbody > the ``meta`` row > its entry > the block (children, not a walk)."""
    for tgroup in table.children:
        for tbody in tgroup.children:
            if not isinstance(tbody, nodes.tbody):
                continue
            for row in tbody.children:
                if not isinstance(row, nodes.row) or "meta" not in row["classes"]:
                    continue
                for entry in row.children:
                    for block in entry.children:
                        if isinstance(block, nodes.line_block) and "needs_meta" in block["classes"]:
                            return block
    return None


def _field(
    need: Any,
    key: str,
    label: str,
    config: NeedsSphinxConfig,
    matching: list[Any],
    split: bool,
    colon: str = ": ",
) -> nodes.inline | None:
    """What ``<<meta(key, prefix="**label**: ")>>`` draws (``LayoutHandler.meta``): the
    label, its ``colon`` (« Base légale : » in French, with the narrow no-break space:
    :data:`LABEL_COLON`), then the value, through the ``needs_string_links`` that name the field
    (``matching``; ``split``: some string link names it, so its value is split at
    ``,`` and ``;``); None for a field without a value."""
    value = need.get(key)
    if value is None or value == "" or value == []:
        return None
    container = nodes.inline(classes=[f"needs_{key}"])
    label_node = nodes.inline(classes=["needs_label"])
    label_node += nodes.strong(label, label)
    label_node += nodes.Text(colon)
    container += label_node
    if not isinstance(value, str):
        container += nodes.Text(str(value))
        return container
    data = nodes.inline(classes=["needs_data"])
    items = split_string_link_value(value) if split else [value]
    for index, item in enumerate(items):
        if matching:
            data += match_string_link(
                text_item=item,
                data=item,
                need_key=key,
                matching_link_confs=matching,
                render_context=config.render_context,
                location=(need.get("docname"), need.get("lineno")),
            )
        else:
            data += nodes.Text(item)
        if index + 1 < len(items):
            data += nodes.emphasis("; ", "; ")
    container += data
    return container


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
