"""Snapshots of whole outputs of one test project, compared with checked-in files.

``tests/roots/test-matrix`` has obligations in every state but out of scope (covered,
upcoming, lapsed, justified, uncovered), a gap that only a draft clause covers, titles
that are a script and a spreadsheet formula, and its own reference date
(``crmrisk_today``), so nothing in its outputs comes from the clock. It is built once
with Sphinx; each output is compared, whole, with its expected file under
``tests/snapshots/matrix/``:

- ``traceability.json`` and ``traceability.csv``, byte for byte, as the build wrote them;
- ``check.json``: ``crmrisk check --format json`` on the build's output folder;
- ``matrix-all.html.txt`` and ``gaps.html.txt``: the main content of the matrix page and
  of the gaps page (the document's sections inside ``role="main"``), as an outline: one
  element or text a line, indented by depth, attributes sorted, whitespace collapsed,
  sphinx-needs' random ``SNCB-<hex>`` ids and ``?v=<hash>`` cache busters removed. Sphinx
  8 and 9 add an empty ``<div class="clearer">`` of the theme inside ``role="main"``,
  after the document, which Sphinx 7.4 puts outside: only the sections are kept, and the
  outline is then the same on Sphinx 7.4.7, 8.2.3 and 9.1.1 (checked on each when it was
  written; the JSON, CSV and check outputs are identical on the three).

Paths of the build (its source and output folders) are written ``<src>`` and ``<out>``,
so that a snapshot does not depend on the machine.

A difference fails with a unified diff. When an output changes on purpose, update the
expected files and review the diff before committing it::

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update
    git diff tests/snapshots

(``--snapshot-update`` is declared in ``tests/conftest.py``.)
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from sphinx.testing.util import SphinxTestApp
from sphinx_builds import build_once

from sphinx_crmrisk.cli import main

ROOT = Path(__file__).parent / "roots" / "test-matrix"
SNAPSHOTS = Path(__file__).parent / "snapshots" / "matrix"

# sphinx-needs names containers SNCB-<hash of the source path>, and Sphinx adds ?v=<hash>
# to the addresses of static files: neither says anything of the output
_VOLATILE = (
    (re.compile(r"SNCB-[0-9a-f]+"), "SNCB"),
    (re.compile(r"\?v=[0-9a-f]+"), ""),
)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> SphinxTestApp:
    src = tmp_path_factory.mktemp("snapshots") / "matrix"
    shutil.copytree(ROOT, src)
    app = build_once(src)
    assert "Traceback" not in app.warning.getvalue()
    return app


def machine_free(text: str, app: SphinxTestApp) -> str:
    """``text`` with the build's folders written ``<out>`` and ``<src>``."""
    return text.replace(str(app.outdir), "<out>").replace(str(app.srcdir), "<src>")


def _tag_line(tag: Tag) -> str:
    """``<name a="x" b="y z">``: the tag's attributes sorted, a list's values joined, a
    line break in a value written ``\\n`` (one element a line)."""
    attrs = " ".join(
        f'{name}="{" ".join(value) if isinstance(value, list) else value}"'.replace("\n", "\\n")
        for name, value in sorted(tag.attrs.items())
    )
    return f"<{tag.name}{' ' + attrs if attrs else ''}>"


def outline(html: str) -> str:
    """The main content of a page, one element or text a line, indented by depth."""
    for pattern, replacement in _VOLATILE:
        html = pattern.sub(replacement, html)
    main = BeautifulSoup(html, "html.parser").select_one('[role="main"]')
    assert main is not None, "no element with role=main in the page"
    sections = main.find_all("section", recursive=False)
    assert sections, "no section in the page's main content"
    lines: list[str] = []

    def walk(node: Tag, depth: int) -> None:
        lines.append("  " * depth + _tag_line(node))
        for child in node.children:
            if isinstance(child, Tag):
                walk(child, depth + 1)
            elif (
                isinstance(child, NavigableString)
                and not isinstance(child, Comment)
                and (text := " ".join(child.split()))
            ):
                lines.append("  " * (depth + 1) + text)

    for section in sections:
        walk(section, 0)
    return "\n".join(lines) + "\n"


def assert_snapshot(request: pytest.FixtureRequest, name: str, got: bytes) -> None:
    """``got`` is the content of ``tests/snapshots/matrix/<name>``; with
    ``--snapshot-update``, it becomes it."""
    expected_file = SNAPSHOTS / name
    if request.config.getoption("snapshot_update"):
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_bytes(got)
        return
    if not expected_file.is_file():
        pytest.fail(f"{expected_file} is missing: run pytest {__file__} --snapshot-update")
    expected = expected_file.read_bytes()
    if got != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8").splitlines(keepends=True),
            got.decode("utf-8").splitlines(keepends=True),
            f"tests/snapshots/matrix/{name} (expected)",
            f"{name} (this build)",
        )
        text = "".join(diff) or "(same text, different bytes: line endings or encoding)"
        pytest.fail(
            f"{name} differs from its snapshot (if the change is intended: "
            f"pytest {Path(__file__).name} --snapshot-update):\n{text}",
            pytrace=False,
        )


@pytest.mark.parametrize("name", ["traceability.json", "traceability.csv"])
def test_the_exports_are_their_snapshots(request, build, name):
    # compared as written (the CSV's BOM and CRLF line ends included), folders replaced
    raw = (Path(build.outdir) / name).read_bytes().decode("utf-8")
    assert_snapshot(request, name, machine_free(raw, build).encode("utf-8"))


def test_crmrisk_check_json_is_its_snapshot(request, build, tmp_path):
    report = tmp_path / "check.json"
    status = main(["check", str(build.outdir), "--format", "json", "--output", str(report)])
    assert status == 1  # two obligations are uncovered
    text = machine_free(report.read_bytes().decode("utf-8"), build)
    assert_snapshot(request, "check.json", text.encode("utf-8"))


@pytest.mark.parametrize("page", ["matrix-all", "gaps"])
def test_the_main_content_of_the_views_is_its_snapshot(request, build, page):
    html = (Path(build.outdir) / f"{page}.html").read_text(encoding="utf-8")
    assert_snapshot(request, f"{page}.html.txt", machine_free(outline(html), build).encode())
