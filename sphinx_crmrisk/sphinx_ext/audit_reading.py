"""Reading the audit pages (:mod:`.audits`): their notebooks executed at once, with the
needs of the build that reads them handed over in a folder.

Imported by the first build that has audit pages to read, not by every build: it loads
the notebooks' kernels and msgspec, which a build without audit notebooks never uses
(benchmarks/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sphinx_needs.data import SphinxNeedsData

from ..file_names import NEEDS_JSON
from ..loading import BUILD_NEEDS_ENV, BUILD_SOURCE_ENV
from ..model import need_keys
from ..settings import CONFIG_JSON, REVIEW_LOCK, recorded_text
from .notebooks import execute_notebooks
from .state import build_lock, build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


#: The folder, under the doctrees, where a build hands its needs to its audit pages.
HANDOFF = "crmrisk-audit"


def read_with_needs(app: Sphinx, docnames: list[str]) -> None:
    """Reads the audit pages ``docnames``, this build's needs handed over to them."""
    with _needs_handed_over(app, app.env):
        _read(app, docnames)


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
