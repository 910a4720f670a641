"""The benchmark's generator makes handbooks that build cleanly, in both variants.

The benchmarks themselves run by hand (benchmarks/run.py): nothing here is timed.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import benchmark_scripts
import pytest
from sphinx_builds import needs_of

from sphinx_crmrisk import load
from sphinx_crmrisk.kinds import AUTHORED_FIELDS, LINK_SPECS
from sphinx_crmrisk.model import State
from sphinx_crmrisk.traceability import Traceability

generate = benchmark_scripts.load("generate")

N_NEEDS = 40


def _build(src: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("variant", list(generate.Variant))
def test_variant_builds_cleanly_with_every_need(tmp_path: Path, variant: generate.Variant) -> None:
    generate.write(generate.render(N_NEEDS, variant), tmp_path / "src")
    result = _build(tmp_path / "src", tmp_path / "html")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning: every obligation is covered
    needs = needs_of(tmp_path / "html")
    expected = {kind.value: count for kind, count in generate.counts(N_NEEDS).items()}
    assert Counter(need["type"] for need in needs.values()) == expected
    assert sum(expected.values()) == N_NEEDS


def test_edit_uncovers_one_obligation_on_one_page() -> None:
    base = generate.render(N_NEEDS, generate.Variant.CRMRISK)
    edited = generate.render(N_NEEDS, generate.Variant.CRMRISK, edited=True)
    changed = [name for name in base if base[name] != edited[name]]
    assert len(changed) == 1
    _needs, edit = generate.plan(N_NEEDS)
    assert edit.obligation in base[changed[0]]
    assert edit.obligation not in edited[changed[0]]


@pytest.fixture(scope="module")
def built_handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of a build of the generated handbook (crmrisk variant)."""
    tmp = tmp_path_factory.mktemp("generated")
    generate.write(generate.render(N_NEEDS, generate.Variant.CRMRISK), tmp / "src")
    result = _build(tmp / "src", tmp / "html")
    assert result.returncode == 0, result.stderr
    return tmp / "html"


def _generated_needs() -> dict[str, dict[str, Any]]:
    return generate.needs_json(N_NEEDS)["versions"][""]["needs"]  # type: ignore[index]


def _what_the_model_reads(need: Mapping[str, Any]) -> dict[str, Any]:
    """A need's identity, page, authored fields and links, as the model reads them: an
    empty field (``""`` written by the generator, ``None`` by a build) is no value, and a
    link list is compared as the set it is (the build sorts it; see the test below)."""
    read = {key: need.get(key) for key in ("type", "type_name", "title", "status", "docname")}
    read["doctype"] = need.get("doctype")
    read["fields"] = {name: need[name] for name in AUTHORED_FIELDS if need.get(name)}
    keys = [key for name in LINK_SPECS for key in (name, f"{name}_back")]
    read["links"] = {key: sorted(need[key]) for key in keys if need.get(key)}
    return read


def _write_needs_json(folder: Path) -> Path:
    path = folder / "generated-needs.json"
    path.write_text(json.dumps(generate.needs_json(N_NEEDS)), encoding="utf-8")
    return path


def test_needs_json_has_the_same_needs_as_a_build(built_handbook: Path) -> None:
    # benchmarks/run.py times the command on generate.needs_json's files, which stand in
    # for builds too big to make: each need must be the one a build of the same handbook
    # writes, and the command must give the same answer on both
    made, built = _generated_needs(), needs_of(built_handbook)
    assert len(made) == N_NEEDS
    assert sorted(made) == sorted(built)
    differ = {
        need_id: (_what_the_model_reads(need), _what_the_model_reads(built[need_id]))
        for need_id, need in made.items()
        if _what_the_model_reads(need) != _what_the_model_reads(built[need_id])
    }
    assert differ == {}
    today = dt.date(2026, 11, 30)
    states = [
        {a.obligation.id: a.state for a in Traceability.at(load(path), today).assessments}
        for path in (_write_needs_json(built_handbook.parent), built_handbook / "needs.json")
    ]
    assert states[0] == states[1]
    assert set(states[0].values()) == {State.COVERED}  # the generated handbook covers all


def test_needs_json_locates_words_and_orders_needs_as_a_build(built_handbook: Path) -> None:
    made, built = _generated_needs(), needs_of(built_handbook)
    keys = ("lineno", "content", *LINK_SPECS)
    differ = {
        (need_id, key)
        for need_id, need in made.items()
        for key in keys
        if (need.get(key) or None) != (built[need_id].get(key) or None)
    }
    assert differ == set()


def test_a_measured_process_imports_the_commits_package_wherever_it_starts(
    tmp_path: Path,
) -> None:
    # check_time.py and run.py are started from the repository's root, whose own
    # sphinx_crmrisk a ``python -c`` or ``python -m sphinx`` started there would import
    side_by_side = benchmark_scripts.load("side_by_side")
    for folder, value in (("commit", 1), ("root", 2)):
        (tmp_path / folder / "sphinx_crmrisk").mkdir(parents=True)
        (tmp_path / folder / "sphinx_crmrisk" / "__init__.py").write_text(f"VALUE = {value}\n")
    shown = subprocess.run(
        [sys.executable, "-c", "import sphinx_crmrisk; print(sphinx_crmrisk.VALUE)"],
        env=side_by_side.environment(tmp_path / "commit"),
        cwd=tmp_path / "root",
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == "1\n"


def test_the_compiled_copy_that_benchmarks_build_with_is_byte_compiled(tmp_path: Path) -> None:
    # --bytecode: the package measured as pip installs it; where PYTHONDONTWRITEBYTECODE
    # is set, a copy without bytecode is compiled again by every build (benchmarks/README.md)
    side_by_side = benchmark_scripts.load("side_by_side")
    source = tmp_path / "commit"
    package = source / "sphinx_crmrisk"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "module.py").write_text("VALUE = 2\n")
    copy = side_by_side.compiled(source)
    assert copy != source
    modules = sorted(p.relative_to(copy) for p in copy.rglob("*.py"))
    assert len(modules) == 3
    for module in modules:
        cached = list((copy / module).parent.glob(f"__pycache__/{module.stem}.*.pyc"))
        assert len(cached) == 1, module
    assert not list(source.rglob("*.pyc"))  # the snapshot itself stays as it was


def test_peak_builds_under_the_collectors_threshold_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # peak.py --thresholds: the same build at several phases of the collector; the
    # command sets the threshold before Sphinx starts, and hands Sphinx its arguments
    monkeypatch.syspath_prepend(str(benchmark_scripts.BENCHMARKS))
    peak = benchmark_scripts.load("peak")
    fake = tmp_path / "sphinx" / "cmd"
    fake.mkdir(parents=True)
    (tmp_path / "sphinx" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "build.py").write_text(
        "import gc\ndef main(argv):\n    print(gc.get_threshold()[0], argv)\n    return 3\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", peak._WITH_THRESHOLD.format(650), "-q", "src", "out"],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (3, "650 ['-q', 'src', 'out']\n")
