"""The catalogue shipped in the package: in sync with the handbook, imported by a directive."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from bs4 import BeautifulSoup
from sphinx_builds import build_once

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.exports import SCHEMA_FILE
from sphinx_crmrisk.law_catalogue import (
    LAW_FILE,
    MODELS_FILE,
    catalogue_documents,
    catalogue_file,
    file_text,
    read_needs,
    versions,
)
from sphinx_crmrisk.needs_cache import needs_json_of
from sphinx_crmrisk.needs_json import find_needs_json

REPO = Path(__file__).parents[1]


def shipped(models: bool = False) -> dict:
    return read_needs(catalogue_file(models=models))


def built_needs(app) -> dict:
    document = json.loads((Path(app.outdir) / "needs.json").read_text(encoding="utf-8"))
    return document["versions"][document["current_version"]]["needs"]


def soup(app, page: str) -> BeautifulSoup:
    return BeautifulSoup(
        (Path(app.outdir) / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )


# builds the handbook, a Jupyter Book
@pytest.mark.book
def test_the_shipped_catalogue_is_what_the_handbook_gives():
    version, documents = catalogue_documents(find_needs_json(needs_json_of(REPO)))
    assert version in versions(), (
        f"the handbook states the law as of {version} and the package ships no "
        f"catalogue of that date: run `make catalogue`"
    )
    for name in (LAW_FILE, MODELS_FILE):
        file = catalogue_file(version, models=name == MODELS_FILE)
        assert file.read_text(encoding="utf-8") == file_text(documents[name]), (
            f"{file} differs from what the handbook gives: run `make catalogue`"
        )


def test_the_catalogue_holds_phases_obligations_and_models_with_their_french_text():
    law, models = shipped(), shipped(models=True)
    assert {need["type"] for need in law.values()} == {"phase", "obligation"}
    assert {need["type"] for need in models.values()} == {"clause", "procedure"}
    # lapsed rules are part of the statement of the law
    assert any(need.get("until") for need in law.values())
    opt_in = law["OBL-CONSO-L223-1"]
    assert opt_in["applies_to"] == "prospection"
    assert "démarcher par téléphone" in opt_in["content"] and opt_in["source"].startswith(
        "https://"
    )
    # a page of the handbook is not a page of the project that imports the catalogue
    assert not any("{doc}" in need.get("content", "") for need in {**law, **models}.values())


@pytest.mark.sphinx("html", testroot="catalogue", freshenv=True)
def test_the_directive_imports_the_catalogue_located_where_it_stands(app):
    app.build()
    assert app.statuscode == 0
    warnings = app.warning.getvalue()
    assert "WARNING" not in warnings, warnings
    needs = built_needs(app)
    imported = shipped()
    assert set(needs) == set(imported) | {"PROC-ASSUREUR-01"}
    # every imported need is located at the directive (obligations.md, line 5)
    assert {(needs[i]["docname"], needs[i]["lineno"]) for i in imported} == {("obligations", 5)}
    # the badge and the links work as for written needs
    page = soup(app, "obligations")
    assert page.find(id="OBL-CONSO-L223-1") is not None
    assert page.select(".crmrisk-badge")
    assert "Statement of the law as of" not in page.text  # French build
    assert f"État du droit au {versions()[-1]}" in page.text
    # an insurer that canvasses: insurance canvassing is in scope; the AI Act is not
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))
    jsonschema.validate(trace, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    states = {o["id"]: o for o in trace["obligations"]}
    assert trace["profile"] == ["prospection", "assurance"]
    assert states["OBL-ASSUR-L112-2-2"]["state"] != "out_of_scope"
    assert states["OBL-CONSO-L222-5-1"]["state"] != "out_of_scope"  # assurance implies it
    assert states["OBL-IA-50"]["state"] == "out_of_scope"
    assert states["OBL-IA-50"]["out_of_scope_by"] == ["ia"]
    # the organization's own procedure covers a catalogue obligation
    assert states["OBL-CONSO-L223-1"]["covered_by"] == ["PROC-ASSUREUR-01"]
    overall = trace["summary"][-1]
    out = sum(o["state"] == "out_of_scope" for o in trace["obligations"])
    assert overall["out_of_scope"] == out > 0
    # the views count it apart and show why
    suivi = soup(app, "suivi")
    coverage = suivi.select_one("table.crmrisk-coverage")
    headers = [th.get_text(strip=True) for th in coverage.select("thead th")]
    assert "Hors périmètre" in headers
    last = [td.get_text(strip=True) for td in coverage.select("tbody tr")[-1].select("td")]
    assert last[headers.index("Hors périmètre")] == str(out)
    matrix = suivi.select_one("table.crmrisk-matrix")
    rows = {tr.td.get_text(strip=True): tr for tr in matrix.select("tbody tr")}
    assert len(rows) == out
    assert "hors périmètre (ia)" in rows["OBL-IA-50"].get_text()
    gaps = suivi.select_one("table.crmrisk-gaps").get_text()
    assert "OBL-IA-50" not in gaps and "OBL-ASSUR-L112-2-2" in gaps


@pytest.mark.sphinx("html", testroot="catalogue", freshenv=True)
def test_crmrisk_check_reports_out_of_scope_with_the_missing_activities(app, capsys):
    app.build()
    status = main(["check", str(app.outdir), "--gaps-only"])
    out = capsys.readouterr().out
    assert status == 1
    assert "OBL-ASSUR-L112-2-2" in out
    counts, scoped = out.splitlines()[-2:]
    # a French build: its report is French, with the plural forms of French
    assert " hors périmètre, " in counts and counts.startswith(
        f"{len(shipped()) - len([n for n in shipped().values() if n['type'] == 'phase'])} "
        "obligations au 2026-11-30\u202f: "
    )
    assert scoped.startswith("Hors périmètre (profil\u202f: prospection, assurance)\u202f: ")
    assert "OBL-IA-50 (sans ia)" in scoped
    english = main(["check", str(app.outdir), "--gaps-only", "--lang", "en"])
    out = capsys.readouterr().out
    assert english == 1 and "Out of scope (profile: prospection, assurance): " in out
    main(["check", str(app.outdir), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    entry = next(e for e in report["out_of_scope"] if e["id"] == "OBL-IA-50")
    assert (entry["missing"], entry["location"]) == (["ia"], "obligations.md:5")


@pytest.mark.sphinx("html", testroot="catalogue-rst", freshenv=True)
def test_one_phase_a_page_in_rest_imports_each_item_once(app):
    app.build()
    warnings = app.warning.getvalue()
    assert "WARNING" not in warnings, warnings
    needs = built_needs(app)
    law = shipped()
    assert set(needs) == set(law)  # no models without :models:
    for need_id, need in needs.items():
        phase = need_id if need["type"] == "phase" else law[need_id]["phase"][0]
        assert need["docname"] == phase.removeprefix("PH-").lower()
        assert "catalogue" in need["tags"]


def test_with_models_the_model_clauses_and_procedures_come_too(copy_root):
    src = copy_root("catalogue-rst")
    (src / "conception.rst").write_text(
        "Conception\n==========\n\n.. crmrisk-catalogue::\n   :models:\n", encoding="utf-8"
    )
    for page in ("deploiement", "exploitation"):
        (src / f"{page}.rst").write_text(f"{page}\n{'=' * len(page)}\n", encoding="utf-8")
    app = build_once(src, freshenv=True)
    warnings = app.warning.getvalue()
    assert "WARNING" not in warnings, warnings
    needs = built_needs(app)
    assert set(needs) == set(shipped()) | set(shipped(models=True))
    assert {needs[i]["docname"] for i in shipped(models=True)} == {"conception"}
    # the handbook's models cover what the handbook covers: no gap is left
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))
    assert [o["id"] for o in trace["obligations"] if o["state"] == "uncovered"] == []


def test_an_unknown_version_or_phase_is_a_warning_at_the_directive(copy_root):
    src = copy_root("catalogue-rst")
    (src / "conception.rst").write_text(
        "Conception\n==========\n\n.. crmrisk-catalogue::\n   :version: 1999-01-01\n\n"
        ".. crmrisk-catalogue::\n   :phase: PH-NOPE\n\n"
        ".. crmrisk-catalogue::\n   :phase: PH-CONCEPTION\n   :models:\n",
        encoding="utf-8",
    )
    app = build_once(src, freshenv=True)
    warnings = app.warning.getvalue()
    assert (
        f"conception.rst:4: WARNING: no catalogue version '1999-01-01' (versions: "
        f"{', '.join(versions())}) [crmrisk.catalogue]"
    ) in warnings
    assert "conception.rst:7: WARNING: 'PH-NOPE' given to :phase: is not a phase" in warnings
    assert "conception.rst:10: WARNING: :models: cannot be combined with :phase:" in warnings


@pytest.mark.sphinx("html", testroot="catalogue", freshenv=True)
def test_imported_text_links_its_sources_and_shows_whole_titles(app):
    """Issue 24: the « Vérifié sur » addresses are links, in a project without linkify;
    a {need} link shows the whole title, not 30 characters of it."""
    app.build()
    page = soup(app, "obligations")
    need = page.find(id="OBL-ACCESS-47")  # the need's table
    checked = need.find(string=lambda s: s and "Vérifié sur" in s)
    assert checked is not None
    links = [a["href"] for a in need.find_all("a", href=True)]
    assert "https://legal.tricoteuses.fr/articles/JORFARTI000048049676" in links
    # the {need} link to OBL-CONSO-L412-13, with its whole title
    title = shipped()["OBL-CONSO-L412-13"]["title"]
    assert len(title) > 30
    refs = [a.get_text() for a in need.select("a.reference") if "OBL-CONSO-L412-13" in a.get_text()]
    assert refs == [f"{title} (OBL-CONSO-L412-13)"]


@pytest.mark.sphinx("html", testroot="catalogue", freshenv=True)
def test_a_catalogues_gaps_are_reported_once_where_the_organization_acts(app, capsys):
    """Issue 24: the gaps of an imported catalogue say where they come from and are one
    problem at the directive that imports them, not forty on one line of one file."""
    app.build()
    trace = json.loads((Path(app.outdir) / "traceability.json").read_text(encoding="utf-8"))
    version = versions()[-1]
    gaps = [o for o in trace["obligations"] if o["state"] == "uncovered"]
    assert len(gaps) > 10 and {o["catalogue"] for o in gaps} == {version}
    # the build: one warning (an info line in drafting mode) for them all, at the directive
    status = app.status.getvalue()
    head = f"obligations.md:5: {len(gaps)} obligations du catalogue du {version} importées ici"
    assert head in status
    assert status.count("[crmrisk.uncovered]") == 1
    # GitHub: one annotation at the directive, each gap a line of it (%0A)
    assert main(["check", str(app.outdir), "--gaps-only", "--format", "github"]) == 1
    annotations = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    [annotation] = annotations
    assert annotation.startswith("::error file=obligations.md,line=5,title=uncovered OBL-")
    lines = annotation.split("::", 2)[2].split("%0A")
    assert len(lines) == 1 + len(gaps)
    basis = shipped()["OBL-CONSO-L223-1"]["legal_basis"]
    assert any(line.startswith(f"  - OBL-CONSO-L223-1 ({basis})") for line in lines[1:]) or (
        "OBL-CONSO-L223-1" not in {o["id"] for o in gaps}
    )
    # text: the same problem, its gaps on the lines under it
    main(["check", str(app.outdir), "--gaps-only"])
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith(head) and text[0].endswith("[crmrisk.uncovered]")
    assert [line.split(" ")[3] for line in text[1 : 1 + len(gaps)]] == [o["id"] for o in gaps]
    # JUnit: the catalogue's obligations are a suite of their own, named by where they
    # come from; one test case each
    main(["check", str(app.outdir), "--format", "junit"])
    root = ET.fromstring(capsys.readouterr().out)
    suites = {suite.get("name"): suite for suite in root}
    name = (
        f"couverture crmrisk au 2026-11-30\u202f: catalogue du {version} importé à obligations.md:5"
    )
    assert name in suites
    cases = suites[name].findall("testcase")
    assert {case.get("classname") for case in cases} == {f"crmrisk.catalogue.{version}"}
    failed = {case.get("name") for case in cases if case.find("failure") is not None}
    assert failed == {o["id"] for o in gaps}
