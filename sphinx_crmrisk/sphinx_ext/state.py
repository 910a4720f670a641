"""The extension's state on the application: one object, one way to reach it.

:class:`BuildState` holds what the extension decides once per application (its
validated settings, whether the project has crmrisk items) and what one build computes
and forgets when it ends: the review lock it read, the one
:class:`~sphinx_crmrisk.traceability.Traceability` that its checks, views, exports and
recorded values share (made the first time the write phase asks for it: sphinx-needs
has resolved the back-links by then), and the documents it read. It lives on the
application, never on the environment, which is pickled for the next build: a second
build of one application (test suites, live-preview servers, language servers) never
sees the first one's traceability. Only :attr:`BuildState.computed` outlives a build,
on purpose (``computed_fields.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError
from sphinx_needs.data import SphinxNeedsData

from ..model import Model
from ..reviews import LockError, ReviewLock, read_lock
from ..settings import Settings
from ..text import one_line
from ..traceability import Traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from ..forked import Forked

_ATTR = "_crmrisk_state"


@dataclass
class BuildState:
    """What the extension keeps on one application."""

    #: The validated ``crmrisk_*`` settings (``config-inited``).
    settings: Settings
    #: Whether this application registered our types (``crmrisk_enable``), decided once.
    enabled: bool = False
    #: This build's review lock, read once.
    lock: ReviewLock | None = None
    #: This build's traceability, made at the write phase.
    traceability: Traceability | None = None
    #: The documents this build reads (``env-before-read-docs``).
    docs_read: frozenset[str] = frozenset()
    #: The audit pages among them, read after all others (``audits.py``).
    deferred_audits: tuple[str, ...] = ()
    #: This build's need fingerprints, made once (``incremental.py``).
    fingerprints: dict[str, tuple[str, str | None]] | None = None
    #: Docname -> the notebook executed for it, while its page is read (``notebooks.py``).
    executed_notebooks: dict[str, str] = field(default_factory=dict)
    #: Each need the extension set computed fields on, with the values it set, by need
    #: ID: ``(need, key, value, key, value...)``; kept from one build to the next of the
    #: same application (``computed_fields.py``).
    computed: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    #: The process drafting the audit pack's PDF while the pages are written (``site_pdf.py``).
    pdf_draft: Any = None
    #: Whether this build decided on its draft already (made, or the PDF found up to date).
    pdf_drafted: bool = False
    #: The child making the exports while the pages are written (``outputs.py``).
    exports_draft: Forked[Any] | None = None
    #: The tables of our layouts on the pages written, until they are emptied
    #: (``written_layouts.py``).
    written_layouts: list[Any] = field(default_factory=list)

    def forget_build(self) -> None:
        """What one build computed: gone when the next starts reading, and at its end."""
        if self.pdf_draft is not None and self.pdf_draft.poll() is None:
            self.pdf_draft.kill()  # a build ended before its PDF was taken
            self.pdf_draft.wait()
        self.pdf_draft = None
        self.pdf_drafted = False
        if self.exports_draft is not None:
            self.exports_draft.cancel()  # a build that ended before its exports were taken
        self.exports_draft = None
        self.lock = None
        self.traceability = None
        self.docs_read = frozenset()
        self.deferred_audits = ()
        self.fingerprints = None
        self.executed_notebooks.clear()
        self.written_layouts.clear()


def set_build_state(app: Sphinx, settings: Settings) -> BuildState:
    """``config-inited``: the state of this application, with its validated settings."""
    state = BuildState(settings)
    setattr(app, _ATTR, state)
    return state


def build_state(app: Sphinx) -> BuildState:
    state: BuildState = getattr(app, _ATTR)
    return state


def is_enabled(app: Sphinx) -> bool:
    """False for a host project without crmrisk items: nothing of ours runs or is written."""
    state: BuildState | None = getattr(app, _ATTR, None)
    return state is not None and state.enabled


def pdf_on(app: Sphinx) -> bool:
    """``crmrisk_pack_pdf`` in an HTML build of a project with crmrisk items' types."""
    state: BuildState | None = getattr(app, _ATTR, None)
    return (
        state is not None
        and state.enabled
        and state.settings.pack_pdf
        and app.builder.format == "html"
    )


def build_traceability(app: Sphinx, needs: Mapping[str, Any] | None = None) -> Traceability:
    """This build's traceability, from the resolved needs (write phase and later).

    ``needs``: the needs sphinx-needs is about to seal (``needs-before-sealing``, where
    asking for the resolved ones would start their post-processing again); they hold
    what the sealed needs will hold, but the fields the build computes from this very
    object (``computed_fields.py``).
    """
    state = build_state(app)
    if state.traceability is None:
        if needs is None:
            needs = SphinxNeedsData(app.env).get_needs_view()
        names = state.settings.names
        model = Model.from_needs(needs, names)  # type: ignore[arg-type]  # a NeedsView maps IDs to needs
        state.traceability = Traceability(model, state.settings, build_lock(app))
    return state.traceability


def lock_path(app: Sphinx) -> Path:
    """``crmrisk_review_lock``, relative to the configuration folder."""
    return Path(app.confdir, build_state(app).settings.review_lock)


def build_lock(app: Sphinx) -> ReviewLock:
    """The review lock of this build, read once; an unusable one stops the build."""
    state = build_state(app)
    if state.lock is None:
        try:
            state.lock = read_lock(lock_path(app))
        except LockError as err:
            # one line, as the command says it: the message names the file and the value
            raise ConfigError(one_line(str(err))) from None
    return state.lock


def remember_docs_read(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """``env-before-read-docs``: a new build starts: what the last one computed is
    forgotten, and the documents this one reads are kept."""
    state = build_state(app)
    state.forget_build()
    state.docs_read = frozenset(docnames)


def forget_build(app: Sphinx, *_args: Any) -> None:
    """``build-finished``: the build's traceability and lock are forgotten."""
    build_state(app).forget_build()
