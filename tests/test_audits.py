"""Audit pages: read after every other page, with the build's own needs, executed at once.

``tests/fixtures/audits-project`` (a fixture, not a root: the tests that build every root
in process would set myst-nb up for the rest of the session): two notebooks that load the traceability of their own
source folder, ``a-count`` sorting before the page of obligations, and that page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sphinx_crmrisk.exports import traceability_document
from sphinx_crmrisk.loading import load_traceability
from sphinx_crmrisk.sphinx_ext.audit_reading import HANDOFF

PROJECT = Path(__file__).parent / "fixtures" / "audits-project"
pytestmark = pytest.mark.book  # myst-nb executes the notebooks: the book extra

NEEDEXTEND = """
```{needextend} OBL-HORAIRES
:status: not_applicable
:justification: Aucun appel sortant.
```
"""


#: A build in a fresh interpreter (myst-nb, once set up, changes Sphinx's defaults for
#: the applications of the rest of the test session): ``serial`` leaves every notebook
#: to myst-nb, one after the other, as before the audits ran at once.
_DRIVER = """
import sys
from sphinx.cmd.build import main
if sys.argv[3] == "serial":
    from sphinx_crmrisk.sphinx_ext import audit_reading, notebooks
    audit_reading.execute_notebooks = lambda *args: notebooks.Executed()
sys.exit(main(["-b", "html", "-E", sys.argv[1], sys.argv[2]]))
"""


class Built:
    def __init__(self, srcdir: Path, log: str) -> None:
        self.srcdir = srcdir
        self.outdir = srcdir / "_build" / "html"
        self.doctreedir = self.outdir / ".doctrees"
        self.log = log


def build(tmp_path: Path, name: str, extra: str = "", *, serial: bool = False) -> Built:
    # without a _build of its own (nothing of an earlier run may be found)
    srcdir = Path(
        shutil.copytree(PROJECT, tmp_path / name, ignore=shutil.ignore_patterns("_build"))
    )
    if extra:
        page = srcdir / "obligations.md"
        page.write_text(page.read_text(encoding="utf-8") + extra, encoding="utf-8")
    outdir = srcdir / "_build" / "html"
    mode = "serial" if serial else "at-once"
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(srcdir), str(outdir), mode],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Built(srcdir, re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr))


def page_text(app: Built, docname: str) -> str:
    soup = BeautifulSoup((app.outdir / f"{docname}.html").read_text(), "html.parser")
    return " ".join(soup.find("div", class_="body").get_text(" ").split())


def page_body(app: Built, docname: str) -> str:
    soup = BeautifulSoup((app.outdir / f"{docname}.html").read_text(), "html.parser")
    return str(soup.find("div", class_="body"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("audits"), "ours")


def test_the_notebooks_read_the_needs_of_the_build_that_executes_them(built):
    # a-count is read after obligations.md, though it sorts before it, and reads the
    # needs this build handed over: no needs build of the folder in a subprocess
    assert "AUDIT obligations=2 handed=True" in page_text(built, "a-count")
    assert not (built.srcdir / "_build" / "crmrisk-needs").exists()
    states = page_text(built, "b-states")
    assert "STATE OBL-HORAIRES uncovered" in states and "STATE OBL-NUMERO covered" in states


def test_the_needs_handed_over_are_the_builds_own(built):
    """What the notebooks read is what the build's needs.json says, once sphinx-needs
    has resolved it: the same traceability, field for field."""
    handed = load_traceability(built.doctreedir / HANDOFF / "needs.json")
    written = load_traceability(built.outdir)
    assert traceability_document(handed) == traceability_document(written)


def test_the_notebooks_are_executed_at_once(built):
    text = built.log
    assert "crmrisk: executing a-count, b-states at once" in text
    assert "Executing notebook" not in text  # myst-nb did not execute them again
    # their kernels talk over Unix sockets: ipykernel has no unencrypted TCP to warn of
    assert "[IPKernelApp] WARNING" not in text


def test_executed_at_once_they_show_what_myst_nb_shows_executing_each(built, tmp_path):
    """The pages are those of myst-nb's own execution, one notebook after the other."""
    serial = build(tmp_path, "serial", serial=True)
    assert "Executing notebook" in serial.log
    assert "crmrisk: executing" not in serial.log
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
    assert not (app.doctreedir / HANDOFF / "needs.json").exists()
