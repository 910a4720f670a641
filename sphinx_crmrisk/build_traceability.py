"""The traceability of the running build, made fresh for each build.

The checks, views, exports and the recorded values of one build share one
:class:`~.traceability.Traceability`, made the first time the write phase asks for it
(sphinx-needs has resolved the back-links by then). It is kept on the application only
while that build runs: it is forgotten when the next build starts reading and when a
build finishes, so a second build of the same application (test suites, live-preview
servers, language servers) never sees the first one's data. Never on the environment:
that is pickled for the next build.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError
from sphinx_needs.data import SphinxNeedsData

from .config import REVIEW_LOCK, get_config, is_enabled
from .model import Model
from .reviews import ReviewLock, read_lock
from .traceability import Traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

_ATTR = "_crmrisk_traceability"
_LOCK_ATTR = "_crmrisk_review_lock"
#: After every other ``build-finished`` handler of the extension (exports: 600).
FORGET_PRIORITY = 900


def build_traceability(app: Sphinx, needs: Mapping[str, Any] | None = None) -> Traceability:
    """This build's traceability, from the resolved needs (write phase and later).

    ``needs``: the needs sphinx-needs is about to seal (``needs-before-sealing``, where
    asking for the resolved ones would start their post-processing again); they hold
    what the sealed needs will hold, but the fields the build computes from this very
    object (:mod:`.computed_fields`).
    """
    current = app.__dict__.get(_ATTR)
    if current is None:
        values = get_config(app)
        if needs is None:
            needs = SphinxNeedsData(app.env).get_needs_view()
        model = Model.from_needs(needs, values.names)
        current = Traceability.assessed_with(model, values, build_lock(app))
        app.__dict__[_ATTR] = current
    return current


def lock_path(app: Sphinx) -> Path:
    """``crmrisk_review_lock``, relative to the configuration folder."""
    return Path(app.confdir, get_config(app).review_lock)


def build_lock(app: Sphinx) -> ReviewLock:
    """The review lock of this build, read once; an unusable one stops the build."""
    current = app.__dict__.get(_LOCK_ATTR)
    if current is None:
        path = lock_path(app)
        try:
            current = read_lock(path)
        except ValueError as err:
            raise ConfigError(f"{path}: unusable review lock: {err}") from None
        app.__dict__[_LOCK_ATTR] = current
    return current


def write_build_lock(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the lock this build used, beside its needs.json (for the
    ``crmrisk`` command); none when the project has none, nor in a host project without
    crmrisk items."""
    if exception is not None or not is_enabled(app):
        return
    copy = Path(app.outdir) / REVIEW_LOCK
    lock = build_lock(app)
    if lock.present:
        copy.write_text(lock.dumps(), encoding="utf-8")
    else:
        copy.unlink(missing_ok=True)


def forget_traceability(app: Sphinx, *_args: Any) -> None:
    app.__dict__.pop(_ATTR, None)
    app.__dict__.pop(_LOCK_ATTR, None)


def setup_build_traceability(app: Sphinx) -> None:
    # env-before-read-docs starts every build, a no-change rebuild included
    app.connect("env-before-read-docs", forget_traceability)
    app.connect("build-finished", write_build_lock)
    app.connect("build-finished", forget_traceability, priority=FORGET_PRIORITY)
