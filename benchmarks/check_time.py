"""``crmrisk check`` of one build, two commits timed in turn, and what each loads.

    .venv/bin/python benchmarks/check_time.py a5f15a3 HEAD _build/html --rounds 5
    .venv/bin/python benchmarks/check_time.py 51a9f9d HEAD needs.json --json-load

With ``--json-load``, ``python -c "json.load(open(FILE))"`` of the same needs.json is
timed in the same rounds, in turn with the two commits (benchmark (e) of run.py: the
gate against reading the file with the standard library), and each commit's times are
given as a share of it.

Each commit's package is taken with ``git archive`` (as ``side_by_side.py`` does) and run
from this environment's Python with ``PYTHONPATH`` on it, so only the package differs.
Such a copy has no bytecode: where ``PYTHONDONTWRITEBYTECODE`` is set, every run compiles
the package's modules again (0.05 s), which an installed package (pip compiles it) never
does; ``--bytecode`` times byte-compiled copies of both commits instead.
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
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from side_by_side import compiled, environment, snapshot

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


_JSON_LOAD = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"


def json_load_once(needs_json: str) -> tuple[float, float]:
    """Wall and CPU seconds of reading the file with the standard library alone."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _JSON_LOAD, needs_json], check=True)
    return time.perf_counter() - start, _children_cpu() - cpu


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
    parser.add_argument(
        "--json-load", action="store_true", help="time json.load of the file in the same rounds"
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="time byte-compiled copies of the packages (as installed), not the sources",
    )
    args = parser.parse_args(argv)
    build = str(Path(args.build).resolve())
    folders = {name: snapshot(name) for name in (args.first, args.second)}
    if args.bytecode:
        folders = {name: compiled(folder) for name, folder in folders.items()}
        print("the packages byte-compiled (compileall), as pip installs them")
    needs_json = str(Path(build) / "needs.json") if Path(build).is_dir() else build
    runs = {name: (lambda folder=folder: once(folder, build)) for name, folder in folders.items()}
    if args.json_load:
        runs["json.load"] = lambda: json_load_once(needs_json)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm the file cache and the bytecode of each
    for round_ in range(args.rounds):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        load = os.getloadavg()[0]
        for name in order:
            times[name].append(runs[name]())
        print(
            f"round {round_ + 1} (load {load:.1f}): "
            + ", ".join(
                f"{name} {times[name][-1][0]:.3f} s / CPU {times[name][-1][1]:.3f} s"
                for name in order
            ),
            flush=True,
        )
    medians = {}
    for name in runs:
        wall = [t[0] for t in times[name]]
        cpu = [t[1] for t in times[name]]
        medians[name] = (statistics.median(wall), statistics.median(cpu))
        loads = ""
        if name in folders:
            loads = f"; loads {', '.join(loaded(folders[name], build)) or 'none of Sphinx'}"
        print(
            f"{name}: wall median {medians[name][0]:.3f} s "
            f"[{', '.join(f'{t:.3f}' for t in wall)}], CPU median {medians[name][1]:.3f} s{loads}"
        )
    (wall1, cpu1), (wall2, cpu2) = medians[args.first], medians[args.second]
    print(f"{args.second} / {args.first}: wall {wall2 / wall1:.3f}, CPU {cpu2 / cpu1:.3f}")
    if args.json_load:
        wall0, cpu0 = medians["json.load"]
        for name in folders:
            wall, cpu = medians[name]
            print(f"{name} / json.load: wall {wall / wall0:.3f}, CPU {cpu / cpu0:.3f}")


if __name__ == "__main__":
    main()
