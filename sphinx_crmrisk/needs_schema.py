"""Need types, fields, link types and the layout, registered with sphinx-needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_needs.api import add_field, add_need_layout, add_need_type

from .i18n import _
from .model import FIELDS, PREFIXES, Kind

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: sphinx-needs' default ID pattern takes no hyphen; ours does (``OBL-RGPD-30``).
SPHINX_NEEDS_DEFAULT_ID_REGEX = "^[A-Z0-9_]{5,}"
ID_REGEX = "^[A-Z0-9][A-Z0-9_-]{2,}$"
LAYOUT = "crmrisk"

_TYPE_COLORS = {
    Kind.PHASE: "#DCE8F5",
    Kind.OBLIGATION: "#F5E6C8",
    Kind.CLAUSE: "#D6EDD9",
    Kind.PROCEDURE: "#E3DDF3",
    Kind.RISK: "#F6D5D2",
}


def type_titles() -> dict[Kind, str]:
    return {
        Kind.PHASE: str(_("Phase")),
        Kind.OBLIGATION: str(_("Obligation")),
        Kind.CLAUSE: str(_("Clause")),
        Kind.PROCEDURE: str(_("Procedure")),
        Kind.RISK: str(_("Risk")),
    }


def field_labels() -> dict[str, str]:
    return {
        "status": str(_("Status")),
        "legal_basis": str(_("Legal basis")),
        "effective": str(_("In force since")),
        "until": str(_("Until")),
        "sanction": str(_("Sanction")),
        "source": str(_("Source")),
        "justification": str(_("Justification")),
        "party": str(_("Party")),
        "owner": str(_("Owner")),
        "frequency": str(_("Frequency")),
    }


def link_labels() -> dict[str, tuple[str, str]]:
    """Outgoing and incoming label of each link type."""
    return {
        "covers": (str(_("covers")), str(_("covered by"))),
        "addresses": (str(_("addresses")), str(_("addressed by"))),
        "phase": (str(_("phase")), str(_("obligations of the phase"))),
        "replaced_by": (str(_("replaced by")), str(_("replaces"))),
    }


def _layout() -> dict[str, object]:
    labels = field_labels()
    # ``verification`` is shown as a badge in the need's content (badges.py)
    ours = [*labels, "verification"]
    # layout lines are parsed as reST before the functions run: the bold markup of
    # the prefix must be escaped to reach ``meta`` whole
    meta = [
        f'<<meta("{name}", prefix="\\*\\*{label}\\*\\*: ")>>'
        for name, label in labels.items()
    ]
    meta.append(f"<<meta_all(no_links=True, exclude={ours!r})>>")
    meta.append("<<meta_links_all()>>")
    return {
        "grid": "simple",
        "layout": {
            "head": [
                '<<meta("type_name")>>: **<<meta("title")>>** <<meta_id()>>',
            ],
            "meta": meta,
        },
    }


def register_needs_schema(app: Sphinx, config: Config) -> None:
    """``config-inited`` above priority 12: types, fields, links, layout, IDs."""
    for kind, title in type_titles().items():
        add_need_type(app, kind.value, title, PREFIXES[kind], _TYPE_COLORS[kind], "node")
    for name in FIELDS:
        add_field(
            name,
            f"sphinx_crmrisk: {name}",
            schema={"type": "string"},
            nullable=True,
        )
    links = dict(config.needs_links or {})
    for name, (outgoing, incoming) in link_labels().items():
        links.setdefault(name, {"outgoing": outgoing, "incoming": incoming})
    config.needs_links = links
    add_need_layout(app, LAYOUT, _layout())
    if config.needs_default_layout == "clean":
        config.needs_default_layout = LAYOUT
    if config.needs_id_regex == SPHINX_NEEDS_DEFAULT_ID_REGEX:
        config.needs_id_regex = ID_REGEX
    string_links = dict(config.needs_string_links or {})
    string_links.setdefault(
        "crmrisk_source",
        {
            "regex": r"^(?P<url>https?://\S+)$",
            "link_url": "{{url}}",
            "link_name": "{{url}}",
            "options": ["source"],
        },
    )
    config.needs_string_links = string_links
    config.needs_build_json = True
