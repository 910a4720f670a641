"""The test matrix: the extension's test suite on each supported Sphinx series.

``make matrix`` (or ``.ci/run``) installs nox into ``.venv-nox`` and runs every session;
one of them: ``.venv-nox/bin/nox -s sphinx-9``; ``.venv-nox/bin/nox -l`` lists
them. Each session is a fresh virtual environment with the newest release of its Sphinx
series, the myst-parser that goes with it, and the package installed from this folder (not
in editable mode: the test suite runs against what ``pip install`` gives).

Jupyter Book 1 pins Sphinx 7 and myst-parser 3, so it is in none of these environments: the
tests marked ``book`` (the handbook, the notebooks, jupyter-book builds) are deselected here
and run by ``make test``, on Sphinx 7.4 with Jupyter Book.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import nox

nox.options.default_venv_backend = "venv"
# a missing interpreter is an error, never a skipped (green) session
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"
nox.options.reuse_venv = "no"


@dataclass(frozen=True)
class Series:
    python: str
    sphinx: str
    myst_parser: str


# Newest release of each series, with the newest myst-parser it supports (3.x for Sphinx
# 7.4, as Jupyter Book 1 has it; 5.x for Sphinx 8 and 9; not 4.x, see pyproject.toml).
# Python 3.11, the oldest supported, with 7.4 and 8; 3.12 and 3.13 with 9 (Sphinx 9.1 and
# later need 3.12).
MATRIX = {
    "7.4": Series(python="3.11", sphinx=">=7.4,<7.5", myst_parser=">=3,<4"),
    "8.2": Series(python="3.11", sphinx=">=8.2,<9", myst_parser=">=5,<6"),
    "9": Series(python="3.12", sphinx=">=9,<10", myst_parser=">=5,<6"),
    "9-py3.13": Series(python="3.13", sphinx=">=9,<10", myst_parser=">=5,<6"),
}


def interpreter(version: str) -> str:
    """The path of a working ``python<version>``: on PATH, or else the newest pyenv build.

    pyenv puts shims for every installed version on PATH, but a shim only runs the
    versions that ``PYENV_VERSION`` (or ``pyenv global``) selects: ``python3.12`` is found
    and then fails. nox would then skip or fail the session, so ask pyenv for the binary.
    """
    found = shutil.which(f"python{version}")
    if found and _runs(found, {}):
        return found
    pyenv = shutil.which("pyenv")
    if pyenv:
        installed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        builds = sorted(
            (v for v in installed if v.startswith(f"{version}.") and v.replace(".", "").isdigit()),
            key=lambda v: tuple(int(part) for part in v.split(".")),
        )
        if builds:
            env = {"PYENV_VERSION": builds[-1]}
            path = subprocess.run(
                [pyenv, "which", f"python{version}"],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, **env},
            ).stdout.strip()
            if path and _runs(path, env):
                return path
    # nox reports it as a missing interpreter, which error_on_missing_interpreters fails
    return version


def _runs(python: str, env: dict[str, str]) -> bool:
    result = subprocess.run(
        [python, "-c", "pass"], capture_output=True, check=False, env={**os.environ, **env}
    )
    return result.returncode == 0


VERSIONS = """
import sys, docutils, myst_parser, sphinx, sphinx_needs, sphinx_crmrisk
print("Python", sys.version.split()[0], "| Sphinx", sphinx.__version__,
      "| sphinx-needs", sphinx_needs.__version__, "| myst-parser", myst_parser.__version__,
      "| docutils", docutils.__version__, "| sphinx_crmrisk from", sphinx_crmrisk.__file__)
"""


def _session(name: str, series: Series) -> None:
    def tests(session: nox.Session) -> None:
        # the pdf extra too: the audit pack does not depend on Sphinx, but its tests run
        # on every series (WeasyPrint needs Pango from the system: make pdf-libraries)
        session.install(
            ".[test,pdf]",
            f"sphinx{series.sphinx}",
            f"myst-parser{series.myst_parser}",
        )
        # -I: the installed package, not ./sphinx_crmrisk from the current folder
        session.run("python", "-I", "-c", VERSIONS)
        session.run("python", "-m", "pip", "check")
        # pytest, not python -m pytest: the installed package is imported, not ./sphinx_crmrisk
        # exit status 5 (no test collected) fails the session like any other non-zero status
        # a temporary folder of its own: .ci/run runs sessions side by side, and pytest
        # prunes the numbered folders of /tmp/pytest-of-<user> it finds (outside the
        # checkout: a project under test must find no _config.yml above it)
        basetemp = f"{tempfile.gettempdir()}/crmrisk-{session.name}-pytest"
        session.run(
            "pytest", "tests", "-m", "not book", "-q", f"--basetemp={basetemp}", *session.posargs
        )

    tests.__doc__ = (
        f"Python {series.python}, sphinx{series.sphinx}, myst-parser{series.myst_parser}:"
        " the tests not marked book"
    )
    nox.session(name=f"sphinx-{name}", python=interpreter(series.python))(tests)


for _name, _series in MATRIX.items():
    _session(_name, _series)
