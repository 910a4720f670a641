"""The documentation (docs/) cannot drift from the code.

It builds warning-free with ``-W --keep-going``; its reference tables list every
configuration value, warning subtype, need kind, field, link type, command argument and
schema property the code defines (read here from the code, compared with the HTML); and
the tutorial's example project, kept as real files under docs/tutorial/example/, gives
exactly the warnings and the ``crmrisk check`` output the pages show, by running the
commands the pages show.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx_builds import soup, strip_ansi

from sphinx_crmrisk.cli import build_parser
from sphinx_crmrisk.kinds import (
    FIELD_SPECS,
    FIELDS,
    KIND_SPECS,
    KIND_STATUSES,
    LINK_SPECS,
    STATUS_WORDS,
    Kind,
    Status,
)
from sphinx_crmrisk.register import KIND_WORDS, REGISTER_COLUMNS
from sphinx_crmrisk.scope import ACTIVITIES, IMPLIES
from sphinx_crmrisk.settings import PREFIX, crmrisk_fields, default_of
from sphinx_crmrisk.sphinx_ext.reference_docs import (
    SCHEMA,
    argument_name,
    python_value,
    subcommands,
    view_directives,
)
from sphinx_crmrisk.warning_types import BUILD_ONLY_SUBTYPES, WARNING_SUBTYPES

DOCS = Path(__file__).parents[1] / "docs"
EXAMPLE = DOCS / "tutorial" / "example"
#: where the tutorial pretends its project lives
SHOWN_PROJECT = "/home/you/call-center"
#: the commands the pages show, as this test runs them (this Python, this checkout)
PROGRAMS = {
    "sphinx-build": [sys.executable, "-m", "sphinx"],
    "crmrisk": [sys.executable, "-m", "sphinx_crmrisk.cli"],
}


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command's output as a terminal shows it, without colours (Sphinx 8 and 9 colour
    their warnings when FORCE_COLOR is set, as some CI runners do)."""
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    result.stdout, result.stderr = strip_ansi(result.stdout), strip_ansi(result.stderr)
    return result


