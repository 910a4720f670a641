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

from typing import TYPE_CHECKING, Any

from sphinx_needs.data import SphinxNeedsData

from .config import get_config
from .model import Model
from .traceability import Traceability

if TYPE_CHECKING:
    from sphinx.application import Sphinx

_ATTR = "_crmrisk_traceability"
#: After every other ``build-finished`` handler of the extension (exports: 600).
FORGET_PRIORITY = 900


def build_traceability(app: Sphinx) -> Traceability:
    """This build's traceability, from the resolved needs (write phase and later)."""
    current = app.__dict__.get(_ATTR)
    if current is None:
        values = get_config(app)
        model = Model.from_needs(SphinxNeedsData(app.env).get_needs_view(), values.names)
        current = Traceability.assessed_with(model, values)
        app.__dict__[_ATTR] = current
    return current


def forget_traceability(app: Sphinx, *_args: Any) -> None:
    app.__dict__.pop(_ATTR, None)


def setup_build_traceability(app: Sphinx) -> None:
    # env-before-read-docs starts every build, a no-change rebuild included
    app.connect("env-before-read-docs", forget_traceability)
    app.connect("build-finished", forget_traceability, priority=FORGET_PRIORITY)
