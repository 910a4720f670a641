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
imports included: what a CI gate waits for), and its own peak memory (``os.wait4``).
Prints each commit's times, peaks and medians, the ratios of the medians, and whether the
run loaded Sphinx, docutils, sphinx-needs or MyST-Parser (measured once, in a separate
run, so that the check does not weigh on the timing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from side_by_side import compiled, environment, measured, snapshot

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


class Run(NamedTuple):
    seconds: float
    cpu: float
    #: its own peak resident memory, MiB
    peak: float


def once(folder: Path, build: str) -> Run:
    """Wall and CPU seconds and peak memory of one ``crmrisk check``."""
    done = measured([sys.executable, "-c", RUN.format(build=build)], env=environment(folder))
    if done.returncode not in (0, 1):
        sys.exit(f"{folder.name}: crmrisk check failed: {done.stderr.decode()[-500:]}")
    return Run(done.seconds, done.cpu, done.peak_mib)


_JSON_LOAD = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"


def json_load_once(needs_json: str) -> Run:
    """The same, of reading the file with the standard library alone."""
    done = measured([sys.executable, "-c", _JSON_LOAD, needs_json])
    if done.returncode != 0:
        sys.exit(f"json.load failed: {done.stderr.decode()[-500:]}")
    return Run(done.seconds, done.cpu, done.peak_mib)


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
    times: dict[str, list[Run]] = {name: [] for name in runs}
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
                f"{name} {times[name][-1].seconds:.3f} s / CPU {times[name][-1].cpu:.3f} s"
                f" / {times[name][-1].peak:.0f} MiB"
                for name in order
            ),
            flush=True,
        )
    medians = {}
    for name in runs:
        wall = [t.seconds for t in times[name]]
        medians[name] = Run(
            statistics.median(wall),
            statistics.median(t.cpu for t in times[name]),
            statistics.median(t.peak for t in times[name]),
        )
        loads = ""
        if name in folders:
            loads = f"; loads {', '.join(loaded(folders[name], build)) or 'none of Sphinx'}"
        print(
            f"{name}: wall median {medians[name].seconds:.3f} s "
            f"[{', '.join(f'{t:.3f}' for t in wall)}], CPU median {medians[name].cpu:.3f} s, "
            f"peak median {medians[name].peak:.1f} MiB{loads}"
        )

    def ratios(after: Run, before: Run) -> str:
        return (
            f"wall {after.seconds / before.seconds:.3f}, CPU {after.cpu / before.cpu:.3f}, "
            f"peak {after.peak / before.peak:.3f}"
        )

    print(f"{args.second} / {args.first}: {ratios(medians[args.second], medians[args.first])}")
    if args.json_load:
        for name in folders:
            print(f"{name} / json.load: {ratios(medians[name], medians['json.load'])}")


if __name__ == "__main__":
    main()
