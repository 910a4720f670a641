"""Need types, fields, link types and layouts, registered with sphinx-needs.

Added to a host sphinx-needs project, the extension changes nothing of the host's own
types, fields, links, IDs and layouts (docs/how-to/coexistence.md): it registers
nothing when no source file holds one of its directives (``crmrisk_enable = "auto"``),
refuses names the host already uses with one ConfigError naming each clash and the
``crmrisk_*_names`` value that resolves it, extends the host's ID rule rather than
replacing it, and gives its layouts to its own kinds only.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError
from sphinx.util.matching import get_matching_files
from sphinx_needs.api import add_field, add_need, add_need_layout, add_need_type
from sphinx_needs.config import _NEEDS_CONFIG, NeedsSphinxConfig
from sphinx_needs.data import NeedsCoreFields

from .config import get_config, set_enabled
from .i18n import _
from .kinds import (
    DEFAULT_NAMES,
    FIELD_SPECS,
    FIELDS,
    KIND_SPECS,
    LINK_SPECS,
    N_,
    Kind,
    Names,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: sphinx-needs' default ID pattern takes no hyphen; ours does (``OBL-RGPD-30``).
SPHINX_NEEDS_DEFAULT_ID_REGEX = "^[A-Z0-9_]{5,}"
#: The IDs of our items: added to the host's rule as an alternative, never in its place.
ID_REGEX = "^[A-Z0-9][A-Z0-9_-]{2,}$"
#: The prefix of our layouts' names: ``crmrisk-obligation``...
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


def _excluded(names: Names = DEFAULT_NAMES) -> list[str]:
    """Our own fields, and the core fields our layouts show, left out of ``meta_all``.

    Each is shown (with its label) or not at all. ``verification`` is shown as a badge
    in the need's content (badges.py); ``layout`` is set on every need of ours by the
    ``needs_fields`` predicates below, and would otherwise show as ``layout: ...``.
    """
    return ["status", *(names.field(name) for name in FIELDS), "layout"]


def _layout(fields: list[str], names: Names = DEFAULT_NAMES) -> dict[str, object]:
    """A need layout showing ``fields`` (canonical names), with their labels.

    sphinx-needs parses each layout line, and its prefix, as reST before it looks
    whether the need has the field (``LayoutHandler.meta``): a line costs every need
    it is rendered on, so each kind's layout lists only the fields of that kind.
    """
    labels = field_labels()
    shown = {name if name == "status" else names.field(name): labels[name] for name in fields}
    # layout lines are parsed as reST before the functions run: the bold markup of
    # the prefix must be escaped to reach ``meta`` whole
    meta = [
        f'<<meta("{name}", prefix="\\*\\*{label}\\*\\*: ")>>'
        for name, label in shown.items()
    ]
    # what the user adds (their own ``needs_fields``, tags...) stays visible
    meta.append(f"<<meta_all(no_links=True, exclude={_excluded(names)!r})>>")
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


def layout_predicates(names: Names = DEFAULT_NAMES) -> list[tuple[str, str]]:
    """``needs_fields["layout"]["predicates"]``: each kind's need gets its layout.

    They test the need's type, so a host's needs (of its own types) are never given
    one of our layouts.
    """
    return [(f'type == "{names.type(kind)}"', kind_layout(kind)) for kind in _PREDICATE_ORDER]


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
    """``config-inited`` at priority 20: after sphinx-needs has read the host's values
    (``needs_from_toml``: 10, mapping-shaped ``needs_types``: 12), before it registers
    them (500). Registers nothing for a project without crmrisk items."""
    values = get_config(app)
    names = values.names
    enabled = values.enable is True or (
        values.enable == "auto"
        and has_our_directives(app, config, _our_directives(config, names))
    )
    set_enabled(app, enabled)
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
        add_need_layout(app, kind_layout(kind), _layout(kind_fields(kind), names))
    if _layout_left_at_default(config):
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
            "options": [names.field("source")],
        },
    )
    config.needs_string_links = string_links
    # the crmrisk command reads the needs.json
    config.needs_build_json = True
    _add_static_files(app, config)


#: The stylesheets of the need layouts and of the views, in ``static/``.
STYLESHEETS = ("crmrisk.css", "crmrisk-views.css")
#: The matrix's filter box and sortable columns.
MATRIX_SCRIPT = "crmrisk-matrix.js"


def _add_static_files(app: Sphinx, config: Config) -> None:
    config.html_static_path.append(str(Path(__file__).parent / "static"))
    for name in STYLESHEETS:
        app.add_css_file(name)
    app.connect("builder-inited", _add_matrix_script)


def _add_matrix_script(app: Sphinx) -> None:
    # only pages written as HTML run it (an epub or a singlehtml page gets no filter box)
    if app.builder.format == "html":
        app.add_js_file(MATRIX_SCRIPT, defer="defer")


# -- names the host already uses ---------------------------------------------------


def _entry_names(entries: Iterable[Any], key: str) -> set[str]:
    """The names of a list of ``needs_extra_options``/``needs_extra_links`` entries."""
    found = set()
    for entry in entries or ():
        name = entry if isinstance(entry, str) else entry.get(key) if isinstance(entry, dict) else None
        if isinstance(name, str):
            found.add(name)
    return found


def host_names(config: Config) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """The host's need types, and its link and field names, each with where it is set.

    Read from the config values (final at priority 20) and, for types and fields that
    other extensions add from code, from sphinx-needs' registry (which holds nothing of
    the host's own ``needs_fields`` yet).
    """
    types = {str(t["directive"]) for t in NeedsSphinxConfig(config).types}
    links: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name in config.needs_links or {}:
        links[name] = "needs_links"
    for name in _entry_names(config.needs_extra_links, "option"):
        links.setdefault(name, "needs_extra_links")
    for entry in NeedsSphinxConfig(config).types:
        for name in entry.get("links") or {}:
            links.setdefault(name, f"needs_types ({entry['directive']})")
        for name in entry.get("fields") or {}:
            fields.setdefault(name, f"needs_types ({entry['directive']})")
    for name in config.needs_fields or {}:
        if name not in NeedsCoreFields:  # a core entry (``layout``) specialises a core field
            fields.setdefault(name, "needs_fields")
    for name in _entry_names(config.needs_extra_options, "name"):
        fields.setdefault(name, "needs_extra_options")
    for name in getattr(_NEEDS_CONFIG, "fields", {}) or {}:
        fields.setdefault(name, "another extension's add_field")
    for name in ("links", "parent_needs"):
        links.setdefault(name, "sphinx-needs")
    # a need's fields reach add_need() as keyword arguments: a field named like one of
    # its parameters (``state``, ``docname``...) makes sphinx-needs crash on every need
    for name, parameter in inspect.signature(add_need).parameters.items():
        if parameter.kind is not parameter.VAR_KEYWORD:
            fields.setdefault(name, "a parameter of sphinx-needs' add_need()")
    return types, links, fields


def name_clashes(config: Config, names: Names) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Each name of ours the host already uses, in a sentence, and the renaming that
    resolves them all: ``{"crmrisk_type_names": {"risk": "crm_risk"}, ...}`` (the
    project's own renamings kept)."""
    types, links, fields = host_names(config)
    core = set(NeedsCoreFields)
    clashes: list[str] = []
    fixes: dict[str, dict[str, str]] = {}

    def clash(what: str, canonical: str, sentence: str, current: dict[str, str]) -> None:
        clashes.append(sentence)
        value = fixes.setdefault(f"crmrisk_{what}_names", dict(current))
        value[canonical] = f"crm_{canonical}"

    given_types = {k.value: v for k, v in names.types.items() if k.value != v}
    for kind, name in names.types.items():
        if name in types:
            clash(
                "type",
                kind.value,
                f"need type {name!r} is already defined by the project "
                "(needs_types, or another extension)",
                given_types,
            )
    for what, ours in (("field", names.fields), ("link", names.links)):
        given = {k: v for k, v in ours.items() if k != v}
        for canonical, name in ours.items():
            where = fields.get(name) or links.get(name) or ("a core field" if name in core else None)
            if where is None:
                continue
            kind_of = "field" if name in fields or name in core else "link type"
            clash(
                what,
                canonical,
                f"our {what} {name!r} is already a {kind_of} of the project ({where})",
                given,
            )
    for kind in Kind:
        if kind_layout(kind) in (config.needs_layouts or {}):
            clashes.append(
                f"the project's needs_layouts defines {kind_layout(kind)!r}, the name of "
                f"our layout for {names.type(kind)} items: give the project's another name"
            )
    return clashes, fixes


