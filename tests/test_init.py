"""``crmrisk init``: a starter handbook that builds, lists its gaps, and takes upgrades."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from sphinx_builds import build_once, soup

from sphinx_crmrisk import law_catalogue as library
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.law_catalogue import catalogue_file, read_needs, versions
from sphinx_crmrisk.model import parse_date
from sphinx_crmrisk.scope import ACTIVITIES, expand
from sphinx_crmrisk.text import split_list

BIN = Path(sys.executable).parent
#: The starters are built as of the date of the newest statement of the law shipped, never
#: the clock's: its watch items fall due on their dates (test_catalogue tests what follows)
TODAY = versions()[-1]


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
    page = soup(html_dir, "suivi")
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
        BIN / "sphinx-build",
        *("-W", "--keep-going", "-D", f"crmrisk_today={TODAY}", "-b", "html"),
        acme,
        acme / "_build" / "html",
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
        assert f"#   {word}\u202f: " in conf
    assert "Étapes suivantes\u202f:" in (acme / "README.md").read_text(encoding="utf-8")
    # the catalogue's watch items: listed on the follow-up page, announced on the obligations
    suivi = BeautifulSoup((html / "suivi.html").read_text(encoding="utf-8"), "html.parser")
    listed = [
        tr.td.get_text(strip=True) for tr in suivi.select("table.crmrisk-watch-list tbody tr")
    ]
    shipped = read_needs(catalogue_file())
    assert sorted(listed) == sorted(i for i, n in shipped.items() if n["type"] == "watch")
    obligations = (html / "obligations.html").read_text(encoding="utf-8")
    assert "Évolution attendue" in obligations
    # the « Preuves » page: one worked evidence, a draft, and the register
    register = BeautifulSoup((html / "preuves.html").read_text(encoding="utf-8"), "html.parser")
    assert register.find("h1").get_text(strip=True).startswith("Preuves")
    evidence = register.find("table", id="EVD-EXEMPLE-01")
    assert "Accord de sous-traitance signé (exemple)" in evidence.get_text()
    rows = register.select("table.crmrisk-evidence tbody tr")
    assert [r.td.get_text(strip=True) for r in rows] == ["EVD-EXEMPLE-01"]
    assert "non comptée" in rows[0].get_text()
    assert rows[0].find("a", string="CLA-EXEMPLE-01")["href"] == "clauses.html#CLA-EXEMPLE-01"


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
        "preuves.rst",
        "procedures.rst",
        "requirements.txt",
        "suivi.rst",
    ]
    html = starter / "_build" / "html"
    result = run(
        BIN / "sphinx-build",
        *("-W", "--keep-going", "-D", f"crmrisk_today={TODAY}", "-b", "html"),
        starter,
        html,
    )
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
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["config"]["crmrisk_today"] = TODAY
    (book / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
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
    assert err == f"crmrisk: error: {target} n'est pas vide\u202f: rien n'est écrit\n"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_an_unknown_profile_word_is_refused_naming_the_valid_ones(tmp_path, capsys):
    target = tmp_path / "acme"
    assert main(["init", str(target), "--profile", "prospection,banque"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "crmrisk: error: --profile: 'banque' n'est pas une activité (activités\u202f: "
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
    app = build_once(src, freshenv=True, confoverrides={"crmrisk_today": TODAY})
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


# -- the folder's name, whatever the user typed (issue 24, defect 6) -------------------

#: Names that are shown, never run nor read as markup: each is a folder a build then
#: builds; what each would have done unescaped
SHOWN_NAMES = {
    # closes conf.py's docstring and runs its code at the first build
    "code in conf.py": '"""; import os; os.system("touch PWNED") #',
    # live HTML on every page, through the MyST title
    "html in the title": "<img src=x onerror=alert(1)>",
    # quotes, backslashes and markup of every language the starter writes
    "quotes and markup": "a\"b'c\\d `e` *f* _g_ {h}`i` |j| $k$ &amp; [l](m)",
}


def built_title(html: Path) -> tuple[str, BeautifulSoup]:
    page = BeautifulSoup((html / "index.html").read_text(encoding="utf-8"), "html.parser")
    heading = page.find("h1")
    for link in heading.select("a.headerlink"):
        link.decompose()
    return heading.get_text(), page


def straight_quotes(text: str) -> str:
    """Sphinx's smart quotes (French: « » with their spaces, ’) back to the straight
    ones typed: they draw the quote characters of a text, which is then still the
    name's text (MyST hands Sphinx the name's quotes as text; reST marks them escaped)."""
    text = re.sub("«[\u00a0\u202f]?|[\u00a0\u202f]?»|[“”„]", '"', text)
    return re.sub("[’‘]", "'", text)


