"""The benchmark's generator makes handbooks that build cleanly, in both variants.

The benchmarks themselves run by hand (benchmarks/run.py): nothing here is timed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sphinx_builds import needs_of


def _load_generator():
    """benchmarks/ is a folder of scripts, not a package: load generate.py by its path."""
    path = Path(__file__).parents[1] / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("generate", path)
    module = importlib.util.module_from_spec(spec)
    # registered before it runs: its dataclasses look their module up in sys.modules
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()

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


def test_needs_json_has_the_same_needs_as_a_build() -> None:
    needs = generate.needs_json(N_NEEDS)["versions"][""]["needs"]  # type: ignore[index]
    assert len(needs) == N_NEEDS
    obligations = [need for need in needs.values() if need["type"] == "obligation"]
    assert all(need["covers_back"] for need in obligations)
