"""Need types, fields, link types and the layout, registered with sphinx-needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_needs.api import add_field, add_need_layout, add_need_type

from .i18n import _
from .kinds import FIELD_SPECS, FIELDS, KIND_SPECS, LINK_SPECS, N_, Kind

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: sphinx-needs' default ID pattern takes no hyphen; ours does (``OBL-RGPD-30``).
SPHINX_NEEDS_DEFAULT_ID_REGEX = "^[A-Z0-9_]{5,}"
ID_REGEX = "^[A-Z0-9][A-Z0-9_-]{2,}$"
LAYOUT = "crmrisk"

STATUS_LABEL = N_("Status")


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
        name: (str(_(link.outgoing)), str(_(link.incoming)))
        for name, link in LINK_SPECS.items()
    }


def _excluded() -> list[str]:
    """Our own fields, and the core fields our layouts show, left out of ``meta_all``.

    Each is shown (with its label) or not at all. ``verification`` is shown as a badge
    in the need's content (badges.py); ``layout`` is set on every need of ours by the
    ``needs_fields`` predicates below, and would otherwise show as ``layout: ...``.
    """
    return ["status", *FIELDS, "layout"]


def _layout(fields: list[str] | None = None) -> dict[str, object]:
    """A need layout showing ``fields`` (all of ours when None), with their labels.

    sphinx-needs parses each layout line, and its prefix, as reST before it looks
    whether the need has the field (``LayoutHandler.meta``): a line costs every need
    it is rendered on, so each kind's layout lists only the fields of that kind.
    """
    labels = field_labels()
    if fields is None:
        fields = [n for n in labels if n == "status" or FIELD_SPECS[n].in_layout]
    shown = {name: labels[name] for name in fields}
    # layout lines are parsed as reST before the functions run: the bold markup of
    # the prefix must be escaped to reach ``meta`` whole
    meta = [
        f'<<meta("{name}", prefix="\\*\\*{label}\\*\\*: ")>>'
        for name, label in shown.items()
    ]
    # what the user adds (their own ``needs_fields``, tags...) stays visible
    meta.append(f"<<meta_all(no_links=True, exclude={_excluded()!r})>>")
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


def kind_layout(kind: Kind) -> str:
    """The name of the layout of a kind's needs: ``crmrisk-clause``..."""
    return f"{LAYOUT}-{kind.value}"


def kind_fields(kind: Kind) -> list[str]:
    """The fields a kind's layout shows: ``status``, then the kind's own fields that
    are laid out, in the order of :data:`~.kinds.FIELD_SPECS`."""
    return ["status"] + [
        name
        for name, spec in FIELD_SPECS.items()
        if spec.in_layout and kind in FIELDS[name]
    ]


#: Most frequent kinds first: sphinx-needs evaluates the predicates of a need in turn.
_PREDICATE_ORDER = (Kind.OBLIGATION, Kind.CLAUSE, Kind.PROCEDURE, Kind.RISK, Kind.PHASE)


def layout_predicates() -> list[tuple[str, str]]:
    """``needs_fields["layout"]["predicates"]``: each kind's need gets its layout."""
    return [(f'type == "{kind.value}"', kind_layout(kind)) for kind in _PREDICATE_ORDER]


def _layout_left_at_default(config: Config) -> bool:
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


def register_needs_schema(app: Sphinx, config: Config) -> None:
    """``config-inited`` above priority 12: types, fields, links, layout, IDs."""
    for kind, title in type_titles().items():
        spec = KIND_SPECS[kind]
        add_need_type(app, kind.value, title, spec.prefix, spec.color, "node")
    for name, field in FIELD_SPECS.items():
        add_field(
            name,
            f"sphinx_crmrisk: {field.doc}",
            schema={"type": "string"},
            nullable=True,
        )
    links = dict(config.needs_links or {})
    for name, (outgoing, incoming) in link_labels().items():
        links.setdefault(name, {"outgoing": outgoing, "incoming": incoming})
    config.needs_links = links
    add_need_layout(app, LAYOUT, _layout())
    for kind in Kind:
        add_need_layout(app, kind_layout(kind), _layout(kind_fields(kind)))
    if _layout_left_at_default(config):
        # each kind's needs get their own layout, as a default of the core ``layout``
        # field (sphinx-needs' ``needs_fields`` predicates): a need's own ``:layout:``
        # still wins
        fields = dict(config.needs_fields or {})
        fields["layout"] = {**fields.get("layout", {}), "predicates": layout_predicates()}
        config.needs_fields = fields
    if config.needs_default_layout == "clean":
        # needs of other types: the layout of all our fields, as before
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
