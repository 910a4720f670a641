"""The audit notebooks and what they stand on: ``load`` from a source folder, and its cache.

The notebooks themselves run against the handbook in ``make test`` (``--nbval-lax
notebooks``); here the coverage notebook runs against a fixture with a gap.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from sphinx_builds import after_the_cache, edit

from sphinx_crmrisk import load, load_traceability
from sphinx_crmrisk import needs_cache as source_build
from sphinx_crmrisk.loading import BUILD_NEEDS_ENV, BUILD_SOURCE_ENV, HANDBOOK_ENV
from sphinx_crmrisk.model import State
from sphinx_crmrisk.needs_json import LoadError
from sphinx_crmrisk.settings import CONFIG_JSON

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A private copy: the cache is written under the source folder."""
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def states(path: Path) -> dict[str, State]:
    return {a.obligation.id: a.state for a in load_traceability(path).assessments}


@pytest.mark.book  # the notebook reads a Jupyter Book and draws with pandas and matplotlib
def test_coverage_notebook_fails_naming_the_uncovered_obligation(tmp_path, monkeypatch):
    book = copy_fixture("handbook-uncovered", tmp_path)
    monkeypatch.setenv(HANDBOOK_ENV, str(book))
    notebook = nbformat.read(NOTEBOOKS / "coverage-audit.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(NOTEBOOKS)}})
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    assert failure.value.ename == "AssertionError"
    assert "OBL-FIX-GAP" in failure.value.evalue
    assert "OBL-FIX-OK" not in failure.value.evalue
    # every check ran first: it is the last cell that failed
    last_code_cell = [cell for cell in notebook.cells if cell.cell_type == "code"][-1]
    assert [output.output_type for output in last_code_cell.outputs] == ["error"]


@pytest.mark.book  # a Jupyter Book folder is read with Jupyter Book's own configuration
def test_load_jupyter_book_source_folder(tmp_path):
    book = copy_fixture("handbook-uncovered", tmp_path)
    assert {"PH-FIX", "OBL-FIX-OK", "OBL-FIX-GAP", "CLA-FIX-1"} <= set(load(book).items)
    traceability = load_traceability(book)
    # the date of _config.yml, not the wall clock
    assert traceability.today == dt.date(2026, 1, 15)
    assert states(book) == {
        "OBL-FIX-GAP": State.UNCOVERED,
        "OBL-FIX-LATER": State.UPCOMING,
        "OBL-FIX-OK": State.COVERED,
    }


def test_a_jupyter_book_folder_without_jupyter_book_says_what_to_install(tmp_path, monkeypatch):
    # as on Sphinx 8 and 9, where Jupyter Book 1 cannot be installed
    book = copy_fixture("handbook-uncovered", tmp_path).resolve()
    monkeypatch.setitem(sys.modules, "jupyter_book", None)
    with pytest.raises(LoadError) as failure:
        load(book)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(f"{book}: a Jupyter Book folder is read with Jupyter Book 1")
    assert "pip install 'sphinx-crmrisk[book]'" in message
    assert not (book / "_build").exists()  # nothing was built


def test_load_sphinx_project_source_folder(tmp_path):
    project = copy_fixture("sphinx-project", tmp_path)
    traceability = load_traceability(project)
    assert traceability.today == dt.date(2025, 3, 1)
    assert traceability.inactive_statuses == ("draft",)
    assert states(project) == {"OBL-SRC-1": State.COVERED}


def test_cache_is_reused_until_a_source_changes(tmp_path, monkeypatch):
    project = copy_fixture("sphinx-project", tmp_path)
    load(project)

    def no_build(*args: object) -> None:
        raise AssertionError("the needs builder ran again")

    monkeypatch.setattr(source_build, "_run_needs_builder", no_build)
    assert "OBL-SRC-1" in load(project).items
    monkeypatch.undo()

    # the cached needs.json (needs_json_of would rebuild it when stale)
    cached = project / source_build.DEFAULT_CACHE / "needs.json"
    index = project / "index.rst"
    edit(index, ":covers: OBL-SRC-1", ":status: draft\n   :covers: OBL-SRC-1")
    after_the_cache(cached, index)
    assert states(project) == {"OBL-SRC-1": State.UNCOVERED}

    (project / "more.rst").write_text(
        "Plus\n====\n\n.. obligation:: Nouvelle\n   :id: OBL-SRC-2\n   :phase: PH-SRC\n",
        encoding="utf-8",
    )
    after_the_cache(cached, project / "more.rst", project)
    assert "OBL-SRC-2" in load(project).items


def test_a_needs_json_alone_is_assessed_as_of_today(tmp_path, frozen_today):
    project = copy_fixture("sphinx-project", tmp_path)
    needs_json = source_build.needs_json_of(project)
    assert load_traceability(needs_json).today == dt.date(2025, 3, 1)  # its build's date
    (needs_json.parent / CONFIG_JSON).unlink()
    assert load_traceability(needs_json).today == frozen_today


def test_a_failed_source_build_is_one_line(tmp_path):
    project = copy_fixture("sphinx-project", tmp_path)
    conf = project / "conf.py"
    conf.write_text(conf.read_text().replace("2025-03-01", "2025-13-01"), encoding="utf-8")
    with pytest.raises(LoadError) as failure:
        load(project)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(f"{project}: the needs build failed: ")
    assert "crmrisk_today" in message


def test_a_folder_that_is_neither_keeps_the_needs_json_message(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load(tmp_path)


def test_a_source_folder_is_read_from_the_build_that_executes_the_notebook(tmp_path, monkeypatch):
    """A notebook executed by the build of its own folder reads the needs that build
    handed over (named in the environment its kernel inherits); any other folder is
    built as before."""
    project = copy_fixture("sphinx-project", tmp_path)
    handed = tmp_path / "handed"
    handed.mkdir()
    shutil.copy(source_build.needs_json_of(project), handed / "needs.json")
    (handed / CONFIG_JSON).write_text(
        (project / "_build" / "crmrisk-needs" / CONFIG_JSON).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    # the handed copy differs from the folder: the handed one is what is read
    text = (handed / "needs.json").read_text(encoding="utf-8")
    (handed / "needs.json").write_text(text.replace("OBL-SRC-1", "OBL-HANDED"), encoding="utf-8")

    def no_build(*args: object) -> None:
        raise AssertionError("the needs builder ran")

    monkeypatch.setattr(source_build, "_run_needs_builder", no_build)
    monkeypatch.setattr(source_build, "is_fresh", lambda *args: False)
    monkeypatch.setenv(BUILD_NEEDS_ENV, str(handed / "needs.json"))
    monkeypatch.setenv(BUILD_SOURCE_ENV, str(project / "." / ""))
    assert set(load(project).items) >= {"OBL-HANDED"}
    assert load_traceability(project).today == dt.date(2025, 3, 1)  # its recorded settings
    # another folder: built (here, refused by the stub), never read from the build's file
    other = Path(shutil.copytree(FIXTURES / "sphinx-project", tmp_path / "other"))
    with pytest.raises(AssertionError, match="the needs builder ran"):
        load(other)
