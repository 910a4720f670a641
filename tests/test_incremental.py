"""Incremental and parallel builds give what a clean build gives."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_builds import edit, needs_of, soup, strip_ansi, warnings_of

from sphinx_crmrisk.sphinx_ext import registration

COVERS_BOTH = ":covers: OBL-OPPOSITION, OBL-MASQUE"
COVERS_ONE = ":covers: OBL-OPPOSITION"


def build(make_app, srcdir: Path, *, fresh: bool = False, parallel: int = 0, **kwargs):
    """A build of ``srcdir``; ``app.written_pages`` names the pages its builder wrote."""
    app = make_app("html", srcdir=srcdir, freshenv=fresh, parallel=parallel, **kwargs)
    # the builder emits html-page-context for each page it writes, in whichever process
    # writes it (workers of a parallel build included): each appends the page's name to a
    # file of its own build, so what was written is read from that file, not from the
    # clock or a file's mtime
    with tempfile.NamedTemporaryFile("w", dir=srcdir.parent, suffix=".written", delete=False) as f:
        log = Path(f.name)

    def record(app, pagename, templatename, context, doctree) -> None:
        with log.open("a", encoding="utf-8") as written_log:
            written_log.write(pagename + "\n")

    app.connect("html-page-context", record)
    app.build()
    app.written_pages = set(log.read_text(encoding="utf-8").split())
    # undo this app's docutils registrations before the next app of the test starts
    app.cleanup()
    return app


def pages(app) -> dict[str, str]:
    """Each page's main content, as HTML."""
    result = {}
    for path in sorted(Path(app.outdir).glob("*.html")):
        if path.stem in {"genindex", "search"}:
            continue
        body = soup(app, path.stem).find("div", class_="body")
        # sphinx-needs names each need's container after a hash of the source path,
        # which differs between the two folders compared; nothing else is volatile
        result[path.stem] = re.sub(r'id="SNCB-[0-9a-f]+"', 'id="SNCB"', str(body))
    return result


def assert_same_pages(app, expected_app) -> None:
    """Page by page, with a readable diff of the first page that differs."""
    got, expected = pages(app), pages(expected_app)
    assert sorted(got) == sorted(expected)
    for name in sorted(got):
        if got[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].splitlines(),
                got[name].splitlines(),
                "clean",
                "incremental",
                lineterm="",
            )
            raise AssertionError(f"page {name} differs:\n" + "\n".join(diff))


def written(app) -> set[str]:
    """Pages the build wrote (Sphinx's log names only chunks when it writes in parallel).

    Sphinx re-writes its index pages, and sphinx-needs its permalink.html, on every build.
    """
    return app.written_pages - {"genindex", "search", "permalink"}


def crmrisk_warnings(app) -> list[str]:
    return sorted(line for line in warnings_of(app) if "WARNING" in line)


def clean_build_of(make_app, srcdir: Path, tmp_path: Path, name: str):
    copy = tmp_path / name
    shutil.copytree(srcdir, copy, ignore=shutil.ignore_patterns("_build"))
    return build(make_app, copy, fresh=True)


def state_badge(page: str, need_id: str) -> str:
    """The state class of the badge inside the need ``need_id`` of an HTML page."""
    need = BeautifulSoup(page, "html.parser").find("table", id=need_id)
    badge = need.select_one(".crmrisk-badge.crmrisk-state")
    return next(c for c in badge["class"] if c.startswith("crmrisk-state-"))


def test_losing_and_gaining_a_cover_rewrites_the_pages_a_clean_build_would(
    make_app, copy_root, tmp_path
):
    src = copy_root("incremental")
    first = build(make_app, src, fresh=True)
    assert crmrisk_warnings(first) == []

    # a clause loses a covers link: only clauses.md is re-read
    edit(src / "clauses.md", COVERS_BOTH, COVERS_ONE)
    lost = build(make_app, src)
    clean = clean_build_of(make_app, src, tmp_path, "clean-lost")
    assert crmrisk_warnings(lost) == crmrisk_warnings(clean)
    assert any(
        "OBL-MASQUE" in line and "[crmrisk.uncovered]" in line for line in crmrisk_warnings(lost)
    )
    assert_same_pages(lost, clean)
    # the obligation's page and the table are re-written; the page that shows no need
    # is not, nor the page that cites the obligation by a need role, which shows its
    # title and ID, unchanged (the pages are those of a clean build, above)
    assert {"clauses", "obligations", "table"} <= written(lost)
    assert "unrelated" not in written(lost)
    assert "references" not in written(lost)
    # the obligation's state badge, on a page that was not re-read, says so
    page = (Path(lost.outdir) / "obligations.html").read_text(encoding="utf-8")
    assert state_badge(page, "OBL-MASQUE") == "crmrisk-state-uncovered"

    # and back: the clause gains the link again
    edit(src / "clauses.md", COVERS_ONE, COVERS_BOTH)
    gained = build(make_app, src)
    assert crmrisk_warnings(gained) == []
    assert_same_pages(gained, first)
    page = (Path(gained.outdir) / "obligations.html").read_text(encoding="utf-8")
    assert state_badge(page, "OBL-MASQUE") == "crmrisk-state-covered"


