"""The ``crmrisk_*`` settings: declared once, validated once, recorded by each build.

Each field of :class:`Settings` is the Sphinx config value ``crmrisk_<name>``: the
extension declares them from this class (``sphinx_ext/config.py``), and a build
validates them once with :func:`read_settings`. needs.json says nothing of the
reference date or the inactive statuses a build used; without them the ``crmrisk``
command and the notebooks could assess the same data differently from the build. So
every build records its settings beside its needs.json (:data:`CONFIG_JSON`), the
reference date resolved (a build without ``crmrisk_today`` records the day it ran),
and :func:`read_recorded_settings` reads them back. No Sphinx import: a bad value is a
:class:`SettingsError`, which the build reports as a ConfigError and the command as
one line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .input_paths import LoadError
from .kinds import Names
from .model import (
    DATE_YEARS,
    DEFAULT_INACTIVE_STATUSES,
    DEFAULT_REQUIRED_FIELDS,
    is_out_of_range,
    parse_date,
)
from .provenance import PROVENANCE_KEY
from .reviews import DEFAULT_REVIEW_EVERY
from .scope import not_activities

PREFIX = "crmrisk_"
#: Written by every build beside its needs.json.
CONFIG_JSON = "crmrisk-config.json"
#: The default review lock, at the project root; a build copies the lock it used
#: beside its needs.json under the same name, so that the command reads it too.
REVIEW_LOCK = "crmrisk-reviews.json"


#: The longest review cycle, in months: what an item's ``:review_every:`` can say (three
#: digits), so that a due date computed from a date of the accepted years cannot overflow.
MAX_REVIEW_EVERY = 999
#: Sphinx's ``project`` when a project sets none.
UNSET_PROJECT = "Project name not set"


class SettingsError(ValueError):
    """A ``crmrisk_*`` value that cannot be used: the message names it and says why."""


@dataclass(frozen=True)
class Settings:
    """Each field is the Sphinx config value ``crmrisk_<name>``.

    ``rebuild`` is what Sphinx re-does when the value changes between two builds.
    """

    # "html": the states are rendered at write time; nothing read depends on them
    today: str | None = field(
        default=None,
        metadata={
            "rebuild": "html",
            "doc": "Reference date YYYY-MM-DD (years 1800 to 2999) for lapsed and "
            "upcoming obligations (default: the build date). Set it for reproducible "
            "builds.",
        },
    )
    inactive_statuses: tuple[str, ...] = field(
        default=DEFAULT_INACTIVE_STATUSES,
        metadata={
            "rebuild": "html",
            "doc": "Statuses of a clause or procedure whose 'covers' links do not count, "
            "in every language of the vocabulary ('draft' makes 'brouillon' inactive too); "
            "a word of the team's own listed here is a status.",
        },
    )
    fail_on_uncovered: bool = field(
        default=True,
        metadata={
            "rebuild": "",
            "doc": "Report uncovered obligations as warnings (True) or info lines (False).",
        },
    )
    required_fields: tuple[str, ...] = field(
        default=DEFAULT_REQUIRED_FIELDS,
        metadata={
            "rebuild": "",
            "doc": "Fields every obligation must have (a phase link is always required).",
        },
    )
    profile: tuple[str, ...] | None = field(
        default=None,
        metadata={
            "rebuild": "html",
            "types": (list, tuple, type(None)),
            "doc": "The activities the organization carries out (see the activities "
            "reference); an obligation whose applies_to lists one it lacks is "
            "out_of_scope. None (default): every obligation applies.",
        },
    )
    exports: bool = field(
        default=True,
        metadata={
            "rebuild": "",
            "doc": "Write traceability.csv/.xlsx/.json into the HTML output (only when "
            "the project has crmrisk items).",
        },
    )
    pack_pdf: bool = field(
        default=False,
        metadata={
            "rebuild": "",
            "doc": "Write the audit pack's PDF (dossier-audit.pdf in French, audit-pack.pdf "
            "otherwise) into the HTML output beside the exports, so that pages can link to "
            "it; the same bytes as 'crmrisk pack' makes of the build. Made again only when "
            "what it is made from changed (with needs_reproducible_json, not at every "
            "build). Needs the pdf extra and Pango.",
        },
    )
    review_every: int = field(
        default=DEFAULT_REVIEW_EVERY,
        metadata={
            "rebuild": "html",
            "doc": "Review cycle in months (0 to 999) of a clause or procedure without "
            "':review_every:' (0: no cycle).",
        },
    )
    warn_never_reviewed: bool = field(
        default=False,
        metadata={
            "rebuild": "",
            "doc": "Warn (crmrisk.review_overdue) of a clause or procedure with no "
            "':reviewed:' date; off: it is only listed as never reviewed.",
        },
    )
    require_evidence: bool = field(
        default=False,
        metadata={
            "rebuild": "",
            "doc": "Require proof: a covered or upcoming obligation that no valid evidence "
            "proves is a crmrisk.unproven warning, and 'crmrisk check' exits 1 for it. "
            "Off: the proof is shown, not required.",
        },
    )
    review_lock: str = field(
        default=REVIEW_LOCK,
        metadata={
            "rebuild": "",
            "doc": "The review lock that suspect covers are checked against, relative to "
            "the configuration folder; written by 'crmrisk review'. No such file: no "
            "cover is suspect.",
        },
    )
    audit_pages: tuple[str, ...] | None = field(
        default=None,
        metadata={
            "rebuild": "",
            "types": (list, tuple, type(None)),
            "doc": "Docnames of the pages that load the traceability when they are read "
            "(executed notebooks): read after every other page, with the build's own needs, "
            "and re-read when the traced data changed. Default: every .ipynb document.",
        },
    )
    # "env": the names decide the directives, fields and links every page is read with
    type_names: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "rebuild": "env",
            "doc": "Our need types under other names, canonical name -> project name, "
            "e.g. {'risk': 'crm_risk'} when the project has a need type 'risk' of its own.",
        },
    )
    field_names: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "rebuild": "env",
            "doc": "Our fields under other names, canonical name -> project name, "
            "e.g. {'owner': 'crm_owner'} when the project has a field 'owner' of its own.",
        },
    )
    link_names: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "rebuild": "env",
            "doc": "Our link types under other names, canonical name -> project name, "
            "e.g. {'covers': 'crm_covers'} when the project has a link type 'covers'.",
        },
    )
    enable: str | bool = field(
        default="auto",
        metadata={
            "rebuild": "env",
            "doc": "Register the need types, fields, links and layouts: 'auto' (when a "
            "source file holds one of our directives), True (always, e.g. for needs that "
            "come from needimport or needs_external_needs) or False (never).",
        },
    )
    csv_delimiter: str | None = field(
        default=None,
        metadata={
            "rebuild": "",
            "doc": "The column separator of traceability.csv, one character (default: "
            "';' when the language is French, as a French spreadsheet expects; else ',').",
        },
    )
    law_date: str | None = field(
        default=None,
        metadata={
            "rebuild": "",
            "doc": "The date YYYY-MM-DD of the statement of the law the items reflect, "
            "written into the workbook's properties (default: the reference date).",
        },
    )
    #: Sphinx's own ``language`` (not a crmrisk_ value): recorded so that ``crmrisk
    #: matrix`` writes the exports in the build's language
    language: str = field(
        default="en",
        metadata={"sphinx_name": "language", "rebuild": "env", "doc": "Sphinx's language."},
    )
    #: Sphinx's own ``project``: recorded so that the audit pack and the printed
    #: workbook name the organization
    project: str = field(
        default="",
        metadata={"sphinx_name": "project", "rebuild": "", "doc": "Sphinx's project name."},
    )

    @property
    def organization(self) -> str:
        """Whose compliance the data states: Sphinx's ``project``, unless unset (empty,
        or Sphinx's placeholder)."""
        return "" if self.project == UNSET_PROJECT else self.project

    @cached_property
    def names(self) -> Names:
        """The project's names of our kinds, fields and links."""
        return Names.resolve(self.type_names, self.field_names, self.link_names)

    @property
    def reference_date(self) -> dt.date:
        """``today`` as a date; without one, the day the build or the command runs."""
        date = parse_date(self.today) if self.today else None
        return date or dt.date.today()


