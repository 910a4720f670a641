"""Our kinds as sphinx-needs shows them: their titles, labels and need layouts.

sphinx-needs parses each layout line, and its prefix, as reST before it looks whether
the need has the field (``LayoutHandler.meta``): a line costs every need it is rendered
on, so each kind's layout lists only the fields of that kind, and the fields shown
another way (badges) have none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docutils import nodes

from ..kinds import DEFAULT_NAMES, FIELD_SPECS, FIELDS, KIND_SPECS, LINK_SPECS, N_, Kind, Names
from .i18n import _
from .state import is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The prefix of our layouts' names: ``crmrisk-obligation``...
LAYOUT = "crmrisk"

STATUS_LABEL = N_("Status")
#: A label and its colon, before a value: « Base légale : » in French.
LABEL_COLON = N_("{label}: ")


def _bold(label: str) -> str:
    """A label in bold, its markup escaped for a layout line (parsed as reST first)."""
    return f"\\*\\*{label}\\*\\*"


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


def need_layout(fields: list[str], names: Names = DEFAULT_NAMES) -> dict[str, object]:
    """A need layout showing ``fields`` (canonical names), with their labels.

    sphinx-needs parses each layout line, and its prefix, as reST before it looks
    whether the need has the field (``LayoutHandler.meta``): a line costs every need
    it is rendered on, so each kind's layout lists only the fields of that kind.
    """
    labels = field_labels()
    shown = {name if name == "status" else names.field(name): labels[name] for name in fields}
    # layout lines are parsed as reST before the functions run: the bold markup of
    # the prefix must be escaped to reach ``meta`` whole; « Base légale : » in French,
    # with the narrow no-break space before the colon
    label_colon = str(_(LABEL_COLON))
    meta = [
        f'<<meta("{name}", prefix="{label_colon.format(label=_bold(label))}")>>'
        for name, label in shown.items()
    ]
    # what the user adds (their own ``needs_fields``, tags...) stays visible
    meta.append(f"<<meta_all(no_links=True, exclude={_excluded(names)!r})>>")
    meta.append("<<meta_links_all()>>")
    return {
        "grid": "simple",
        "layout": {
            "head": [
                label_colon.format(label='<<meta("type_name")>>')
                + '**<<meta("title")>>** <<meta_id()>>',
            ],
            "meta": meta,
        },
    }


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


def is_french(language: str | None) -> bool:
    return (language or "").replace("-", "_").split("_")[0].lower() == "fr"
