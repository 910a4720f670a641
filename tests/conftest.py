"""Shared test set-up: Sphinx's testing fixtures on the roots under tests/roots/."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = "sphinx.testing.fixtures"

# ``--nbval-lax`` collects every notebook under the paths given (``make test`` gives
# tests/): the fixtures' notebooks are inputs of tests/test_audits.py, which builds them
collect_ignore_glob = ["fixtures/*/*.ipynb"]

ROOTS = Path(__file__).parent / "roots"


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return ROOTS


@pytest.fixture
def copy_root(tmp_path: Path) -> Callable[[str], Path]:
    """A private, editable copy of ``tests/roots/test-<name>``."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(ROOTS / f"test-{name}", target)
        return target

    return copy