def test_a_no_change_rebuild_writes_nothing_and_still_checks(make_app, copy_root):
    src = copy_root("incremental")
    edit(src / "clauses.md", COVERS_BOTH, COVERS_ONE)
    build(make_app, src, fresh=True)
    again = build(make_app, src)
    assert written(again) == set()
    assert any("OBL-MASQUE" in line for line in crmrisk_warnings(again))


def test_new_stylesheets_or_script_of_the_package_reach_the_site(
    make_app, copy_root, tmp_path, monkeypatch
):
    # an upgrade of the package that changes its static files alone: Sphinx copies them
    # only in a build that writes a page, and a build with no page out of date writes none
    # (the package's files in a folder of the test's: the same folder for both builds,
    # so the configuration, which names it, is the same)
    static = tmp_path / "static"
    shutil.copytree(registration.STATIC_DIR, static)
    monkeypatch.setattr(registration, "STATIC_DIR", static)
    src = copy_root("incremental")
    first = build(make_app, src, fresh=True)
    script = static / registration.MATRIX_SCRIPT
    script.write_text(script.read_text(encoding="utf-8") + "/* 2.0 */\n", encoding="utf-8")

    upgraded = build(make_app, src)

    assert written(upgraded) == written(first) != set()
    copied = Path(upgraded.outdir) / "_static" / registration.MATRIX_SCRIPT
    assert copied.read_text(encoding="utf-8").endswith("/* 2.0 */\n")
    # once written with them, a build writes nothing again
    assert written(build(make_app, src)) == set()


def test_retitling_a_need_rewrites_the_pages_that_cite_it(make_app, copy_root, tmp_path):
    src = copy_root("incremental")
    build(make_app, src, fresh=True)
    edit(src / "obligations.md", "Ne pas appeler en numéro masqué", "Toujours afficher son numéro")
    retitled = build(make_app, src)
    clean = clean_build_of(make_app, src, tmp_path, "clean-retitled")
    assert "Toujours afficher son numéro" in pages(retitled)["references"]
    assert_same_pages(retitled, clean)


LEGAL_BASIS = ":legal_basis: C. conso, art. L221-17"
MASQUE_TITLE = "Ne pas appeler en numéro masqué"


def test_a_page_citing_a_need_by_its_role_is_rewritten_when_what_it_shows_changes(
    make_app, copy_root, tmp_path
):
    src = copy_root("incremental")
    build(make_app, src, fresh=True)
    # a field the role does not show: the citing page is left as it is
    edit(src / "obligations.md", LEGAL_BASIS, ":legal_basis: C. conso, art. L221-16")
    based = build(make_app, src)
    assert "obligations" in written(based) and "references" not in written(based)
    assert_same_pages(based, clean_build_of(make_app, src, tmp_path, "clean-based"))
    # its title, which the role shows: re-written
    edit(src / "obligations.md", MASQUE_TITLE, "Toujours afficher son numéro")
    retitled = build(make_app, src)
    assert "references" in written(retitled)
    assert "Toujours afficher son numéro" in pages(retitled)["references"]
    assert_same_pages(retitled, clean_build_of(make_app, src, tmp_path, "clean-retitled"))
    # moved to another page: the role's link follows it
    text = (src / "obligations.md").read_text(encoding="utf-8")
    block = text[text.index("```{obligation} Toujours") :]
    (src / "obligations.md").write_text(text.replace(block, ""), encoding="utf-8")
    (src / "unrelated.md").write_text(
        (src / "unrelated.md").read_text(encoding="utf-8") + "\n" + block, encoding="utf-8"
    )
    moved = build(make_app, src)
    assert "references" in written(moved)
    assert 'href="unrelated.html#OBL-MASQUE"' in pages(moved)["references"]
    assert_same_pages(moved, clean_build_of(make_app, src, tmp_path, "clean-moved"))