def config_name(f: Field[Any]) -> str:
    """``crmrisk_<name>``, or the Sphinx value a field copies (``language``)."""
    return str(f.metadata.get("sphinx_name") or PREFIX + f.name)


def crmrisk_fields() -> list[Field[Any]]:
    """The fields that are ``crmrisk_*`` config values (not those Sphinx declares)."""
    return [f for f in fields(Settings) if "sphinx_name" not in f.metadata]


def default_of(f: Field[Any]) -> Any:
    """A field's default, made by its factory when it has one (the dict values)."""
    if f.default is MISSING and f.default_factory is not MISSING:
        return f.default_factory()
    return f.default


def accepted_types(f: Field[Any]) -> tuple[type, ...]:
    """The Python types Sphinx accepts for the field's config value."""
    declared = f.metadata.get("types")
    if declared:
        return tuple(declared)
    default = default_of(f)
    if isinstance(default, tuple):
        return (list, tuple)
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, dict):
        return (dict,)
    if default == "auto":
        return (str, bool)
    if isinstance(default, int):
        return (int,)
    if isinstance(default, str):
        return (str,)
    return (str, type(None))


def default_values() -> dict[str, Any]:
    """Each value's default, by its config name."""
    return {config_name(f): default_of(f) for f in fields(Settings)}


def _list_of_strings(name: str, value: Any, what: str = "a list of strings") -> tuple[str, ...]:
    if (
        isinstance(value, str)
        or not isinstance(value, (list, tuple))
        or not all(isinstance(v, str) for v in value)
    ):
        raise SettingsError(f"{PREFIX}{name} must be {what}, not {value!r}")
    return tuple(value)


#: What no file name can hold: a NUL byte, a lone surrogate (not encodable).
_NOT_IN_PATHS = re.compile("[\x00\ud800-\udfff]")


def _is_path_text(text: str) -> bool:
    return _NOT_IN_PATHS.search(text) is None


