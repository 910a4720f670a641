"""Labels that readers see, translated through Sphinx (catalog ``sphinx_crmrisk``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.locale import get_translation

if TYPE_CHECKING:
    from sphinx.application import Sphinx

CATALOG = "sphinx_crmrisk"
LOCALE_DIR = Path(__file__).parent / "locale"

_ = get_translation(CATALOG)


def setup_i18n(app: Sphinx) -> None:
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