@pytest.mark.parametrize("fmt", ["myst", "rst"])
@pytest.mark.parametrize("case", SHOWN_NAMES)
def test_a_hostile_name_is_shown_as_text_and_never_run(tmp_path, capsys, case, fmt):
    name = SHOWN_NAMES[case]
    starter = tmp_path / name
    assert main(["init", str(starter), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 2
    conf = (starter / "conf.py").read_text(encoding="utf-8")
    compile(conf, "conf.py", "exec")  # still Python
    result = subprocess.run(
        [str(BIN / "sphinx-build"), "-q", "-b", "html", str(starter), str(starter / "_build")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # nothing ran: no file made where the build ran, nor in the project
    assert not list(tmp_path.rglob("PWNED"))
    title, page = built_title(starter / "_build")
    expected = "Manuel de conformité " + ("d'" if name[0] == "a" else "de ") + name
    assert straight_quotes(title) == expected
    # no element nor attribute came from the name, anywhere on the page (the theme's
    # navbar shows the title too)
    assert page.find("img") is None and page.find(attrs={"onerror": True}) is None
    assert page.select_one(".logo__title").get_text() == expected
    readme = (starter / "README.md").read_text(encoding="utf-8")
    assert "<img" not in readme.replace("\\<img", "")


def test_a_hostile_name_is_a_quoted_yaml_scalar(tmp_path, capsys):
    name = 'a"b: 1 \\ # c'
    book = tmp_path / name
    assert main(["init", str(book), "--jupyter-book"]) == 0
    capsys.readouterr()
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    assert config["author"] == name
    # the theme writes the title as HTML: its HTML is escaped
    assert config["title"] == f"Manuel de conformité d'{html.escape(name)}"
    assert set(config) == {
        "title",
        "author",
        "copyright",
        "only_build_toc_files",
        "exclude_patterns",
        "execute",
        "html",
        "sphinx",
    }


#: Names refused in one line, exit 2, nothing written
REFUSED_NAMES = {
    # adds keys to _config.yml, and prints a line of its own
    "a line break in yaml": 'a"\nextra_key: 1',
    "a workflow command": "acme\n::error file=x.md::owned",
    "a control character": "acme\x1b[31m",
    "a bidirectional override": "acme\u202etxt.exe",
}


@pytest.mark.parametrize("case", REFUSED_NAMES)
def test_a_name_that_cannot_show_on_one_line_is_refused(tmp_path, capsys, case):
    target = tmp_path / REFUSED_NAMES[case]
    assert main(["init", str(target), "--jupyter-book"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("crmrisk: error: ")
    assert "\n::" not in err and "\x1b" not in err and "\u202e" not in err
    assert "rien n'est écrit" in err  # the starter's language
    assert not target.exists()


def test_a_name_too_long_for_the_file_system_is_one_line_not_a_traceback(tmp_path, capsys):
    target = tmp_path / ("a" * 300)
    assert main(["init", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "rien n'est écrit" in err
    assert list(tmp_path.iterdir()) == []  # (target.exists() itself raises for it)


def test_init_answers_in_french_and_in_english_when_asked(tmp_path, capsys):
    assert main(["init", str(tmp_path / "un")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (f"9 fichiers écrits dans {tmp_path / 'un'}")
    assert main(["init", str(tmp_path / "un"), "--lang", "en"]) == 2
    assert capsys.readouterr().err == (
        f"crmrisk: error: {tmp_path / 'un'} is not empty: nothing written\n"
    )


def test_the_french_starter_elides_and_keeps_french_typography(tmp_path, capsys):
    for name, title in (
        ("acme", "Manuel de conformité d'acme"),
        ("Énergie", "Manuel de conformité d'Énergie"),
        ("Hachette", "Manuel de conformité de Hachette"),
        ("banque", "Manuel de conformité de banque"),
    ):
        assert main(["init", str(tmp_path / name)]) == 0
        index = (tmp_path / name / "index.md").read_text(encoding="utf-8")
        assert index.startswith(f"# {title}\n")
        assert "n'est pas un avis juridique\u202f: " in index
    capsys.readouterr()
    conf = (tmp_path / "acme" / "conf.py").read_text(encoding="utf-8")
    # every comment in French: no English sentence left
    assert "#   prospection\u202f: Démarchage par téléphone, SMS ou courriel." in conf
    assert "mode brouillon" in conf and "drafting mode" not in conf
    readme = (tmp_path / "acme" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Manuel de conformité d'acme\n") and "Étapes suivantes" in readme


def test_the_rest_starter_writes_rest_inline_code(tmp_path, capsys):
    assert main(["init", str(tmp_path / "banque"), "--format", "rst"]) == 0
    capsys.readouterr()
    for page in ("obligations.rst", "clauses.rst"):
        text = (tmp_path / "banque" / page).read_text(encoding="utf-8")
        # no Markdown single backtick: in reST it is emphasis, not code
        assert re.findall(r"(?<!`)`[^`]+`(?!`)", text) == [], page
        assert "``crmrisk_profile``" in text or "``covers``" in text