@pytest.fixture(scope="module")
def docs_build(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``make docs``'s build, into a temporary folder."""
    out = tmp_path_factory.mktemp("docs")
    result = run(
        [
            *PROGRAMS["sphinx-build"],
            "-q",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ]
    )
    return result, out / "html"


@pytest.fixture(scope="module")
def site(docs_build) -> Path:
    result, html = docs_build
    assert result.returncode == 0, result.stderr
    return html


def text(element) -> str:
    return " ".join(element.get_text().split())


def rows(site: Path, page: str, what: str) -> list[list[str]]:
    """The cells of the generated table ``crmrisk-ref-<what>`` of a page."""
    tables = soup(site, page).select(f"table.crmrisk-ref-{what}")
    assert len(tables) == 1, f"{page}.html has {len(tables)} tables crmrisk-ref-{what}"
    return [[text(cell) for cell in tr.find_all("td")] for tr in tables[0].select("tbody tr")]


def words(names) -> str:
    """``a, b``: how the tables list names (the order of the code)."""
    return ", ".join(names)


def test_docs_build_without_a_warning(docs_build):
    result, html = docs_build
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (html / "index.html").is_file()
    # the handbook and the tutorial's project are other Sphinx projects
    assert not (html / "handbook").exists()
    assert not (html / "tutorial" / "example").exists()


def test_every_page_is_in_the_index(site):
    """The index globs its sections: a page added under how-to/ needs no edit of it."""
    linked = {a["href"].split("#")[0] for a in soup(site, "index").select("div.toctree-wrapper a")}
    pages = {
        f"{md.relative_to(DOCS).with_suffix('.html').as_posix()}"
        for folder in ("how-to", "explanation", "reference")
        for md in (DOCS / folder).glob("*.md")
    } | {"tutorial.html"}
    assert pages <= linked
    assert len(pages) >= 10


def test_every_config_value_is_documented(site):
    table = rows(site, "reference/configuration", "config")
    expected = [
        [
            PREFIX + f.name,
            python_value(default_of(f)),
            f.metadata["rebuild"] or "nothing",
            " ".join(f.metadata["doc"].split()),
        ]
        for f in crmrisk_fields()
    ]
    assert table == expected


def test_every_warning_subtype_is_documented(site):
    table = rows(site, "reference/warnings", "warnings")
    assert {row[0] for row in table} == {f"crmrisk.{s}" for s in WARNING_SUBTYPES}
    for subtype, meaning, reported_by in table:
        name = subtype.removeprefix("crmrisk.")
        assert meaning == WARNING_SUBTYPES[name]
        build_only = name in BUILD_ONLY_SUBTYPES
        assert reported_by == ("the build only" if build_only else "the build and crmrisk check")
    assert sum(row[2] == "the build only" for row in table) == len(BUILD_ONLY_SUBTYPES) > 0


def test_every_kind_field_and_link_is_documented(site):
    kinds = rows(site, "reference/items", "kinds")
    assert [(r[0], r[1], r[3], r[4]) for r in kinds] == [
        (kind.value, spec.prefix, words(spec.fields), spec.doc) for kind, spec in KIND_SPECS.items()
    ]
    assert all(
        r[2].startswith(spec.title) for r, spec in zip(kinds, KIND_SPECS.values(), strict=True)
    )

    in_order = list(KIND_SPECS)
    table = rows(site, "reference/items", "fields")
    assert [(r[0], r[1], r[3]) for r in table] == [
        (name, words(k.value for k in in_order if k in FIELDS[name]), spec.doc)
        for name, spec in FIELD_SPECS.items()
    ]

    table = rows(site, "reference/items", "links")
    assert [(r[0], r[1], r[2], r[5]) for r in table] == [
        (
            name,
            words(k.value for k in in_order if k in spec.sources),
            words(k.value for k in in_order if k in spec.targets),
            spec.doc,
        )
        for name, spec in LINK_SPECS.items()
    ]
    proves = next(r for r in table if r[0] == "proves")
    assert proves[2] == "clause, procedure"
    assert proves[4] == "proven by (fr: « prouvée par »)"
    # the French label beside the English one
    covers = next(r for r in table if r[0] == "covers")
    assert covers[4] == "covered by (fr: « couverte par »)"


def test_every_activity_is_documented_with_what_it_implies(site):
    table = rows(site, "reference/items", "activities")
    assert [tuple(r) for r in table] == [
        (word, doc, words(sorted(IMPLIES.get(word, ())))) for word, doc in ACTIVITIES.items()
    ]


def test_every_register_column_and_word_is_documented(site):
    table = rows(site, "reference/register", "register-columns")
    in_order = list(KIND_SPECS)
    assert [tuple(r) for r in table] == [
        (
            name,
            words(dict.fromkeys((*column.synonyms, column.heading))),
            words(k.value for k in in_order if k in column.kinds),
            "yes" if column.required else "no",
            column.doc,
        )
        for name, column in REGISTER_COLUMNS.items()
    ]
    table = rows(site, "reference/register", "register-words")
    assert [tuple(r) for r in table] == [
        *(("type", kind.value, words(ws)) for kind, ws in KIND_WORDS.items()),
        *(
            ("status", status.value, words(STATUS_WORDS[status]))
            for status in KIND_STATUSES[Kind.CLAUSE]
        ),
    ]


def test_every_status_is_documented_with_its_words(site):
    table = rows(site, "reference/items", "statuses")
    assert [r[0] for r in table] == [status.value for status in Status]
    for row, status in zip(table, Status, strict=True):
        assert row[2] == ", ".join(STATUS_WORDS[status])


@pytest.mark.sphinx("html", testroot="matrix")
def test_every_view_is_documented(app, site):
    """The views a project's application registers (the test root's), against the guide."""
    views = view_directives()
    assert {"crmrisk-coverage", "crmrisk-matrix", "crmrisk-gaps"} <= set(views)
    table = rows(site, "how-to/views", "views")
    assert [(r[0], r[1]) for r in table] == [
        (name, words(f":{o}:" for o in directive.option_spec) or "none")
        for name, directive in views.items()
    ]
    assert all(r[2] for r in table), "each view says what it shows"


def test_every_command_and_argument_is_documented(site):
    parser = build_parser()
    commands = rows(site, "reference/command", "commands")
    assert [r[0] for r in commands] == [f"crmrisk {name}" for name in subcommands(parser)]
    for name, command in subcommands(parser).items():
        table = rows(site, "reference/command", f"command-{name}")
        assert [r[0] for r in table] == [
            argument_name(a)
            for a in command._actions
            if not isinstance(a, argparse._SubParsersAction)
        ]
        if any(getattr(a, "dest", "") == "format" for a in command._actions):
            assert any("--format" in r[0] and r[2] for r in table), "the default format is shown"
    usage = [text(u) for u in soup(site, "reference/command").select("div.crmrisk-ref-usage")]
    assert usage[0].startswith("usage: crmrisk")
    assert any(u.startswith("usage: crmrisk check") and "--gaps-only" in u for u in usage)


def test_every_schema_property_is_documented(site):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    page = "reference/traceability-json"
    top = rows(site, page, "schema")
    assert [r[0] for r in top] == list(schema["properties"])
    for name, definition in schema["$defs"].items():
        if "properties" in definition:
            table = rows(site, page, f"schema-{name}")
            assert [r[0] for r in table] == list(definition["properties"])
            required = set(definition["required"])
            assert [r[2] == "yes" for r in table] == [
                p in required for p in definition["properties"]
            ]
    # the states are listed from the schema's enum
    states = text(soup(site, page).find(id="schema-state").find_parent("section"))
    assert all(f'"{state}"' in states for state in schema["$defs"]["state"]["enum"])


# -- the tutorial's project, run as the pages show ----------------------------------


def console_blocks(page: Path) -> list[list[tuple[str, list[str]]]]:
    """Each ```console block of a page: its commands, each with the lines it prints."""
    blocks = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        commands: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                commands[-1][1].append(line)
        blocks.append(commands)
    return blocks


def run_shown(commands: list[tuple[str, list[str]]], project: Path) -> None:
    """Runs a console block's commands in ``project``; asserts each prints what the page
    shows (warnings on stderr, the rest on stdout) and that ``echo $?`` shows the status."""
    status = None
    for command, shown in commands:
        if command == "echo $?":
            assert shown == [str(status)], f"the page shows exit {shown}, the command gave {status}"
            continue
        if command.startswith("cd "):
            continue
        program, *args = shlex.split(command)
        result = run([*PROGRAMS[program], *args], cwd=project)
        status = result.returncode
        printed = (result.stderr + result.stdout).replace(str(project), SHOWN_PROJECT)
        assert printed.splitlines() == shown, result.stderr


@pytest.fixture
def project(tmp_path) -> Path:
    """The tutorial's project, copied where a reader would make it."""
    target = tmp_path / "call-center"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("_build"))
    return target