@pytest.mark.parametrize(
    ("template", "cited"),
    [
        # the project's template shows the status
        ('needs_role_need_template = "{{ title }} ({{ id }}, {{ status }})"', "{need}`OBL-MASQUE`"),
        # the role's own template does
        ("", "{need}`[[title]] : [[status]] <OBL-MASQUE>`"),
    ],
    ids=["project-template", "role-template"],
)
def test_a_role_template_s_fields_rewrite_the_citing_page(
    make_app, copy_root, tmp_path, template, cited
):
    src = copy_root("incremental")
    (src / "conf.py").write_text(
        (src / "conf.py").read_text(encoding="utf-8") + template + "\n", encoding="utf-8"
    )
    edit(src / "references.md", "{need}`OBL-MASQUE`", cited)
    edit(src / "obligations.md", LEGAL_BASIS, LEGAL_BASIS + "\n:status: ouverte")
    build(make_app, src, fresh=True)
    edit(src / "obligations.md", ":status: ouverte", ":status: close")
    changed = build(make_app, src)
    assert "references" in written(changed)
    assert "close" in pages(changed)["references"]
    assert_same_pages(changed, clean_build_of(make_app, src, tmp_path, "clean-status"))


def test_a_role_template_showing_more_than_the_need_as_read_cites_the_whole_need(
    make_app, copy_root, tmp_path
):
    # its covers back are made when sphinx-needs resolves the needs, after the
    # incremental build has chosen the pages: the role counts as citing every field
    src = copy_root("incremental")
    (src / "conf.py").write_text(
        (src / "conf.py").read_text(encoding="utf-8")
        + 'needs_role_need_template = "{{ title }} ({{ covers_back }})"\n',
        encoding="utf-8",
    )
    build(make_app, src, fresh=True)
    edit(src / "clauses.md", COVERS_BOTH, COVERS_ONE)
    lost = build(make_app, src)
    assert "references" in written(lost)
    assert_same_pages(lost, clean_build_of(make_app, src, tmp_path, "clean-lost"))


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("{{ title }} ({{ id }})", {"title", "id"}),  # sphinx-needs' default
        ("{title} ({id})", {"title", "id"}),  # its older str.format syntax
        ("{title:.10} {{", None),  # neither: not read, so the whole need counts
        ("{{ title | upper }}{% if status %} [{{ status }}]{% endif %}", {"title", "status"}),
        ("{{ need.title }}", None),  # the whole need, any field of it
        ("{{ covers_back }}", None),  # made when the needs are resolved
        ("{{ title", None),  # not a template Jinja can read
    ],
)
def test_the_fields_a_role_template_shows(text, fields):
    from sphinx_crmrisk.sphinx_ext.incremental import template_fields

    assert template_fields(text) == (None if fields is None else frozenset(fields))
    assert template_fields("[[title]], [[tags]]", "[[", "]]") == {"title", "tags"}


def assert_read_in_parallel(app) -> None:
    """Sphinx reads in parallel only with more than 5 documents to read; it then
    reports chunks of documents ("page0 .. page3") instead of single ones."""
    status = strip_ansi(app.status.getvalue())
    assert re.search(r"reading sources\.\.\. \[\s*\d+%\] \S+ \.\. \S+", status), status


def test_parallel_build_matches_serial_build(make_app, copy_root, tmp_path):
    serial = build(make_app, copy_root("parallel"), fresh=True, parallel=1)
    parallel_src = tmp_path / "parallel-j2"
    shutil.copytree(serial.srcdir, parallel_src, ignore=shutil.ignore_patterns("_build"))
    parallel = build(make_app, parallel_src, fresh=True, parallel=2)
    assert_read_in_parallel(parallel)
    assert crmrisk_warnings(parallel) == crmrisk_warnings(serial)
    assert len([w for w in crmrisk_warnings(serial) if "[crmrisk.uncovered]" in w]) == 8
    assert len([w for w in crmrisk_warnings(serial) if "[crmrisk.link_type]" in w]) == 8
    assert needs_of(parallel) == needs_of(serial)
    assert_same_pages(parallel, serial)


def test_parallel_incremental_build_merges_what_each_worker_read(make_app, copy_root, tmp_path):
    src = copy_root("parallel")
    build(make_app, src, fresh=True, parallel=2)
    # page1's clause stops covering page0's first obligation; every page is touched
    # so that the re-read is parallel and each worker's records are merged
    edit(src / "page1.md", ":covers: OBL-P0-0, OBL-P0-1", ":covers: OBL-P0-1")
    for page in src.glob("page*.md"):
        page.write_text(page.read_text() + "\n")
    incremental = build(make_app, src, parallel=2)
    assert_read_in_parallel(incremental)
    clean = clean_build_of(make_app, src, tmp_path, "clean-parallel")
    assert crmrisk_warnings(incremental) == crmrisk_warnings(clean)
    assert_same_pages(incremental, clean)
    assert needs_of(incremental) == needs_of(clean)

    # page1 cites OBL-P0-0: what a worker recorded of page1 must survive the merge,
    # so that retitling the obligation on page0 alone re-writes page1 too
    edit(src / "page0.md", "Obligation 0.0", "Obligation zero")
    retitled = build(make_app, src, parallel=2)
    assert "page1" in written(retitled)
    assert_same_pages(retitled, clean_build_of(make_app, src, tmp_path, "clean-retitled"))


