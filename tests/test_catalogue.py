"""The catalogue shipped in the package: in sync with the handbook, imported by a directive."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from sphinx_builds import build_once, edit, needs_of, soup

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.exports import SCHEMA_FILE
from sphinx_crmrisk.law_catalogue import (
    CATALOGUE_DIR,
    LAW_FILE,
    MODELS_FILE,
    OSCAL_FILE,
    catalogue_documents,
    catalogue_file,
    file_text,
    oscal_text,
    phase_of,
    read_needs,
    versions,
)
from sphinx_crmrisk.needs_cache import needs_json_of
from sphinx_crmrisk.needs_json import find_needs_json

REPO = Path(__file__).parents[1]


def shipped(models: bool = False) -> dict:
    return read_needs(catalogue_file(models=models))


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
    oscal = CATALOGUE_DIR / version / OSCAL_FILE
    assert oscal.read_text(encoding="utf-8") == oscal_text(version, documents[LAW_FILE]), (
        f"{oscal} differs from what the handbook gives: run `make catalogue`"
    )


def test_the_shipped_oscal_catalogue_is_the_shipped_law_of_its_version():
    """Without building the handbook: the OSCAL file is what its needs.json gives. Only
    the versions from 2026-12-05 have one (older ones are never written again)."""
    newest = versions()[-1]
    for version in versions():
        oscal = CATALOGUE_DIR / version / OSCAL_FILE
        if version < "2026-12-05":
            assert not oscal.exists()
            continue
        law = json.loads(catalogue_file(version).read_text(encoding="utf-8"))
        assert oscal.read_text(encoding="utf-8") == oscal_text(version, law), (
            f"{oscal} differs from its needs.json: run `make catalogue`"
        )
    assert (CATALOGUE_DIR / newest / OSCAL_FILE).is_file()


def test_the_catalogue_holds_phases_obligations_and_models_with_their_french_text():
    law, models = shipped(), shipped(models=True)
    assert {need["type"] for need in law.values()} == {"phase", "obligation", "watch"}
    assert {need["type"] for need in models.values()} == {"clause", "procedure"}
    # each record names the statement of the law it belongs to
    version = versions()[-1]
    assert {need["catalogue"] for need in {**law, **models}.values()} == {version}
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
    needs = needs_of(app)
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
        f"{len([n for n in shipped().values() if n['type'] == 'obligation'])} "
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
    needs = needs_of(app)
    law = shipped()
    assert set(needs) == set(law)  # no models without :models:
    for need_id, need in needs.items():
        phase = phase_of(need_id, law)
        assert need["docname"] == phase.removeprefix("PH-").lower()
        assert "catalogue" in need["tags"]
    # a watch item goes with the first phase of the first obligation it affects
    watch = next(i for i, n in law.items() if n["type"] == "watch")
    assert phase_of(watch, law) == law[law[watch]["affects"][0]]["phase"][0]


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
    needs = needs_of(app)
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


def test_the_shipped_watch_items_are_open_with_dates_after_their_statement():
    law = shipped()
    version = versions()[-1]
    watches = {i: n for i, n in law.items() if n["type"] == "watch"}
    assert len(watches) >= 9
    for watch_id, watch in watches.items():
        assert watch["status"] == "open", watch_id
        assert watch["expected"] > version, watch_id
        assert all(law[o]["type"] == "obligation" for o in watch["affects"]), watch_id
    # the statement of 2026-11-30 had none, and never changes
    old = read_needs(catalogue_file("2026-11-30"))
    assert not [n for n in old.values() if n["type"] == "watch"]


def test_an_imported_watch_item_past_its_date_asks_for_an_upgrade(copy_root, capsys):
    src = copy_root("catalogue")
    # a year later: the statement of the law imported has aged
    edit(src / "conf.py", 'crmrisk_today = "2026-11-30"', 'crmrisk_today = "2027-04-01"')
    # one item the organization checked itself and closed, one it postponed
    with (src / "controles.md").open("a", encoding="utf-8") as page:
        page.write(
            "\n```{needextend} VEI-DIR-2024-2853-TRANSPOSITION\n:status: done\n```\n"
            "\n```{needextend} VEI-CPCE-L44-2027\n:expected: 2027-06-30\n```\n"
        )
    app = build_once(src, freshenv=True)
    version = versions()[-1]
    law = shipped()
    late = sorted(
        i
        for i, n in law.items()
        if n["type"] == "watch"
        and n["expected"] < "2027-04-01"
        and i not in ("VEI-DIR-2024-2853-TRANSPOSITION", "VEI-CPCE-L44-2027")
    )
    assert late
    text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
    warnings = [line for line in text.splitlines() if "watch_overdue" in line]
    assert len(warnings) == len(late)
    for watch_id in late:
        expected = law[watch_id]["expected"]
        line = (
            # the project is French: so is the message
            f"obligations.md:5: WARNING: {watch_id}\u202f: élément de veille toujours ouvert après "
            f"sa date attendue {expected} (date de référence 2027-04-01)\u202f: l'état du droit du "
            f"{version} importé du catalogue sphinx-crmrisk est peut-être dépassé\u202f: mettez à "
            "jour sphinx-crmrisk, ou fixez une version plus récente (:version:) de "
            "crmrisk-catalogue [crmrisk.watch_overdue]"
        )
        assert any(w.endswith(line) for w in warnings), line
    # crmrisk check says the same, the acknowledged items left out
    main(["check", str(app.outdir), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    overdue = [p for p in report["problems"] if p["subtype"] == "watch_overdue"]
    assert sorted(p["id"] for p in overdue) == late
    assert {p["location"] for p in overdue} == {"obligations.md:5"}


@pytest.mark.sphinx("html", testroot="catalogue", freshenv=True)
def test_the_obligations_a_shipped_watch_item_affects_show_an_expected_change(app):
    app.build()
    law = shipped()
    watch_id, watch = next((i, n) for i, n in law.items() if n["type"] == "watch")
    page = soup(app, "obligations")
    obligation = page.find("table", id=watch["affects"][0])
    badge = obligation.select_one(".crmrisk-expected-change")
    assert badge is not None
    assert f"{watch_id} (attendue le {watch['expected']})" in badge.get_text()
    # the link goes to the item, imported on the same page
    assert f"#{watch_id}" in [a["href"] for a in badge.select("a")]
    assert page.find("table", id=watch_id) is not None


UPGRADED_FROM, UPGRADED_TO = "2026-11-30", "2026-12-05"
#: What décret n° 2026-662 added to the law between the two statements.
NEW_OBLIGATIONS = {
    "OBL-CONSO-R223-1",
    "OBL-CONSO-R223-2",
    "OBL-CONSO-R223-3",
    "OBL-CONSO-D223-9-2026",
}


def own_items(models: dict) -> str:
    """The clauses and procedures of an organization that covered a statement of the law:
    here, the model ones of that statement, written as its own."""
    blocks = [
        f"```{{{need['type']}}} {need['title']}\n:id: {need_id}\n"
        f":covers: {', '.join(need['covers'])}\n```\n"
        for need_id, need in sorted(models.items())
        if need.get("covers")
    ]
    return "# Nos clauses et procédures\n\n" + "\n".join(blocks)


def test_a_project_on_the_statement_of_30_november_upgrades_to_5_december(tmp_path, capsys):
    src = tmp_path / "assureur"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx_crmrisk"]\nlanguage = "fr"\n'
        f'exclude_patterns = ["_build"]\ncrmrisk_today = "{UPGRADED_TO}"\n',
        encoding="utf-8",
    )
    (src / "index.md").write_text(
        "# Manuel\n\n```{toctree}\nobligations\ncontroles\n```\n", encoding="utf-8"
    )
    pinned = f"# Obligations\n\n```{{crmrisk-catalogue}}\n:version: {UPGRADED_FROM}\n```\n"
    (src / "obligations.md").write_text(pinned, encoding="utf-8")
    old_models = read_needs(catalogue_file(UPGRADED_FROM, models=True))
    (src / "controles.md").write_text(own_items(old_models), encoding="utf-8")

    # on the statement of 30 November, every obligation is covered
    before = build_once(src, freshenv=True)
    assert "WARNING" not in before.warning.getvalue(), before.warning.getvalue()
    shutil.copytree(before.outdir, tmp_path / "before")
    # its clauses and procedures reviewed against that statement: the lock records it
    assert main(["review", str(src), "--all", "--today", UPGRADED_FROM]) == 0
    capsys.readouterr()
    assert (src / "crmrisk-reviews.json").is_file()

    # the upgrade: the directive now imports the statement of 5 December
    edit(src / "obligations.md", f":version: {UPGRADED_FROM}", f":version: {UPGRADED_TO}")
    after = build_once(src, freshenv=True)
    trace = json.loads((Path(after.outdir) / "traceability.json").read_text(encoding="utf-8"))
    # the new obligations are the gaps, and only they
    gaps = {o["id"] for o in trace["obligations"] if o["state"] == "uncovered"}
    assert gaps == NEW_OBLIGATIONS
    warnings = after.warning.getvalue()
    # a catalogue's gaps are one warning at the directive that imports it, listing them
    # (docs/explanation/gaps-where-one-acts.md)
    assert warnings.count("[crmrisk.uncovered]") == 1
    for ob_id in NEW_OBLIGATIONS:
        assert ob_id in warnings
    # the rewritten D223-9 lapsed; its former wording is not a gap
    states = {o["id"]: o["state"] for o in trace["obligations"]}
    assert states["OBL-CONSO-D223-9"] == "lapsed"
    # the covers of each obligation that changed are suspect, naming what changed
    old_law = read_needs(catalogue_file(UPGRADED_FROM))
    new_law = read_needs(catalogue_file(UPGRADED_TO))
    changed = {
        ob_id
        for ob_id, need in old_law.items()
        if need["type"] == "obligation"
        and any(
            need.get(f) != new_law[ob_id].get(f)
            for f in ("title", "legal_basis", "effective", "until", "sanction", "source", "content")
        )
    }
    assert {"OBL-CONSO-L223-1", "OBL-CNIL-TRACEURS", "OBL-IA-HR"} <= changed
    expected = {
        (item_id, ob_id)
        for item_id, need in old_models.items()
        for ob_id in need.get("covers", [])
        if ob_id in changed
    }
    suspects = {(o["id"], s["id"]) for o in trace["obligations"] for s in o["suspect_covers"]}
    assert {(item, ob) for ob, item in suspects} == expected
    assert warnings.count("[crmrisk.suspect]") == len(expected)
    traceurs = next(o for o in trace["obligations"] if o["id"] == "OBL-CNIL-TRACEURS")
    assert {"legal_basis", "effective"} <= set(traceurs["suspect_covers"][0]["changed"])
    # the shipped watch items came with it: none late on its date
    assert "watch_overdue" not in warnings
    assert {w["catalogue"] for w in trace["watch"]} == {UPGRADED_TO}

    # and crmrisk diff of the two statements lists what changed in the law
    status = main(
        [
            "diff",
            str(catalogue_file(UPGRADED_FROM)),
            str(catalogue_file(UPGRADED_TO)),
            "--today",
            UPGRADED_TO,
            "--format",
            "json",
        ]
    )
    diff = json.loads(capsys.readouterr().out)
    assert status == 1  # a catalogue alone covers nothing
    assert {a["id"] for a in diff["added"]} == NEW_OBLIGATIONS
    assert diff["removed"] == []
    assert ("OBL-CONSO-D223-9", "uncovered", "lapsed") in {
        (c["id"], c["old"], c["new"]) for c in diff["state_changes"]
    }
    fields = {c["id"]: {f["field"] for f in c["changes"]} for c in diff["changed"]}
    assert fields["OBL-CONSO-D223-9"] >= {"until", "legal_basis"}
    assert "effective" in fields["OBL-CNIL-TRACEURS"]
    assert "title" in fields["OBL-IA-4"]
    # the statement of 30 November had no watch items: all those of 5 December are new
    shipped_watch = {i for i, n in new_law.items() if n["type"] == "watch"}
    assert {w["id"] for w in diff["watch"]["added"]} == shipped_watch
    # and of the organization's two builds: its covers lapsed or now suspect
    main(["diff", str(tmp_path / "before"), after.outdir, "--format", "json"])
    own = json.loads(capsys.readouterr().out)
    assert {a["id"] for a in own["added"]} == NEW_OBLIGATIONS
    assert ("OBL-CONSO-D223-9", "covered", "lapsed") in {
        (c["id"], c["old"], c["new"]) for c in own["state_changes"]
    }
    assert {(s["id"], s["obligation"]) for s in own["became_suspect"]} == expected


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