def test_tutorial_project_fails_then_passes_as_the_pages_show(project):
    failing, green = console_blocks(DOCS / "tutorial.md")
    (ci,) = console_blocks(DOCS / "how-to" / "ci.md")
    contract = project / "contract.md"
    clause = contract.read_text(encoding="utf-8")

    # step 3: without its clause, the build fails on the obligation's file:line
    contract.unlink()
    run_shown(failing, project)
    assert any("obligations.md:9: WARNING: OBL-REC-01" in line for line in failing[1][1])
    lines = (project / "obligations.md").read_text(encoding="utf-8").splitlines()
    assert lines[8] == "```{obligation} Tell callers that the call is recorded"
    # the CI guide's annotations come from that build
    run_shown(ci, project)

    # step 4: the clause covers it, the build is green
    contract.write_text(clause, encoding="utf-8")
    run_shown(green, project)
    html = project / "_build" / "html"
    obligations = text(soup(html, "obligations"))
    assert "covered by: CLA-SCRIPT-01" in obligations
    report = text(soup(html, "report"))
    assert "No uncovered obligation" in report
    assert "100 %" in report

    # the Python API's example, on that build
    api = (DOCS / "reference" / "python-api.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", api, re.S).group(1)
    result = run([sys.executable, "-c", example], cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2026-11-30 1 obligations\n"


def test_the_tutorial_includes_every_file_of_its_project():
    page = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    included = set(re.findall(r"```\{literalinclude\} tutorial/example/(\S+)", page))
    files = {p.name for p in EXAMPLE.iterdir() if p.is_file()}
    assert included == files


def shown_commands(program: str) -> list[tuple[str, str]]:
    """Each ``program ...`` line of the pages' code blocks (sh, console, the workflow's
    ``run:`` steps), without its trailing comment, with the page it is on."""
    found = []
    for page in sorted(DOCS.glob("**/*.md")):
        if "_build" in page.parts:
            continue
        blocks = re.findall(
            r"```(?:sh|console|yaml)\n(.*?)```", page.read_text(encoding="utf-8"), re.S
        )
        for block in blocks:
            for line in block.splitlines():
                match = re.match(rf"\s*(?:\$ |- run: |run: )?({program} .*?)(\s+#.*)?$", line)
                if match:
                    found.append((page.relative_to(DOCS).as_posix(), match.group(1)))
    return found


def test_every_crmrisk_command_the_pages_show_is_accepted():
    shown = shown_commands("crmrisk")
    assert {command.split()[1] for _, command in shown} == set(subcommands(build_parser()))
    for page, command in shown:
        try:
            build_parser().parse_args(shlex.split(command)[1:])
        except SystemExit:
            pytest.fail(f"{page}: the command refuses `{command}`")


def test_the_ci_workflow_fails_on_warnings_and_reports_with_crmrisk():
    import yaml  # a dependency of myst-parser

    page = (DOCS / "how-to" / "ci.md").read_text(encoding="utf-8")
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", page, re.S).group(1))
    steps = [step.get("run", "") for step in workflow["jobs"]["check"]["steps"]]
    build = next(run for run in steps if run.startswith("sphinx-build"))
    assert {"-W", "--keep-going"} <= set(build.split())
    assert any(run.startswith("crmrisk check") and "--format github" in run for run in steps)
