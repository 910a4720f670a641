"""Labels that readers see, translated through Sphinx (catalog ``sphinx_crmrisk``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.locale import get_translation

from .catalog import CATALOG, LOCALE_DIR

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["CATALOG", "LOCALE_DIR", "_", "setup_i18n"]

_ = get_translation(CATALOG)


def setup_i18n(app: Sphinx) -> None:
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
