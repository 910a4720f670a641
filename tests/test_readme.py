"""The README cannot drift from the code: its quickstart builds, its tables are complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sphinx_crmrisk.config import PREFIX, crmrisk_fields
from sphinx_crmrisk.warnings_ import WARNING_SUBTYPES

README = (Path(__file__).parents[1] / "README.md").read_text()


def quickstart_blocks() -> tuple[str, str]:
    """The quickstart's conf.py and its MyST example."""
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    conf = re.search(r"```python\n(.*?)```", quickstart, re.S).group(1)
    myst = re.search(r"````md\n(.*?)````", quickstart, re.S).group(1)
    return conf, myst


def build(src: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(src), str(src / "_build")],
        capture_output=True, text=True, timeout=300, check=False,
    )


def test_quickstart_builds_clean_and_fails_without_its_covers(tmp_path):
    conf, myst = quickstart_blocks()
    (tmp_path / "conf.py").write_text(conf)
    (tmp_path / "index.md").write_text("# Quickstart\n\n" + myst)
    assert build(tmp_path).returncode == 0

    # drop every covers link: the obligation the README shows is then reported
    (tmp_path / "index.md").write_text(
        "# Quickstart\n\n" + re.sub(r":covers: .*\n", "", myst)
    )
    failed = build(tmp_path)
    assert failed.returncode == 1
    assert "OBL-RGPD-30" in failed.stderr and "[crmrisk.uncovered]" in failed.stderr


def table_first_column(heading: str) -> set[str]:
    section = README.split(heading, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.M))


def test_every_warning_subtype_is_documented():
    assert table_first_column("### Checks") == set(WARNING_SUBTYPES)


def test_every_config_value_is_documented():
    assert table_first_column("### Configuration") == {PREFIX + f.name for f in crmrisk_fields()}