def check_names(config: Config, names: Names) -> None:
    """A ConfigError naming every name of ours the host already uses, and the values
    that resolve them all at once."""
    clashes, fixes = name_clashes(config, names)
    if clashes:
        message = "sphinx_crmrisk: " + "; ".join(clashes) + "."
        if fixes:
            values = " and ".join(f"{name} = {value!r}" for name, value in fixes.items())
            message += f" Set {values} in conf.py to register ours under other names."
        raise ConfigError(message + " (docs/how-to/coexistence.md)")


# -- the ID rule -------------------------------------------------------------------

_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def extended_id_regex(host: str | None) -> str | None:
    """The host's ``needs_id_regex`` with an alternative for our IDs: never narrowed.

    sphinx-needs tests an ID with ``re.match`` (``needextract``: ``re.fullmatch``);
    ``(?:host)|(?:ours)`` matches, either way, exactly when one of the two does, each
    keeping its own anchors. An empty rule (no check) is left as it is, and so is one
    already extended. A leading ``(?i)`` becomes the scoped ``(?i:...)``, which Python
    allows inside a group.
    """
    if not host or host == ID_REGEX:
        return host
    ours = f"(?:{ID_REGEX})"
    if host.endswith("|" + ours):
        return host
    flags = _GLOBAL_FLAGS.match(host)
    scoped = f"(?{flags[1]}:{host[flags.end():]})" if flags else f"(?:{host})"
    combined = f"{scoped}|{ours}"
    try:
        re.compile(combined)
    except re.error as err:
        raise ConfigError(
            f"needs_id_regex {host!r} cannot be extended with the IDs of sphinx_crmrisk "
            f"({ID_REGEX}): {err}"
        ) from None
    return combined


