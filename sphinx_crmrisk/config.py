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

    @property
    def reference_date(self) -> dt.date:
        return parse_date(self.today) if self.today else dt.date.today()


def setup_config(app: Sphinx) -> None:
    for f in fields(CrmriskConfig):
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
    return {PREFIX + f.name: f.default for f in fields(CrmriskConfig)}


def read_config(config: Config | dict[str, Any]) -> CrmriskConfig:
    """The validated values; a wrong one stops the build with a ConfigError."""
    values = {f.name: config[PREFIX + f.name] for f in fields(CrmriskConfig)}
    today = values["today"]
    if today is not None and (not isinstance(today, str) or parse_date(today) is None):
        raise ConfigError(f"{PREFIX}today must be a date YYYY-MM-DD, not {today!r}")
    for name in ("inactive_statuses", "required_fields"):
        value = values[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
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
    return {PREFIX + name: value for name, value in asdict(resolved).items()}


def write_build_values(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: beside the needs.json that sphinx-needs writes on every build."""
    if exception is not None:
        return
    path = Path(app.outdir) / CONFIG_JSON
    values = recorded_values(get_config(app))
    path.write_text(json.dumps(values, ensure_ascii=False, indent=1), encoding="utf-8")


def read_recorded_values(file: Path) -> CrmriskConfig:
    """The values a build recorded; a value the record lacks (an older build's) takes its
    default. Raises :class:`~.needs_json.LoadError`, naming the file and the value, on an
    unusable record."""
    from .needs_json import LoadError  # no cycle at import: needs_json reads no config

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    try:
        values = json.loads(file.read_text(encoding="utf-8"), parse_constant=refuse)
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
        return read_config({**default_values(), **values})
    except ConfigError as err:
        message = str(err).encode("utf-8", "backslashreplace").decode("utf-8")
        raise LoadError(f"{file}: unusable crmrisk values: {message}") from None
