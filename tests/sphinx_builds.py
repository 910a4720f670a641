"""One build of a test project with Sphinx's own test application, for tests that edit a
copy of a root first (the ``app`` fixture builds a root as it stands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.testing.util import SphinxTestApp


def build_once(srcdir: Path, **kwargs: Any) -> SphinxTestApp:
    """An HTML build of ``srcdir``, its application cleaned up after; its warnings
    (``app.warning``) and output folder stay readable."""
    app = SphinxTestApp("html", srcdir=srcdir, **kwargs)
    try:
        app.build()
    finally:
        app.cleanup()
    return app
