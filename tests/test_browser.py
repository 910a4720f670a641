"""The built handbook in a real browser: headless Chromium driven by Playwright.

The handbook is built once per session (jupyter-book, into a temporary folder) and
served on 127.0.0.1 by a thread of this process. Chromium is the system's
(``/usr/bin/chromium``, Debian's package) or Playwright's own; ``make test`` installs
one (the ``chromium`` target). Where there is none, every test here fails with one
line saying how to install it: never a silent skip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_builds import soup

# the site under test is the handbook, built with Jupyter Book 1
pytestmark = pytest.mark.book

REPO = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
INSTALL = (
    "no Chromium for the browser tests: run `make chromium` (as root on Debian or Ubuntu: "
    "apt-get install chromium; otherwise: python -m playwright install chromium)"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Errors that every Jupyter Book 1.0.4 site logs, an empty book included (checked on a
#: book of one page, without this extension, in the same Chromium): sphinx-thebe's
#: inline script is written twice into each page, and pydata-sphinx-theme reports its
#: empty default mode. They are the theme stack's, not this project's; any other error,
#: a second one of these included, fails the test.
UPSTREAM_ERRORS = (
    "uncaught: Identifier 'THEBE_JS_URL' has already been declared",
    "console: Got invalid theme mode: . Resetting to auto.",
)
#: The pages a reader opens first: home, a phase, the matrices, the risks, the search.
MAIN_PAGES = (
    "handbook/intro.html",
    "handbook/phases/exploitation.html",
    "handbook/tracabilite.html",
    "handbook/risques.html",
    "handbook/veille.html",
    "search.html",
)


def system_chromium() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


#: Set to a built site (``_build/html``) to test it instead of building one: for quick
#: rounds while editing the script or the tests; ``make test`` always builds.
SITE_ENV = "CRMRISK_TEST_SITE"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The handbook, built from this checkout into a temporary folder."""
    if os.environ.get(SITE_ENV):
        return Path(os.environ[SITE_ENV])
    out = tmp_path_factory.mktemp("handbook")
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(REPO), "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    html = out / "_build" / "html"
    assert result.returncode == 0 and (html / "index.html").is_file(), result.stdout[-3000:]
    return html


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 by a thread of this process: its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A Chromium context with a fresh profile."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[test]' (or make test)", pytrace=False)
    with sync_playwright() as playwright:
        executable = system_chromium()
        if executable is None and Path(playwright.chromium.executable_path).is_file():
            executable = playwright.chromium.executable_path
        if executable is None:
            pytest.fail(INSTALL, pytrace=False)
        try:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")),
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
            )
        except Error as err:
            pytest.fail(
                f"{executable} does not start ({str(err).splitlines()[0]}): {INSTALL}",
                pytrace=False,
            )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        # the browser asks for /favicon.ico by itself; the site declares none
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {message.text}")

    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.on("console", on_console)
    tab.js_errors = errors
    yield tab
    tab.close()


