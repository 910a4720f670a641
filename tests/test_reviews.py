"""Reviews, suspect covers, ``crmrisk review`` and audit pages that follow the data."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_incremental import assert_same_pages, build, clean_build_of, crmrisk_warnings, edit

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.model import Item, Model
from sphinx_crmrisk.reviews import (
    TRACKED_FIELDS,
    ReviewLock,
    ReviewState,
    add_months,
    assess_reviews,
    fingerprint,
)
from sphinx_crmrisk.source_edit import set_reviewed

BIN = Path(sys.executable).parent
REVIEWED = "2026-11-30"
#: the project is French: so are its warnings
SUSPECT = (
    "controles.md:3: WARNING: CLA-RGPD-03\u202f: sa couverture de OBL-RGPD-30 est suspecte\u202f: "
    "l'obligation a changé ({fields}) depuis la dernière revue de CLA-RGPD-03 au regard de "
    "celle-ci (relisez-la, puis lancez «\u202fcrmrisk review\u202f») [crmrisk.suspect]"
)

#: One edit of OBL-RGPD-30 (obligations.md) per tracked field.
EDITS = {
    "title": ("Tenir le registre des activités", "Tenir à jour le registre des activités"),
    "legal_basis": (":legal_basis: RGPD, art. 30", ":legal_basis: RGPD, art. 30, § 1"),
    "effective": (":effective: 2018-05-25\n:sanction", ":effective: 2018-05-24\n:sanction"),
    "until": (":legal_basis: RGPD, art. 30", ":legal_basis: RGPD, art. 30\n:until: 2030-01-01"),
    "phases": (
        ":phase: PH-DEPLOIEMENT\n:legal_basis: RGPD, art. 30",
        ":phase: PH-DEPLOIEMENT, PH-EXPLOITATION\n:legal_basis: RGPD, art. 30",
    ),
    "sanction": ("jusqu'à 10 M€", "jusqu'à 20 M€"),
    "source": (
        ":source: https://eur-lex.europa.eu/eli/reg/2016/679/oj\n\nLe registre",
        ":source: https://eur-lex.europa.eu/legal-content/FR/TXT/?uri=CELEX:32016R0679\n\nLe registre",
    ),
    "content": (
        "Le registre décrit chaque traitement.",
        "Le registre décrit chaque traitement et ses durées.",
    ),
}


def review(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["review", *args])
    out, err = capsys.readouterr()
    return status, out, err


# -- the pure part ---------------------------------------------------------------------


def obligation(**fields: str) -> Item:
    return Item(
        "OBL-A", "obligation", fields.pop("title", "A"), fields=fields, links={"phase": ("PH-A",)}
    )


def test_each_tracked_field_has_its_own_digest_and_only_text_counts():
    base = fingerprint(obligation(legal_basis="Code, art. 1"))
    assert list(base) == list(TRACKED_FIELDS)
    changed = fingerprint(obligation(legal_basis="Code, art. 2"))
    assert [name for name in TRACKED_FIELDS if base[name] != changed[name]] == ["legal_basis"]
    crlf = Item("OBL-A", "obligation", "A", content="line one\r\nline two  \r\n")
    lf = Item("OBL-A", "obligation", "A", content="line one\nline two")
    assert fingerprint(crlf) == fingerprint(lf)


def test_review_states_and_due_dates():
    today = dt.date(2026, 11, 30)
    items = [
        Item("CLA-LATE", "clause", "", fields={"reviewed": "2025-10-31", "review_every": "12"}),
        Item("CLA-SOON", "clause", "", fields={"reviewed": "2026-01-15", "review_every": "12"}),
        Item("CLA-OK", "clause", "", fields={"reviewed": "2026-11-01"}),
        Item("PROC-NEVER", "procedure", ""),
        Item("PROC-ONCE", "procedure", "", fields={"reviewed": "2020-01-01", "review_every": "0"}),
        Item("PROC-OFF", "procedure", "", status="retired", fields={"reviewed": "2001-01-01"}),
    ]
    reviews = {
        r.item.id: r
        for r in assess_reviews(Model(items), today, 12, inactive_statuses=("retired",))
    }
    assert reviews["CLA-LATE"].state is ReviewState.OVERDUE
    assert reviews["CLA-LATE"].due == dt.date(2026, 10, 31)
    assert reviews["CLA-SOON"].state is ReviewState.DUE_SOON
    assert reviews["CLA-OK"].state is ReviewState.UP_TO_DATE
    assert reviews["CLA-OK"].due == dt.date(2027, 11, 1)
    assert reviews["PROC-NEVER"].state is ReviewState.NEVER
    assert reviews["PROC-ONCE"].state is ReviewState.NO_CYCLE
    assert "PROC-OFF" not in reviews
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


def test_a_lock_round_trips_and_refuses_what_is_not_one():
    model = Model([obligation(), Item("CLA-X", "clause", "", links={"covers": ("OBL-A",)})])
    lock = ReviewLock().reviewed(model, [model.items["CLA-X"]])
    assert ReviewLock.parse(lock.dumps()) == lock
    with pytest.raises(ValueError, match="not a review lock"):
        ReviewLock.parse("{}")
    with pytest.raises(ValueError, match="invalid JSON at line 1"):
        ReviewLock.parse("{")


# -- crmrisk review on the sources -------------------------------------------------------


def test_review_speaks_the_projects_language_unless_told_otherwise(copy_root, capsys):
    """The project is French (its conf.py): « relue le … par … »; --lang en: English."""
    src = copy_root("reviews")
    status, out, err = review(
        capsys, str(src), "CLA-RGPD-03", "--today", REVIEWED, "--by", "Marie Dupont, DPO"
    )
    assert (status, err) == (0, "")
    assert out == f"controles.md:3: CLA-RGPD-03 relue le {REVIEWED} par Marie Dupont, DPO\n"
    status, out, err = review(
        capsys,
        str(src),
        "CLA-RGPD-03",
        "--today",
        REVIEWED,
        "--by",
        "Marie Dupont, DPO",
        "--lang",
        "en",
    )
    assert (status, err) == (0, "")
    assert out == f"controles.md:3: CLA-RGPD-03 reviewed on {REVIEWED} by Marie Dupont, DPO\n"


def test_review_on_myst_and_rest_changes_the_reviewed_line_and_nothing_else(copy_root, capsys):
    src = copy_root("reviews")
    before = {path: path.read_bytes() for path in src.rglob("*") if path.is_file()}
    status, out, err = review(capsys, str(src), "--all", "--today", REVIEWED)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"controles.md:3: CLA-RGPD-03 relue le {REVIEWED}",
        f"procedures.rst:4: PROC-INFO-01 relue le {REVIEWED}",
    ]
    # MyST with CRLF line endings: the existing line is replaced, the endings kept
    expected = before[src / "controles.md"].replace(
        b":reviewed: 2026-11-01\r\n", f":reviewed: {REVIEWED}\r\n".encode()
    )
    assert (src / "controles.md").read_bytes() == expected
    # reST without the option: one line added after the directive's last option
    expected = before[src / "procedures.rst"].replace(
        b"   :review_every: 6\n", f"   :review_every: 6\n   :reviewed: {REVIEWED}\n".encode()
    )
    assert (src / "procedures.rst").read_bytes() == expected
    for path, data in before.items():
        if (
            path.name not in {"controles.md", "procedures.rst", "crmrisk-reviews.json"}
            and "_build" not in path.parts
        ):
            assert path.read_bytes() == data, path
    lock = json.loads((src / "crmrisk-reviews.json").read_text())
    assert sorted(lock["reviewed_against"]) == ["CLA-RGPD-03", "PROC-INFO-01"]
    assert sorted(lock["reviewed_against"]["PROC-INFO-01"]["OBL-RGPD-13"]) == sorted(TRACKED_FIELDS)


@pytest.mark.parametrize(
    ("text", "lineno", "expected"),
    [
        # MyST, options as a YAML block
        (
            "```{clause} T\n---\nid: CLA-A\n---\n```\n",
            1,
            "```{clause} T\n---\nid: CLA-A\nreviewed: 2026-11-30\n---\n```\n",
        ),
        # MyST colon fence, indented, no option after the directive
        ("  :::{clause} T\n  :::\n", 1, "  :::{clause} T\n  :reviewed: 2026-11-30\n  :::\n"),
        # reST, an option value continued on the next line; CR line endings
        (
            ".. clause:: T\r   :id: CLA-A\r   :party: a,\r      b\r\r   Text.\r",
            1,
            ".. clause:: T\r   :id: CLA-A\r   :party: a,\r      b\r   :reviewed: 2026-11-30\r\r   Text.\r",
        ),
    ],
)
def test_set_reviewed_keeps_the_form_of_the_source(text, lineno, expected):
    assert set_reviewed(text, lineno, "clause", "2026-11-30") == expected


def test_review_refuses_unusable_input_in_one_line(copy_root, tmp_path, capsys):
    src = copy_root("reviews")
    before = (src / "controles.md").read_bytes()
    for args, message in [
        ([str(src), "CLA-NOPE"], f"crmrisk: error: CLA-NOPE: no such item in {src}\n"),
        (
            [str(src), "OBL-RGPD-30"],
            "crmrisk: error: OBL-RGPD-30: a obligation, not a clause, a procedure or an evidence\n",
        ),
        (
            [str(tmp_path), "CLA-RGPD-03"],
            f"crmrisk: error: {tmp_path}: not a project folder (no conf.py, nor _config.yml and _toc.yml)\n",
        ),
        (
            [str(src)],
            "crmrisk: error: name the clauses, procedures or evidence to review, or give --all\n",
        ),
    ]:
        assert review(capsys, *args) == (2, "", message)
    assert (src / "controles.md").read_bytes() == before


# -- the build ---------------------------------------------------------------------------


def test_the_test_project_builds_without_warnings(make_app, copy_root):
    app = build(make_app, copy_root("reviews"), fresh=True)
    assert crmrisk_warnings(app) == []
    calendar = (Path(app.outdir) / "calendrier.html").read_text()
    # both items, by owner, linked, with their due dates
    assert calendar.index("Direction juridique") < calendar.index("Responsable qualité")
    assert 'href="controles.html#CLA-RGPD-03"' in calendar and "2027-11-01" in calendar
    assert 'href="procedures.html#PROC-INFO-01"' in calendar and "jamais revu" in calendar
    exported = json.loads((Path(app.outdir) / "traceability.json").read_text())
    assert [(r["id"], r["review"], r["due"]) for r in exported["reviews"]] == [
        ("CLA-RGPD-03", "up_to_date", "2027-11-01"),
        ("PROC-INFO-01", "never", ""),
    ]


def test_review_warnings_name_the_item_its_owner_and_where_it_is(make_app, copy_root):
    src = copy_root("reviews")
    edit(
        src / "controles.md",
        ":reviewed: 2026-11-01\n:review_every: 12",
        ":reviewed: 2025-01-15\n:review_every: 6",
    )
    edit(
        src / "procedures.rst",
        "   :review_every: 6",
        "   :review_every: douze\n   :reviewed: 2026-13-01",
    )
    app = make_app(
        "html", srcdir=src, freshenv=True, confoverrides={"crmrisk_warn_never_reviewed": True}
    )
    app.build()
    assert crmrisk_warnings(app) == [
        "controles.md:3: WARNING: CLA-RGPD-03\u202f: revue en retard\u202f: clause (responsable\u202f: "
        "Direction juridique), dernière revue le 2025-01-15, à revoir au plus tard le "
        "2025-07-15 [crmrisk.review_overdue]",
        "procedures.rst:4: WARNING: PROC-INFO-01\u202f: review_every «\u202fdouze\u202f» n'est pas un "
        "nombre entier de mois [crmrisk.bad_value]",
        "procedures.rst:4: WARNING: PROC-INFO-01\u202f: reviewed «\u202f2026-13-01\u202f» n'est pas une "
        "date AAAA-MM-JJ [crmrisk.bad_date]",
    ]
    # never reviewed: a warning only when asked for
    edit(src / "procedures.rst", "   :review_every: douze\n   :reviewed: 2026-13-01\n", "")
    app = make_app(
        "html", srcdir=src, freshenv=True, confoverrides={"crmrisk_warn_never_reviewed": True}
    )
    app.build()
    assert (
        "procedures.rst:4: WARNING: PROC-INFO-01\u202f: jamais revue\u202f: procedure (responsable\u202f: "
        "Responsable qualité) sans date «\u202freviewed\u202f» [crmrisk.review_overdue]"
    ) in crmrisk_warnings(app)


@pytest.mark.parametrize("field", TRACKED_FIELDS)
def test_a_suspect_cover_appears_after_an_edit_and_goes_after_a_review(
    field, make_app, copy_root, tmp_path, capsys
):
    src = copy_root("reviews")
    assert crmrisk_warnings(build(make_app, src, fresh=True)) == []
    edit(src / "obligations.md", *EDITS[field])

    incremental = build(make_app, src)
    assert crmrisk_warnings(incremental) == [SUSPECT.format(fields=field)]
    # shown on both pages and in the matrix of exports; an incremental build is a clean one
    html = (Path(incremental.outdir) / "controles.html").read_text()
    assert f"Couverture à revoir\u202f: OBL-RGPD-30 a changé ({field})" in html
    html = (Path(incremental.outdir) / "obligations.html").read_text()
    assert (
        f"Couverture à revoir\u202f: CLA-RGPD-03 a été revu(e) avant que cette obligation change ({field})"
        in html
    )
    exported = json.loads((Path(incremental.outdir) / "traceability.json").read_text())
    by_id = {o["id"]: o for o in exported["obligations"]}
    assert by_id["OBL-RGPD-30"]["suspect_covers"] == [{"id": "CLA-RGPD-03", "changed": [field]}]
    calendar = (Path(incremental.outdir) / "calendrier.html").read_text()
    assert re.search(r'CLA-RGPD-03</a><span class="crmrisk-suspect"> \(à revoir\)</span>', calendar)
    assert_same_pages(incremental, clean_build_of(make_app, src, tmp_path, "clean"))
    # the command says what the build says
    assert main(["check", str(incremental.outdir)]) == 1
    assert "[crmrisk.suspect]" in capsys.readouterr().out

    status, _out, err = review(capsys, str(src), "CLA-RGPD-03", "--today", REVIEWED)
    assert (status, err) == (0, "")
    reviewed = build(make_app, src)
    assert crmrisk_warnings(reviewed) == []
    assert "Couverture à revoir" not in (Path(reviewed.outdir) / "controles.html").read_text()
    assert "Couverture à revoir" not in (Path(reviewed.outdir) / "obligations.html").read_text()
    assert "crmrisk-suspect" not in (Path(reviewed.outdir) / "calendrier.html").read_text()
    assert_same_pages(reviewed, clean_build_of(make_app, src, tmp_path, "clean-reviewed"))


def test_sphinx_build_fails_on_a_suspect_cover_then_passes_after_review(copy_root, capsys):
    # the "done when": a clause reviewed on 2026-11-01, its obligation's legal
    # basis edited; -W fails with file:line, both IDs and the subtype; review; it passes
    src = copy_root("reviews")
    edit(src / "obligations.md", *EDITS["legal_basis"])
    command = [
        BIN / "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        src,
        src / "_build" / "html",
    ]
    failed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert failed.returncode == 1
    assert f"{src}/" + SUSPECT.format(fields="legal_basis") in failed.stderr
    # reviewed on the project's reference date: a later one is a future_date warning
    assert review(capsys, str(src), "CLA-RGPD-03", "--today", REVIEWED)[0] == 0
    passed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert passed.returncode == 0, passed.stderr


def test_without_a_lock_nothing_is_suspect_and_review_all_writes_it(make_app, copy_root, capsys):
    src = copy_root("reviews")
    (src / "crmrisk-reviews.json").unlink()
    edit(src / "obligations.md", *EDITS["legal_basis"])
    assert crmrisk_warnings(build(make_app, src, fresh=True)) == []
    assert review(capsys, str(src), "--all", "--today", REVIEWED)[0] == 0
    assert (src / "crmrisk-reviews.json").is_file()
    edit(src / "obligations.md", *EDITS["sanction"])
    assert crmrisk_warnings(build(make_app, src)) == [SUSPECT.format(fields="sanction")]


def test_a_cover_added_after_the_review_is_listed_not_suspect(make_app, copy_root):
    src = copy_root("reviews")
    edit(src / "controles.md", ":covers: OBL-RGPD-30", ":covers: OBL-RGPD-30, OBL-RGPD-13")
    app = build(make_app, src, fresh=True)
    assert crmrisk_warnings(app) == []
    calendar = (Path(app.outdir) / "calendrier.html").read_text()
    # the narrow no-break space as a character reference: the table's rows are streamed
    # (views/nodes.latin_1_html)
    assert re.search(
        r'pas encore revu\(e\) au regard de&#8239;: <a [^>]*href="obligations.html#OBL-RGPD-13"',
        calendar,
    )


def test_an_unusable_lock_stops_the_build_naming_the_file(make_app, copy_root):
    src = copy_root("reviews")
    (src / "crmrisk-reviews.json").write_text("{", encoding="utf-8")
    app = make_app("html", srcdir=src, freshenv=True)
    with pytest.raises(
        Exception, match=r"crmrisk-reviews.json: unusable review lock: invalid JSON"
    ):
        app.build()


def test_parallel_build_with_suspect_covers_matches_serial_build(
    make_app, copy_root, tmp_path, capsys
):
    from test_incremental import assert_read_in_parallel, needs_of

    src = copy_root("parallel")
    assert review(capsys, str(src), "--all", "--today", REVIEWED)[0] == 0
    edit(src / "page0.md", ":legal_basis: Code, art. 00", ":legal_basis: Code, art. 000")
    serial = build(make_app, src, fresh=True, parallel=1)
    parallel_src = tmp_path / "parallel-j2"
    shutil.copytree(src, parallel_src, ignore=shutil.ignore_patterns("_build"))
    parallel = build(make_app, parallel_src, fresh=True, parallel=2)
    assert_read_in_parallel(parallel)
    suspect = [w for w in crmrisk_warnings(serial) if "[crmrisk.suspect]" in w]
    assert len(suspect) == 1 and "OBL-P0-0" in suspect[0]
    assert crmrisk_warnings(parallel) == crmrisk_warnings(serial)
    assert needs_of(parallel) == needs_of(serial)
    assert_same_pages(parallel, serial)


# -- audit notebooks ---------------------------------------------------------------------

# each execution of the notebook prints a random run id: a page that shows the first
# run's id shows the first run's output (a random id, not the clock's time)
_AUDIT = re.compile(r"AUDIT obligations=(\d+) run=([0-9a-f]{32})")

MORE = """
```{obligation} Respecter les horaires
:id: OBL-HORAIRES
:phase: PH-EXPLOITATION
:legal_basis: C. consom., art. L221-16
```

