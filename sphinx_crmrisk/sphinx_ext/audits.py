"""The audit pages: read last, with the needs this very build has read, in parallel.

An audit page loads the traceability when it is read: an executed notebook above all
(``crmrisk_audit_pages``, by default every ``.ipynb`` document). What it shows must be
what the build shows, so:

- it is read after every other page (:func:`defer_audit_pages` takes it out of the
  pages to read; :func:`read_audit_pages` reads it at ``env-updated``, before the
  handlers of other extensions that sum up what was read, such as sphinxcontrib-bibtex's
  citations or myst-nb's execution tables);
- it is read again when the traced data changed and it was not (an edit of a clause
  changes what the coverage audit computes), and only then (:mod:`.incremental` tells);
- it reads the needs of the build that executes it: the build writes them, with its
  settings and its review lock, into a folder under the doctrees and names it in the
  environment (``sphinx_crmrisk.loading.BUILD_NEEDS_ENV``), which the notebook's kernel
  inherits. ``load_traceability`` of the source folder then reads that file instead of
  running the needs builder on the whole project again in a subprocess (2.6 s on the
  handbook, benchmarks/README.md). Needs that sphinx-needs has yet to resolve
  (``needextend``, dynamic functions) are not handed over: the notebook builds its own,
  as before;
- the notebooks among them that myst-nb would execute are executed together first,
  each kernel on its own core (:mod:`.notebooks`), then read. (Sphinx's own parallel
  reading, forked readers, was tried first: each sends the whole environment back, 0.9 s
  of CPU more on the handbook's edit than these threads, benchmarks/README.md.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sphinx.util import logging
from sphinx_needs.data import SphinxNeedsData

from .incremental import traced_data_changed
from .state import build_state, is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger("sphinx_crmrisk")


def audit_pages(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """The pages that load the traceability when read: ``crmrisk_audit_pages``, else
    every notebook (``.ipynb``) document."""
    chosen = build_state(app).settings.audit_pages
    if chosen is not None:
        return sorted(set(chosen) & env.found_docs)
    return sorted(doc for doc in env.found_docs if str(env.doc2path(doc)).endswith(".ipynb"))


def defer_audit_pages(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: the audit pages among the pages to read are taken out
    of the list (in place, as Sphinx allows), to be read after all the others."""
    if not is_enabled(app):
        return
    audits = set(audit_pages(app, env))
    deferred = [doc for doc in docnames if doc in audits]
    if deferred:
        docnames[:] = [doc for doc in docnames if doc not in audits]
    build_state(app).deferred_audits = tuple(deferred)


def read_audit_pages(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: reads the deferred audit pages, and the others when the traced
    data changed; returns them, so that they are written."""
    if not is_enabled(app):
        return []
    state = build_state(app)
    to_read = set(state.deferred_audits)
    if traced_data_changed(app, env):
        stale = [doc for doc in audit_pages(app, env) if doc not in state.docs_read]
        if stale:
            logger.info("crmrisk: the traced data changed: re-reading %s", ", ".join(stale))
        to_read.update(stale)
    if not to_read:
        return []
    docnames = sorted(to_read)
    # imported by the first build with audit pages to read: the kernels, msgspec
    from .audit_reading import read_with_needs

    read_with_needs(app, docnames)
    if any(need.get("docname") in to_read for need in _unresolved_needs(env)):
        state.fingerprints = None  # an audit page with needs: made again with them
    return docnames


def _unresolved_needs(env: BuildEnvironment) -> list[Any]:
    needs_data = SphinxNeedsData(env)
    return (
        [] if needs_data.needs_is_post_processed else list(needs_data.get_needs_mutable().values())
    )


def executed_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: a notebook executed here is read with its outputs."""
    text = build_state(app).executed_notebooks.get(docname)
    if text is not None:
        source[0] = text
