"""The README's quickstart builds, and fails as the README shows without its covers.

The reference tables (configuration values, warning subtypes...) are in docs/, generated
from the code and checked by tests/test_docs.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sphinx_builds import strip_ansi

README = (Path(__file__).parents[1] / "README.md").read_text()


def quickstart() -> str:
    return README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]


def quickstart_blocks() -> tuple[str, str]:
    """The quickstart's conf.py and its MyST example."""
    conf = re.search(r"```python\n(.*?)```", quickstart(), re.S).group(1)
    myst = re.search(r"````md\n(.*?)````", quickstart(), re.S).group(1)
    return conf, myst


def shown_warning() -> str:
    """The warning the quickstart shows, in the comment under its sphinx-build line."""
    shell = re.search(r"```sh\nsphinx-build [^\n]*\n((?:#[^\n]*\n)+)", quickstart()).group(1)
    return " ".join(line.lstrip("# ").strip() for line in shell.splitlines())


def build(src: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            str(src),
            str(src / "_build"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # without colours, as a terminal shows it (Sphinx 8 and 9 colour with FORCE_COLOR)
    result.stdout, result.stderr = strip_ansi(result.stdout), strip_ansi(result.stderr)
    return result


def test_quickstart_builds_clean_and_fails_without_its_covers(tmp_path):
    conf, myst = quickstart_blocks()
    (tmp_path / "conf.py").write_text(conf)
    (tmp_path / "index.md").write_text("# Quickstart\n\n" + myst)
    assert build(tmp_path).returncode == 0

    # drop every covers link: the obligation the README shows is then reported
    (tmp_path / "index.md").write_text("# Quickstart\n\n" + re.sub(r":covers: .*\n", "", myst))
    failed = build(tmp_path)
    assert failed.returncode == 1
    assert "OBL-RGPD-30" in failed.stderr and "[crmrisk.uncovered]" in failed.stderr
    # the very line the README shows, the file's path before it
    assert f"{tmp_path}/{shown_warning()}" in failed.stderr.splitlines()
