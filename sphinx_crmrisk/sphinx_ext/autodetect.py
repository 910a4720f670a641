"""Whether the project has crmrisk items (``crmrisk_enable = "auto"``).

Decided at ``config-inited``, before any page is read (the directives must exist by
then), by searching the source files for one of our directives: a host project without
any gets nothing of ours registered or written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util.matching import get_matching_files
from sphinx_needs.config import NeedsSphinxConfig

from ..kinds import Names
from .catalogue_directive import CATALOGUE_DIRECTIVE

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config


#: Suffixes always looked at: documents, included files, notebooks.
_SCANNED_SUFFIXES = (".rst", ".md", ".txt", ".inc", ".ipynb", ".myst", ".rest")


def our_directives(config: Config, names: Names) -> list[str]:
    """Our directive names that are not the host's: a host's own ``.. risk::`` is its
    need, not a sign of ours (its other directives of ours still are, and then the
    clash of names is reported)."""
    host_types = {str(t["directive"]) for t in NeedsSphinxConfig(config).types}
    return sorted((set(names.types.values()) - host_types) | {CATALOGUE_DIRECTIVE})


class DirectivePattern:
    """Finds a line that starts one of ``directives``: reST ``.. obligation::``, MyST
    ```` ```{obligation} ```` or ``:::{obligation}`` (also as a line of a notebook's JSON).

    Each form is searched by a pattern that starts with a literal (``..``, ``{``), which
    ``re`` finds fast, and a match is kept when only indentation (and a fence) comes
    before it on its line: 25 times the speed of one pattern anchored at every line
    start (10 MB of sources without a match: 0.02 s, not 0.3 s). Directive names are
    matched as registered (lower case by default).
    """

    def __init__(self, directives: Iterable[str]) -> None:
        alternatives = "|".join(re.escape(name) for name in sorted(directives))
        self._forms = (
            (re.compile(rf"\.\.[ \t]+(?:{alternatives})[ \t]*::"), _RST_LEAD),
            (re.compile(rf"\{{(?:{alternatives})\}}"), _FENCE_LEAD),
        )

    def search(self, text: str) -> bool:
        for pattern, lead in self._forms:
            for match in pattern.finditer(text):
                line_start = text.rfind("\n", 0, match.start()) + 1
                if lead.fullmatch(text, line_start, match.start()):
                    return True
        return False


#: What may come before a directive on its line: indentation, and in a notebook's JSON
#: the quote of the string that holds the line.
_RST_LEAD = re.compile(r'[ \t]*"?[ \t]*')
_FENCE_LEAD = re.compile(r'[ \t]*"?[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*')


def directive_pattern(directives: Iterable[str]) -> DirectivePattern | None:
    """The :class:`DirectivePattern` of ``directives``; None when there is none."""
    directives = sorted(directives)
    return DirectivePattern(directives) if directives else None


def _source_suffixes(app: Sphinx, config: Config) -> tuple[str, ...]:
    suffixes = set(_SCANNED_SUFFIXES)
    configured = config.source_suffix
    if isinstance(configured, str):
        suffixes.add(configured)
    else:
        suffixes.update(configured or ())
    suffixes.update(getattr(app.registry, "source_suffix", {}) or {})
    return tuple(sorted(suffixes))


def scanned_files(app: Sphinx, config: Config) -> Iterator[Path]:
    """The files of the source folder that may hold a directive, as Sphinx finds its
    documents (``exclude_patterns``), the output and doctree folders left out."""
    srcdir = Path(app.srcdir)
    suffixes = _source_suffixes(app, config)
    skipped = [Path(folder).resolve() for folder in (app.outdir, app.doctreedir) if folder]
    excluded = list(config.exclude_patterns or ())
    for folder in skipped:
        try:
            relative = folder.relative_to(srcdir.resolve())
        except ValueError:
            continue
        excluded.append(relative.as_posix() + "/**")
        excluded.append(relative.as_posix())
    for name in get_matching_files(srcdir, exclude_patterns=excluded):
        if name.endswith(suffixes):
            yield srcdir / name


def has_our_directives(app: Sphinx, config: Config, directives: list[str]) -> bool:
    """Whether a source file holds one of ``directives`` (``crmrisk_enable = "auto"``).

    Decided at ``config-inited``: the directives must exist before any page is read.
    Stops at the first file that holds one.
    """
    pattern = directive_pattern(directives)
    if pattern is None:
        return False
    for path in scanned_files(app, config):
        try:
            # utf-8-sig: as Sphinx reads sources (a byte order mark before a directive
            # on line 1 would hide it)
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        if pattern.search(text):
            return True
    return False
