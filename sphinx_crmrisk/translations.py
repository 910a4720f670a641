"""The extension's message catalog, read without Sphinx.

The build translates the labels of its pages through Sphinx (``sphinx_ext/i18n.py``); the
exports, which the ``crmrisk`` command writes too, translate theirs here, straight
from the compiled catalog, so a build and the command give the same bytes for the
same language; and dates are written in words (:func:`long_date`). No Sphinx import.
"""

from __future__ import annotations

import datetime as dt
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


_FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def is_french(language: str | None) -> bool:
    """``fr``, ``fr_FR``, ``fr-CA``...: the catalog's one translation."""
    return (language or "").replace("-", "_").split("_")[0].lower() == "fr"


def long_date(date: dt.date, language: str | None) -> str:
    """« 5 décembre 2026 », « 1er mai 2027 » in French; "5 December 2026" otherwise.

    From a table, not the C library's locale: the same text on every machine, under
    ``LC_ALL=C`` too.
    """
    if is_french(language):
        day = "1er" if date.day == 1 else str(date.day)
        return f"{day} {_FRENCH_MONTHS[date.month - 1]} {date.year}"
    return f"{date.day} {_ENGLISH_MONTHS[date.month - 1]} {date.year}"
