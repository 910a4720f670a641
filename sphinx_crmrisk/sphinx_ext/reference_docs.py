"""Directives for the extension's own documentation (``docs/``), not for users' projects.

Each renders a reference table from the code that defines it, so the reference cannot
drift from the code: the configuration values (:class:`sphinx_crmrisk.settings.Settings`),
the warning subtypes (:data:`sphinx_crmrisk.warning_types.WARNING_SUBTYPES`), the need
kinds, fields and link types (:mod:`sphinx_crmrisk.kinds`), the columns of a register
(:mod:`sphinx_crmrisk.register`), the views, the ``crmrisk``
command (:func:`sphinx_crmrisk.cli.build_parser`) and the ``traceability.json`` schema.
Add ``"sphinx_crmrisk.sphinx_ext.reference_docs"`` to ``extensions``.

Every table carries the class ``crmrisk-ref-<what>`` (``crmrisk-ref-config``...):
``tests/test_docs.py`` reads the built HTML by it and compares it with the code.
"""

from __future__ import annotations

import argparse
import gettext
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from .. import __version__
from ..cli import build_parser
from ..exports import SCHEMA_FILE
from ..kinds import (
    FIELD_SPECS,
    FIELDS,
    KIND_SPECS,
    KIND_STATUSES,
    LINK_SPECS,
    STATUS_DOCS,
    STATUS_WORDS,
    Kind,
    Status,
)
from ..register import KIND_WORDS, REGISTER_COLUMNS
from ..scope import ACTIVITIES, IMPLIES
from ..settings import PREFIX, crmrisk_fields, default_of
from ..translations import CATALOG, LOCALE_DIR
from ..warning_types import BUILD_ONLY_SUBTYPES, WARNING_SUBTYPES, WARNING_TYPE
from .views import VIEWS
from .views.base import PlaceholderDirective
from .views.base import table as view_table
from .views.nodes import Cell

if TYPE_CHECKING:
    from sphinx.application import Sphinx

SCHEMA = SCHEMA_FILE
#: The width the usage lines are wrapped at (whatever the terminal's): the page's column.
USAGE_WIDTH = 64


def code(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def codes(texts: Iterable[str]) -> list[nodes.Node]:
    """``a``, ``b``: literals separated by commas."""
    result: list[nodes.Node] = []
    for text in texts:
        if result:
            result.append(nodes.Text(", "))
        result.append(code(text))
    return result


def table(what: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> nodes.table:
    """A table of class ``crmrisk-ref-<what>``, made as the views make theirs."""
    return view_table(headers, list(rows), lambda cells: cells, [f"crmrisk-ref-{what}"])


def french(msgid: str) -> str:
    """A label in the extension's French catalog (the handbook's language)."""
    try:
        catalog = gettext.translation(CATALOG, str(LOCALE_DIR), languages=["fr"])
    except OSError:
        return msgid
    return catalog.gettext(msgid)


def label(msgid: str) -> list[nodes.Node]:
    """``covered by`` (fr: « couverte par »)."""
    translated = french(msgid)
    if translated == msgid:
        return [nodes.Text(msgid)]
    return [nodes.Text(f"{msgid} (fr: «\u202f{translated}\u202f»)")]


def python_value(value: Any) -> str:
    """A default as it is written in ``conf.py``: tuples as lists."""
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)


class _Reference(SphinxDirective):
    has_content = False
    required_arguments = 0
    optional_arguments = 0


class ConfigReference(_Reference):
    """``crmrisk-config-reference``: one row per ``crmrisk_*`` value."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(PREFIX + f.name),
                code(python_value(default_of(f))),
                code(f.metadata["rebuild"]) if f.metadata["rebuild"] else "nothing",
                f.metadata["doc"],
            )
            for f in crmrisk_fields()
        ]
        return [table("config", ("Value", "Default", "Rebuild", "Meaning"), rows)]


class WarningsReference(_Reference):
    """``crmrisk-warnings-reference``: one row per warning subtype."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(f"{WARNING_TYPE}.{subtype}"),
                doc,
                "the build only"
                if subtype in BUILD_ONLY_SUBTYPES
                else "the build and crmrisk check",
            )
            for subtype, doc in sorted(WARNING_SUBTYPES.items())
        ]
        return [table("warnings", ("Subtype", "Meaning", "Reported by"), rows)]


