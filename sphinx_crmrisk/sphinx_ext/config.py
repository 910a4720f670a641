"""The ``crmrisk_*`` config values, declared from :class:`~sphinx_crmrisk.settings.Settings`
and validated once, at ``config-inited``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.errors import ConfigError

from ..settings import (
    PREFIX,
    SettingsError,
    accepted_types,
    crmrisk_fields,
    default_of,
    read_settings,
)
from .state import set_build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config


def add_config_values(app: Sphinx) -> None:
    """Each field of :class:`~sphinx_crmrisk.settings.Settings` as ``crmrisk_<name>``."""
    for f in crmrisk_fields():
        app.add_config_value(
            PREFIX + f.name,
            default_of(f),
            f.metadata["rebuild"],
            types=accepted_types(f),
            description=f.metadata["doc"],
        )


def validate_config(app: Sphinx, config: Config) -> None:
    """``config-inited``: the settings, validated once and kept on the application; a
    wrong value stops the build with a ConfigError."""
    try:
        settings = read_settings(config)  # type: ignore[arg-type]
    except SettingsError as err:
        raise ConfigError(str(err)) from None
    set_build_state(app, settings)
