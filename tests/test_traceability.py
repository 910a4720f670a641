"""One traceability object per build, read the same way by the build and the command."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx_builds import build_once, edit, warnings_of

import sphinx_crmrisk
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.warning_types import BUILD_ONLY_SUBTYPES

FIXTURES = Path(__file__).parent / "fixtures"
ROOTS = Path(__file__).parent / "roots"
#: Every sphinx.testing root that sphinx-build builds (test-jupyterbook is a Jupyter Book:
#: tests/test_build_commands.py builds it with jupyter-book).
SPHINX_ROOTS = sorted(
    path.name.removeprefix("test-") for path in ROOTS.glob("test-*") if (path / "conf.py").exists()
)
_WARNING = re.compile(
    r"^(?P<location>.*?): WARNING: (?P<message>.*) \[crmrisk\.(?P<subtype>\w+)\]$"
)


def test_load_can_be_called_any_number_of_times():
    needs_json = FIXTURES / "needs-new.json"
    first = sphinx_crmrisk.load(needs_json)
    importlib.import_module("sphinx_crmrisk.loading")  # must not shadow the function

    again = sphinx_crmrisk.load(needs_json)
    assert callable(sphinx_crmrisk.load)
    assert first.items == again.items
    assert sphinx_crmrisk.load_traceability(needs_json).model.items == first.items


def test_two_builds_of_one_application_see_their_own_data(copy_root):
    srcdir = copy_root("clean")
    app = SphinxTestApp("html", srcdir=srcdir, freshenv=True)
    try:
        app.build()
        assert "[crmrisk.uncovered]" not in app.warning.getvalue()
        controls = srcdir / "controles.md"
        edit(controls, ":covers: OBL-RGPD-30, OBL-RGPD-13", ":covers: OBL-RGPD-13")
        app.build()
        assert "OBL-RGPD-30\u202f: l'obligation" in app.warning.getvalue()
        exported = json.loads((Path(app.outdir) / "traceability.json").read_text("utf-8"))
        states = {o["id"]: o["state"] for o in exported["obligations"]}
        assert states["OBL-RGPD-30"] == "uncovered"
    finally:
        app.cleanup()


def build_warnings(app: SphinxTestApp) -> set[tuple[str, str, str]]:
    """(location, subtype, message) of each crmrisk warning about the items."""
    found = set()
    text = "\n".join(warnings_of(app))
    for line in text.splitlines():
        match = _WARNING.match(line)
        if match and match["subtype"] not in BUILD_ONLY_SUBTYPES:
            found.add((match["location"], match["subtype"], match["message"]))
    return found


@pytest.mark.parametrize("root", SPHINX_ROOTS)
def test_the_build_and_the_command_report_the_same_problems(root, copy_root, capsys):
    srcdir = copy_root(root)
    app = build_once(srcdir, freshenv=True)
    if not (Path(app.outdir) / "needs.json").exists():
        # a host project with no crmrisk item and no needs_build_json of its own: the
        # extension registered nothing and wrote nothing (issue 11, coexistence), so
        # the command has nothing to read and says so; the build reported nothing
        assert build_warnings(app) == set()
        assert main(["check", str(app.outdir), "--format", "json"]) == 2
        assert "no such file" in capsys.readouterr().err
        return
    status = main(["check", str(app.outdir), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    reported = {(p["location"], p["subtype"], p["message"]) for p in report["problems"]}
    expected = build_warnings(app)
    if not app.config.crmrisk_fail_on_uncovered:
        # a drafting project logs its gaps as info lines; the command still lists them
        expected |= {p for p in reported if p[1] == "uncovered"}
    assert reported == expected
    assert status == (1 if reported else 0)


def test_gaps_only_leaves_the_other_problems_out(copy_root, capsys):
    srcdir = copy_root("problems")
    app = build_once(srcdir, freshenv=True)
    assert main(["check", str(app.outdir), "--format", "json"]) == 1
    every = json.loads(capsys.readouterr().out)["problems"]
    # the problems root has bad dates, fields and links, and no gap
    assert every and all(p["subtype"] != "uncovered" for p in every)
    assert main(["check", str(app.outdir), "--format", "json", "--gaps-only"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []
