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

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sphinx.util import logging
from sphinx_needs.data import SphinxNeedsData

from ..loading import BUILD_NEEDS_ENV, BUILD_SOURCE_ENV
from ..model import need_keys
from ..needs_json import NEEDS_JSON
from ..settings import CONFIG_JSON, REVIEW_LOCK, recorded_text
from .incremental import traced_data_changed
from .notebooks import execute_notebooks
from .state import build_lock, build_state, is_enabled

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: The folder, under the doctrees, where a build hands its needs to its audit pages.
HANDOFF = "crmrisk-audit"
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
    with _needs_handed_over(app, env):
        _read(app, docnames)
    if any(need.get("docname") in to_read for need in _unresolved_needs(env)):
        state.fingerprints = None  # an audit page with needs: made again with them
    return docnames


def _unresolved_needs(env: BuildEnvironment) -> list[Any]:
    needs_data = SphinxNeedsData(env)
    return (
        [] if needs_data.needs_is_post_processed else list(needs_data.get_needs_mutable().values())
    )


def _processes(app: Sphinx, count: int) -> int:
    """How many pages to read (notebooks to execute) at once: one more than the cores
    (a kernel waits part of its time: its start, the client's polling, its shutdown;
    3 at once took 20 % less time than 2 on two cores, benchmarks/README.md)."""
    return min(count, max(app.parallel, (os.cpu_count() or 1) + 1))


def _read(app: Sphinx, docnames: list[str]) -> None:
    """Reads ``docnames``: the notebooks myst-nb would execute are executed first, all
    at once (:mod:`.notebooks`), then read without being executed again; the other
    pages are read as Sphinx reads any page."""
    env = app.env
    executed = execute_notebooks(app, docnames, _processes(app, len(docnames)))
    for docname in docnames:
        app.events.emit("env-purge-doc", env, docname)
        env.clear_doc(docname)
        with executed.reading(docname):
            app.builder.read_doc(docname)


@contextmanager
def _needs_handed_over(app: Sphinx, env: BuildEnvironment) -> Iterator[None]:
    """The build's needs written for its audit pages and named in the environment
    while they are read; the environment as it was afterwards."""
    folder = _write_handoff(app, env)
    names = (BUILD_NEEDS_ENV, BUILD_SOURCE_ENV)
    before = {name: os.environ.get(name) for name in names}
    if folder is not None:
        os.environ[BUILD_NEEDS_ENV] = str(folder / NEEDS_JSON)
        os.environ[BUILD_SOURCE_ENV] = str(Path(app.srcdir).resolve())
    else:
        # nothing handed over: the pages build the needs themselves, never reading
        # those an enclosing build (one that executes a notebook running this one)
        # handed to its own pages
        for name in names:
            os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def needs_as_read(env: BuildEnvironment) -> dict[str, Any] | None:
    """The needs as read, when resolving them adds only what sphinx-needs derives from
    them (back-links, sorted links, the fields the build computes); None once resolved,
    or when ``needextend`` or dynamic functions change them then."""
    needs_data = SphinxNeedsData(env)
    if needs_data.needs_is_post_processed:
        return None
    needs = needs_data.get_needs_mutable()
    if needs_data.get_or_create_extends() or any(n.has_dynamic_fields for n in needs.values()):
        return None
    return needs


def _write_handoff(app: Sphinx, env: BuildEnvironment) -> Path | None:
    """The needs the model reads, the settings and the lock, in a folder that
    ``sphinx_crmrisk.loading`` reads as a build's output; None when the needs are not
    final before sphinx-needs resolves them."""
    folder = Path(app.doctreedir) / HANDOFF
    needs = needs_as_read(env)
    if needs is None:
        return None
    state = build_state(app)
    keys = need_keys(state.settings.names)
    written: dict[str, dict[str, Any]] = {}
    for need_id, need in needs.items():
        # sphinx-needs sorts each need's links when it resolves them (needs.json holds
        # them so): sorted here alike, on a copy, the environment's needs untouched
        resolved = need.copy()
        resolved.sort_links()
        written[need_id] = {key: resolved[key] for key in keys if key in resolved}
    document = {"current_version": "", "versions": {"": {"needs": written}}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NEEDS_JSON).write_bytes(msgspec.json.encode(document))
    (folder / CONFIG_JSON).write_text(recorded_text(state.settings), encoding="utf-8")
    lock = build_lock(app)
    if lock.present:
        (folder / REVIEW_LOCK).write_text(lock.dumps(), encoding="utf-8")
    else:
        (folder / REVIEW_LOCK).unlink(missing_ok=True)
    return folder
