"""The crmrisk command: check, matrix and diff, their formats and exit statuses."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.exports import SCHEMA_FILE

FIXTURES = Path(__file__).parent / "fixtures"
OLD = str(FIXTURES / "needs-old.json")
NEW = str(FIXTURES / "needs-new.json")
TODAY = ["--today", "2026-06-01"]
B_MESSAGE = (
    "OBL-B: obligation 'Honour objections' is not covered by any active clause or "
    "procedure (CLA-2 is draft)"
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_exit(capsys, *argv: str) -> tuple[int, str, str]:
    """For argparse errors, which leave through SystemExit."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_check_passes_when_every_obligation_is_covered_justified_or_lapsed(capsys):
    status, out, err = run(capsys, "check", OLD, *TODAY)
    assert status == 0
    assert (
        out
        == "4 obligations on 2026-06-01: 3 covered, 0 justified, 0 upcoming, 1 lapsed, 0 uncovered\n"
    )
    assert err == ""


def test_check_fails_and_lists_each_gap_with_file_and_line(capsys):
    status, out, _ = run(capsys, "check", NEW, *TODAY)
    assert status == 1
    assert out.splitlines() == [
        f"obligations.md:10: {B_MESSAGE} [crmrisk.uncovered]",
        "4 obligations on 2026-06-01: 2 covered, 0 justified, 0 upcoming, 1 lapsed, 1 uncovered",
    ]


def test_check_takes_the_reference_date_from_today(capsys):
    # OBL-OLD lapses on 2026-01-01: before that, nothing covers it
    status, out, _ = run(capsys, "check", OLD, "--today", "2025-06-01")
    assert status == 1
    assert out.startswith("obligations.md:24: OBL-OLD: obligation 'Rule that ends'")


def test_check_reads_a_build_folder(capsys, tmp_path):
    shutil.copy(NEW, tmp_path / "needs.json")
    assert run(capsys, "check", str(tmp_path), *TODAY)[0] == 1


def test_check_defaults_to_the_date_the_build_recorded(capsys, tmp_path):
    # every build records its crmrisk values beside needs.json
    shutil.copy(OLD, tmp_path / "needs.json")
    (tmp_path / "crmrisk-config.json").write_text('{"crmrisk_today": "2025-06-01"}')
    status, out, _ = run(capsys, "check", str(tmp_path))
    assert status == 1
    assert out.splitlines()[-1].startswith("4 obligations on 2025-06-01:")
    # an explicit --today still wins
    assert run(capsys, "check", str(tmp_path), "--today", "2026-06-01")[0] == 0


def test_check_json(capsys):
    status, out, _ = run(capsys, "check", NEW, *TODAY, "--format", "json")
    report = json.loads(out)
    assert status == 1
    assert report["ok"] is False
    assert report["counts"] == {
        "covered": 2,
        "justified": 0,
        "upcoming": 0,
        "lapsed": 1,
        "out_of_scope": 0,
        "uncovered": 1,
    }
    # no crmrisk_profile: everything applies, nothing is out of scope
    assert (report["profile"], report["out_of_scope"]) == (None, [])
    assert report["uncovered"] == [
        {
            "id": "OBL-B",
            "title": "Honour objections",
            "file": "obligations.md",
            "line": 10,
            "location": "obligations.md:10",
            "message": B_MESSAGE,
            "catalogue": None,
            "act_at": "obligations.md:10",
        }
    ]


def test_check_junit_has_one_testcase_per_obligation(capsys):
    status, out, _ = run(capsys, "check", NEW, *TODAY, "--format", "junit")
    assert status == 1
    suite = ET.fromstring(out).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert sorted(cases) == ["OBL-A", "OBL-B", "OBL-NEW", "OBL-OLD"]
    failure = cases["OBL-B"].find("failure")
    assert failure.get("message") == B_MESSAGE
    assert (cases["OBL-B"].get("file"), cases["OBL-B"].get("line")) == ("obligations.md", "10")
    assert cases["OBL-A"].find("failure") is None
    assert cases["OBL-OLD"].find("skipped") is not None


def test_check_github_annotations(capsys):
    status, out, _ = run(capsys, "check", NEW, *TODAY, "--format", "github")
    assert status == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations == [
        f"::error file=obligations.md,line=10,title=uncovered OBL-B::{B_MESSAGE}"
    ]
    assert re.fullmatch(r"::error file=[^,]+,line=\d+,title=[^:]+::.+", annotations[0])


