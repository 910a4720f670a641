"""Audit pages: read after every other page, with the build's own needs, executed at once.

``tests/roots/test-audits``: two notebooks that load the traceability of their own
source folder, ``a-count`` sorting before the page of obligations, and that page.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOTS
from sphinx_builds import build_once

from sphinx_crmrisk.exports import traceability_document
from sphinx_crmrisk.loading import BUILD_NEEDS_ENV, load_traceability
from sphinx_crmrisk.sphinx_ext import audits, notebooks
from sphinx_crmrisk.sphinx_ext.audits import HANDOFF

pytestmark = pytest.mark.book  # myst-nb executes the notebooks: the book extra

NEEDEXTEND = """
```{needextend} OBL-HORAIRES
:status: not_applicable
:justification: Aucun appel sortant.
```
"""


def build(tmp_path: Path, name: str, extra: str = ""):
    srcdir = Path(shutil.copytree(ROOTS / "test-audits", tmp_path / name))
    if extra:
        page = srcdir / "obligations.md"
        page.write_text(page.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return build_once(srcdir, freshenv=True)


def log(app) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())


def page_text(app, docname: str) -> str:
    soup = BeautifulSoup((Path(app.outdir) / f"{docname}.html").read_text(), "html.parser")
    return " ".join(soup.find("div", class_="body").get_text(" ").split())


def page_body(app, docname: str) -> str:
    soup = BeautifulSoup((Path(app.outdir) / f"{docname}.html").read_text(), "html.parser")
    return str(soup.find("div", class_="body"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("audits"), "ours")


def test_the_notebooks_read_the_needs_of_the_build_that_executes_them(built):
    # a-count is read after obligations.md, though it sorts before it, and reads the
    # needs this build handed over: no needs build of the folder in a subprocess
    assert "AUDIT obligations=2 handed=True" in page_text(built, "a-count")
    assert not (Path(built.srcdir) / "_build" / "crmrisk-needs").exists()
    states = page_text(built, "b-states")
    assert "STATE OBL-HORAIRES uncovered" in states and "STATE OBL-NUMERO covered" in states


def test_the_needs_handed_over_are_the_builds_own(built):
    """What the notebooks read is what the build's needs.json says, once sphinx-needs
    has resolved it: the same traceability, field for field."""
    handed = load_traceability(Path(built.doctreedir) / HANDOFF / "needs.json")
    written = load_traceability(built.outdir)
    assert traceability_document(handed) == traceability_document(written)


def test_the_notebooks_are_executed_at_once(built):
    text = log(built)
    assert "crmrisk: executing a-count, b-states at once" in text
    assert "Executing notebook" not in text  # myst-nb did not execute them again


def test_executed_at_once_they_show_what_myst_nb_shows_executing_each(built, tmp_path, monkeypatch):
    """The pages are those of myst-nb's own execution, one notebook after the other."""
    monkeypatch.setattr(audits, "execute_notebooks", lambda *args: notebooks.Executed())
    serial = build(tmp_path, "serial")
    assert "Executing notebook" in log(serial)
    for docname in ("a-count", "b-states", "obligations"):
        ours = re.sub(r'id="SNCB-[0-9a-f]+"', "", page_body(built, docname))
        theirs = re.sub(r'id="SNCB-[0-9a-f]+"', "", page_body(serial, docname))
        assert ours == theirs, docname


def test_needs_that_sphinx_needs_changes_later_are_not_handed_over(tmp_path):
    """A needextend applies when sphinx-needs resolves the needs, after the reading: the
    notebooks then build the folder's needs themselves, and see the extension."""
    app = build(tmp_path, "extended", NEEDEXTEND)
    assert "AUDIT obligations=2 handed=False" in page_text(app, "a-count")
    assert "STATE OBL-HORAIRES justified" in page_text(app, "b-states")
    assert not (Path(app.doctreedir) / HANDOFF / "needs.json").exists()
    assert BUILD_NEEDS_ENV not in os.environ  # the build's process: as it was
