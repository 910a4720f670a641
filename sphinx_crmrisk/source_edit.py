"""Setting a need's ``:reviewed:`` option in its MyST or reST source, nothing else.

``crmrisk review`` calls :func:`set_reviewed` on the text of a source file, with the
line sphinx-needs recorded for the need: the directive's option is replaced, or added
after the directive's other options. Every other character of the file, line endings
included, is kept (a byte order mark too). No Sphinx import.
"""

from __future__ import annotations

import re

#: A line and its ending, whatever the ending (``\r\n``, ``\n``, ``\r``, none).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_MYST_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)(?:`{3,}|~{3,}|:{3,})\{(?P<name>[\w:.-]+)\}")
_RST_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\.[ \t]+(?P<name>[\w:.-]+)::")
_OPTION = re.compile(r"^(?P<indent>[ \t]*):(?P<name>[\w.-]+):(?:[ \t]|$)")
_YAML_FENCE = re.compile(r"^[ \t]*---[ \t]*$")
_YAML_KEY = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[\w.-]+)[ \t]*:")
#: How far before or after the recorded line the directive may start.
_SEARCH = (0, -1, 1, -2, 2)


#: The byte order mark, as text: U+FEFF at the start of a file.
BOM = "\ufeff"


class EditError(ValueError):
    """The directive could not be found where sphinx-needs said it was."""


def split_lines(text: str) -> list[str]:
    return _LINE.findall(text)


def _ending(line: str) -> str:
    body = line.rstrip("\r\n")
    return line[len(body) :]


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _find_directive(lines: list[str], lineno: int, directive: str) -> tuple[int, bool, str]:
    """Index of the directive's first line, whether it is MyST, and its indentation."""
    for offset in _SEARCH:
        index = lineno - 1 + offset
        if not 0 <= index < len(lines):
            continue
        for pattern, myst in ((_MYST_DIRECTIVE, True), (_RST_DIRECTIVE, False)):
            match = pattern.match(lines[index])
            if match and match["name"].rpartition(":")[2] == directive:
                return index, myst, match["indent"]
    raise EditError(f"no '{directive}' directive at line {lineno}")


def set_reviewed(text: str, lineno: int, directive: str, date: str) -> str:
    """``text`` with the ``reviewed`` option of the directive at ``lineno`` set to ``date``.

    A byte order mark at the start of the text (some Windows editors write one) is not
    part of the first line, and is kept as it was.
    """
    if text.startswith(BOM):
        return BOM + set_reviewed(text[len(BOM) :], lineno, directive, date)
    lines = split_lines(text)
    start, myst, indent = _find_directive(lines, lineno, directive)
    # the ending of the directive's own line, else of the file's first line
    ending = _ending(lines[start]) or (_ending(lines[0]) if lines else "") or "\n"
    if not _ending(lines[start]):
        lines[start] += ending
    index = start + 1
    if myst and index < len(lines) and _YAML_FENCE.match(_body(lines[index])):
        return _set_in_yaml(lines, index, date, ending)
    option_indent: str | None = None
    last = start  # the last line of the options (and of their continuation lines)
    while index < len(lines):
        body = _body(lines[index])
        match = _OPTION.match(body)
        if match and (myst or len(match["indent"]) > len(indent)):
            if option_indent is None:
                option_indent = match["indent"]
            if match["name"] == "reviewed":
                lines[index] = (
                    f"{match['indent']}:reviewed: {date}{_ending(lines[index]) or ending}"
                )
                return "".join(lines)
            last = index
        elif (
            not myst
            and option_indent is not None
            and body.strip()
            and len(body) - len(body.lstrip()) > len(option_indent)
            and last == index - 1
        ):
            last = index  # an option value continued on the next line
        else:
            break
        index += 1
    if option_indent is None:
        option_indent = indent if myst else indent + "   "
    lines.insert(last + 1, f"{option_indent}:reviewed: {date}{ending}")
    return "".join(lines)


def _set_in_yaml(lines: list[str], fence: int, date: str, ending: str) -> str:
    """MyST options given as a YAML block between ``---`` lines."""
    index = fence + 1
    key_indent = ""
    while index < len(lines) and not _YAML_FENCE.match(_body(lines[index])):
        match = _YAML_KEY.match(_body(lines[index]))
        if match:
            key_indent = match["indent"]
            if match["name"] == "reviewed":
                lines[index] = f"{key_indent}reviewed: {date}{_ending(lines[index]) or ending}"
                return "".join(lines)
        index += 1
    if index == len(lines):
        raise EditError(f"the options block opened at line {fence + 1} is not closed")
    lines.insert(index, f"{key_indent}reviewed: {date}{ending}")
    return "".join(lines)
