"""The ``crmrisk_*`` configuration values: declared, validated, and recorded by each build.

needs.json says nothing of the reference date or the inactive statuses a build used;
without them the ``crmrisk`` command and the notebooks could assess the same data
differently from the build. So every build writes its values beside its needs.json
(:data:`CONFIG_JSON`), the reference date resolved: a build without ``crmrisk_today``
records the day it ran.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError

from .model import DEFAULT_INACTIVE_STATUSES, DEFAULT_REQUIRED_FIELDS, parse_date

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

PREFIX = "crmrisk_"
#: Written by every build beside its needs.json.
CONFIG_JSON = "crmrisk-config.json"


@dataclass(frozen=True)
class CrmriskConfig:
    """Each field is the Sphinx config value ``crmrisk_<name>``.

    ``rebuild`` is what Sphinx re-does when the value changes between two builds.
    """

    # "html": the states are rendered at write time; nothing read depends on them
    today: str | None = field(
        default=None,
        metadata={
            "rebuild": "html",
            "doc": "Reference date YYYY-MM-DD for lapsed and upcoming obligations "
            "(default: the build date). Set it for reproducible builds.",
        },
    )
    inactive_statuses: tuple[str, ...] = field(
        default=DEFAULT_INACTIVE_STATUSES,
        metadata={
            "rebuild": "html",
            "doc": "Statuses of a clause or procedure whose 'covers' links do not count.",
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
    exports: bool = field(
        default=True,
        metadata={
            "rebuild": "",
            "doc": "Write traceability.csv/.xlsx/.json into the HTML output.",
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

    @property
    def reference_date(self) -> dt.date:
        return parse_date(self.today) if self.today else dt.date.today()


def _config_name(f: Any) -> str:
    """``crmrisk_<name>``, or the Sphinx value a field copies (``language``)."""
    return f.metadata.get("sphinx_name") or PREFIX + f.name


def crmrisk_fields() -> list[Any]:
    """The fields that are ``crmrisk_*`` config values (not those Sphinx declares)."""
    return [f for f in fields(CrmriskConfig) if "sphinx_name" not in f.metadata]


def setup_config(app: Sphinx) -> None:
    for f in crmrisk_fields():
        app.add_config_value(
            PREFIX + f.name,
            f.default,
            f.metadata["rebuild"],
            types=_accepted_types(f.default),
            description=f.metadata["doc"],
        )


def _accepted_types(default: Any) -> tuple[type, ...] | frozenset[type]:
    if isinstance(default, tuple):
        return (list, tuple)
    if isinstance(default, bool):
        return (bool,)
    return (str, type(None))


def default_values() -> dict[str, Any]:
    """Each ``crmrisk_*`` value's default, by its config name."""
    return {_config_name(f): f.default for f in fields(CrmriskConfig)}


def read_config(config: Config | dict[str, Any]) -> CrmriskConfig:
    """The validated values; a wrong one stops the build with a ConfigError."""
    values = {f.name: config[_config_name(f)] for f in fields(CrmriskConfig)}
    for name in ("today", "law_date"):
        date = values[name]
        if date is not None and (not isinstance(date, str) or parse_date(date) is None):
            raise ConfigError(f"{PREFIX}{name} must be a date YYYY-MM-DD, not {date!r}")
    delimiter = values["csv_delimiter"]
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"
    ):
        raise ConfigError(
            f"{PREFIX}csv_delimiter must be one character other than a quote or a line "
            f"break, not {delimiter!r}"
        )
    values["language"] = values["language"] or "en"
    if not isinstance(values["language"], str):
        raise ConfigError(f"language must be a string, not {values['language']!r}")
    for name in ("inactive_statuses", "required_fields"):
        value = values[name]
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{PREFIX}{name} must be a list of strings, not {value!r}")
        values[name] = tuple(value)
    for name in ("fail_on_uncovered", "exports"):
        if not isinstance(values[name], bool):
            raise ConfigError(f"{PREFIX}{name} must be True or False, not {values[name]!r}")
    return CrmriskConfig(**values)


def validate_config(app: Sphinx, config: Config) -> None:
    """``config-inited``: validate once and keep the result on the app."""
    app.crmrisk_config = read_config(config)  # type: ignore[attr-defined]


def get_config(app: Sphinx) -> CrmriskConfig:
    return app.crmrisk_config  # type: ignore[attr-defined]


def recorded_values(config: CrmriskConfig) -> dict[str, Any]:
    resolved = replace(config, today=config.reference_date.isoformat())
    values = asdict(resolved)
    return {_config_name(f): values[f.name] for f in fields(CrmriskConfig)}


def write_build_values(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: beside the needs.json that sphinx-needs writes on every build."""
    if exception is not None:
        return
    path = Path(app.outdir) / CONFIG_JSON
    values = recorded_values(get_config(app))
    path.write_text(json.dumps(values, ensure_ascii=False, indent=1), encoding="utf-8")


def read_recorded_values(file: Path) -> CrmriskConfig:
    """The values a build recorded; a value the record lacks (an older build's) takes its
    default. Raises ValueError, with the reason, on an unusable record."""
    try:
        values = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read: {err}") from None
    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    try:
        return read_config({**default_values(), **values})
    except ConfigError as err:
        raise ValueError(str(err)) from None