def test_check_writes_its_report_to_output(capsys, tmp_path):
    target = tmp_path / "report.xml"
    status, out, _ = run(capsys, "check", NEW, *TODAY, "--format", "junit", "--output", str(target))
    assert (status, out) == (1, "")
    assert ET.parse(target).getroot().tag == "testsuites"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file (expected a needs.json or a folder holding one)"),
        ("{not json", "invalid JSON at line 1"),
        ('{"needs": {}}', "not a needs.json file (no 'versions' object)"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(capsys, tmp_path, content, expected):
    path = tmp_path / "needs.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    for command in (["check", str(path)], ["matrix", str(path)], ["diff", OLD, str(path)]):
        status, out, err = run(capsys, *command)
        assert status == 2
        assert out == ""
        assert err.count("\n") == 1 and expected in err and str(path) in err


def test_a_bad_date_is_one_line_and_exit_2(capsys):
    status, _, err = run_exit(capsys, "check", OLD, "--today", "2026-02-30")
    assert status == 2
    assert err == (
        "crmrisk check: error: argument --today: '2026-02-30' is not a date YYYY-MM-DD "
        "(see --help)\n"
    )


def test_help_documents_the_reference_date(capsys):
    status, out, _ = run_exit(capsys, "check", "--help")
    assert status == 0
    assert "crmrisk_today" in " ".join(out.split())


def test_module_runs_as_a_command_with_its_exit_status():
    result = subprocess.run(
        [sys.executable, "-m", "sphinx_crmrisk.cli", "check", NEW, *TODAY, "--format", "github"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=obligations.md,line=10,")
    missing = subprocess.run(
        [sys.executable, "-m", "sphinx_crmrisk.cli", "check", "/nonexistent/needs.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr and missing.stderr.count("\n") == 1


def test_matrix_markdown_goes_to_stdout_escaped(capsys):
    status, out, _ = run(capsys, "matrix", NEW, *TODAY)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "Reference date: 2026-06-01"
    assert "| ID | Title | Phases | Legal basis | State | Covered by |" in lines
    new_row = next(line for line in lines if line.startswith("| OBL-NEW "))
    assert new_row == (
        "| OBL-NEW | New &lt;b>rule&lt;/b> \\| with a pipe | PH-RUN | Art. 5 | covered | CLA-1 |"
    )


def test_matrix_csv_json_and_xlsx(capsys, tmp_path):
    status, out, _ = run(capsys, "matrix", NEW, *TODAY, "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert [(r["ID"], r["State"]) for r in rows] == [
        ("OBL-A", "covered"),
        ("OBL-B", "uncovered"),
        ("OBL-NEW", "covered"),
        ("OBL-OLD", "lapsed"),
    ]
    json_file = tmp_path / "matrix.json"
    assert (
        run(capsys, "matrix", NEW, *TODAY, "--format", "json", "--output", str(json_file))[0] == 0
    )
    document = json.loads(json_file.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    xlsx_file = tmp_path / "matrix.xlsx"
    assert (
        run(capsys, "matrix", NEW, *TODAY, "--format", "xlsx", "--output", str(xlsx_file))[0] == 0
    )
    assert openpyxl.load_workbook(xlsx_file).sheetnames == ["Summary", "PH-RUN", "Reviews", "Items"]


def test_the_matrix_command_offers_every_export_format():
    # named in the command, which imports the exports only when it runs
    from sphinx_crmrisk import oscal
    from sphinx_crmrisk.cli import matrix
    from sphinx_crmrisk.exports import RENDERERS

    assert tuple(RENDERERS) == matrix.FORMATS
    assert oscal.FORMATS == matrix.OSCAL_FORMATS
    assert oscal.CATALOG_FILE == matrix.CATALOG_FILE


def test_check_imports_neither_the_exports_nor_xml(tmp_path):
    """What ``crmrisk check`` loads (text report): not the exports' modules (XLSX,
    CSV), not ElementTree (JUnit only): each import is start-up time of every CI gate."""
    code = (
        "import sys\n"
        "from sphinx_crmrisk.cli import main\n"
        f"status = main(['check', {NEW!r}, '--output', {str(tmp_path / 'out.txt')!r}])\n"
        "print(sorted(m for m in sys.modules if m in ('sphinx_crmrisk.exports', "
        "'xml.etree.ElementTree', 'xlsxwriter', 'csv')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_matrix_xlsx_needs_an_output_file(capsys):
    status, out, err = run(capsys, "matrix", NEW, "--format", "xlsx")
    assert (status, out) == (2, "")
    assert err == "crmrisk: error: --format xlsx needs --output FILE\n"


def test_diff_markdown_for_a_pull_request(capsys):
    status, out, _ = run(capsys, "diff", OLD, NEW, *TODAY)
    assert status == 1
    assert "**1 obligation uncovered after this change.**" in out
    assert "#### Added (1)\n\n- OBL-NEW: New &lt;b>rule&lt;/b> \\| with a pipe (covered)" in out
    assert "#### Removed (1)\n\n- OBL-GONE: Old rule" in out
    assert "| OBL-A | title | Record calls | Record and keep calls |" in out
    assert "| OBL-A | legal\\_basis | Art. 1 | Art. 1 and 2 |" in out
    assert "| OBL-B | Honour objections | covered → uncovered |" in out
    assert f"- obligations.md:10: {B_MESSAGE}" in out


def test_diff_json(capsys):
    status, out, _ = run(capsys, "diff", OLD, NEW, *TODAY, "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert [a["id"] for a in document["added"]] == ["OBL-NEW"]
    assert [r["id"] for r in document["removed"]] == ["OBL-GONE"]
    assert document["changed"] == [
        {
            "id": "OBL-A",
            "changes": [
                {"field": "title", "old": "Record calls", "new": "Record and keep calls"},
                {"field": "legal_basis", "old": "Art. 1", "new": "Art. 1 and 2"},
            ],
        }
    ]
    assert document["state_changes"] == [
        {"id": "OBL-B", "title": "Honour objections", "old": "covered", "new": "uncovered"}
    ]


def test_diff_of_identical_builds_without_gaps_exits_0(capsys):
    status, out, _ = run(capsys, "diff", OLD, OLD, *TODAY)
    assert status == 0
    assert "No obligation was added, removed or changed." in out
    assert "Every obligation is covered, justified or lapsed." in out


@pytest.mark.sphinx("html", testroot="matrix", freshenv=True)
def test_command_and_build_give_the_same_answer(app, capsys):
    app.build()
    outdir = Path(app.outdir)
    status, out, _ = run(capsys, "matrix", str(outdir), *TODAY, "--format", "json")
    assert status == 0
    assert out == (outdir / "traceability.json").read_text(encoding="utf-8")
    status, out, _ = run(capsys, "check", str(outdir), *TODAY)
    assert status == 1
    gaps = out.splitlines()[:-1]
    warnings = app.warning.getvalue().replace(str(app.srcdir) + "/", "")
    assert len(gaps) == warnings.count("[crmrisk.uncovered]") == 2
    for line in gaps:
        location, message = line.split(": ", 1)
        assert f"{location}: WARNING: {message}" in warnings


def one_obligation(tmp_path: Path) -> str:
    """A needs.json of one uncovered obligation, with one other problem."""
    document = json.loads(Path(NEW).read_text(encoding="utf-8"))
    needs = document["versions"][""]["needs"]
    kept = {"OBL-B", "PH-RUN"} & set(needs) or {"OBL-B"}
    document["versions"][""]["needs"] = {i: n for i, n in needs.items() if i in kept}
    document["versions"][""]["needs"]["OBL-B"]["verification"] = "maybe"
    path = tmp_path / "needs.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_the_counts_agree_in_number_in_english_and_in_french(tmp_path, capsys):
    path = one_obligation(tmp_path)
    status, out, _ = run(capsys, "check", path, *TODAY)
    assert status == 1
    assert out.splitlines()[-1] == (
        "1 obligation on 2026-06-01: 0 covered, 0 justified, 0 upcoming, 0 lapsed, "
        "1 uncovered; 1 other problem"
    )
    status, out, _ = run(capsys, "check", path, *TODAY, "--lang", "fr")
    assert out.splitlines()[-1] == (
        "1 obligation au 2026-06-01\u202f: 0 couverte, 0 justifiée, 0 à venir, 0 caduque, "
        "1 non couverte\u202f; 1 autre problème"
    )
    assert "OBL-B\u202f: l'obligation «\u202fHonour objections\u202f» n'est couverte" in out
    assert "OBL-B\u202f: verification «\u202fmaybe\u202f» n'est pas l'une des valeurs" in out
    status, out, _ = run(capsys, "check", NEW, *TODAY, "--lang", "fr")
    assert "4 obligations au 2026-06-01\u202f: 2 couvertes, 0 justifiée, " in out


@pytest.mark.parametrize("command", ["check", "matrix", "diff", "init"])
def test_every_command_takes_lang_and_refuses_a_bad_one_in_one_line(capsys, command):
    inputs = {"check": [NEW], "matrix": [NEW], "diff": [OLD, NEW], "init": ["x"]}
    status, out, err = run_exit(capsys, command, *inputs[command], "--lang", "fr;rm")
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1 and "'fr;rm' is not a language code" in err


def test_the_markdown_outputs_follow_the_language(capsys):
    status, out, _ = run(capsys, "diff", OLD, NEW, *TODAY, "--lang", "fr")
    assert status == 1
    assert out.startswith("### Changements de la traçabilité (date de référence 2026-06-01)")
    assert "**1 obligation non couverte après ce changement.**" in out
    assert "| OBL-B | Honour objections | couverte → non couverte |" in out
    status, out, _ = run(capsys, "matrix", NEW, *TODAY, "--lang", "fr")
    assert out.startswith("Date de référence\u202f: 2026-06-01\n\n| Identifiant | Intitulé |")
    assert "| non couverte |" in out
