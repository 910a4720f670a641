"""Text as the sources hold it: comma-separated lists, and text made safe to print.

:func:`split_list` reads every multi-valued text (a field's ``a, b``, a command's
``--profile a,b``). :func:`one_line` and :func:`xml_text` make text safe for the
outputs that print it: one line, no control character. A title is whatever the source
(or a needs.json) holds. Printed as it is, a line break
followed by ``::error ...`` would put a workflow command at a line start of the
command's output (GitHub Actions runs it), an escape sequence would drive the
terminal, and a control character makes XML invalid. No Sphinx import.
"""

from __future__ import annotations

import re

#: Line breaks and controls (C0, DEL, C1, U+2028/2029), lone surrogates, and the
#: bidirectional overrides that make a text read otherwise than it is stored.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
#: What XML 1.0 cannot hold at all, even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def split_list(value: str) -> tuple[str, ...]:
    """``"a, b ,c"`` -> ``("a", "b", "c")``; empty parts are dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def one_line(text: str) -> str:
    """``text`` with each line break or control character written as an escape
    (``\\n``, ``\\x1b``...): shown, never acted on."""
    return _UNSAFE.sub(_escape, text)


def xml_text(text: str) -> str:
    """``text`` without what XML 1.0 forbids: each such character as an escape."""
    return _NOT_XML.sub(_escape, text)
