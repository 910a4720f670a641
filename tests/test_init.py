"""``crmrisk init``: a starter handbook that builds, lists its gaps, and takes upgrades."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_builds import build_once

from sphinx_crmrisk import law_catalogue as library
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.law_catalogue import catalogue_file, read_needs, versions
from sphinx_crmrisk.model import parse_date
from sphinx_crmrisk.scope import ACTIVITIES, expand
from sphinx_crmrisk.text import split_list

BIN = Path(sys.executable).parent


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, check=False
    )


def in_scope(profile: list[str] | None, today: dt.date) -> set[str]:
    """What the starter must list as gaps, read from the catalogue itself."""
    words = None if profile is None else expand(profile)
    found = set()
    for need_id, need in read_needs(catalogue_file()).items():
        until = parse_date(need.get("until", ""))
        if need["type"] != "obligation" or (until is not None and until < today):
            continue
        if words is None or set(split_list(need.get("applies_to", ""))) <= words:
            found.add(need_id)
    return found


def gap_ids(html_dir: Path) -> set[str]:
    page = BeautifulSoup((html_dir / "suivi.html").read_text(encoding="utf-8"), "html.parser")
    return {tr.td.get_text(strip=True) for tr in page.select("table.crmrisk-gaps tbody tr")}


def built_today(html_dir: Path) -> dt.date:
    recorded = json.loads((html_dir / "crmrisk-config.json").read_text(encoding="utf-8"))
    return dt.date.fromisoformat(recorded["crmrisk_today"])


def check_lists_the_gaps(html_dir: Path, expected: set[str], capsys) -> str:
    """``crmrisk check`` lists every gap, each where the organization acts: the worked
    examples' obligations at the draft that covers them, the others of the catalogue
    in one grouped problem at the directive that imports them."""
    status = main(["check", str(html_dir), "--gaps-only", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert {gap["id"] for gap in report["uncovered"]} == expected
    acted = {gap["id"]: gap["act_at"] for gap in report["uncovered"]}
    assert acted.pop("OBL-RGPD-28-3").startswith("clauses.")
    assert acted.pop("OBL-RGPD-30").startswith("procedures.")
    assert set(acted.values()) == {next(iter(acted.values()))}  # the directive's line
    grouped = [p for p in report["problems"] if len(p.get("obligations", [])) > 1]
    assert len(grouped) == 1 and set(grouped[0]["obligations"]) == set(acted)
    assert main(["check", str(html_dir), "--gaps-only"]) == 1
    out = capsys.readouterr().out
    listed = {line[4:].split(" ")[0] for line in out.splitlines() if line.startswith("  - ")}
    assert listed == set(acted)
    return out


def test_the_readme_path_for_a_new_organization(tmp_path, capsys):
    acme = tmp_path / "acme"
    assert main(["init", str(acme), "--profile", "prospection"]) == 0
    capsys.readouterr()
    result = run(
        BIN / "sphinx-build", "-W", "--keep-going", "-b", "html", acme, acme / "_build" / "html"
    )
    assert result.returncode == 0, result.stderr
    html = acme / "_build" / "html"
    expected = in_scope(["prospection"], built_today(html))
    # every obligation in scope is a gap: the worked examples are drafts
    assert gap_ids(html) == expected
    assert "OBL-CONSO-L223-1" in expected  # opt-in canvassing
    trace = json.loads((html / "traceability.json").read_text(encoding="utf-8"))
    states = {o["id"]: o for o in trace["obligations"]}
    assert states["OBL-ASSUR-L112-2-2"]["state"] == "out_of_scope"  # insurance canvassing
    assert states["OBL-ASSUR-L112-2-2"]["out_of_scope_by"] == ["assurance"]
    out = check_lists_the_gaps(html, expected, capsys)
    assert "OBL-ASSUR-L112-2-2 (sans assurance)" in out  # the build's language
    # the starter's pages say what they should
    index = (acme / "index.md").read_text(encoding="utf-8")
    assert f"l'état du droit au {versions()[-1]}" in index
    assert "n'est pas un avis juridique" in index
    conf = (acme / "conf.py").read_text(encoding="utf-8")
    assert "crmrisk_profile = ['prospection']" in conf
    assert "crmrisk_fail_on_uncovered = False" in conf
    for word in ACTIVITIES:
        assert f"#   {word}: " in conf
    assert "Next steps:" in (acme / "README.md").read_text(encoding="utf-8")


def test_a_rest_starter_without_profile_lists_every_obligation(tmp_path, capsys):
    starter = tmp_path / "banque"
    assert main(["init", str(starter), "--format", "rst"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in starter.iterdir()) == [
        "README.md",
        "clauses.rst",
        "conf.py",
        "index.rst",
        "obligations.rst",
        "procedures.rst",
        "suivi.rst",
    ]
    html = starter / "_build" / "html"
    result = run(BIN / "sphinx-build", "-W", "--keep-going", "-b", "html", starter, html)
    assert result.returncode == 0, result.stderr
    expected = in_scope(None, built_today(html))
    assert gap_ids(html) == expected
    check_lists_the_gaps(html, expected, capsys)
    # the examples' covers do not count while they are drafts, and the gaps say so
    suivi = (html / "suivi.html").read_text(encoding="utf-8")
    assert "CLA-EXEMPLE-01" in suivi and "(brouillon, <code" in suivi
    # a French page: never the English words of the model (issue 24)
    assert "is draft" not in suivi


# runs jupyter-book build
@pytest.mark.book
def test_a_jupyter_book_starter_builds_with_jupyter_book(tmp_path, capsys):
    book = tmp_path / "assureur"
    assert main(["init", str(book), "--jupyter-book", "--profile", "assurance,prospection"]) == 0
    capsys.readouterr()
    assert (book / "_config.yml").is_file() and (book / "_toc.yml").is_file()
    assert not (book / "conf.py").exists()
    result = run(BIN / "jupyter-book", "build", book, "-W", "-n", "--keep-going")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    html = book / "_build" / "html"
    expected = in_scope(["assurance", "prospection"], built_today(html))
    assert "OBL-CONSO-L222-5-1" in expected  # an insurer sells financial services
    assert gap_ids(html) == expected
    check_lists_the_gaps(html, expected, capsys)


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path, capsys):
    target = tmp_path / "acme"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"crmrisk: error: {target} is not empty: nothing written\n"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_an_unknown_profile_word_is_refused_naming_the_valid_ones(tmp_path, capsys):
    target = tmp_path / "acme"
    assert main(["init", str(target), "--profile", "prospection,banque"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "crmrisk: error: --profile: 'banque' is not an activity (activities: "
        + ", ".join(ACTIVITIES)
        + ")\n"
    )
    assert not target.exists()


def test_a_bad_format_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["init", str(tmp_path / "x"), "--format", "docx"])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


NEW_VERSION = "2027-01-15"
ADDED = "OBL-NOUVELLE-2027"
CHANGED = "OBL-CONSO-L223-1"


@pytest.fixture
def two_versions(tmp_path, monkeypatch) -> Path:
    """A package that ships today's catalogue, and one that also ships a later one
    with one added and one changed obligation: the test switches from one to the other."""
    root = tmp_path / "catalogue"
    current = catalogue_file().parent
    shutil.copytree(current, root / current.name)
    monkeypatch.setattr(library, "CATALOGUE_DIR", root)
    return root


def publish_new_version(root: Path) -> None:
    current = catalogue_file(root=root).parent
    later = root / NEW_VERSION
    shutil.copytree(current, later)
    for name in (library.LAW_FILE, library.MODELS_FILE):
        file = later / name
        document = json.loads(file.read_text(encoding="utf-8"))
        data = document["versions"].pop(current.name)
        document["versions"][NEW_VERSION] = data
        document["current_version"] = NEW_VERSION
        if name == library.LAW_FILE:
            data["needs"][CHANGED]["legal_basis"] += " ; décret n° 2027-1 du 10 janvier 2027"
            data["needs"][ADDED] = {
                "id": ADDED,
                "type": "obligation",
                "title": "Tenir à jour la liste des appels refusés",
                "phase": ["PH-EXPLOITATION"],
                "legal_basis": "Décret n° 2027-1",
                "effective": "2027-01-10",
                "source": "https://www.legifrance.gouv.fr/",
                "content": "Une obligation nouvelle, pour le test de mise à jour.",
            }
        file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def build(src: Path) -> Path:
    app = build_once(src, freshenv=True)
    assert app.statuscode == 0, app.warning.getvalue()
    assert "WARNING" not in app.warning.getvalue(), app.warning.getvalue()
    return Path(app.outdir)


def test_an_upgrade_shows_the_new_obligation_as_a_gap_and_diff_lists_the_change(
    two_versions, tmp_path, capsys
):
    starter = tmp_path / "acme"
    assert main(["init", str(starter), "--profile", "prospection"]) == 0
    # a clause of the organization covers the obligation the new version changes
    clauses = starter / "clauses.md"
    clauses.write_text(
        clauses.read_text(encoding="utf-8")
        + f"\n```{{clause}} Consentement préalable\n:id: CLA-ACME-OPTIN\n:covers: {CHANGED}\n```\n",
        encoding="utf-8",
    )
    before = tmp_path / "before"
    shutil.copytree(build(starter), before)
    publish_new_version(two_versions)
    after = build(starter)
    capsys.readouterr()

    obligations = (after / "obligations.html").read_text(encoding="utf-8")
    assert f"État du droit au {NEW_VERSION}" in obligations
    assert ADDED in gap_ids(after) and ADDED not in gap_ids(before)
    assert CHANGED not in gap_ids(after)
    assert main(["diff", str(before), str(after), "--format", "json"]) == 1
    diff = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in diff["added"]] == [ADDED]
    assert [(entry["id"], [c["field"] for c in entry["changes"]]) for entry in diff["changed"]] == [
        (CHANGED, ["legal_basis"])
    ]