def own_errors(page) -> list[str]:
    """The page's JavaScript errors, but for one of each upstream error."""
    errors = list(page.js_errors)
    for known in UPSTREAM_ERRORS:
        if known in errors:
            errors.remove(known)
    return errors


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_no_javascript_error_on_the_main_pages(page, server, path):
    response = page.goto(server + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    assert own_errors(page) == []


def test_the_theme_search_finds_an_obligation_by_its_id(page, server):
    page.goto(server + "search.html?q=OBL-RGPD-30", wait_until="networkidle")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    targets = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    # the page that defines it (the deployment phase) is among the results
    assert any(t.startswith("handbook/phases/deploiement.html") for t in targets), targets
    assert own_errors(page) == []


#: The first matrix of the page (the whole project's, on the traceability page).
MATRIX = "table.crmrisk-matrix >> nth=0"


def shown(page):
    return page.locator(MATRIX).locator("tbody tr:not([hidden])")


def visible_rows(page) -> list[str]:
    return shown(page).locator("td:first-child").all_inner_texts()


def test_the_matrix_filter_narrows_the_rows(page, server):
    page.goto(server + "handbook/tracabilite.html", wait_until="networkidle")
    box = page.locator(".crmrisk-filter").first
    assert box.is_visible()
    everything = visible_rows(page)
    assert len(everything) >= 20

    box.locator("input[type=search]").fill("rgpd")
    narrowed = visible_rows(page)
    assert 0 < len(narrowed) < len(everything)
    # the text is searched in the whole row (the ID, the title, the legal basis...)
    assert all("rgpd" in text.lower() for text in shown(page).all_inner_texts())
    count = box.locator(".crmrisk-filter-count").inner_text()
    assert count == f"Lignes affichées\u202f: {len(narrowed)} sur {len(everything)}"
    # one count on the page: the box's replaces the page's own
    assert not page.locator(".crmrisk-count").first.is_visible()

    # the state list: its options are the site's words; "à venir" keeps upcoming rows only
    box.locator("input[type=search]").fill("")
    state = box.locator("select[id$='-state']")
    state.select_option(label="à venir")
    upcoming = shown(page)
    assert 0 < upcoming.count() < len(everything)
    assert set(upcoming.evaluate_all("rows => rows.map(r => r.dataset.state)")) == {"upcoming"}

    # the phase list, then reset
    state.select_option(value="")
    # the obligations of the conception phase that run on into the exploitation phase
    box.locator("select[id$='-phase']").select_option(value="PH-EXPLOITATION")
    phases = shown(page).evaluate_all("rows => rows.map(r => r.dataset.phases)")
    assert 0 < len(phases) < len(everything)
    assert all("PH-EXPLOITATION" in p.split("\n") for p in phases)
    box.locator("button", has_text="Réinitialiser").click()
    assert len(visible_rows(page)) == len(everything)
    assert own_errors(page) == []


def natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def test_the_matrix_sorts_by_a_column(page, server):
    page.goto(server + "handbook/tracabilite.html", wait_until="networkidle")
    heading = page.locator(MATRIX).locator("thead th").first
    heading.locator("button.crmrisk-sort").click()
    ascending = visible_rows(page)
    # numbers in the text sort as numbers: OBL-RGPD-5 before OBL-RGPD-28-1
    assert ascending == sorted(ascending, key=natural)
    heading.locator("button.crmrisk-sort").click()
    assert visible_rows(page) == ascending[::-1]
    assert heading.get_attribute("aria-sort") == "descending"


def test_every_internal_link_resolves(site, server):
    """Every link between pages of the site reaches a page, and its anchor an element."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    ids: dict[str, set[str]] = {}

    def anchors(path: str) -> set[str] | None:
        if path not in ids:
            try:
                with urllib.request.urlopen(server + path, timeout=30) as response:
                    body = response.read().decode("utf-8", "replace")
            except OSError:
                return None
            parsed = BeautifulSoup(body, "html.parser")
            ids[path] = {tag["id"] for tag in parsed.find_all(id=True)} | {
                tag["name"] for tag in parsed.find_all("a", attrs={"name": True})
            }
        return ids[path]

    broken = []
    for file in pages:
        here = file.relative_to(site).as_posix()
        for link in soup(file.parent, file.stem).find_all("a", href=True):
            href = link["href"]
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = urllib.parse.urljoin(here, parts.path) if parts.path else here
            target = urllib.parse.unquote(target)
            if target.endswith("/"):
                target += "index.html"
            found = anchors(target)
            if found is None:
                broken.append(f"{here}: {href} (no page)")
            elif parts.fragment and urllib.parse.unquote(parts.fragment) not in found:
                broken.append(f"{here}: {href} (no anchor)")
    assert broken == []


def test_an_obligation_shows_its_state_and_the_risks_their_map(page, server):
    page.goto(server + "handbook/phases/deploiement.html", wait_until="networkidle")
    badge = page.locator("table#OBL-RGPD-30 .crmrisk-badge.crmrisk-state")
    assert badge.is_visible() and badge.inner_text() == "État\u202f: couverte"
    assert own_errors(page) == []
    page.js_errors.clear()  # each page load logs the upstream errors once
    page.goto(server + "handbook/risques.html", wait_until="networkidle")
    heatmap = page.locator("table.crmrisk-heatmap")
    assert heatmap.is_visible()
    links = heatmap.locator("td a")
    assert links.count() == 14  # every risk of the handbook is scored
    links.first.click()
    assert page.url.split("#")[1].startswith("RISK-")
    assert own_errors(page) == []


def test_an_obligation_leads_to_the_watch_item_that_will_change_it(page, server):
    page.goto(server + "handbook/phases/conception.html", wait_until="networkidle")
    badge = page.locator("table#OBL-DATA-ACT-29 .crmrisk-badge.crmrisk-expected-change")
    assert badge.is_visible()
    assert badge.inner_text().startswith("Évolution attendue")
    assert "(attendue le 2027-01-12)" in badge.inner_text()
    page.js_errors.clear()
    badge.locator("a", has_text="VEI-SREN-CLOUD-12-JANVIER-2027").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("handbook/veille.html#VEI-SREN-CLOUD-12-JANVIER-2027")
    item = page.locator("table#VEI-SREN-CLOUD-12-JANVIER-2027")
    assert item.is_visible()
    assert "Veille" in item.locator(".crmrisk-badge.crmrisk-watch").inner_text()
    # the watch list of the page: every item, none overdue on the handbook's date
    rows = page.locator("table.crmrisk-watch-list tbody tr")
    assert rows.count() >= 9
    states = rows.evaluate_all("rows => rows.map(r => r.dataset.state)")
    assert "overdue" not in states
    assert own_errors(page) == []


def test_each_filter_box_is_a_search_landmark_of_its_own(page, server):
    # the traceability page holds a matrix a phase, each with its filter box
    page.goto(server + "handbook/tracabilite.html", wait_until="networkidle")
    boxes = page.locator(".crmrisk-filter").evaluate_all(
        "boxes => boxes.map(b => [b.getAttribute('role'), b.getAttribute('aria-label')])"
    )
    assert len(boxes) >= 3, boxes
    assert all(role == "search" for role, _ in boxes)
    labels = [label for _, label in boxes]
    # named after the section of each table, its permalink left out
    assert all(label and label.startswith("Filtrer \u2014 ") for label in labels), labels
    assert len(set(labels)) == len(labels), labels
    assert not any(label.rstrip().endswith(("#", "\u00b6")) for label in labels), labels
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {runOnly: ['landmark-unique']})")
    assert results["violations"] == [], results["violations"]


# -- accessibility: axe-core, WCAG 2.1 A and AA ------------------------------------------

#: axe-core, vendored with its licence (tests/axe/README.md): CI reaches no CDN.
AXE = Path(__file__).parent / "axe" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, exclude: list[str] | None = None) -> list[str]:
    """Every WCAG 2.1 A/AA violation axe-core finds on the page as it stands (the
    scripts have run: the matrix's filter box is there), one line a node."""
    page.add_script_tag(path=str(AXE))
    context = {"exclude": [[selector] for selector in exclude or []]}
    results = page.evaluate(
        "([context, tags]) => axe.run(context, {runOnly: {type: 'tag', values: tags}})",
        [context, WCAG_21_AA],
    )
    return [
        f"{violation['id']}: {node['target']} {node.get('failureSummary', '')[:200]}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


#: The test root's pages: every view (matrix, grid, coverage, gaps, risks, reviews) and
#: every badge of an item (states, verification, review, level).
A11Y_PAGES = (
    "index.html",
    "obligations.html",
    "controles.html",
    "risques.html",
    "vues.html",
    "revues.html",
)
A11Y_ROOT = REPO / "tests" / "roots" / "test-a11y"


@pytest.fixture(scope="module", params=["starter theme", "default theme"])
def views_site(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The views' test root, built with the theme of crmrisk init's starter (with its
    options) and with Sphinx's default theme; served."""
    from sphinx_builds import build_once

    from sphinx_crmrisk.starter import THEME, THEME_CONTEXT, THEME_OPTIONS, THEME_SIDEBARS

    source = tmp_path_factory.mktemp("a11y") / "src"
    shutil.copytree(A11Y_ROOT, source)
    overrides = (
        {
            "html_theme": THEME,
            "html_theme_options": THEME_OPTIONS,
            "html_context": THEME_CONTEXT,
            "html_sidebars": THEME_SIDEBARS,
        }
        if request.param == "starter theme"
        else {}
    )
    app = build_once(source, freshenv=True, confoverrides=overrides)
    assert app.statuscode == 0, app.warning.getvalue()
    with serving(Path(app.outdir)) as url:
        yield request.param, url


@pytest.mark.parametrize("path", A11Y_PAGES)
def test_the_views_pass_axe_core(page, views_site, path):
    theme, url = views_site
    page.goto(url + path, wait_until="networkidle")
    # alabaster's own footer is grey #888 on white (3.5:1): the default theme's, not the
    # views'; the starter's theme is checked whole
    exclude = [".footer"] if theme == "default theme" else None
    assert axe_violations(page, exclude) == []


#: The handbook's pages: home, the phases (the obligations and their badges), the
#: matrices, the risks, the reviews, the clauses and procedures, the notebooks, search.
HANDBOOK_PAGES = (
    "index.html",
    "handbook/intro.html",
    "handbook/phases/conception.html",
    "handbook/phases/deploiement.html",
    "handbook/phases/exploitation.html",
    "handbook/clauses.html",
    "handbook/procedures.html",
    "handbook/tracabilite.html",
    "handbook/risques.html",
    "handbook/revues.html",
    "handbook/veille.html",
    "handbook/changements.html",
    "handbook/glossaire.html",
    "notebooks/coverage-audit.html",
    "notebooks/legal-timeline.html",
    "notebooks/traceability-explorer.html",
    "search.html",
)


@pytest.mark.parametrize("path", HANDBOOK_PAGES)
def test_the_handbook_passes_axe_core(page, server, path):
    page.goto(server + path, wait_until="networkidle")
    assert axe_violations(page) == []


# -- the starters of crmrisk init, as a new organization sees them ---------------------


@pytest.fixture(scope="module", params=["conf.py", "jupyter-book"])
def starter_site(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A starter for an organization that canvasses, records and outsources, built as its
    README says; served."""
    from sphinx_crmrisk.cli import main

    starter = tmp_path_factory.mktemp("starter") / "acme"
    book = request.param == "jupyter-book"
    profile = ["--profile", "prospection,enregistrement,sous-traitance"]
    assert main(["init", str(starter), *profile, *(["--jupyter-book"] if book else [])]) == 0
    command = (
        [str(BIN / "jupyter-book"), "build", str(starter), "-W", "-n", "--keep-going"]
        if book
        else [
            str(BIN / "sphinx-build"),
            "-W",
            "--keep-going",
            "-b",
            "html",
            str(starter),
            str(starter / "_build" / "html"),
        ]
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    with serving(starter / "_build" / "html") as url:
        yield request.param, url


@pytest.mark.parametrize("path", ["index.html", "obligations.html", "clauses.html", "suivi.html"])
def test_the_starters_pass_axe_core(page, starter_site, path):
    _, url = starter_site
    page.goto(url + path, wait_until="networkidle")
    assert axe_violations(page) == []
    assert own_errors(page) == []


def test_the_starters_follow_up_page_fits_and_opens_on_what_to_cover(page, starter_site):
    _, url = starter_site
    page.goto(url + "suivi.html", wait_until="networkidle")
    # the coverage summary's nine columns fit the theme's text column (no scroll), and so
    # does the proof summary under it (the starter has a worked evidence)
    for table in page.locator("table.crmrisk-coverage").all():
        widths = table.evaluate(
            "t => [t.scrollWidth, t.closest('article, .bd-article, [role=main]').clientWidth]"
        )
        assert widths[0] <= widths[1], widths
    widths = page.locator("table.crmrisk-coverage").first.evaluate(
        "t => [t.scrollWidth, t.closest('article, .bd-article, [role=main]').clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    # the first matrix holds the obligations in scope, none lapsed or out of scope
    states = (
        page.locator(MATRIX)
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => r.dataset.state)")
    )
    assert states and not {"out_of_scope", "lapsed"} & set(states)
    # one count of its rows: the filter box's, the page's own hidden
    counts = page.locator(".crmrisk-filter-count, .crmrisk-count").evaluate_all(
        "nodes => nodes.filter(n => n.offsetParent !== null).length"
    )
    # one a matrix (the page has two), and the watch list's own line
    assert counts == 3
    # an ID is never broken at its hyphens
    heights = (
        page.locator(MATRIX)
        .locator("a.crmrisk-id")
        .evaluate_all("links => links.map(a => a.getClientRects().length)")
    )
    assert set(heights) == {1}
