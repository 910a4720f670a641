"""Malformed input is refused at the edge, and every output survives hostile text (issue 15).

Each malformed value gives exit status 2 and one line on stderr naming the file, the
need and the field; the model never sees it. Titles with line breaks, control
characters or formula starts come out as text in every format.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.exports import XLSX_CELL_LIMIT, _csv_cell, _xlsx_cell

# Python 3.11 and 3.12's json recurses, and stops at 5,000 nested lists (RecursionError: the
# value is "nested too deeply to read"); 3.13's parses them, and the value is then of the
# wrong type: either way one line naming the file, the need and the field
_RECURSES = sys.version_info < (3, 13)
DEEP_TITLE = ": values nested too deeply to read" if _RECURSES else " must be text, not a list"
DEEP_VALUE = "values nested too deeply to read" if _RECURSES else "crmrisk_today must be a date"

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS = Path(__file__).parents[1] / "sphinx_crmrisk" / "schemas"
BASE = json.loads((FIXTURES / "needs-new.json").read_text(encoding="utf-8"))
TODAY = ["--today", "2026-06-01"]  # OBL-B is uncovered then


def needs(document: dict) -> dict:
    return document["versions"][document["current_version"]]["needs"]


def write(tmp_path: Path, document: dict | str, *, name: str = "needs.json") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def with_value(need_id: str, key: str, raw: str) -> str:
    """The fixture with ``needs[need_id][key]`` set to the JSON text ``raw``."""
    document = copy.deepcopy(BASE)
    needs(document)[need_id][key] = "@@RAW@@"
    return json.dumps(document).replace('"@@RAW@@"', raw)


def one_error_line(capsys, argv: list[str]) -> str:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("need_id", "key", "raw", "why"),
    [
        ("CLA-1", "covers", "5", "field 'covers' must be a list of IDs, not a number"),
        ("CLA-1", "covers", "NaN", "field 'covers' must be a list of IDs, not nan"),
        ("CLA-1", "covers", '"OBL-A"', "field 'covers' must be a list of IDs, not text"),
        (
            "CLA-1",
            "covers",
            '["OBL-A", 3]',
            "field 'covers' must be a list of IDs, not a list holding a number",
        ),
        ("OBL-A", "status", '["open"]', "field 'status' must be text or null, not a list"),
        ("OBL-A", "docname", '["a"]', "field 'docname' must be text or null, not a list"),
        ("OBL-A", "title", "null", "field 'title' must be text, not null"),
        (
            "OBL-A",
            "title",
            '"\\ud800"',
            "field 'title' must be text, not text with a lone surrogate",
        ),
        ("OBL-A", "title", "[" * 5000 + "]" * 5000, f"field 'title'{DEEP_TITLE}"),
        ("OBL-A", "legal_basis", "12", "field 'legal_basis' must be text or null, not a number"),
        (
            "OBL-A",
            "lineno",
            "Infinity",
            "field 'lineno' must be a line number (1 or more) or null, not inf",
        ),
        ("OBL-A", "lineno", "0", "field 'lineno' must be a line number (1 or more) or null, not 0"),
        (
            "OBL-A",
            "lineno",
            "true",
            "field 'lineno' must be a line number (1 or more) or null, not true",
        ),
        ("OBL-A", "id", '""', "field 'id' must be a non-empty text, not an empty one"),
    ],
)
def test_a_malformed_value_is_one_line_naming_file_need_and_field(
    capsys, tmp_path, need_id, key, raw, why
):
    path = write(tmp_path, with_value(need_id, key, raw))
    for argv in [["check", str(path)], ["matrix", str(path)], ["diff", str(path), str(path)]]:
        err = one_error_line(capsys, argv)
        assert err.startswith(f"crmrisk: error: {path}: ")
        assert f"need {need_id!r}: {why}" in err


def test_two_needs_with_one_id_under_different_keys_are_refused(capsys, tmp_path):
    # merged, the second would hide the first: an uncovered obligation passes the gate
    document = copy.deepcopy(BASE)
    needs(document)["OBL-A-AGAIN"] = dict(needs(document)["OBL-B"], id="OBL-A")
    path = write(tmp_path, document)
    err = one_error_line(capsys, ["check", str(path)])
    assert "needs 'OBL-A' and 'OBL-A-AGAIN' have the same id 'OBL-A'" in err


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ('["1"]', "current_version must be text, not a list"),
        ("3", "current_version must be text, not a number"),
    ],
)
def test_a_current_version_that_is_not_text_is_refused(capsys, tmp_path, raw, why):
    text = json.dumps(BASE).replace('"current_version": ""', f'"current_version": {raw}')
    err = one_error_line(capsys, ["check", str(write(tmp_path, text))])
    assert why in err


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (
            '{"crmrisk_inactive_statuses": null}',
            "crmrisk_inactive_statuses must be a list of strings, not None",
        ),
        ('{"crmrisk_required_fields": [1]}', "crmrisk_required_fields must be a list of strings"),
        ('{"crmrisk_today": NaN}', "NaN is not a JSON value"),
        ('{"crmrisk_today": "2026-02-30"}', "crmrisk_today must be a date YYYY-MM-DD"),
        ('{"crmrisk_today": ' + "[" * 5000 + "]" * 5000 + "}", DEEP_VALUE),
        ("[]", "not a JSON object"),
        ("{", "invalid JSON at line 1"),
    ],
)
def test_unusable_recorded_values_are_one_line_naming_the_value(capsys, tmp_path, values, why):
    write(tmp_path, BASE)
    config = write(tmp_path, values, name="crmrisk-config.json")
    err = one_error_line(capsys, ["check", str(tmp_path)])
    assert err.startswith(f"crmrisk: error: {config}: ") and why in err


def test_an_unreadable_file_is_one_line(capsys, tmp_path, monkeypatch):
    path = write(tmp_path, BASE)

    opened = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    err = one_error_line(capsys, ["check", str(path)])
    assert err == f"crmrisk: error: {path}: cannot read: Permission denied\n"


def test_a_path_with_a_line_break_still_gives_one_line(capsys, tmp_path):
    folder = tmp_path / "a\nb"
    folder.mkdir()
    err = one_error_line(capsys, ["check", str(folder)])
    assert "a\\nb" in err


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-c", "from sphinx_crmrisk.cli import run; run()", *argv]


def _environment() -> dict[str, str]:
    root = str(Path(__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


# /dev/full is how a test makes a write fail with ENOSPC (a full disk); every Linux has it,
# this machine and CI included, so the test runs there; only a system without it skips
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_standard_output_is_exit_2_and_one_line():
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            _command("check", str(FIXTURES / "needs-new.json")),
            stdout=full,
            stderr=subprocess.PIPE,
            env=_environment(),
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "crmrisk: error: cannot write to the standard output: No space left on device\n"
    )


def test_a_standard_output_closed_by_its_reader_ends_quietly_with_the_answer(tmp_path):
    # a report far larger than a pipe's buffer, and a reader that reads nothing
    document = copy.deepcopy(BASE)
    for number in range(3000):
        needs(document)[f"OBL-X{number}"] = dict(needs(document)["OBL-A"], id=f"OBL-X{number}")
    path = write(tmp_path, document)
    process = subprocess.Popen(
        _command("check", str(path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait() == 1  # uncovered obligations: the answer, not a crash
    assert err == b""


HOSTILE_TITLE = "x\n::error file=a.md,line=1::injected\r\x1b[31m\x00\u2028-inf"


def hostile_needs(tmp_path: Path) -> Path:
    document = copy.deepcopy(BASE)
    for need in needs(document).values():
        need["title"] = HOSTILE_TITLE
    needs(document)["OBL-A"]["legal_basis"] = '=HYPERLINK("http://x")'
    needs(document)["OBL-A"]["docname"] = "page\n::warning::x"
    return write(tmp_path, document)


def test_text_and_github_reports_print_one_line_a_problem(capsys, tmp_path):
    path = hostile_needs(tmp_path)
    for fmt in ("text", "github"):
        status = main(["check", str(path), "--format", fmt, *TODAY])
        out, _ = capsys.readouterr()
        assert status == 1
        lines = out.split("\n")
        assert lines[-1] == ""
        body, counts = lines[:-2], lines[-2]
        assert body and counts.startswith(
            f"{len([o for o in needs(BASE).values() if o['type'] == 'obligation'])} obligations"
        )
        for line in lines:
            assert (
                "\r" not in line
                and "\x1b" not in line
                and "\x00" not in line
                and "\u2028" not in line
            )
        if fmt == "text":
            assert not any(line.startswith("::") for line in lines)
            assert "x\\n::error file=a.md,line=1::injected\\r\\x1b[31m\\x00\\u2028-inf" in out
        else:
            assert all(line.startswith("::error file=") for line in body)


def test_junit_is_valid_xml_and_json_matches_its_schema_whatever_the_titles(capsys, tmp_path):
    path = hostile_needs(tmp_path)
    main(["check", str(path), "--format", "junit", *TODAY])
    root = ET.fromstring(capsys.readouterr()[0])
    assert "\\x1b" in root.find(".//failure").get("message")
    main(["check", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr()[0])
    jsonschema.validate(report, json.loads((SCHEMAS / "check.schema.json").read_text()))
    assert report["uncovered"][0]["title"] == HOSTILE_TITLE  # JSON keeps the text as it is
    main(["matrix", str(path), "--format", "json"])
    jsonschema.validate(
        json.loads(capsys.readouterr()[0]),
        json.loads((SCHEMAS / "traceability.schema.json").read_text()),
    )


def test_every_formula_like_cell_gets_its_quote_in_csv_and_xlsx(capsys, tmp_path):
    path = hostile_needs(tmp_path)
    main(["matrix", str(path), "--format", "csv"])
    rows = list(csv.reader(io.StringIO(capsys.readouterr()[0].removeprefix("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    target = tmp_path / "m.xlsx"
    assert main(["matrix", str(path), "--format", "xlsx", "--output", str(target)]) == 0
    book = openpyxl.load_workbook(target)
    texts = [c.value for s in book.worksheets for r in s.iter_rows(min_row=2) for c in r]
    assert '\'=HYPERLINK("http://x")' in texts
    assert not [
        t for t in texts if isinstance(t, str) and t.startswith(("=", "+", "-", "@", "\t", "\r"))
    ]
    # values that are not text but become text
    assert [_csv_cell(v) for v in (-1, float("-inf"), 3, "+1", "@x", "\tx")] == [
        "'-1",
        "'-inf",
        "3",
        "'+1",
        "'@x",
        "'\tx",
    ]
    assert [_xlsx_cell(v) for v in (-1, float("-inf"), float("nan"), 2.5)] == [
        -1,
        "'-inf",
        "nan",
        2.5,
    ]


def test_xlsx_says_when_it_cut_a_cell(capsys, tmp_path):
    document = copy.deepcopy(BASE)
    needs(document)["OBL-A"]["title"] = "é" * (XLSX_CELL_LIMIT + 10)
    path = write(tmp_path, document)
    target = tmp_path / "m.xlsx"
    assert main(["matrix", str(path), "--format", "xlsx", "--output", str(target)]) == 0
    _, err = capsys.readouterr()
    assert err == (
        f"crmrisk: warning: {target}: 1 cell(s) cut to Excel's limit: OBL-A title: "
        f"{XLSX_CELL_LIMIT + 10:,} characters cut to the {XLSX_CELL_LIMIT:,} of a cell\n"
    )
    book = openpyxl.load_workbook(target)
    cell = next(
        c
        for s in book.worksheets
        for r in s.iter_rows()
        for c in r
        if c.value == "é" * XLSX_CELL_LIMIT
    )
    assert cell.comment is not None and "Cut" in cell.comment.text
