"""Living in a host sphinx-needs project: the names the host already uses, and its ID rule.

Added to a host project, the extension changes nothing of the host's own types, fields,
links, IDs and layouts (docs/how-to/coexistence.md): it refuses names the host already
uses with one ConfigError naming each clash and the ``crmrisk_*_names`` value that
resolves it, and extends the host's ID rule rather than replacing it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError
from sphinx_needs.api import add_need
from sphinx_needs.config import _NEEDS_CONFIG, NeedsSphinxConfig
from sphinx_needs.data import NeedsCoreFields

from ..kinds import ID_REGEX, Kind, Names
from .layouts import kind_layout

if TYPE_CHECKING:
    from sphinx.config import Config


def _entry_names(entries: Iterable[Any], key: str) -> set[str]:
    """The names of a list of ``needs_extra_options``/``needs_extra_links`` entries."""
    found = set()
    for entry in entries or ():
        name = (
            entry if isinstance(entry, str) else entry.get(key) if isinstance(entry, dict) else None
        )
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
            where = (
                fields.get(name) or links.get(name) or ("a core field" if name in core else None)
            )
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
    scoped = f"(?{flags[1]}:{host[flags.end() :]})" if flags else f"(?:{host})"
    combined = f"{scoped}|{ours}"
    try:
        re.compile(combined)
    except re.error as err:
        raise ConfigError(
            f"needs_id_regex {host!r} cannot be extended with the IDs of sphinx_crmrisk "
            f"({ID_REGEX}): {err}"
        ) from None
    return combined