def read_settings(config: Mapping[str, Any]) -> Settings:
    """The validated settings from config values by name (``crmrisk_today``...): a
    Sphinx config or a recorded JSON object. Raises :class:`SettingsError`."""
    values = {f.name: config[config_name(f)] for f in fields(Settings)}
    for name in ("today", "law_date"):
        date = values[name]
        if date is not None and (not isinstance(date, str) or parse_date(date) is None):
            years = f" of {DATE_YEARS}" if isinstance(date, str) and is_out_of_range(date) else ""
            raise SettingsError(f"{PREFIX}{name} must be a date YYYY-MM-DD{years}, not {date!r}")
    delimiter = values["csv_delimiter"]
    if delimiter is not None and (
        not isinstance(delimiter, str)
        or len(delimiter) != 1
        or delimiter in '"\r\n'
        # a control character or a lone surrogate cannot be written (tab can: TSV)
        or not (delimiter.isprintable() or delimiter == "\t")
    ):
        raise SettingsError(
            f"{PREFIX}csv_delimiter must be one printable character other than a quote "
            f"(or a tab), not {delimiter!r}"
        )
    values["language"] = values["language"] or "en"
    if not isinstance(values["language"], str):
        raise SettingsError(f"language must be a string, not {values['language']!r}")
    values["project"] = values["project"] or ""
    if not isinstance(values["project"], str):
        raise SettingsError(f"project must be a string, not {values['project']!r}")
    for name in ("inactive_statuses", "required_fields"):
        values[name] = _list_of_strings(name, values[name])
    if values["profile"] is not None:
        values["profile"] = _list_of_strings("profile", values["profile"], "a list of activities")
        refused = not_activities(values["profile"])
        if refused:
            raise SettingsError(f"{PREFIX}profile: {refused}")
    for name in (
        "fail_on_uncovered",
        "exports",
        "pack_pdf",
        "warn_never_reviewed",
        "require_evidence",
    ):
        if not isinstance(values[name], bool):
            raise SettingsError(f"{PREFIX}{name} must be True or False, not {values[name]!r}")
    every = values["review_every"]
    if isinstance(every, bool) or not isinstance(every, int) or not 0 <= every <= MAX_REVIEW_EVERY:
        raise SettingsError(
            f"{PREFIX}review_every must be a number of months from 0 to {MAX_REVIEW_EVERY}, "
            f"not {every!r}"
        )
    lock = values["review_lock"]
    if not isinstance(lock, str) or not lock.strip() or not _is_path_text(lock):
        raise SettingsError(
            f"{PREFIX}review_lock must be a file name, not {values['review_lock']!r}"
        )
    if values["audit_pages"] is not None:
        values["audit_pages"] = _list_of_strings(
            "audit_pages", values["audit_pages"], "a list of docnames"
        )
    if not (values["enable"] == "auto" or isinstance(values["enable"], bool)):
        raise SettingsError(
            f"{PREFIX}enable must be 'auto', True or False, not {values['enable']!r}"
        )
    for name in ("type_names", "field_names", "link_names"):
        value = values[name]
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise SettingsError(
                f"{PREFIX}{name} must be a dict, canonical name -> project name, not {value!r}"
            )
        values[name] = dict(value)
    result = Settings(**values)
    try:
        result.names  # noqa: B018 - the names are validated here, once
    except ValueError as err:
        raise SettingsError(str(err)) from None
    return result


def recorded_values(settings: Settings) -> dict[str, Any]:
    """What a build records: each value by its config name, the reference date resolved."""
    resolved = replace(settings, today=settings.reference_date.isoformat())
    values = asdict(resolved)
    return {config_name(f): values[f.name] for f in fields(Settings)}


def recorded_text(settings: Settings, provenance: Mapping[str, Any] | None = None) -> str:
    """The text of :data:`CONFIG_JSON`; ``provenance``: where the data came from
    (:mod:`.provenance`), recorded under its own key, which no setting reads."""
    values = recorded_values(settings)
    if provenance is not None:
        values[PROVENANCE_KEY] = dict(provenance)
    return json.dumps(values, ensure_ascii=False, indent=1)


def read_recorded_settings(file: Path) -> Settings:
    """The settings a build recorded; a value the record lacks (an older build's) takes
    its default. Raises :class:`~.needs_json.LoadError`, naming the file and the value,
    on an unusable record."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    try:
        # utf-8-sig: a byte order mark, which an editor may add, is not an error
        values = json.loads(file.read_text(encoding="utf-8-sig"), parse_constant=refuse)
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
    except ValueError as err:
        raise LoadError(f"{file}: unusable crmrisk values: {err}") from None
    except RecursionError:
        raise LoadError(f"{file}: values nested too deeply to read") from None
    if not isinstance(values, dict):
        raise LoadError(f"{file}: unusable crmrisk values: not a JSON object")
    try:
        return read_settings({**default_values(), **values})
    except SettingsError as err:
        message = str(err).encode("utf-8", "backslashreplace").decode("utf-8")
        raise LoadError(f"{file}: unusable crmrisk values: {message}") from None
