"""When a build's memory grows: resident and peak memory at each step of one build.

    .venv/bin/python benchmarks/memtrace.py SOURCE_FOLDER [--every 25]

Builds SOURCE_FOLDER (e.g. benchmarks/_work/n5000/crmrisk/src, made by run.py) into a
temporary folder with the HTML builder, in this process, and prints the resident set
(``/proc/self/statm``) and the peak so far (``ru_maxrss``) at each Sphinx event, and
every ``--every`` pages read and written. Run it on the plain and the crmrisk variant
of one size: the line where the two peaks part says which step costs the memory.
This is how the matrix page was found to be the peak (benchmarks/README.md).
``--collections`` adds a line at the end of each full garbage collection: the objects
it freed and its CPU time (CPython collects the oldest generation again once a quarter
as many objects as it kept have joined it).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
#: events with no return value that matters, each traced first and last of its handlers
_EVENTS = (
    "env-before-read-docs",
    "env-updated",
    "env-check-consistency",
    "write-started",
    "build-finished",
)


def resident_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def line(step: str) -> None:
    print(f"{step:38} resident {resident_mib():7.1f} MiB   peak {peak_mib():7.1f} MiB", flush=True)


def _tracer(step: str) -> Callable[..., None]:
    def trace(*_args: Any) -> None:
        line(step)

    return trace


def _counter(step: str, every: int) -> Callable[..., None]:
    count = 0

    def trace(*_args: Any) -> None:
        nonlocal count
        count += 1
        if count % every == 0:
            line(f"{step} {count}")

    return trace


def _collections() -> Callable[[str, dict[str, int]], None]:
    started = 0.0

    def trace(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if info["generation"] != 2:
            return
        if phase == "start":
            started = time.process_time()
            return
        took = (time.process_time() - started) * 1000
        line(f"  full collection: {info['collected']} freed, {took:.0f} ms")

    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--every", type=int, default=25, help="a line every N pages")
    parser.add_argument("--collections", action="store_true", help="a line a full collection")
    args = parser.parse_args()
    if args.collections:
        gc.callbacks.append(_collections())
    with tempfile.TemporaryDirectory() as out:
        app = Sphinx(args.source, args.source, out, Path(out) / ".doctrees", "html", status=None)
        line("set up (extensions loaded)")
        for event in _EVENTS:
            app.connect(event, _tracer(event), priority=1)
            app.connect(event, _tracer(f"{event} (handlers done)"), priority=999)
        # env-get-updated's handlers return pages to write: this one returns none
        app.connect("env-get-updated", lambda *_: (line("env-get-updated"), [])[1], priority=999)
        app.connect("doctree-read", _counter("pages read", args.every))
        app.connect("doctree-resolved", _counter("pages written", args.every), priority=999)
        app.build()
        line("done")
        sys.exit(app.statuscode)


if __name__ == "__main__":
    main()
