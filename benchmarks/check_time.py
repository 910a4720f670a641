"""``crmrisk check`` of one build, two commits timed in turn, and what each loads.

    .venv/bin/python benchmarks/check_time.py a5f15a3 HEAD _build/html --rounds 5

Each commit's package is taken with ``git archive`` (as ``side_by_side.py`` does) and run
from this environment's Python with ``PYTHONPATH`` on it, so only the package differs.
In each round the two commits run one after the other, in turn, the order alternating
round by round; the wall time of the whole process is measured (interpreter start and
imports included: what a CI gate waits for). Prints each commit's times and median, the
ratio of the medians, and whether the run loaded Sphinx, docutils, sphinx-needs or
MyST-Parser (measured once, in a separate run, so that the check does not weigh on the
timing).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from side_by_side import environment, snapshot

RUN = "import sys; sys.argv = ['crmrisk', 'check', {build!r}]; from sphinx_crmrisk.cli import run; run()"
LOADED = (
    "import io, json, sys\n"
    "from sphinx_crmrisk.cli import main\n"
    "out = sys.stdout; sys.stdout = io.TextIOWrapper(io.BytesIO())\n"
    "main(['check', {build!r}])\n"
    "sys.stdout = out\n"
    "print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & "
    "{{'sphinx', 'docutils', 'sphinx_needs', 'myst_parser'}})))\n"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def once(folder: Path, build: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``crmrisk check``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(build=build)],
        env=environment(folder),
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{folder.name}: crmrisk check failed: {result.stderr.decode()[-500:]}")
    return seconds, _children_cpu() - cpu


def loaded(folder: Path, build: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED.format(build=build)],
        env=environment(folder),
        capture_output=True,
        text=True,
        check=True,
    )
    found: list[str] = json.loads(result.stdout.splitlines()[-1])
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="a commit (the one before)")
    parser.add_argument("second", help="a commit (the one after)")
    parser.add_argument("build", help="a build folder or needs.json")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    build = str(Path(args.build).resolve())
    folders = {name: snapshot(name) for name in (args.first, args.second)}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in folders}
    for folder in folders.values():
        once(folder, build)  # warm the file cache and the bytecode of both
    for round_ in range(args.rounds):
        order = list(folders) if round_ % 2 == 0 else list(reversed(folders))
        for name in order:
            times[name].append(once(folders[name], build))
    medians = {}
    for name, folder in folders.items():
        wall = [t[0] for t in times[name]]
        cpu = [t[1] for t in times[name]]
        medians[name] = (statistics.median(wall), statistics.median(cpu))
        print(
            f"{name} ({folder.name}): wall median {medians[name][0]:.3f} s "
            f"[{', '.join(f'{t:.3f}' for t in wall)}], CPU median {medians[name][1]:.3f} s; "
            f"loads {', '.join(loaded(folder, build)) or 'none of Sphinx'}"
        )
    (wall1, cpu1), (wall2, cpu2) = medians.values()
    print(f"{args.second} / {args.first}: wall {wall2 / wall1:.3f}, CPU {cpu2 / cpu1:.3f}")


if __name__ == "__main__":
    main()
