"""Every command and format over generated hostile inputs (issue 15).

The harness is ``benchmarks/fuzz.py`` (run it by hand with ``--cases`` for more): real
needs.json files mutated by Hypothesis, every command and format run in process, and a
case fails on a traceback, an exit 2 without exactly one stderr line, an output that
does not parse or match its schema, or a formula cell without its quote. Seeded: the
same cases on every run. A few hostile files also go through the real ``crmrisk``
command, for the paths of the standard output and the exit status.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import benchmark_scripts
import pytest
import yaml

# Hypothesis comes with the test extra (make test installs it): without it this file
# fails to collect, loudly, rather than being skipped

ROOT = Path(__file__).parents[1]
CASES = 2000
SEED = 15


fuzz = benchmark_scripts.load("fuzz")


def test_no_hostile_input_breaks_a_command_or_an_output():
    ran, failures = fuzz.collect(CASES, SEED)
    assert ran == CASES
    report = [
        f"{case.corpus} {case.mutations} raw={case.raw}: {found[:3]}"
        for case, found in failures[:5]
    ]
    assert not failures, f"{len(failures)} of {ran} cases failed:\n" + "\n".join(report)


def test_the_harness_finds_what_it_looks_for(tmp_path):
    # each oracle fails on the output it exists to catch
    bad = fuzz.Outcome(1, b"x: y\n::error file=a::z\n3 obligations\n", "")
    assert "a workflow command at a line start" in fuzz.check_output("check", "text", bad)
    bad = fuzz.Outcome(2, b"", "crmrisk: error: a\nb\n")
    assert any("2 stderr lines" in p for p in fuzz.check_output("check", "json", bad))
    bad = fuzz.Outcome(1, b"<testsuites>\x1b</testsuites>", "")
    assert any("does not parse" in p for p in fuzz.check_output("check", "junit", bad))
    bad = fuzz.Outcome(0, "\ufeffid,title\nOBL-1,=1+1\n".encode(), "")
    assert any("formula-like" in p for p in fuzz.check_output("matrix", "csv", bad))
    bad = fuzz.Outcome(0, b'{"schema": "sphinx-crmrisk/traceability"}', "")
    assert any("does not match" in p for p in fuzz.check_output("matrix", "json", bad))
    assert fuzz.check_output("check", "text", fuzz.Outcome("traceback: TypeError", b"", "")) == [
        "traceback: TypeError"
    ]


def _crmrisk() -> list[str]:
    script = Path(sys.executable).parent / "crmrisk"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from sphinx_crmrisk.cli import run; run()"]


#: need, key, JSON text of the value, and whether the input is unusable (exit 2)
HOSTILE_FILES = {
    "a lone surrogate in a title": ("CLA-1", "title", '"\\ud800"', True),
    "a value nested 100,000 deep": ("CLA-1", "covers", "[" * 100_000 + "]" * 100_000, True),
    "NaN for a list of links": ("CLA-1", "covers", "NaN", True),
    # OBL-B is uncovered: its title is printed
    "a title that injects a workflow command": (
        "OBL-B",
        "title",
        '"x\\n::error file=a.md::owned"',
        False,
    ),
    # issue 24: the due date of a review of the year 9999 stopped every command
    "a review date of the year 9999": ("CLA-1", "reviewed", '"9999-12-31"', False),
    # issue 24: a second 'OBL-B', a phase, hid the uncovered one (exit 0)
    "a need key written twice": (
        "OBL-NEW",
        "title",
        '"New", "x": 0}, "OBL-B": {"type": "phase", "title": "Run"',
        True,
    ),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_the_real_command_exits_0_1_or_2_with_one_line(tmp_path, name):
    need_id, key, raw, unusable = HOSTILE_FILES[name]
    document = json.loads((ROOT / "tests" / "fixtures" / "needs-new.json").read_text())
    document["versions"][""]["needs"][need_id][key] = "@@RAW@@"
    path = tmp_path / "needs.json"
    path.write_text(json.dumps(document).replace('"@@RAW@@"', raw), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for fmt in ("text", "json", "junit", "github"):
        result = subprocess.run(
            [*_crmrisk(), "check", str(path), "--format", fmt, "--today", "2026-06-01"],
            capture_output=True,
            env=env,
            check=False,
        )
        outcome = fuzz.Outcome(result.returncode, result.stdout, result.stderr.decode())
        assert fuzz.check_output("check", fmt, outcome) == [], (name, fmt, result.stderr)
        if unusable:
            named = b"OBL-B" if name == "a need key written twice" else need_id.encode()
            assert result.returncode == 2 and named in result.stderr
        else:
            assert result.returncode == 1
            if fmt == "text" and key == "title":  # shown, escaped, inside its line
                assert b"'x\\n::error file=a.md::owned' is not covered" in result.stdout


#: a review lock beside the needs.json, and what the command must say of it
HOSTILE_LOCKS = {
    "a lock nested 100,000 deep": (
        '{"schema": "sphinx-crmrisk/review-lock", "version": 2, "reviewed_against": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        "values nested too deeply to read",
    ),
    "a lone surrogate in an approval": (
        '{"schema": "sphinx-crmrisk/review-lock", "version": 2, "reviewed_against": {}, '
        '"approvals": {"EVD-CHANGED": {"date": "2026-01-01", "by": "\\udc80"}}}',
        "approvals: 'EVD-CHANGED': by holds a lone surrogate",
    ),
    "a version true": (
        '{"schema": "sphinx-crmrisk/review-lock", "version": true, "reviewed_against": {}}',
        "version true is not one of 1, 2",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_LOCKS)
def test_the_real_command_refuses_a_hostile_lock_in_one_line(tmp_path, name):
    text, message = HOSTILE_LOCKS[name]
    corpus = ROOT / "tests" / "fixtures" / "hostile" / "evidence"
    for file in ("needs.json", "crmrisk-config.json"):
        (tmp_path / file).write_bytes((corpus / file).read_bytes())
    (tmp_path / "crmrisk-reviews.json").write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for fmt in ("text", "json", "junit", "github"):
        result = subprocess.run(
            [*_crmrisk(), "check", str(tmp_path), "--format", fmt],
            capture_output=True,
            env=env,
            check=False,
        )
        outcome = fuzz.Outcome(result.returncode, result.stdout, result.stderr.decode())
        assert fuzz.check_output("check", fmt, outcome) == [], (name, fmt, result.stderr)
        assert result.returncode == 2
        assert (
            message in result.stderr.decode() and "crmrisk-reviews.json" in result.stderr.decode()
        )


#: ``crmrisk init``'s folder names (issue 24): each written escaped, or refused in one
#: line with nothing written; tests/test_init.py builds the written ones
HOSTILE_FOLDER_NAMES = {
    "code in conf.py": '"""; import os; os.system("touch PWNED") #',
    "keys in _config.yml": 'a"\nextra_key: 1',
    "html in the titles": "<img src=x onerror=alert(1)>",
    "a workflow command": "x\n::error file=a.md::owned",
    "an escape sequence": "x\x1b]0;owned\x07",
    "300 characters": "a" * 300,
    "yaml and python quotes": "a'b\"c\\d: e # f",
}


