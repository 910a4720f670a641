"""The extension's message catalog, read without Sphinx.

The build translates the labels of its pages through Sphinx (``sphinx_ext/i18n.py``); the
library's messages (the findings, the gaps, the reports of ``crmrisk check``) and the
exports, which the ``crmrisk`` command writes too, translate theirs here, straight from
the compiled catalog, so a build and the command give the same words for the same
language; and dates are written in words (:func:`long_date`). No Sphinx import.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

CATALOG = "sphinx_crmrisk"
LOCALE_DIR = Path(__file__).parent / "locale"

_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")

#: ``gettext`` of one language: a message ID in, its translation out.
Gettext = Callable[[str], str]


def same(message: str) -> str:
    """The message itself: English, the language of the message IDs."""
    return message


@functools.lru_cache(maxsize=8)
def translations(language: str | None) -> gettext.NullTranslations:
    """The catalog of ``language`` (``fr``, ``fr_FR``, ``fr-FR``...), with ``gettext``
    and ``ngettext`` (the plural forms of the language); the messages themselves when
    the catalog has no translation for it, or for that language (None: English)."""
    # a language is a code: anything else (a recorded value is input) is English, and
    # never a path for gettext to look a catalog up in
    known = language and _LANGUAGE_CODE.match(language)
    languages = [language.replace("-", "_")] if language and known else ["en"]
    return gettext.translation(CATALOG, str(LOCALE_DIR), languages=languages, fallback=True)


def translator(language: str | None) -> Gettext:
    """``gettext`` for ``language``: see :func:`translations`."""
    return translations(language).gettext


def environment_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of the user's locale, as gettext finds it (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``): ``fr`` for ``fr_FR.UTF-8``; None for ``C`` or unset."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            first = value.split(":")[0].split(".")[0].split("@")[0]
            return None if first in ("C", "POSIX", "") else first
    return None


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
