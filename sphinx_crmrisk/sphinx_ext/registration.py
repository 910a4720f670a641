"""Need types, fields, link types and layouts, registered with sphinx-needs.

Registers nothing when no source file holds one of our directives (``crmrisk_enable =
"auto"``, :mod:`.autodetect`), refuses names a host project already uses
(:mod:`.coexistence`), and gives its layouts (:mod:`.layouts`) to its own kinds only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_needs.api import add_field, add_need_layout, add_need_type

from ..input_paths import folder_sha256
from ..kinds import FIELD_SPECS, KIND_SPECS, Kind
from .autodetect import has_our_directives, our_directives
from .coexistence import check_names, extended_id_regex
from .layouts import (
    kind_layout,
    layout_left_at_default,
    layout_predicates,
    link_labels,
    need_layout,
    type_titles,
)
from .state import build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment


def register_needs_schema(app: Sphinx, config: Config) -> None:
    """``config-inited`` at priority 20: after sphinx-needs has read the host's values
    (``needs_from_toml``: 10, mapping-shaped ``needs_types``: 12), before it registers
    them (500). Registers nothing for a project without crmrisk items."""
    state = build_state(app)
    values = state.settings
    names = values.names
    enabled = values.enable is True or (
        values.enable == "auto" and has_our_directives(app, config, our_directives(config, names))
    )
    state.enabled = enabled
    if not enabled:
        return
    check_names(config, names)
    for kind, title in type_titles().items():
        spec = KIND_SPECS[kind]
        add_need_type(app, names.type(kind), title, spec.prefix, spec.color, "node")
    for name, field in FIELD_SPECS.items():
        add_field(
            names.field(name),
            f"sphinx_crmrisk: {field.doc}",
            schema={"type": "string"},
            nullable=True,
        )
    links = dict(config.needs_links or {})
    for name, (outgoing, incoming) in link_labels().items():
        links[names.link(name)] = {"outgoing": outgoing, "incoming": incoming}
    config.needs_links = links
    for kind in Kind:
        add_need_layout(app, kind_layout(kind), need_layout())
    if layout_left_at_default(config):
        # each kind's needs get their own layout, as a default of the core ``layout``
        # field (sphinx-needs' ``needs_fields`` predicates): a need's own ``:layout:``
        # still wins, and needs of other types keep ``needs_default_layout``
        fields = dict(config.needs_fields or {})
        fields["layout"] = {**fields.get("layout", {}), "predicates": layout_predicates(names)}
        config.needs_fields = fields
    config.needs_id_regex = extended_id_regex(config.needs_id_regex)
    string_links = dict(config.needs_string_links or {})
    string_links.setdefault(
        "crmrisk_source",
        {
            "regex": r"^(?P<url>https?://\S+)$",
            "link_url": "{{url}}",
            "link_name": "{{url}}",
            "options": [names.field("source"), names.field("document")],
        },
    )
    config.needs_string_links = string_links
    # a {need} link shows the whole title: sphinx-needs cuts it at 30 characters by
    # default ("Recueillir le consentement au consomma..."), and an obligation's French
    # title is a sentence; a project's own setting is kept
    if config.needs_role_need_max_title_length == SPHINX_NEEDS_ROLE_TITLE_LENGTH:
        config.needs_role_need_max_title_length = 0
    # the crmrisk command reads the needs.json
    config.needs_build_json = True
    _add_static_files(app, config)


#: sphinx-needs' default ``needs_role_need_max_title_length``.
SPHINX_NEEDS_ROLE_TITLE_LENGTH = 30

#: The stylesheets, the script and the other files of the pages.
STATIC_DIR = Path(__file__).parent.parent / "static"
#: The stylesheets of the need layouts and of the views, in ``static/``.
STYLESHEETS = ("crmrisk.css", "crmrisk-views.css")
#: The matrix's filter box and sortable columns.
MATRIX_SCRIPT = "crmrisk-matrix.js"


def _add_static_files(app: Sphinx, config: Config) -> None:
    config.html_static_path.append(str(STATIC_DIR))
    for name in STYLESHEETS:
        app.add_css_file(name)


#: The environment's attribute: the digest of :data:`STATIC_DIR`'s files its pages were
#: last written with.
_STATIC_DIGEST_ATTR = "crmrisk_static_digest"


def pages_to_write_for_new_assets(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: every page, when our stylesheets or script changed since the
    pages were written (an upgrade of the package).

    Sphinx copies the static files only when it writes a page: a build that finds no page
    out of date stops before, and the site would keep the old files."""
    if not build_state(app).enabled or app.builder.format != "html":
        return []
    digest = folder_sha256(STATIC_DIR)
    before = getattr(env, _STATIC_DIGEST_ATTR, None)
    setattr(env, _STATIC_DIGEST_ATTR, digest)
    # (a first build writes every page anyway; an environment of an earlier version,
    # without the digest, has its pages written again once)
    return [] if before == digest else sorted(env.found_docs)


def add_matrix_script(app: Sphinx) -> None:
    """``builder-inited``: the matrix's script, on the pages of an HTML builder only (an
    epub or a singlehtml page gets no filter box), when our types are registered."""
    if build_state(app).enabled and app.builder.format == "html":
        app.add_js_file(MATRIX_SCRIPT, defer="defer")
