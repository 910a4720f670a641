"""Markdown text that shows source text as text (pull-request comments, ``matrix --format md``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .text import one_line

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str) -> str:
    """Backslash-escapes Markdown punctuation and turns ``<``/``&`` into entities.

    GitHub renders some inline HTML: a title holding ``<script>`` must stay text. Line
    breaks become spaces, and other control characters escapes (:mod:`.text`).
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SPECIAL.sub(r"\\\1", one_line(text.replace("\r", " ").replace("\n", " ")))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; cells are escaped here."""
    lines = [
        "| " + " | ".join(escape(h) for h in headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
