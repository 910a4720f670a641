"""The commands users and CI run: sphinx-build and jupyter-book fail on a gap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

UNCOVERED = """
```{obligation} Consulter le CSE
:id: OBL-TRAV-L2312-38
:phase: PH-DEPLOIEMENT
:legal_basis: C. trav., art. L2312-38
```
"""


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, check=False
    )


def test_sphinx_build_fails_on_an_uncovered_obligation(copy_root):
    src = copy_root("uncovered")
    result = run(BIN / "sphinx-build", "-W", "--keep-going", "-b", "html", src, src / "_build")
    assert result.returncode == 1
    assert (
        f"{src}/index.md:7: WARNING: OBL-GAP-1: obligation 'Nothing covers this' is not "
        "covered by any active clause or procedure [crmrisk.uncovered]"
    ) in result.stderr


def test_sphinx_build_passes_a_covered_project(copy_root):
    src = copy_root("rst")
    result = run(BIN / "sphinx-build", "-W", "--keep-going", "-b", "html", src, src / "_build")
    assert result.returncode == 0, result.stderr
    assert (src / "_build" / "needs.json").is_file()


@pytest.mark.book  # runs the jupyter-book command
def test_jupyter_book_build_passes_then_fails_on_a_gap(copy_root):
    book = copy_root("jupyterbook")
    clean = run(BIN / "jupyter-book", "build", book, "-W", "-n", "--keep-going")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert (book / "_build" / "html" / "needs.json").is_file()
    html = (book / "_build" / "html" / "obligations.html").read_text()
    assert "couverte par" in html

    chapter = book / "obligations.md"
    chapter.write_text(chapter.read_text() + UNCOVERED)
    failed = run(BIN / "jupyter-book", "build", book, "-W", "-n", "--keep-going")
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    line = chapter.read_text().splitlines().index("```{obligation} Consulter le CSE") + 1
    assert (
        # a French book: its warnings are French
        f"obligations.md:{line}: WARNING: OBL-TRAV-L2312-38\u202f: l'obligation "
        "«\u202fConsulter le CSE\u202f»" in output
    )
    assert "[crmrisk.uncovered]" in output
