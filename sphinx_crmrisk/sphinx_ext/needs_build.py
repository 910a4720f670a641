"""``python -m sphinx_crmrisk.sphinx_ext.needs_build SOURCE OUTDIR``: the needs build.

What :func:`sphinx_crmrisk.needs_cache.needs_json_of` runs in a fresh interpreter: the
``needs`` builder of sphinx-needs on a Sphinx project (``conf.py``) or a Jupyter Book 1,
notebooks never executed, and the list of the files it read (``crmrisk-sources.json``),
which decides when the cache is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.util.docutils import docutils_namespace, patch_docutils

from ..input_paths import CONF_PY, JUPYTER_BOOK_FILES
from ..needs_cache import SOURCES_JSON
from .state import lock_path


def main(argv: list[str] | None = None) -> int:
    """The build :func:`~sphinx_crmrisk.needs_cache.needs_json_of` runs."""
    source, outdir = (Path(arg) for arg in (argv or sys.argv[1:]))
    try:
        app = _needs_app(source, outdir)
    except (SphinxError, OSError, ValueError) as err:
        print(f"{type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
        return 2
    if app.statuscode != 0:
        print(f"Sphinx ended with status {app.statuscode}", file=sys.stderr)
        return 1
    _write_json(outdir / SOURCES_JSON, _files_read(app, source))
    return 0


def _needs_app(source: Path, outdir: Path) -> Sphinx:
    if (source / CONF_PY).is_file():
        confdir, overrides = source, {}
    else:
        confdir, overrides = None, _jupyter_book_config(source)
    # never execute notebooks here: a notebook that loads the handbook would recurse
    overrides["nb_execution_mode"] = "off"
    with patch_docutils(None if confdir is None else str(confdir)), docutils_namespace():
        app = Sphinx(
            srcdir=source,
            confdir=confdir,
            outdir=outdir,
            doctreedir=outdir / ".doctrees",
            buildername="needs",
            confoverrides=overrides,
            status=None,
            warning=sys.stderr,
            freshenv=True,
        )
        app.build()
    return app


def _jupyter_book_config(source: Path) -> dict[str, Any]:
    """The Sphinx configuration ``jupyter-book build`` would use for ``source``."""
    from jupyter_book.config import get_final_config

    config, _meta = get_final_config(
        user_yaml=source / JUPYTER_BOOK_FILES[0],
        cli_config={
            "external_toc_path": (source / JUPYTER_BOOK_FILES[1]).as_posix(),
            "latex_individualpages": False,
        },
        sourcedir=source,
    )
    return config


def _files_read(app: Sphinx, source: Path) -> list[str]:
    """The configuration files, the documents and what they included, relative to source."""
    env = app.env
    files = [name for name in (CONF_PY, *JUPYTER_BOOK_FILES) if (source / name).is_file()]
    lock = lock_path(app).resolve()
    if lock.is_file() and lock.is_relative_to(source.resolve()):
        # a lock written later changes its folder's mtime, which is listed too
        files.append(str(lock.relative_to(source.resolve())))
    for docname in sorted(env.found_docs):
        files.append(str(env.doc2path(docname, base=False)))
        files.extend(sorted(str(dep) for dep in env.dependencies.get(docname, ())))
    return files


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