class KindsReference(_Reference):
    """``crmrisk-kinds-reference``: one row per need kind."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(kind.value),
                code(spec.prefix),
                label(spec.title),
                codes(spec.fields) or "",
                spec.doc,
            )
            for kind, spec in KIND_SPECS.items()
        ]
        return [table("kinds", ("Directive", "ID prefix", "Title", "Fields", "What it is"), rows)]


def _kind_names(kinds: Iterable[Kind]) -> list[nodes.Node]:
    """In the order of :data:`~.kinds.KIND_SPECS`."""
    chosen = set(kinds)
    return codes(kind.value for kind in KIND_SPECS if kind in chosen)


class FieldsReference(_Reference):
    """``crmrisk-fields-reference``: one row per field of ours."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (code(name), _kind_names(FIELDS[name]), label(spec.label), spec.doc)
            for name, spec in FIELD_SPECS.items()
        ]
        return [table("fields", ("Field", "Kinds", "Label", "Meaning"), rows)]


class LinksReference(_Reference):
    """``crmrisk-links-reference``: one row per link type."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(name),
                _kind_names(spec.sources),
                _kind_names(spec.targets),
                label(spec.outgoing),
                label(spec.incoming),
                spec.doc,
            )
            for name, spec in LINK_SPECS.items()
        ]
        headers = ("Link", "From", "To", "Label on the source", "Label on the target", "Meaning")
        return [table("links", headers, rows)]


class ActivitiesReference(_Reference):
    """``crmrisk-activities-reference``: one row per activity word of ``applies_to`` and
    ``crmrisk_profile`` (:mod:`.scope`), with the words it implies."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (code(word), doc, codes(sorted(IMPLIES.get(word, ()))) or "")
            for word, doc in ACTIVITIES.items()
        ]
        return [table("activities", ("Activity", "Meaning", "Implies"), rows)]


class RegisterColumnsReference(_Reference):
    """``crmrisk-register-columns-reference``: one row per column of a register
    (:data:`sphinx_crmrisk.register.REGISTER_COLUMNS`), with the headings read."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(name),
                codes(dict.fromkeys((*column.synonyms, column.heading))),
                _kind_names(column.kinds),
                "yes" if column.required else "no",
                column.doc,
            )
            for name, column in REGISTER_COLUMNS.items()
        ]
        headers = ("Column", "Headings read", "Kinds", "Required", "What it holds")
        return [table("register-columns", headers, rows)]


class RegisterWordsReference(_Reference):
    """``crmrisk-register-words-reference``: the words of the type and status columns."""

    def run(self) -> list[nodes.Node]:
        rows: list[tuple[Cell, ...]] = [
            ("type", code(kind.value), codes(words)) for kind, words in KIND_WORDS.items()
        ]
        rows += [
            ("status", code(status.value), codes(STATUS_WORDS[status]))
            for status in KIND_STATUSES[Kind.CLAUSE]
        ]
        return [table("register-words", ("Column", "Written", "Words read"), rows)]


class StatusesReference(_Reference):
    """``crmrisk-statuses-reference``: one row per status (:data:`~.kinds.Status`), with
    the kinds that may have it and the words, French and English, that say it."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(status.value),
                _kind_names(kind for kind, allowed in KIND_STATUSES.items() if status in allowed),
                codes(STATUS_WORDS[status]),
                STATUS_DOCS[status],
            )
            for status in Status
        ]
        return [table("statuses", ("Status", "Kinds", "Words", "Meaning"), rows)]


def view_directives() -> dict[str, type[PlaceholderDirective]]:
    """The views the extension registers, by name."""
    return {name: directive for name, (directive, _render) in sorted(VIEWS.items())}


def view_summary(directive: type[PlaceholderDirective]) -> str:
    """The first line of the view's module docstring, without its leading name."""
    doc = (sys.modules[directive.__module__].__doc__ or "").strip().splitlines()
    first = doc[0] if doc else ""
    first = re.sub(r"^``[^`]+``: ", "", first)
    return first[:1].upper() + first[1:]


class ViewsReference(_Reference):
    """``crmrisk-views-reference``: one row per view directive, with its options."""

    def run(self) -> list[nodes.Node]:
        rows = [
            (
                code(name),
                codes(f":{option}:" for option in directive.option_spec or {}) or "none",
                view_summary(directive),
            )
            for name, directive in view_directives().items()
        ]
        return [table("views", ("Directive", "Options", "What it shows"), rows)]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def subcommand_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each subcommand's one-line ``help``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def usage_block(parser: argparse.ArgumentParser) -> nodes.literal_block:
    text = usage(parser)
    return nodes.literal_block(text, text, language="text", classes=["crmrisk-ref-usage"])


def usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def argument_name(action: argparse.Action) -> str:
    """``--format {text,json}``, ``PATH``: as ``--help`` shows it."""
    formatter = argparse.HelpFormatter("crmrisk")
    return formatter._format_action_invocation(action)


def argument_rows(parser: argparse.ArgumentParser) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        helptext = (action.help or "") % {"prog": parser.prog, "default": action.default}
        default = action.default
        shown = (
            code(str(default))
            if default not in (None, False, argparse.SUPPRESS) and action.option_strings
            else ""
        )
        rows.append((code(argument_name(action)), helptext, shown))
    return rows


class CommandReference(_Reference):
    """``crmrisk-command-reference``: the usage, then each subcommand's usage and arguments.

    Read from :func:`sphinx_crmrisk.cli.build_parser`, the parser the command runs.
    """

    def run(self) -> list[nodes.Node]:
        parser = build_parser()
        result: list[nodes.Node] = [
            usage_block(parser),
            nodes.paragraph("", parser.description or ""),
        ]
        helps = subcommand_help(parser)
        result.append(
            table(
                "commands",
                ("Command", "What it does"),
                [
                    (code(f"{parser.prog} {name}"), helps.get(name, ""))
                    for name in subcommands(parser)
                ],
            )
        )
        for name, command in subcommands(parser).items():
            section = nodes.section(ids=[f"command-{name}"], names=[f"crmrisk {name}"])
            section += nodes.title("", "", code(command.prog))
            section += usage_block(command)
            section += nodes.paragraph("", command.description or "")
            section += table(
                f"command-{name}", ("Argument", "Meaning", "Default"), argument_rows(command)
            )
            result.append(section)
        result.append(nodes.paragraph("", f"As of sphinx-crmrisk {__version__}."))
        return result


def schema_type(prop: dict[str, Any]) -> list[nodes.Node]:
    """A property's type in words: ``string``, ``array of obligation``, one of..."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        # the id docutils gives the section's label: ``evidence_state`` -> ``evidence-state``
        ref = nodes.reference("", "", code(name), refid=nodes.make_id(f"schema-{name}"))
        return [ref]
    if "const" in prop:
        return [nodes.Text("always "), code(json.dumps(prop["const"]))]
    if "enum" in prop:
        return [nodes.Text("one of "), *codes(json.dumps(v) for v in prop["enum"])]
    kind = prop.get("type", "any")
    if kind == "array":
        return [nodes.Text("array of "), *schema_type(prop.get("items", {}))]
    if isinstance(kind, list):
        return [nodes.Text(" or ".join(kind))]
    return [nodes.Text(kind)]


class SchemaReference(_Reference):
    """``crmrisk-schema-reference [definition]``: the properties of the top-level object,
    or of one ``$defs`` entry, of ``traceability.schema.json``."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        name = self.arguments[0] if self.arguments else None
        definition = schema["$defs"][name] if name else schema
        if "properties" not in definition:
            return [nodes.paragraph("", "", *schema_type(definition))]
        required = set(definition.get("required", ()))
        rows = [
            (
                code(prop_name),
                schema_type(prop),
                "yes" if prop_name in required else "no",
                prop.get("description", ""),
            )
            for prop_name, prop in definition["properties"].items()
        ]
        what = f"schema-{name}" if name else "schema"
        return [table(what, ("Property", "Type", "Required", "Meaning"), rows)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("crmrisk-config-reference", ConfigReference)
    app.add_directive("crmrisk-warnings-reference", WarningsReference)
    app.add_directive("crmrisk-kinds-reference", KindsReference)
    app.add_directive("crmrisk-fields-reference", FieldsReference)
    app.add_directive("crmrisk-links-reference", LinksReference)
    app.add_directive("crmrisk-activities-reference", ActivitiesReference)
    app.add_directive("crmrisk-statuses-reference", StatusesReference)
    app.add_directive("crmrisk-views-reference", ViewsReference)
    app.add_directive("crmrisk-register-columns-reference", RegisterColumnsReference)
    app.add_directive("crmrisk-register-words-reference", RegisterWordsReference)
    app.add_directive("crmrisk-command-reference", CommandReference)
    app.add_directive("crmrisk-schema-reference", SchemaReference)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