# -- whether the project has crmrisk items ---------------------------------------------

#: Suffixes always looked at: documents, included files, notebooks.
_SCANNED_SUFFIXES = (".rst", ".md", ".txt", ".inc", ".ipynb", ".myst", ".rest")


def _our_directives(config: Config, names: Names) -> list[str]:
    """Our directive names that are not the host's: a host's own ``.. risk::`` is its
    need, not a sign of ours (its other directives of ours still are, and then the
    clash of names is reported)."""
    from .catalogue_directive import CATALOGUE_DIRECTIVE

    host_types = {str(t["directive"]) for t in NeedsSphinxConfig(config).types}
    return sorted((set(names.types.values()) - host_types) | {CATALOGUE_DIRECTIVE})


class DirectivePattern:
    """Finds a line that starts one of ``directives``: reST ``.. obligation::``, MyST
    ```` ```{obligation} ```` or ``:::{obligation}`` (also as a line of a notebook's JSON).

    Each form is searched by a pattern that starts with a literal (``..``, ``{``), which
    ``re`` finds fast, and a match is kept when only indentation (and a fence) comes
    before it on its line: 25 times the speed of one pattern anchored at every line
    start (10 MB of sources without a match: 0.02 s, not 0.3 s). Directive names are
    matched as registered (lower case by default).
    """

    def __init__(self, directives: Iterable[str]) -> None:
        alternatives = "|".join(re.escape(name) for name in sorted(directives))
        self._forms = (
            (re.compile(rf"\.\.[ \t]+(?:{alternatives})[ \t]*::"), _RST_LEAD),
            (re.compile(rf"\{{(?:{alternatives})\}}"), _FENCE_LEAD),
        )

    def search(self, text: str) -> bool:
        for pattern, lead in self._forms:
            for match in pattern.finditer(text):
                line_start = text.rfind("\n", 0, match.start()) + 1
                if lead.fullmatch(text, line_start, match.start()):
                    return True
        return False


#: What may come before a directive on its line: indentation, and in a notebook's JSON
#: the quote of the string that holds the line.
_RST_LEAD = re.compile(r'[ \t]*"?[ \t]*')
_FENCE_LEAD = re.compile(r'[ \t]*"?[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*')


def directive_pattern(directives: Iterable[str]) -> DirectivePattern | None:
    """The :class:`DirectivePattern` of ``directives``; None when there is none."""
    directives = sorted(directives)
    return DirectivePattern(directives) if directives else None


def _source_suffixes(app: Sphinx, config: Config) -> tuple[str, ...]:
    suffixes = set(_SCANNED_SUFFIXES)
    configured = config.source_suffix
    if isinstance(configured, str):
        suffixes.add(configured)
    else:
        suffixes.update(configured or ())
    suffixes.update(getattr(app.registry, "source_suffix", {}) or {})
    return tuple(sorted(suffixes))


def scanned_files(app: Sphinx, config: Config) -> Iterator[Path]:
    """The files of the source folder that may hold a directive, as Sphinx finds its
    documents (``exclude_patterns``), the output and doctree folders left out."""
    srcdir = Path(app.srcdir)
    suffixes = _source_suffixes(app, config)
    skipped = [
        Path(folder).resolve()
        for folder in (app.outdir, app.doctreedir)
        if folder
    ]
    excluded = list(config.exclude_patterns or ())
    for folder in skipped:
        try:
            relative = folder.relative_to(srcdir.resolve())
        except ValueError:
            continue
        excluded.append(relative.as_posix() + "/**")
        excluded.append(relative.as_posix())
    for name in get_matching_files(srcdir, exclude_patterns=excluded):
        if name.endswith(suffixes):
            yield srcdir / name


def has_our_directives(app: Sphinx, config: Config, directives: list[str]) -> bool:
    """Whether a source file holds one of ``directives`` (``crmrisk_enable = "auto"``).

    Decided at ``config-inited``: the directives must exist before any page is read.
    Stops at the first file that holds one.
    """
    pattern = directive_pattern(directives)
    if pattern is None:
        return False
    for path in scanned_files(app, config):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if pattern.search(text):
            return True
    return False
