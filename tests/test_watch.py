"""Watch items: their states, the overdue warning in the build and in ``crmrisk check``,
the watch list, the « expected change » badge, the exports, and incremental builds."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from bs4 import BeautifulSoup
from sphinx_builds import build_once, edit
from test_incremental import assert_same_pages, build, clean_build_of, crmrisk_warnings, written

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.diff import diff_document, diff_markdown
from sphinx_crmrisk.exports import SCHEMA_FILE
from sphinx_crmrisk.model import Item, Model
from sphinx_crmrisk.traceability import Traceability
from sphinx_crmrisk.watch import assess_watch, expected_changes, watch_findings

BIN = Path(sys.executable).parent
TODAY = dt.date(2026, 12, 5)
#: A watch item whose expected date is before the test root's reference date (2026-12-05).
OVERDUE_ITEM = """
```{watch} Publication de l'arrêté sur les horaires
:id: VEI-ARRETE
:expected: 2026-12-02
:legal_basis: Arrêté annoncé par le décret n° 2026-662
:source: https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000054483939
:verification: partial
:affects: OBL-HORAIRES
```
"""


def page(app, name: str) -> BeautifulSoup:
    return BeautifulSoup(
        (Path(app.outdir) / f"{name}.html").read_text(encoding="utf-8"), "html.parser"
    )


def text(node) -> str:
    """The node's text, runs of ASCII blanks made one space (a narrow no-break space, which
    French typography puts before a colon, is kept: str.split would take it for a blank)."""
    return re.sub(r"[ \t\r\n]+", " ", node.get_text()).strip()


def need_table(soup: BeautifulSoup, need_id: str):
    found = soup.find("table", id=need_id)
    assert found is not None, need_id
    return found


def line_of(path: Path, needle: str) -> int:
    """The line of ``needle`` in a source file: where sphinx-needs locates the item."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


# -- the pure part ---------------------------------------------------------------------


def watch(item_id: str, status: str | None = None, **fields: str) -> Item:
    affects = tuple(fields.pop("affects", "OBL-A").split(", "))
    return Item(item_id, "watch", item_id, status=status, fields=fields, links={"affects": affects})


def model(*items: Item) -> Model:
    return Model([Item("OBL-A", "obligation", "A", links={"phase": ("PH-A",)}), *items])


def test_states_by_status_and_date_overdue_first_then_open_then_closed():
    watches = assess_watch(
        model(
            watch("VEI-LATER", expected="2027-06-30"),
            watch("VEI-SOON", "open", expected="2026-12-09"),
            watch("VEI-TODAY", expected="2026-12-05"),  # due today: not late yet
            watch("VEI-LATE", expected="2026-12-02"),
            watch("VEI-LATEST", "open", expected="2026-01-01"),
            watch("VEI-DONE", "done", expected="2026-07-25"),
            watch("VEI-GONE", "abandoned"),
            watch("VEI-ODD", "pending", expected="2026-11-01"),  # a bad word: still watched
        ),
        TODAY,
    )
    assert [(w.item.id, w.state.value) for w in watches] == [
        ("VEI-LATEST", "overdue"),
        ("VEI-ODD", "overdue"),
        ("VEI-LATE", "overdue"),
        ("VEI-TODAY", "open"),
        ("VEI-SOON", "open"),
        ("VEI-LATER", "open"),
        ("VEI-DONE", "done"),
        ("VEI-GONE", "abandoned"),
    ]
    assert watches[0].status == "open" and watches[-1].status == "abandoned"


def test_only_open_items_announce_an_expected_change_of_existing_obligations():
    watches = assess_watch(
        model(
            watch("VEI-OPEN", expected="2027-01-01", affects="OBL-A, OBL-GONE"),
            watch("VEI-DONE", "done", expected="2026-01-01"),
            watch("VEI-GONE", "abandoned"),
        ),
        TODAY,
    )
    by_obligation = expected_changes(watches)
    assert {k: [w.item.id for w in v] for k, v in by_obligation.items()} == {"OBL-A": ["VEI-OPEN"]}
    # an ID the model lacks is sphinx-needs' dead link, not an obligation it affects
    assert [o.id for o in watches[0].affects] == ["OBL-A"]