@pytest.mark.parametrize("name", HOSTILE_FOLDER_NAMES)
@pytest.mark.parametrize("book", [False, True], ids=["conf.py", "jupyter-book"])
def test_the_real_init_command_escapes_or_refuses_a_hostile_folder_name(tmp_path, name, book):
    target = tmp_path / HOSTILE_FOLDER_NAMES[name]
    result = subprocess.run(
        [*_crmrisk(), "init", str(target), *(["--jupyter-book"] if book else [])],
        capture_output=True,
        check=False,
    )
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in stderr
    # what the command prints is lines of its own: no control, no workflow command
    for line in (stdout + stderr).splitlines():
        assert not line.startswith("::") and not re.search("[\x00-\x1f\x7f]", line)
    if result.returncode == 2:
        assert stdout == "" and len(stderr.splitlines()) == 1
        assert list(tmp_path.iterdir()) == []  # nothing written
        return
    assert result.returncode == 0 and len(stdout.splitlines()) == 2
    if book:
        config = yaml.safe_load((target / "_config.yml").read_text(encoding="utf-8"))
        assert config["author"] == HOSTILE_FOLDER_NAMES[name]
        assert "extra_key" not in config
    else:
        # the conf.py runs as Sphinx runs it, where the build would: the name is its
        # project, and nothing else ran
        ran = subprocess.run(
            [
                sys.executable,
                "-c",
                "import runpy, sys; print(ascii(runpy.run_path(sys.argv[1])['project']))",
                str(target / "conf.py"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.stdout == ascii(HOSTILE_FOLDER_NAMES[name]) + "\n", ran.stderr
        assert not list(tmp_path.rglob("PWNED"))
