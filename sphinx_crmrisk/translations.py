"""The extension's message catalog, read without Sphinx.

The build translates the labels of its pages through Sphinx (``sphinx_ext/i18n.py``); the
exports, which the ``crmrisk`` command writes too, translate theirs here, straight
from the compiled catalog, so a build and the command give the same bytes for the
same language. No Sphinx import.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path

CATALOG = "sphinx_crmrisk"
LOCALE_DIR = Path(__file__).parent / "locale"


@functools.lru_cache(maxsize=8)
def translator(language: str | None) -> Callable[[str], str]:
    """``gettext`` for ``language`` (``fr``, ``fr_FR``...): the message itself when the
    catalog has no translation for it, or for that language."""
    languages = [language] if language else []
    translations = gettext.translation(
        CATALOG, str(LOCALE_DIR), languages=languages or ["en"], fallback=True
    )
    return translations.gettext
