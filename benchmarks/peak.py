"""The peak memory of one project's clean build with each of several copies of the package.

    .venv/bin/python benchmarks/peak.py SOURCE_FOLDER PACKAGE_FOLDER... [--rounds 2]
        [--thresholds 600 650 700 750 800]

Each PACKAGE_FOLDER holds a ``sphinx_crmrisk`` (a variant of the code to try: copy the
package, change it, byte-compile it with ``python -m compileall``); ``-`` builds with none
on the path (a plain sphinx-needs project). In each round the builds run one after the
other, in turn, each from a temporary output folder; prints each variant's peaks and
median (``os.wait4``: the build's own peak, its children included). What the fifth
session's table of benchmarks/README.md (2) was measured with.

``--thresholds``: each build again with each of these first-generation thresholds of the
garbage collector (CPython's is 700). A build's peak is its live memory plus the garbage
waiting for the next full collection, and where those collections fall among the pages
decides which page's garbage is still there at the peak: a small shift of the phase moves
the peak of one project by several MiB (the sixth session's table). Over a few phases,
the median tells the build's memory, not the luck of one phase.
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

#: ``python -m sphinx`` with the collector's first threshold set first (``{}``).
_WITH_THRESHOLD = (
    "import gc, sys\n"
    "gc.set_threshold({}, *gc.get_threshold()[1:])\n"
    "from sphinx.cmd.build import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


def peak_mib(source: Path, package: str, threshold: int | None = None) -> float:
    out = Path(tempfile.mkdtemp(prefix="peak-"))
    env = dict(os.environ, PYTHONSAFEPATH="1") if package == "-" else environment(Path(package))
    start = ["-m", "sphinx"] if threshold is None else ["-c", _WITH_THRESHOLD.format(threshold)]
    command = [sys.executable, *start, "-q", "-b", "html", "-d", str(out / ".d")]
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
    parser.add_argument(
        "--thresholds", type=int, nargs="+", help="the collector's first threshold, in turn"
    )
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    source = args.source.resolve()
    packages = [p if p == "-" else str(Path(p).resolve()) for p in args.packages]
    thresholds: list[int | None] = args.thresholds or [None]
    peaks: dict[tuple[str, int | None], list[float]] = {
        (package, threshold): [] for package in packages for threshold in thresholds
    }
    for _round in range(args.rounds):
        for threshold in thresholds:
            for package in packages:
                peaks[package, threshold].append(peak_mib(source, package, threshold))
    for (package, threshold), values in peaks.items():
        shown = " ".join(f"{value:.1f}" for value in values)
        at = "" if threshold is None else f" at {threshold}"
        print(f"{package + at:48} median {statistics.median(values):6.1f} MiB  ({shown})")
    if args.thresholds:
        for package in packages:
            medians = [statistics.median(peaks[package, t]) for t in thresholds]
            print(
                f"{package:40} over the thresholds: median {statistics.median(medians):6.1f}"
                f" MiB, from {min(medians):.1f} to {max(medians):.1f}"
            )


if __name__ == "__main__":
    main()