def test_findings_name_the_item_its_value_and_what_to_do():
    items = model(
        watch("VEI-LATE", expected="2026-12-02"),
        watch("VEI-BAD", "pending", expected="2026-13-01", verification="maybe"),
        watch("VEI-NODATE"),
        watch("VEI-CLOSED", "done"),  # closed: no date needed
        watch("VEI-SHIPPED", expected="2026-12-02", catalogue="2026-11-30"),
    )
    findings = watch_findings(items, assess_watch(items, TODAY), TODAY)
    messages = {(f.subtype, f.item.id): f.message for f in findings}
    assert set(messages) == {
        ("watch_overdue", "VEI-LATE"),
        ("bad_value", "VEI-BAD"),
        ("bad_date", "VEI-BAD"),
        ("missing_field", "VEI-NODATE"),
        ("watch_overdue", "VEI-SHIPPED"),
    }
    # two bad values of one item: both said
    assert sum(f.item.id == "VEI-BAD" and f.subtype == "bad_value" for f in findings) == 2
    assert messages["watch_overdue", "VEI-LATE"] == (
        "VEI-LATE: watch item still open after its expected date 2026-12-02 (reference date "
        "2026-12-05): see what happened, then update it (a later 'expected' date, or status "
        "done or abandoned) and the obligations it affects"
    )
    # an item of the shipped catalogue: the statement of the law is what needs an upgrade
    assert messages["watch_overdue", "VEI-SHIPPED"] == (
        "VEI-SHIPPED: watch item still open after its expected date 2026-12-02 (reference "
        "date 2026-12-05): the statement of the law of 2026-11-30 imported from the "
        "sphinx-crmrisk catalogue may be out of date: upgrade sphinx-crmrisk, or pin a newer "
        ":version: of crmrisk-catalogue"
    )
    assert "'2026-13-01' is not a YYYY-MM-DD date" in messages["bad_date", "VEI-BAD"]
    assert messages["missing_field", "VEI-NODATE"].startswith(
        "VEI-NODATE: open watch item has no 'expected' date"
    )
    # the traceability reports them with the other findings, and a later date clears them
    traceability = Traceability.at(items, TODAY)
    assert {f.item.id for f in traceability.findings if f.subtype == "watch_overdue"} == {
        "VEI-LATE",
        "VEI-SHIPPED",
    }
    earlier = traceability.with_settings(today=dt.date(2026, 12, 1))
    assert [f for f in earlier.findings if f.subtype == "watch_overdue"] == []


def test_diff_lists_what_changed_in_the_watch_items():
    before = Traceability.at(
        model(
            watch("VEI-KEPT", expected="2027-01-01"),
            watch("VEI-CLOSED", expected="2026-12-09"),
            watch("VEI-GONE", expected="2027-01-01"),
        ),
        TODAY,
    )
    after = Traceability.at(
        model(
            watch("VEI-KEPT", expected="2027-01-01"),
            watch("VEI-CLOSED", "done", expected="2026-12-09"),
            watch("VEI-NEW", expected="2027-06-30", affects="OBL-A"),
        ),
        TODAY,
    )
    document = diff_document(before, after)
    assert document["watch"] == {
        "added": [{"id": "VEI-NEW", "title": "VEI-NEW", "state": "open", "expected": "2027-06-30"}],
        "removed": [
            {"id": "VEI-GONE", "title": "VEI-GONE", "state": "open", "expected": "2027-01-01"}
        ],
        "changed": [
            {"id": "VEI-CLOSED", "changes": [{"field": "status", "old": "open", "new": "done"}]}
        ],
    }
    markdown = diff_markdown(document)
    assert "#### Watch items (3 change(s))" in markdown
    assert "| VEI-CLOSED | status | open | done |" in markdown
    assert "| VEI-NEW | added |  | open 2027-06-30 |" in markdown


# -- in a build --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def watch_build(tmp_path_factory):
    """One build of the test root, read by the tests that only read its output."""
    src = tmp_path_factory.mktemp("watch") / "src"
    shutil.copytree(Path(__file__).parent / "roots" / "test-watch", src)
    app = build_once(src, freshenv=True)
    assert app.statuscode == 0
    assert "WARNING" not in app.warning.getvalue(), app.warning.getvalue()
    return app


def test_the_watch_list_puts_items_by_date_closed_last_with_their_states(watch_build):
    veille = page(watch_build, "veille")
    table = veille.select_one("table.crmrisk-watch-list")
    rows = [[text(td) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert [r[0] for r in rows] == ["VEI-HORAIRES", "VEI-RECOURS", "VEI-DECRET", "VEI-EPRIVACY"]
    assert [r[2] for r in rows] == ["2027-01-01", "2027-03-31", "2026-07-25", ""]
    assert [r[3] for r in rows] == ["ouverte", "ouverte", "traitée", "abandonnée"]
    assert rows[1][4] == "OBL-CONSENTEMENT, OBL-HORAIRES"
    assert [r[5] for r in rows] == [
        "vérifiée en partie",
        "non vérifiée",
        "vérifiée",
        "vérifiée en partie",
    ]
    headers = [text(th) for th in table.select("thead th")]
    assert headers == [
        "Identifiant",
        "Intitulé",
        "Date attendue",
        "État de la veille",
        "Obligations concernées",
        "Vérification",
    ]
    summary = text(veille.select_one("p.crmrisk-count"))
    assert summary == (
        "Fiches à surveiller\u202f: 4 — en retard\u202f: 0, ouvertes\u202f: 2, traitées ou "
        "abandonnées\u202f: 2 (date de référence\u202f: 2026-12-05)."
    )
    # each ID links to the item, each obligation to its page
    assert table.select_one("tbody tr a")["href"] == "#VEI-HORAIRES"
    assert "obligations.html#OBL-HORAIRES" in [a["href"] for a in table.select("a")]


def test_a_watch_item_shows_its_state_date_and_verification(watch_build):
    veille = page(watch_build, "veille")
    item = need_table(veille, "VEI-RECOURS")
    badge = item.select_one(".crmrisk-badge.crmrisk-watch")
    assert "crmrisk-watch-open" in badge["class"]
    assert text(badge) == "Veille\u202f: ouverte — attendue le 2027-03-31"
    assert item.select_one(".crmrisk-verification-unverified") is not None
    assert "À surveiller" in text(item)  # its kind's French title
    assert text(need_table(veille, "VEI-EPRIVACY").select_one(".crmrisk-watch")) == (
        "Veille\u202f: abandonnée"
    )


def test_an_obligation_names_the_open_items_that_will_change_it(watch_build):
    obligations = page(watch_build, "obligations")
    horaires = need_table(obligations, "OBL-HORAIRES").select_one(".crmrisk-expected-change")
    assert text(horaires) == (
        "Évolution attendue\u202f: VEI-HORAIRES (attendue le 2027-01-01), "
        "VEI-RECOURS (attendue le 2027-03-31)"
    )
    assert [a["href"] for a in horaires.select("a")] == [
        "veille.html#VEI-HORAIRES",
        "veille.html#VEI-RECOURS",
    ]
    # a done item no longer announces anything, nor an abandoned one
    consentement = need_table(obligations, "OBL-CONSENTEMENT")
    assert "VEI-DECRET" not in text(consentement.select_one(".crmrisk-expected-change"))
    information = need_table(obligations, "OBL-INFORMATION")
    assert information.select_one(".crmrisk-expected-change") is None


def test_the_exports_carry_the_watch_list(watch_build):
    outdir = Path(watch_build.outdir)
    trace = json.loads((outdir / "traceability.json").read_text(encoding="utf-8"))
    jsonschema.validate(trace, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    first = trace["watch"][1]
    assert first == {
        "id": "VEI-RECOURS",
        "title": "Recours contre le décret sur le consentement",
        "status": "open",
        "state": "open",
        "expected": "2027-03-31",
        "affects": ["OBL-CONSENTEMENT", "OBL-HORAIRES"],
        "legal_basis": "Décret n° 2026-662 du 23 juillet 2026",
        "source": "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000054483939",
        "verification": "unverified",
        "catalogue": "",
        "file": "veille.md",
        "line": line_of(Path(watch_build.srcdir) / "veille.md", "{watch} Recours"),
    }
    # the workbook has a sheet of them, states in French
    workbook = openpyxl.load_workbook(outdir / "traceability.xlsx")
    sheet = workbook["À surveiller"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Identifiant", "Intitulé", "État de la veille", "Date attendue")
    assert [r[0] for r in rows[1:]] == [w["id"] for w in trace["watch"]]
    assert rows[2][2] == "ouverte"
    # needs.json carries the state the build computed, for sphinx-needs' tables
    needs = json.loads((outdir / "needs.json").read_text(encoding="utf-8"))
    needs = needs["versions"][needs["current_version"]]["needs"]
    assert {i: n["watch_state"] for i, n in needs.items() if n["type"] == "watch"} == {
        "VEI-RECOURS": "open",
        "VEI-HORAIRES": "open",
        "VEI-DECRET": "done",
        "VEI-EPRIVACY": "abandoned",
    }


def test_an_overdue_item_fails_a_strict_build_and_the_check_at_its_file_and_line(copy_root, capsys):
    # the done-when demo of the issue: expected 2026-12-02, reference date 2026-12-05
    src = copy_root("watch")
    with (src / "veille.md").open("a", encoding="utf-8") as source:
        source.write(OVERDUE_ITEM)
    line = line_of(src / "veille.md", "{watch} Publication de l'arrêté")
    html = src / "_build" / "html"
    result = subprocess.run(
        [str(BIN / "sphinx-build"), "-W", "--keep-going", "-b", "html", str(src), str(html)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0
    # the project is French: so is its message
    message = (
        "VEI-ARRETE\u202f: élément de veille toujours ouvert après sa date attendue 2026-12-02 "
        "(date de référence 2026-12-05)\u202f: voyez ce qui s'est passé, puis mettez-le à jour "
        "(une date «\u202fexpected\u202f» plus tardive, ou le statut done ou abandoned) ainsi que les "
        "obligations qu'il concerne"
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert warnings == [f"{src / 'veille.md'}:{line}: WARNING: {message} [crmrisk.watch_overdue]"]
    # crmrisk check says the same, at the same place, and fails
    assert main(["check", str(html)]) == 1
    out = capsys.readouterr().out
    assert f"veille.md:{line}: {message} [crmrisk.watch_overdue]\n" in out
    # the list puts it first, the obligation's badge says it is late
    soup = BeautifulSoup((html / "veille.html").read_text(encoding="utf-8"), "html.parser")
    first = soup.select_one("table.crmrisk-watch-list tbody tr")
    assert first["data-state"] == "overdue"
    assert text(first.td) == "VEI-ARRETE"
    obligations = BeautifulSoup(
        (html / "obligations.html").read_text(encoding="utf-8"), "html.parser"
    )
    badge = need_table(obligations, "OBL-HORAIRES").select_one(".crmrisk-expected-change")
    assert "crmrisk-expected-change-overdue" in badge["class"]
    assert "VEI-ARRETE (attendue le 2026-12-02, en retard)" in text(badge)
    # the check in JUnit, for CI: one failed case for it
    main(["check", str(html), "--format", "junit"])
    assert 'type="watch_overdue"' in capsys.readouterr().out


def test_bad_values_of_a_watch_item_are_located_warnings(copy_root):
    src = copy_root("watch")
    edit(src / "veille.md", ":status: open\n", ":status: pending\n")
    edit(src / "veille.md", ":expected: 2027-01-01", ":expected: 2027-01-32")
    with (src / "veille.md").open("a", encoding="utf-8") as source:
        source.write("\n```{watch} Sans date\n:id: VEI-SANS-DATE\n:affects: OBL-HORAIRES\n```\n")
    app = build_once(src, freshenv=True)
    found = [re.sub(r"^.*?veille\.md", "veille.md", line) for line in crmrisk_warnings(app)]
    recours = line_of(src / "veille.md", "{watch} Recours")
    horaires = line_of(src / "veille.md", "{watch} Nouvelle")
    sans_date = line_of(src / "veille.md", "{watch} Sans date")
    assert sorted(found) == sorted(
        [
            f"veille.md:{recours}: WARNING: VEI-RECOURS\u202f: le statut «\u202fpending\u202f» n'est pas "
            "l'un de open, done, abandoned (les statuts d'un élément de veille) "
            "[crmrisk.bad_value]",
            f"veille.md:{horaires}: WARNING: VEI-HORAIRES\u202f: expected «\u202f2027-01-32\u202f» n'est "
            "pas une date AAAA-MM-JJ [crmrisk.bad_date]",
            f"veille.md:{sans_date}: WARNING: VEI-SANS-DATE\u202f: l'élément de veille ouvert n'a "
            "pas de date «\u202fexpected\u202f»\u202f: quand quelque chose doit-il se produire\u202f? "
            "[crmrisk.missing_field]",
        ]
    )


def test_a_changed_watch_item_rewrites_the_obligations_it_affects(make_app, copy_root, tmp_path):
    src = copy_root("watch")
    build(make_app, src, fresh=True)

    # a new date: only veille.md is re-read; the obligation's badge, on another page, follows
    edit(src / "veille.md", ":expected: 2027-01-01", ":expected: 2027-02-15")
    moved = build(make_app, src)
    assert "obligations" in written(moved)
    assert_same_pages(moved, clean_build_of(make_app, src, tmp_path, "clean-moved"))
    badge = page(moved, "obligations").select_one("#OBL-HORAIRES .crmrisk-expected-change")
    assert "VEI-HORAIRES (attendue le 2027-02-15)" in text(badge)

    # closed: the badge of the obligation it affected no longer names it
    edit(src / "veille.md", ":affects: OBL-HORAIRES\n", ":affects: OBL-HORAIRES\n:status: done\n")
    closed = build(make_app, src)
    assert_same_pages(closed, clean_build_of(make_app, src, tmp_path, "clean-closed"))
    badge = page(closed, "obligations").select_one("#OBL-HORAIRES .crmrisk-expected-change")
    assert "VEI-HORAIRES" not in text(badge)

    # late: the new reference date makes it overdue on every page, as a clean build does
    edit(src / "veille.md", ":expected: 2027-03-31", ":expected: 2026-12-01")
    late = build(make_app, src)
    clean = clean_build_of(make_app, src, tmp_path, "clean-late")
    assert crmrisk_warnings(late) == crmrisk_warnings(clean)
    assert_same_pages(late, clean)
    assert "en retard" in text(page(late, "obligations").select_one("#OBL-CONSENTEMENT"))


def test_a_parallel_build_gives_what_a_serial_build_gives(make_app, copy_root, tmp_path):
    src = copy_root("watch")
    serial = build(make_app, src, fresh=True)
    copy = tmp_path / "parallel"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("_build"))
    parallel = build(make_app, copy, fresh=True, parallel=2)
    assert_same_pages(parallel, serial)


def test_watch_state_is_a_sphinx_needs_field_drawn_as_a_badge_in_a_needtable(copy_root):
    src = copy_root("watch")
    (src / "table.md").write_text(
        '# Tableau\n\n```{needtable}\n:filter: type == "watch" and watch_state != "done"\n'
        ":columns: id; watch_state\n:sort: id\n```\n",
        encoding="utf-8",
    )
    edit(src / "index.md", "veille\n", "veille\ntable\n")
    app = build_once(src, freshenv=True)
    assert "WARNING" not in app.warning.getvalue(), app.warning.getvalue()
    cells = page(app, "table").select("td.needs_watch_state")
    assert [text(c) for c in cells] == ["abandonnée", "ouverte", "ouverte"]
    assert all(c.select_one(".crmrisk-badge.crmrisk-watch") for c in cells)


def test_crmrisk_check_on_another_day_says_which_items_fall_due(watch_build, capsys):
    outdir = str(watch_build.outdir)
    # on the build's reference date nothing is due
    assert main(["check", outdir]) == 0
    capsys.readouterr()
    # a later day: the open items whose dates have passed, the closed ones never
    assert main(["check", outdir, "--today", "2027-02-01"]) == 1
    out = capsys.readouterr().out
    overdue = [line for line in out.splitlines() if "[crmrisk.watch_overdue]" in line]
    assert len(overdue) == 1
    assert (
        "VEI-HORAIRES\u202f: élément de veille toujours ouvert après sa date attendue 2027-01-01 "
        in overdue[0]
    )
    assert "(date de référence 2027-02-01)" in overdue[0]
    # in English when asked
    assert main(["check", outdir, "--today", "2027-02-01", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "VEI-HORAIRES: watch item still open after its expected date 2027-01-01 " in out
    assert "(reference date 2027-02-01)" in out


REST_PAGE = """Watch
=====

.. phase:: Run
   :id: PH-A

.. obligation:: Keep records
   :id: OBL-A
   :phase: PH-A
   :legal_basis: Art. 1

.. clause:: Records clause
   :id: CLA-A
   :covers: OBL-A

.. watch:: A decree awaited
   :id: VEI-A
   :expected: 2026-12-02
   :affects: OBL-A

.. crmrisk-watch::
"""


def test_a_rest_watch_item_in_an_english_build(tmp_path):
    (tmp_path / "conf.py").write_text(
        'extensions = ["sphinx_crmrisk"]\ncrmrisk_today = "2026-12-05"\n', encoding="utf-8"
    )
    (tmp_path / "index.rst").write_text(REST_PAGE, encoding="utf-8")
    app = build_once(tmp_path, freshenv=True)
    warnings = crmrisk_warnings(app)
    assert len(warnings) == 1
    line = line_of(tmp_path / "index.rst", ".. watch::")
    assert warnings[0].startswith(f"index.rst:{line}: WARNING: VEI-A: watch item still open")
    soup = page(app, "index")
    badge = need_table(soup, "OBL-A").select_one(".crmrisk-expected-change")
    assert text(badge) == "Expected change: VEI-A (expected 2026-12-02, overdue)"
    assert text(need_table(soup, "VEI-A").select_one(".crmrisk-watch")) == (
        "Watch: overdue — expected 2026-12-02"
    )
    assert text(soup.select_one("p.crmrisk-count")) == (
        "Watch items: 1 — overdue: 1, open: 0, done or abandoned: 0 (reference date 2026-12-05)."
    )
