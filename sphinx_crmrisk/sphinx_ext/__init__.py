"""Everything of sphinx-crmrisk that imports Sphinx, docutils or sphinx-needs.

:func:`setup` is the one place that wires the extension: every ``add_*`` call and every
event handler, in the order of a build, each with the reason for its priority. The
handlers read and write the application's :class:`~.state.BuildState`; what they
compute comes from the pure library (``sphinx_crmrisk.model``, ``.traceability``...),
which the ``crmrisk`` command and the notebooks share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..kinds import Kind
from .audits import defer_audit_pages, executed_source, read_audit_pages
from .badges import add_badges
from .build_warnings import check_build, log_warning
from .catalogue_directive import CATALOGUE_DIRECTIVE, CatalogueDirective
from .computed_fields import badge_table_cells, set_computed_fields
from .config import add_config_values, validate_config
from .i18n import add_message_catalog
from .incremental import pages_to_rewrite, purge_needs_of_pages_to_read, record_dependencies
from .item_directive import (
    ItemDirective,
    evidence_directive,
    reread_pages_with_changed_evidence,
    reread_pages_with_failed_items,
)
from .layouts import LAYOUT_LINES_PRIORITY, add_layout_lines, french_colons
from .outputs import (
    start_exports,
    write_build_exports,
    write_build_lock,
    write_recorded_settings,
)
from .page_index import CrmriskDomain
from .registration import (
    add_matrix_script,
    pages_to_write_for_new_assets,
    register_needs_schema,
)
from .state import build_state, forget_build, is_enabled, pdf_on, remember_docs_read
from .views import NODES, VIEWS, replace_placeholders
from .warm import environment_problems
from .written_layouts import (
    EMPTY_PRIORITY,
    NOTE_PRIORITY,
    empty_written_layouts,
    note_written_layouts,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Bump when the data kept on the environment changes shape: Sphinx re-reads all.
# 2: items record their source_file, pages the items they failed to create
# 3: our needs hold the computed fields (coverage_state, review_state): a need pickled
#    without them cannot take them (sphinx-needs sets only existing keys)
# 4: the modules moved (sphinx_crmrisk.sphinx_ext): the page index's class is pickled
#    under its new path
# 5: the watch and evidence kinds: watch items hold the computed watch_state, every
#    need the expected and catalogue fields (the version crmrisk-catalogue imported
#    them from); evidence needs hold document_sha256, obligations proof_state and
#    evidence evidence_state (computed fields, see 3); the page index records the
#    statement of the law each page imports (catalogues)
ENV_VERSION = 5


def _warn_of_the_environment(app: Sphinx) -> None:
    """``builder-inited``: a variable of the warm servers (``warm.py``) set to a value
    the extension does not know, said once a build."""
    if is_enabled(app):
        for problem in environment_problems():
            log_warning(app, "environment", problem)


def _pdf_handler(name: str) -> Callable[..., None]:
    """The handler ``name`` of :mod:`.site_pdf`, imported by the first build that writes
    the audit pack's PDF: the pack, its PDF renderer's set-up and the warm servers are
    never loaded by a build without it (benchmarks/README.md)."""

    def handler(app: Sphinx, *args: Any) -> None:
        if pdf_on(app):
            from . import site_pdf

            getattr(site_pdf, name)(app, *args)

    handler.__name__ = handler.__qualname__ = name
    return handler


def setup(app: Sphinx) -> dict[str, Any]:
    # sphinx-needs' own setup clears its API registry: it must run first
    app.setup_extension("sphinx_needs")

    add_config_values(app)
    add_message_catalog(app)
    app.add_domain(CrmriskDomain)
    app.add_directive(CATALOGUE_DIRECTIVE, CatalogueDirective)
    for name, (directive, _render) in VIEWS.items():
        app.add_directive(name, directive)
    for node, (visit, depart) in NODES.items():
        app.add_node(node, html=(visit, depart))

    # -- configuration: validated, then our types registered (or not) -----------------
    # 15: the settings are needed by registration (20)
    app.connect("config-inited", validate_config, priority=15)
    # 20: after sphinx-needs has read the host's values (needs_from_toml: 10,
    # mapping-shaped needs_types: 12), before it registers them (its load_config: 500)
    app.connect("config-inited", register_needs_schema, priority=20)
    # after sphinx-needs registered each type's directive (its load_config may register
    # them again at config-inited): ours replace them, to record included files
    app.connect("builder-inited", _register_item_directives)
    app.connect("builder-inited", add_matrix_script)
    app.connect("builder-inited", _warn_of_the_environment)

    # -- reading ---------------------------------------------------------------------
    # pages whose items could not all be created are read again until fixed
    app.connect("env-get-outdated", reread_pages_with_failed_items)
    # pages of evidence whose document file changed (its bytes, not its time)
    app.connect("env-get-outdated", reread_pages_with_changed_evidence)
    # a new build: the last one's traceability forgotten, the pages it reads kept
    app.connect("env-before-read-docs", remember_docs_read)
    # the needs of every page about to be read are forgotten before any is read
    # (a sphinx-needs 9.1 workaround, see incremental.py)
    app.connect("env-before-read-docs", purge_needs_of_pages_to_read)
    # after remember_docs_read (same priority, connected later): the audit pages
    # (notebooks) are taken out of the pages to read, to be read after all others
    app.connect("env-before-read-docs", defer_audit_pages)
    app.connect("doctree-read", record_dependencies)
    # an audit notebook executed with the others at once is read with its outputs
    app.connect("source-read", executed_source)
    # 100: the audit pages read as soon as all others are, before the env-updated
    # handlers that sum up every page read (sphinxcontrib-bibtex's citations, myst-nb's
    # execution tables: 500), with this build's needs, in parallel (audits.py)
    app.connect("env-updated", read_audit_pages, priority=100)
    # 90: just before: the audit pack's PDF drafted in a second process from the needs
    # resolved on a copy, while the audit notebooks run and the pages are written
    app.connect("env-updated", _pdf_handler("draft_pdf_ahead"), priority=90)
    # the last moment to add pages to write: those that would show stale needs
    app.connect("env-get-updated", pages_to_rewrite)
    # and every page when our stylesheets or script changed: Sphinx copies static files
    # only in a build that writes a page
    app.connect("env-get-updated", pages_to_write_for_new_assets)

    # -- writing ---------------------------------------------------------------------
    # the states written into the needs, just before sphinx-needs seals them
    app.connect("needs-before-sealing", set_computed_fields)
    # 450: before sphinx-needs lays the need out (process_need_nodes, 500), so the
    # badges sit at the top of the need's content
    app.connect("doctree-resolved", add_badges, priority=450)
    app.connect("doctree-resolved", replace_placeholders)
    # 550: after sphinx-needs has made its tables (process_creator, 500)
    app.connect("doctree-resolved", badge_table_cells, priority=550)
    # 550: after sphinx-needs has laid the needs out (process_need_nodes, 500), the head
    # and meta blocks of our layouts: drawn without reading reST for each need (layouts.py)
    app.connect("doctree-resolved", add_layout_lines, priority=LAYOUT_LINES_PRIORITY)
    # 560: after our layouts' lines (550): the colons of the link labels, French in a French build
    app.connect("doctree-resolved", french_colons, priority=560)
    # 900: once a page's body is HTML and the handlers at 500 have seen it, the tables of
    # our layouts noted; 0: emptied when the next page is resolved (its file written by
    # then), so their nodes are freed at once, not at a full collection (written_layouts.py)
    app.connect("html-page-context", note_written_layouts, priority=NOTE_PRIORITY)
    app.connect("doctree-resolved", empty_written_layouts, priority=EMPTY_PRIORITY)

    # 900: after sphinx-needs has resolved the needs (ensure_post_process_needs_data,
    # 500): the audit pack's PDF drafted in a second process while the pages are written
    app.connect("write-started", _pdf_handler("start_pdf"), priority=900)
    # 900 too: the exports made in a forked child while the pages are written (outputs.py)
    app.connect("write-started", start_exports, priority=900)

    # -- at the end: the checks, then the files beside needs.json ------------------------
    # 500, after sphinx-needs' own build-finished handlers (registered first, at its
    # setup): the checks' warnings come first, then the files are written
    app.connect("build-finished", check_build)
    app.connect("build-finished", write_build_lock)
    app.connect("build-finished", write_recorded_settings)
    # 600: the exports, whose own warnings (cut cells) come after the checks'
    app.connect("build-finished", write_build_exports, priority=600)
    # 650: the pack's PDF, made from the files the handlers above wrote (needs.json by
    # sphinx-needs at 500, the record, the lock, the exports), or taken from its draft
    app.connect("build-finished", _pdf_handler("write_build_pdf"), priority=650)
    # the last page's tables of our layouts (written_layouts.py)
    app.connect("build-finished", empty_written_layouts, priority=EMPTY_PRIORITY)
    # 900: after every other handler of ours has read this build's traceability
    app.connect("build-finished", forget_build, priority=900)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def _register_item_directives(app: Sphinx) -> None:
    """``builder-inited``: each of our types' directives records the file it is written
    in (under the project's names; a host's own directives are left alone)."""
    state = build_state(app)
    if not state.enabled:
        return
    names = state.settings.names
    for kind in Kind:
        directive = ItemDirective
        if kind is Kind.EVIDENCE:
            # an evidence's document is examined when it is read (item_directive.py)
            directive = evidence_directive(names.field("document"), names.field("document_sha256"))
        app.add_directive(names.type(kind), directive, override=True)