```{procedure} Plages d'appel
:id: PROC-HORAIRES
:covers: OBL-HORAIRES
```
"""


# runs jupyter-book build
@pytest.mark.book
def test_an_audit_notebook_is_re_executed_when_the_traced_data_changes_and_only_then(copy_root):
    book = copy_root("audit")
    command = [BIN / "jupyter-book", "build", book, "-W", "-n", "--keep-going"]

    def audit() -> tuple[str, str, str]:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        match = _AUDIT.search((book / "_build" / "html" / "audit.html").read_text())
        assert match, "the notebook's output is on its page"
        return match[1], match[2], result.stdout

    count, first_run, _log = audit()
    assert count == "1"
    # nothing changed: not executed again
    count, run, log = audit()
    assert (count, run) == ("1", first_run)
    assert "Executing notebook" not in log
    # prose only, after the needs: no traced data changed, the notebook stays as it was
    chapter = book / "obligations.md"
    chapter.write_text(chapter.read_text() + "\nUne phrase de plus.\n")
    count, run, log = audit()
    assert (count, run) == ("1", first_run)
    assert "Executing notebook" not in log
    assert "Une phrase de plus." in (book / "_build" / "html" / "obligations.html").read_text()
    # an obligation and its cover added: the page shows what a clean build shows
    chapter.write_text(chapter.read_text() + MORE)
    count, run, log = audit()
    assert count == "2" and run != first_run
    assert "crmrisk: the traced data changed: re-reading audit" in log


def test_diff_lists_the_covers_that_became_suspect():
    from sphinx_crmrisk.diff import diff_document, diff_markdown
    from sphinx_crmrisk.traceability import Traceability

    clause = Item(
        "CLA-X", "clause", "X", docname="c", doctype=".md", lineno=3, links={"covers": ("OBL-A",)}
    )
    old_model = Model([obligation(legal_basis="Code, art. 1"), clause])
    lock = ReviewLock().reviewed(old_model, [clause])
    new_model = Model([obligation(legal_basis="Code, art. 2"), clause])
    today = dt.date(2026, 11, 30)
    document = diff_document(
        Traceability.at(old_model, today, lock=lock), Traceability.at(new_model, today, lock=lock)
    )
    assert [
        (r["id"], r["obligation"], r["changed"], r["location"]) for r in document["became_suspect"]
    ] == [("CLA-X", "OBL-A", ["legal_basis"], "c.md:3")]
    assert "| CLA-X | OBL-A | legal\\_basis | c.md:3 |" in diff_markdown(document)


# -- robustness: the lock validated whole, every write or none, dates (issue 24) ----------

LOCK_HEAD = '{"schema": "sphinx-crmrisk/review-lock", "version": 1, "reviewed_against": '


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LOCK_HEAD + "[" * 100_000 + "]" * 100_000 + "}", "values nested too deeply to read"),
        (
            LOCK_HEAD + '{"CLA-X": {"OBL-A": {"title": "\\ud800"}}}}',
            "reviewed_against: 'CLA-X': 'OBL-A': 'title' holds a lone surrogate",
        ),
        (
            LOCK_HEAD + '{"CLA-\\udfff": {}}}',
            "reviewed_against: the key 'CLA-\\\\udfff' holds a lone surrogate",
        ),
        (
            '{"schema": "sphinx-crmrisk/review-lock", "version": true, "reviewed_against": {}}',
            "version true is not one of 1, 2",
        ),
        (
            '{"schema": "sphinx-crmrisk/review-lock", "version": 1.0, "reviewed_against": {}}',
            "version float is not one of 1, 2",
        ),
        (LOCK_HEAD + '{"CLA-X": {"OBL-A": {"title": 3}}}}', "must be text, not int"),
        (LOCK_HEAD + '{"CLA-X": []}}', "reviewed_against: 'CLA-X' must be an object"),
        (LOCK_HEAD + '{}, "extra": 1}', "unknown key 'extra' in a version 1 lock"),
        (LOCK_HEAD + '{"CLA-X": {"OBL-A": {"title": NaN}}}}', "NaN is not a JSON value"),
        (
            '{"schema": "sphinx-crmrisk/review-lock", "version": 2, "reviewed_against": {},'
            ' "approvals": {"EVD-1": {"date": "9999-99-99"}}}',
            "approvals: 'EVD-1': date '9999-99-99' is not a YYYY-MM-DD date",
        ),
        (
            '{"schema": "sphinx-crmrisk/review-lock", "version": 2, "reviewed_against": {},'
            ' "approvals": {"EVD-1": {"date": "2026-01-01", "sha256": "abc"}}}',
            "approvals: 'EVD-1': sha256 is not 64 lowercase hex digits",
        ),
        (
            '{"schema": "sphinx-crmrisk/review-lock", "version": 2, "reviewed_against": {},'
            ' "approvals": {"CLA-1": {"date": "2026-01-01", "by": "a\\nb"}}}',
            "approvals: 'CLA-1': the name holds a line break",
        ),
    ],
)
def test_an_unusable_lock_is_refused_whole_in_one_line(text, message):
    with pytest.raises(ValueError) as raised:
        ReviewLock.parse(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    # what is refused is printable: no lone surrogate reaches a message
    str(raised.value).encode("utf-8")


def test_a_version_1_lock_is_read_and_written_back_as_version_2():
    model = Model([obligation(), Item("CLA-X", "clause", "", links={"covers": ("OBL-A",)})])
    version_1 = ReviewLock().reviewed(model, [model.items["CLA-X"]]).dumps()
    version_1 = version_1.replace('"version": 2', '"version": 1')
    lock = ReviewLock.parse(version_1)
    assert lock.approvals == {} and "CLA-X" in lock.reviewed_against
    again = lock.reviewed(model, [model.items["CLA-X"]], "2026-11-30", "Marie Dupont, DPO")
    data = json.loads(again.dumps())
    assert data["version"] == 2
    assert data["approvals"] == {"CLA-X": {"by": "Marie Dupont, DPO", "date": "2026-11-30"}}
    assert ReviewLock.parse(again.dumps()) == again


@pytest.mark.parametrize(
    "lock",
    [
        LOCK_HEAD + "[" * 100_000 + "]" * 100_000 + "}",
        LOCK_HEAD + '{"CLA-RGPD-03": {"OBL-RGPD-30": {"title": "\\ud800"}}}}',
        '{"schema": "sphinx-crmrisk/review-lock", "version": true, "reviewed_against": {}}',
    ],
    ids=["deep", "surrogate", "version-true"],
)
def test_an_unusable_lock_stops_the_build_and_the_commands_in_one_line(
    lock, make_app, copy_root, capsys
):
    from sphinx.errors import ConfigError

    src = copy_root("reviews")
    (src / "crmrisk-reviews.json").write_text(lock, encoding="utf-8")
    app = make_app("html", srcdir=src, freshenv=True)
    with pytest.raises(ConfigError, match=r"crmrisk-reviews.json: unusable review lock: "):
        app.build()
    before = (src / "controles.md").read_bytes()
    status, out, err = review(capsys, str(src), "CLA-RGPD-03", "--today", REVIEWED)
    assert (status, out) == (2, "")
    assert err.startswith("crmrisk: error: ") and "unusable review lock" in err
    assert err.count("\n") == 1
    assert (src / "controles.md").read_bytes() == before


def test_review_writes_nothing_when_the_lock_cannot_be_written(copy_root, capsys):
    src = copy_root("reviews")
    before = {path: path.read_bytes() for path in src.rglob("*") if path.is_file()}
    lock = src / "crmrisk-reviews.json"
    lock.chmod(0o444)
    try:
        status, out, err = review(capsys, str(src), "--all", "--today", REVIEWED)
    finally:
        lock.chmod(0o644)
    assert (status, out) == (2, "")
    assert err == (
        f"crmrisk: error: cannot write {lock}: the file is read-only; nothing was written\n"
    )
    after = {path: path.read_bytes() for path in src.rglob("*") if "_build" not in path.parts}
    assert {p: d for p, d in before.items() if "_build" not in p.parts} == {
        p: d for p, d in after.items() if p.is_file()
    }
    assert not list(src.glob(".*")), "no temporary file is left"


def test_review_writes_nothing_when_the_second_source_file_is_read_only(copy_root, capsys):
    src = copy_root("reviews")
    controls, procedures = src / "controles.md", src / "procedures.rst"
    before = {
        path: path.read_bytes() for path in (controls, procedures, src / "crmrisk-reviews.json")
    }
    procedures.chmod(0o444)
    try:
        status, out, err = review(capsys, str(src), "--all", "--today", REVIEWED)
    finally:
        procedures.chmod(0o644)
    assert (status, out) == (2, "")
    assert f"cannot write {procedures}: the file is read-only; nothing was written" in err
    assert {path: path.read_bytes() for path in before} == before


def test_review_keeps_a_byte_order_mark_and_finds_a_directive_on_line_1(copy_root, capsys):
    src = copy_root("reviews")
    controls = src / "controles.md"
    text = controls.read_bytes().decode("utf-8")
    # the directive on line 1, after a byte-order mark
    text = "\ufeff" + text[text.index("```{clause}") :]
    controls.write_bytes(text.encode("utf-8"))
    status, _out, err = review(capsys, str(src), "CLA-RGPD-03", "--today", REVIEWED)
    assert (status, err) == (0, "")
    data = controls.read_bytes()
    assert data.startswith("\ufeff```{clause}".encode())
    assert data == text.replace(":reviewed: 2026-11-01", f":reviewed: {REVIEWED}").encode()


def test_review_refuses_a_name_that_is_not_one_line(copy_root, capsys):
    src = copy_root("reviews")
    before = (src / "controles.md").read_bytes()
    for name, why in [
        ("Marie\n::error::x", "holds a line break"),
        ("", "is empty"),
        ("x" * 201, "is longer than 200 characters"),
    ]:
        status, out, err = review(capsys, str(src), "CLA-RGPD-03", "--by", name)
        assert (status, out) == (2, "") and why in err and err.count("\n") == 1
    assert (src / "controles.md").read_bytes() == before


def test_a_review_after_the_reference_date_is_a_located_warning(make_app, copy_root, capsys):
    src = copy_root("reviews")
    edit(src / "controles.md", ":reviewed: 2026-11-01", ":reviewed: 2027-03-01")
    app = build(make_app, src, fresh=True)
    expected = (
        "controles.md:3: WARNING: CLA-RGPD-03\u202f: reviewed 2027-03-01 est postérieur à la "
        "date de référence 2026-11-30\u202f: une revue ne peut pas encore avoir eu lieu "
        "[crmrisk.future_date]"
    )
    assert crmrisk_warnings(app) == [expected]
    # the calendar shows the item, with the date as written
    assert "2027-03-01" in (Path(app.outdir) / "calendrier.html").read_text()
    assert main(["check", str(app.outdir)]) == 1
    assert expected.replace(" WARNING:", "") in capsys.readouterr().out


def test_a_review_date_out_of_the_years_read_is_a_bad_date_not_a_crash(make_app, copy_root, capsys):
    # 9999-12-31 plus a review cycle overflowed the date type and stopped the build
    src = copy_root("reviews")
    edit(src / "controles.md", ":reviewed: 2026-11-01", ":reviewed: 9999-12-31")
    app = build(make_app, src, fresh=True)
    expected = (
        "controles.md:3: WARNING: CLA-RGPD-03\u202f: reviewed «\u202f9999-12-31\u202f» n'est pas une date "
        "des années 1800 à 2999 [crmrisk.bad_date]"
    )
    assert crmrisk_warnings(app) == [expected]
    assert main(["check", str(app.outdir)]) == 1
    assert expected.replace(" WARNING:", "") in capsys.readouterr().out
    assert add_months(dt.date(9999, 12, 31), 12) == dt.date.max
