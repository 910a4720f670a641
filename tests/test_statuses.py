"""Statuses are a vocabulary (issue 24): a French draft never covers, an unknown word is
a located ``crmrisk.bad_value`` that fails ``-W``, in MyST and reST, and ``crmrisk
check`` says the same."""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx_builds import build_once, edit

from sphinx_crmrisk.cli import main


def traceability(app) -> dict:
    return json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))


def states(app) -> dict[str, str]:
    return {o["id"]: o["state"] for o in traceability(app)["obligations"]}


def test_a_clause_with_a_french_draft_status_does_not_cover(copy_root, capsys):
    src = copy_root("clean")  # French, MyST
    edit(src / "controles.md", ":id: CLA-RGPD-03\n", ":id: CLA-RGPD-03\n:status: brouillon\n")
    app = build_once(src, freshenv=True)
    assert states(app)["OBL-RGPD-30"] == "uncovered"
    warnings = app.warning.getvalue()
    # no bad value: brouillon is a word of the vocabulary, a draft
    assert "bad_value" not in warnings, warnings
    assert "CLA-RGPD-03\u202f: brouillon" in warnings
    gaps = (Path(app.outdir) / "controles.html").read_text(encoding="utf-8")
    suivi = (Path(app.outdir) / "obligations.html").read_text(encoding="utf-8")
    assert "is draft" not in gaps + suivi
    status = main(["check", str(app.outdir), "--gaps-only"])
    out = capsys.readouterr().out
    assert status == 1
    assert "(CLA-RGPD-03\u202f: brouillon)" in out


def test_a_written_status_in_any_case_and_accent_counts_as_its_word(copy_root):
    src = copy_root("clean")
    edit(src / "controles.md", ":id: CLA-RGPD-03\n", ":id: CLA-RGPD-03\n:status: En vigueur\n")
    app = build_once(src, freshenv=True)
    assert states(app)["OBL-RGPD-30"] == "covered"
    assert "WARNING" not in app.warning.getvalue(), app.warning.getvalue()


UNKNOWN = "n'importe quoi"


def fails_with_w(src: Path) -> bool:
    """Whether a -W build of ``src`` fails: Sphinx 7.4 stops at the first warning, 8 and
    9 finish the build and end with a non-zero status."""
    try:
        app = build_once(src, freshenv=True, warningiserror=True)
    except SphinxError:
        return True
    return app.statuscode != 0


def test_an_unknown_status_fails_the_build_at_its_line_in_myst(copy_root, capsys):
    src = copy_root("clean")
    edit(src / "controles.md", ":id: CLA-RGPD-03\n", f":id: CLA-RGPD-03\n:status: {UNKNOWN}\n")
    # -W: the warning is an error
    assert fails_with_w(src)
    app = build_once(src, freshenv=True)
    warnings = app.warning.getvalue()
    expected = (
        f"controles.md:3: WARNING: CLA-RGPD-03\u202f: «\u202f{UNKNOWN}\u202f» n'est pas un "
        "statut de clause\u202f: ses couvertures ne comptent pas (statuts\u202f: active, "
    )
    assert expected in warnings, warnings
    assert "[crmrisk.bad_value]" in warnings
    # never silent coverage: the clause does not count
    assert states(app)["OBL-RGPD-30"] == "uncovered"
    # crmrisk check says the same, at the same place
    assert main(["check", str(app.outdir)]) == 1
    out = capsys.readouterr().out
    assert expected.replace(" WARNING:", "") in out


def test_an_unknown_status_fails_the_build_at_its_line_in_rest(copy_root, capsys):
    src = copy_root("rst")  # English, reST
    edit(
        src / "index.rst", "   :id: CLA-RGPD-03\n", f"   :id: CLA-RGPD-03\n   :status: {UNKNOWN}\n"
    )
    assert fails_with_w(src)
    app = build_once(src, freshenv=True)
    warnings = app.warning.getvalue()
    line = (
        (src / "index.rst")
        .read_text(encoding="utf-8")
        .splitlines()
        .index(".. clause:: Data processing agreement")
    )
    expected = (
        f"index.rst:{line + 1}: WARNING: CLA-RGPD-03: status '{UNKNOWN}' is not a status of a "
        "clause, so its covers do not count (statuses: active, "
    )
    assert expected in warnings, warnings
    assert states(app)["OBL-RGPD-28-3"] == "uncovered"
    assert main(["check", str(app.outdir)]) == 1
    assert expected.replace(" WARNING:", "") in capsys.readouterr().out


def test_the_inactive_statuses_setting_keeps_working_in_every_language(copy_root):
    src = copy_root("clean")
    edit(src / "controles.md", ":id: CLA-RGPD-03\n", ":id: CLA-RGPD-03\n:status: suspendue\n")
    conf = src / "conf.py"
    # the team's own word, and draft: brouillon is inactive through its meaning
    conf.write_text(
        conf.read_text(encoding="utf-8") + 'crmrisk_inactive_statuses = ["draft", "suspendue"]\n',
        encoding="utf-8",
    )
    app = build_once(src, freshenv=True)
    assert "bad_value" not in app.warning.getvalue()
    assert states(app)["OBL-RGPD-30"] == "uncovered"
    assert "CLA-RGPD-03\u202f: suspendue" in app.warning.getvalue()
