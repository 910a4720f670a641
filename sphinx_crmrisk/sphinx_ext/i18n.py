"""Labels that readers see, translated through Sphinx (catalog ``sphinx_crmrisk``).

The exports, which the ``crmrisk`` command writes too, translate theirs without Sphinx
(:mod:`sphinx_crmrisk.translations`), from the same compiled catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.locale import get_translation

from ..translations import CATALOG, LOCALE_DIR

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["_", "add_message_catalog"]

_ = get_translation(CATALOG)


def add_message_catalog(app: Sphinx) -> None:
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
