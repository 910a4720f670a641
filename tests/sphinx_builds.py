"""Helpers for tests that edit a copy of a root and build it with Sphinx's own test
application (the ``app`` fixture builds a root as it stands)."""

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


def edit(path: Path, old: str, new: str) -> None:
    """Replaces ``old`` by ``new`` in a source file; a test whose edit would change nothing
    fails here rather than pass for the wrong reason."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
