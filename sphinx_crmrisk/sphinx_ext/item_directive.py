"""Each kind's directive: items in included files located there, failed items kept in view.

sphinx-needs 9.1 records a need's ``docname`` (the page) and the line of its directive,
resolved to the file the directive is written in: for an item in a file brought in by
``.. include::`` (reST) or ``{include}`` (MyST), the included file's line with the
page's name, so ``page.md:3`` where ``part.md:3`` is meant. Each kind's directive here
records the file as well, in the ``source_file`` field (set only for an included
file; ``needs.json`` carries it to the ``crmrisk`` command), and
:attr:`sphinx_crmrisk.model.Item.file` is that file. The docname stays the page's: links and the
HTML are the page's.

A page where an item could not be created (sphinx-needs warned: a duplicate ID, a bad
option) is read again on every build until it is fixed: a no-change rebuild would
otherwise drop the warning, and a ``-W`` build pass with the item missing.

An evidence whose ``document`` is a path is examined when its page is read
(:func:`sphinx_crmrisk.evidence.examine`): the file's SHA-256, or why there is none, goes
into its ``document_sha256`` field, and the file becomes a dependency of the page. At
each build the evidence files are examined again (:func:`reread_pages_with_changed_evidence`):
a page whose evidence file's bytes changed, or appeared or vanished, is read again, even
when the file's modification time says nothing (a copy that keeps it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.directives.need import NeedDirective

from ..evidence import OUTSIDE, document_path, examine, is_path
from ..kinds import Kind
from .build_warnings import log_warning
from .page_index import get_domain
from .state import build_state

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

SOURCE_FILE = "source_file"
#: Set on the items crmrisk-catalogue imports (catalogue_directive.py).
CATALOGUE = "catalogue"


def _myst_major() -> int | None:
    try:
        from myst_parser import __version__
    except ImportError:
        return None
    return int(__version__.split(".", 1)[0])


_MYST_COUNTS_INCLUDED_LINES_TWICE = _myst_major() == 3


class ItemDirective(NeedDirective):
    """sphinx-needs' need directive, which also records the file it is written in."""

    #: An evidence's directive: the project's names of its ``document`` field and of
    #: the field the build records the file's SHA-256 in (:func:`evidence_directive`).
    document_option: ClassVar[str | None] = None
    digest_option: ClassVar[str | None] = None

    def _included_file(self) -> str | None:
        """The absolute path of the file the directive is in, when it is not the page."""
        source, _line = super().get_source_info()
        if not source:
            return None
        # docutils names an included file relative to the working folder
        source = os.path.abspath(source)
        return None if source == os.path.abspath(self.env.doc2path(self.env.docname)) else source

    def get_source_info(self) -> tuple[str, int]:
        source, line = super().get_source_info()
        if (
            line
            and type(self.state).__name__ == "MockState"
            and _MYST_COUNTS_INCLUDED_LINES_TWICE
            and self._included_file()
        ):
            # myst-parser 3 renders an included file from line ``start + 1`` and adds
            # 1 again to each 0-based token line: its lines are one too far (5 does not)
            line -= 1
        return source, line

    def run(self) -> list[nodes.Node]:
        # the extension's to set, never the author's
        self.options.pop(SOURCE_FILE, None)
        self.options.pop(CATALOGUE, None)
        included = self._included_file()
        if included:
            relative = os.path.relpath(included, self.env.srcdir)
            self.options[SOURCE_FILE] = Path(relative).as_posix()
        if self.digest_option is not None:
            self._examine_document()
        created = super().run()
        if not created:
            # sphinx-needs warned (a duplicate ID, a bad option) and dropped the item:
            # the page is read again on each build until it is fixed, so the warning
            # is not lost on the next build, as it is for a page Sphinx does not re-read
            get_domain(self.env).failed.add(self.env.docname)
        return list(created)

    def _examine_document(self) -> None:
        """The document's SHA-256 (or why there is none) into the digest field; the
        file, a dependency of the page."""
        assert self.digest_option is not None and self.document_option is not None
        if self.options.pop(self.digest_option, None):
            log_warning(
                self,
                "computed_field",
                f"'{self.digest_option}' is set by the build, not written: it is replaced by "
                "what the build finds at the document's path; remove it",
                self.get_location(),
            )
        document = self.options.get(self.document_option)
        if not isinstance(document, str) or not is_path(document):
            return
        srcdir = Path(self.env.srcdir)
        self.options[self.digest_option] = examine(srcdir, document)
        path = document_path(srcdir, document)
        if path is not None:
            # a missing file too: Sphinx then reads the page again until it is there
            self.env.note_dependency(os.path.relpath(path, srcdir))


def evidence_directive(document_option: str, digest_option: str) -> type[ItemDirective]:
    """The directive of evidence, under the project's names of its two fields."""
    return type(
        "EvidenceDirective",
        (ItemDirective,),
        {"document_option": document_option, "digest_option": digest_option},
    )


def reread_pages_with_changed_evidence(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: the pages of evidence whose document file is not what the
    page was read with: its bytes, or whether it is there, compared (not its time)."""
    state = build_state(app)
    if not state.enabled:
        return []
    names = state.settings.names
    evidence = names.type(Kind.EVIDENCE)
    document, digest = names.field("document"), names.field("document_sha256")
    srcdir = Path(env.srcdir)
    pages = set()
    for need in SphinxNeedsData(env).get_needs_mutable().values():
        if need.get("type") != evidence or need.get("docname") in pages:
            continue
        text = need.get(document)
        if not isinstance(text, str) or not is_path(text):
            continue
        recorded = need.get(digest) or ""
        # "": not read by our directive (an imported need): nothing to compare with
        if recorded and recorded != OUTSIDE and examine(srcdir, text) != recorded:
            pages.add(need["docname"])
    return sorted(page for page in pages if page in env.found_docs)


def reread_pages_with_failed_items(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: the pages whose items could not all be created."""
    return sorted(get_domain(env).failed & env.found_docs)
