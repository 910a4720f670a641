"""The peak memory of one project's clean build with each of several copies of the package.

    .venv/bin/python benchmarks/peak.py SOURCE_FOLDER PACKAGE_FOLDER... [--rounds 2]

Each PACKAGE_FOLDER holds a ``sphinx_crmrisk`` (a variant of the code to try: copy the
package, change it, byte-compile it with ``python -m compileall``); ``-`` builds with none
on the path (a plain sphinx-needs project). In each round the builds run one after the
other, in turn, each from a temporary output folder; prints each variant's peaks and
median (``os.wait4``: the build's own peak, its children included). What the fifth
session's table of benchmarks/README.md (2) was measured with.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from side_by_side import WORK, environment, measured


def peak_mib(source: Path, package: str) -> float:
    out = Path(tempfile.mkdtemp(prefix="peak-"))
    env = dict(os.environ, PYTHONSAFEPATH="1") if package == "-" else environment(Path(package))
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d", str(out / ".d")]
    try:
        done = measured([*command, str(source), str(out)], env=env, cwd=WORK)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        sys.exit(f"the build with {package} failed: {done.stderr.decode()[-500:]}")
    return done.peak_mib


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the project's source folder")
    parser.add_argument("packages", nargs="+", help="folders holding a sphinx_crmrisk, or -")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    source = args.source.resolve()
    packages = [p if p == "-" else str(Path(p).resolve()) for p in args.packages]
    peaks: dict[str, list[float]] = {package: [] for package in packages}
    for _round in range(args.rounds):
        for package in packages:
            peaks[package].append(peak_mib(source, package))
    for package, values in peaks.items():
        shown = " ".join(f"{value:.1f}" for value in values)
        print(f"{package:40} median {statistics.median(values):6.1f} MiB  ({shown})")


if __name__ == "__main__":
    main()
