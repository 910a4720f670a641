"""Shared test set-up: Sphinx's testing fixtures on the roots under tests/roots/."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from sphinx_crmrisk import settings

pytest_plugins = "sphinx.testing.fixtures"

ROOTS = Path(__file__).parent / "roots"

# The commands the tests run write as they do into a file: no colour codes. Sphinx 8 and 9
# colour their warnings whenever FORCE_COLOR is set, even into a pipe (nox and some CI
# runners set it), and then a warning line starts with ESC[91m; NO_COLOR turns colours
# off for Sphinx and for any other program that honours it.
os.environ.pop("FORCE_COLOR", None)
os.environ["NO_COLOR"] = "1"
# each build's audit notebooks in kernels forked by a server of that build, ended with it,
# and its PDF drafted by a process of its own: a server kept between builds outlives the
# test run (tests/test_warm_kernels.py and tests/test_pack.py test them, then stop them)
os.environ["CRMRISK_WARM"] = "build"

# the test projects and fixtures are inputs, never tests: with --nbval-lax (make test),
# pytest collected tests/roots/test-audit/audit.ipynb as a notebook test and ran it in
# place, which built a needs cache inside the checkout (tests/roots/test-audit/_build,
# then copied by copy_root("audit")); tests/test_reviews.py runs that notebook on a copy
collect_ignore_glob = ["roots/*", "fixtures/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--snapshot-update",
        action="store_true",
        help="write the outputs of tests/test_snapshots.py as their expected files "
        "(tests/snapshots/), instead of comparing them",
    )


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


#: the day ``frozen_today`` makes the package's clock say: one no test run falls on
FROZEN_TODAY = dt.date(2001, 2, 3)


class _FrozenDate(dt.date):
    @classmethod
    def today(cls) -> dt.date:
        return FROZEN_TODAY


@pytest.fixture
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The day a build or the command without ``crmrisk_today`` takes as its reference
    date (``Settings.reference_date`` reads the clock there, and only there), fixed: a
    test asserts on that day without reading the clock, and a run across midnight
    cannot change the answer."""
    monkeypatch.setattr(settings, "dt", types.SimpleNamespace(**{**vars(dt), "date": _FrozenDate}))
    return FROZEN_TODAY