def test_a_new_reference_date_rewrites_every_page_without_re_reading(make_app, copy_root):
    src = copy_root("incremental")
    build(make_app, src, fresh=True)
    later = build(make_app, src, confoverrides={"crmrisk_today": "2027-06-01"})
    status = strip_ansi(later.status.getvalue())
    # states are rendered at write time: a new date re-writes pages, re-reads none
    assert "0 added, 0 changed, 0 removed" in status
    assert {"obligations", "clauses", "table", "unrelated"} <= written(later)


# -- nothing lost, duplicated or resurrected (issue 15) ---------------------------------

MOVED = """```{obligation} Moved obligation
:id: OBL-MOVED
:phase: PH-EXPLOITATION
:legal_basis: RGPD, art. 21
```
"""
CLAUSE = """```{clause} A clause
:id: CLA-KEPT
:party: prestataire
:covers: OBL-KEPT
```
"""


def move_block(src: Path, block: str, origin: str, target: str) -> None:
    edit(src / origin, block, "")
    (src / target).write_text((src / target).read_text() + "\n" + block)


def rename_page(src: Path, old: str, new: str) -> None:
    (src / f"{old}.md").rename(src / f"{new}.md")
    edit(src / "index.md", f"\n{old}\n", f"\n{new}\n")


def delete_page(src: Path, name: str) -> None:
    (src / f"{name}.md").unlink()
    edit(src / "index.md", f"\n{name}\n", "\n")


def outcome(app) -> dict:
    """What a build says: every warning, needs.json, the exports, and ``crmrisk check``."""
    from sphinx_crmrisk.cli import main

    outdir = Path(app.outdir)
    report = outdir.parent / "check.json"
    status = main(["check", str(outdir), "--format", "json", "--output", str(report)])
    return {
        "warnings": crmrisk_warnings(app),
        "needs": needs_of(app),
        "exports": {
            name: (outdir / name).read_bytes() for name in ("traceability.json", "traceability.csv")
        },
        "check": (status, json.loads(report.read_text())),
    }


SEQUENCES = {
    # the sequence of the issue: the moved obligation met its stale copy and was lost
    "move to a page read earlier": [lambda s: move_block(s, MOVED, "b.md", "a.md")],
    "move there and back": [
        lambda s: move_block(s, MOVED, "b.md", "a.md"),
        lambda s: move_block(s, MOVED, "a.md", "b.md"),
    ],
    "move to a page read later": [lambda s: move_block(s, MOVED, "b.md", "c.md")],
    "rename an item": [lambda s: edit(s / "b.md", ":id: OBL-MOVED", ":id: OBL-RENAMED")],
    "rename the page": [lambda s: rename_page(s, "b", "aa")],
    "delete the page": [lambda s: delete_page(s, "b")],
    # a true duplicate: the later page's copy is refused, on every build, as in a clean
    # one, even when only the other page changes or nothing does
    "a duplicate id, then an edit elsewhere": [
        lambda s: (s / "c.md").write_text((s / "c.md").read_text() + "\n" + MOVED),
        lambda s: (s / "b.md").write_text((s / "b.md").read_text() + "\nMore text.\n"),
    ],
    "split items across pages": [
        lambda s: move_block(s, MOVED, "b.md", "a.md"),
        lambda s: move_block(s, CLAUSE, "c.md", "a.md"),
    ],
}


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_moving_renaming_deleting_items_gives_what_a_clean_build_gives(
    make_app, copy_root, tmp_path, sequence
):
    src = copy_root("moves")
    first = outcome(build(make_app, src, fresh=True))
    assert first["check"][0] == 1  # OBL-MOVED is uncovered
    for number, step in enumerate(SEQUENCES[sequence]):
        step(src)
        incremental = outcome(build(make_app, src))
        clean = outcome(clean_build_of(make_app, src, tmp_path, f"clean-{number}"))
        assert incremental == clean
        # the next build, with nothing changed, must not lose what the last one had,
        # warnings included
        again = outcome(build(make_app, src))
        assert again == clean
    if sequence != "delete the page":
        # still uncovered, still failing the gate
        assert any(g["id"] in {"OBL-MOVED", "OBL-RENAMED"} for g in again["check"][1]["uncovered"])
        assert again["check"][0] == 1
